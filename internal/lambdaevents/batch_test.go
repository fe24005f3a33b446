package lambdaevents_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/lambdaevents"
)

// TestBatchPanicFailsOnlyItsMessage: a handler that panics on one message
// fails that message (reported for SQS to retry), the others succeed, the
// invocation itself does not fail, and the panic is logged.
func TestBatchPanicFailsOnlyItsMessage(t *testing.T) {
	var logs bytes.Buffer
	handle := lambdaevents.Batch(slog.New(slog.NewJSONHandler(&logs, nil)), func(_ context.Context, m events.SQSMessage) (string, error) {
		switch m.Body {
		case "panic":
			panic("boom")
		case "error":
			return "", errors.New("store down")
		}
		return "done", nil
	})
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: "ok"}, {MessageId: "m2", Body: "panic"}, {MessageId: "m3", Body: "error"}, {MessageId: "m4", Body: "ok"},
	}}
	resp, err := handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("handle: %v, want the failures reported per message", err)
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if want := "m2,m3"; strings.Join(got, ",") != want {
		t.Errorf("failed messages = %v, want %s", got, want)
	}
	if !strings.Contains(logs.String(), "panic: boom") {
		t.Errorf("log = %s, want the panic logged", logs.String())
	}
}
