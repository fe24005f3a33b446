// Command probe is the local platform's test function: it answers HTTP API
// routes, and records the S3 and SQS events it gets in its table so the
// tests can see them.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type probe struct {
	db    *dynamodb.Client
	table string
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(1)
	}
	p := &probe{db: dynamodb.NewFromConfig(cfg), table: os.Getenv("TABLE_NAME")}
	lambda.Start(p.handle)
}

func (p *probe) handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var kind struct {
		RouteKey string `json:"routeKey"`
		Records  []struct {
			EventSource string `json:"eventSource"`
			EventSrc    string `json:"EventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(raw, &kind); err != nil {
		return nil, err
	}
	switch {
	case kind.RouteKey != "":
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return p.http(ev)
	case len(kind.Records) > 0 && kind.Records[0].EventSource == "aws:sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return p.sqs(ctx, ev), nil
	case len(kind.Records) > 0 && kind.Records[0].EventSource == "aws:s3":
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return nil, p.s3(ctx, ev)
	}
	return nil, fmt.Errorf("unknown event: %.200s", raw)
}

func (p *probe) http(ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch ev.RouteKey {
	case "POST /sleep":
		ms, _ := strconv.Atoi(ev.Body)
		time.Sleep(time.Duration(ms) * time.Millisecond)
	case "POST /crash":
		fmt.Println("crashing on purpose")
		os.Exit(3)
	}
	var claims map[string]string
	if ev.RequestContext.Authorizer != nil && ev.RequestContext.Authorizer.JWT != nil {
		claims = ev.RequestContext.Authorizer.JWT.Claims
	}
	body, _ := json.Marshal(map[string]any{"routeKey": ev.RouteKey, "path": ev.PathParameters, "claims": claims, "query": ev.QueryStringParameters})
	fmt.Println("served", ev.RouteKey)
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json", "X-Probe": "yes"}, Body: string(body)}, nil
}

// sqs records each message's body and how often it was seen; a body
// "fail" is reported as a batch item failure.
func (p *probe) sqs(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if err := p.count(ctx, "SQS#"+m.Body); err != nil || m.Body == "fail" {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp
}

func (p *probe) s3(ctx context.Context, ev events.S3Event) error {
	for _, r := range ev.Records {
		if err := p.count(ctx, "S3#"+r.S3.Bucket.Name+"/"+r.S3.Object.Key); err != nil {
			return err
		}
	}
	return nil
}

func (p *probe) count(ctx context.Context, pk string) error {
	_, err := p.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &p.table,
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "SEEN"}},
		UpdateExpression:          aws.String("ADD seen :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
	})
	return err
}
