package awsemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// NewStreamsClient returns a DynamoDB Streams client of DynamoDB Local at
// endpoint, with static local credentials and the fix below.
func NewStreamsClient(endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region: Region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, FixEmptyMaps)
}

// FixEmptyMaps works around DynamoDB Local (3.x), whose GetRecords gives an
// empty map attribute as {} instead of {"M":{}}: the SDK cannot read that
// (it fills the attribute with another's value). It rewrites every such
// attribute value of the records' images to {"M":{}} before the SDK reads
// the response.
func FixEmptyMaps(o *dynamodbstreams.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("FixEmptyMaps", fixEmptyMaps), middleware.After)
	})
}

func fixEmptyMaps(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil || middleware.GetOperationName(ctx) != "GetRecords" {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode != 200 {
		return out, md, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return out, md, fmt.Errorf("read GetRecords: %w", rerr)
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		records, _ := doc["Records"].([]any)
		for _, r := range records {
			rm, _ := r.(map[string]any)
			ddb, _ := rm["dynamodb"].(map[string]any)
			for _, k := range []string{"Keys", "NewImage", "OldImage"} {
				if img, ok := ddb[k].(map[string]any); ok {
					fixItem(img)
				}
			}
		}
		if fixed, merr := json.Marshal(doc); merr == nil {
			body = fixed
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return out, md, err
}

func fixItem(item map[string]any) {
	for k, v := range item {
		item[k] = fixValue(v)
	}
}

func fixValue(v any) any {
	av, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if len(av) == 0 {
		return map[string]any{"M": map[string]any{}}
	}
	if m, ok := av["M"].(map[string]any); ok {
		fixItem(m)
	}
	if l, ok := av["L"].([]any); ok {
		for i := range l {
			l[i] = fixValue(l[i])
		}
	}
	return av
}
