package awsemu

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// RuleSpec is an EventBridge rule to create: events of Bus matching Pattern
// go to the queues of QueueARNs.
type RuleSpec struct {
	Name, Bus, Pattern string
	QueueARNs          []string
}

// EventBridgeClient returns an EventBridge client for the server.
func (m *Moto) EventBridgeClient() *eventbridge.Client {
	return eventbridge.NewFromConfig(m.Config(context.Background()))
}

// CreateBuses creates the event buses (moto delivers what is put on them to
// the SQS targets of their rules) and the rules. A bus that exists is kept.
func (m *Moto) CreateBuses(ctx context.Context, buses []string, rules []RuleSpec) error {
	c := m.EventBridgeClient()
	for _, b := range buses {
		if _, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(b)}); err == nil {
			continue
		}
		if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(b)}); err != nil {
			return fmt.Errorf("create event bus %s: %w", b, err)
		}
	}
	for _, r := range rules {
		if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(r.Name), EventBusName: aws.String(r.Bus), EventPattern: aws.String(r.Pattern)}); err != nil {
			return fmt.Errorf("put rule %s: %w", r.Name, err)
		}
		var targets []ebtypes.Target
		for i, arn := range r.QueueARNs {
			targets = append(targets, ebtypes.Target{Id: aws.String(fmt.Sprint(i)), Arn: aws.String(arn)})
		}
		if len(targets) == 0 {
			continue
		}
		if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(r.Name), EventBusName: aws.String(r.Bus), Targets: targets}); err != nil {
			return fmt.Errorf("put targets of rule %s: %w", r.Name, err)
		}
	}
	return nil
}
