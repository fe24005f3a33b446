// Package eventbus publishes change events on an EventBridge bus.
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/omnichannel/contacts/internal/changes"
)

// EventBridge's limits on one PutEvents call.
const (
	MaxEntries   = 10
	MaxCallBytes = 256 << 10
)

// API is the part of the EventBridge client the bus uses.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Bus is an EventBridge event bus.
type Bus struct {
	Client API
	Name   string
	// Retries is how many more times an entry EventBridge refused (say,
	// throttled) is sent before Publish gives up; default 4, waiting
	// 100 ms, then twice as long each time.
	Retries int
	// Sleep waits between retries; default time.Sleep, respecting ctx.
	Sleep func(ctx context.Context, d time.Duration)
}

var _ changes.Bus = (*Bus)(nil)

// Publish implements changes.Bus: the events in calls of up to 10 entries
// (and 256 KiB), in order, each call's refused entries sent again.
func (b *Bus) Publish(ctx context.Context, events []changes.Event) (int, error) {
	entries := make([]types.PutEventsRequestEntry, len(events))
	for i, e := range events {
		detail, err := json.Marshal(e)
		if err != nil {
			return i, fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		entries[i] = types.PutEventsRequestEntry{
			EventBusName: aws.String(b.Name), Source: aws.String(changes.Source), DetailType: aws.String(e.Type),
			Detail: aws.String(string(detail)), Time: aws.Time(e.At),
		}
	}
	for start := 0; start < len(entries); {
		end, size := start, 0
		for end < len(entries) && end-start < MaxEntries {
			n := entrySize(entries[end])
			if end > start && size+n > MaxCallBytes {
				break
			}
			size += n
			end++
		}
		if failed, err := b.send(ctx, entries[start:end]); err != nil {
			return start + failed, err
		}
		start = end
	}
	return len(entries), nil
}

// send puts entries, sending again those refused; it returns the index of
// the first entry not published when it gives up.
func (b *Bus) send(ctx context.Context, entries []types.PutEventsRequestEntry) (int, error) {
	retries, sleep := b.Retries, b.Sleep
	if retries == 0 {
		retries = 4
	}
	if sleep == nil {
		sleep = wait
	}
	pending := make([]int, len(entries)) // indexes into entries
	for i := range pending {
		pending[i] = i
	}
	delay := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		in := &eventbridge.PutEventsInput{}
		for _, i := range pending {
			in.Entries = append(in.Entries, entries[i])
		}
		out, err := b.Client.PutEvents(ctx, in)
		if err != nil {
			return pending[0], fmt.Errorf("put %d events on %s: %w", len(pending), b.Name, err)
		}
		var again []int
		var reason string
		for k, r := range out.Entries {
			if r.ErrorCode != nil && k < len(pending) {
				again = append(again, pending[k])
				reason = aws.ToString(r.ErrorCode) + ": " + aws.ToString(r.ErrorMessage)
			}
		}
		if len(again) == 0 {
			return len(entries), nil
		}
		if attempt == retries {
			return again[0], fmt.Errorf("put events on %s: %d refused after %d attempts (%s)", b.Name, len(again), attempt+1, reason)
		}
		pending = again
		sleep(ctx, delay)
		delay *= 2
	}
}

// entrySize is an entry's size as EventBridge counts it.
func entrySize(e types.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail)) + len(aws.ToString(e.EventBusName))
	if e.Time != nil {
		n += 14
	}
	return n
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
