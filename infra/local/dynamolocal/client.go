package dynamolocal

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// NewClient returns a DynamoDB client for the DynamoDB Local server at
// endpoint (e.g. "http://127.0.0.1:8000"): static credentials "local"/"local",
// region us-east-1 and a standard retryer with a few quick attempts and no
// client-side retry quota.
//
// The client is built from explicit options rather than
// config.LoadDefaultConfig, so a developer's AWS_PROFILE, shared config files
// or AWS_* variables can neither break the tests nor point them anywhere else.
// ctx is accepted for symmetry with the SDK's config loading; building the
// client does no I/O.
func NewClient(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid DynamoDB Local endpoint %q: want e.g. http://127.0.0.1:8000", endpoint)
	}
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: &endpoint,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 4
			o.MaxBackoff = time.Second
			o.RateLimiter = ratelimit.None
		}),
	}), nil
}
