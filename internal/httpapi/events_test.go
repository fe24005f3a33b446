package httpapi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestSampleEvents feeds every sample event of events/ (the ones `sam local
// invoke -e` uses) to the API: each decodes as an HTTP API v2 event, reaches
// a route, and is answered without a server error. SQS events are left to
// their functions' tests (internal/lambdaevents).
func TestSampleEvents(t *testing.T) {
	f := newFixture(t)
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) < 3 {
		t.Fatalf("sample events: %v %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), `"Records"`) {
				t.Skip("an SQS event: its function's tests load it")
			}
			var ev events.APIGatewayV2HTTPRequest
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("%s is not an HTTP API v2 event: %v", file, err)
			}
			resp, err := f.api.Handle(context.Background(), ev)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode >= 500 || strings.Contains(resp.Body, "route_not_found") {
				t.Errorf("%s answered %d: %s", ev.RouteKey, resp.StatusCode, resp.Body)
			}
		})
	}
}
