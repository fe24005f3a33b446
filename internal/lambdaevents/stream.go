package lambdaevents

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/changes"
)

// ImageDecoder reads a stream item into what change events are made of.
type ImageDecoder func(item map[string]types.AttributeValue) (changes.Image, error)

// RecordPublisher publishes the events of stream records in order
// (changes.Publisher).
type RecordPublisher interface {
	Publish(ctx context.Context, records []changes.Record) (int, error)
}

// Stream returns the Lambda handler of a DynamoDB stream event source
// mapping with ReportBatchItemFailures: the records' events are published in
// order; when some cannot be, the first record not published is reported,
// and Lambda reads the shard again from it (the records before it are not
// sent again). A record that cannot be decoded is logged and skipped: it
// would otherwise hold back every record after it in its shard.
func Stream(log *slog.Logger, decode ImageDecoder, pub RecordPublisher) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		records := make([]changes.Record, 0, len(ev.Records))
		for _, r := range ev.Records {
			rec, err := StreamRecord(r, decode)
			if err != nil {
				log.Error("stream record skipped", "eventID", r.EventID, "sequenceNumber", r.Change.SequenceNumber, "error", err.Error())
				continue
			}
			records = append(records, rec)
		}
		n, err := pub.Publish(ctx, records)
		if err != nil {
			log.Error("events not published", "records", len(records), "published", n, "from", records[n].Sequence, "error", err.Error())
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: records[n].Sequence}}
			return resp, nil
		}
		log.Info("stream batch", "records", len(ev.Records), "published", n)
		return resp, nil
	}
}

// StreamRecord decodes one record of a DynamoDB stream event.
func StreamRecord(r events.DynamoDBEventRecord, decode ImageDecoder) (changes.Record, error) {
	rec := changes.Record{
		ID: r.EventID, Sequence: r.Change.SequenceNumber, Insert: r.EventName == string(events.DynamoDBOperationTypeInsert),
		Remove: r.EventName == string(events.DynamoDBOperationTypeRemove),
		At:     r.Change.ApproximateCreationDateTime.UTC().Truncate(time.Second),
	}
	for _, side := range []struct {
		image map[string]events.DynamoDBAttributeValue
		into  *changes.Image
	}{{r.Change.OldImage, &rec.Old}, {r.Change.NewImage, &rec.New}} {
		if side.image == nil {
			continue
		}
		item := make(map[string]types.AttributeValue, len(side.image))
		for k, v := range side.image {
			av, err := attributeValue(v)
			if err != nil {
				return rec, fmt.Errorf("attribute %s: %w", k, err)
			}
			item[k] = av
		}
		img, err := decode(item)
		if err != nil {
			return rec, err
		}
		*side.into = img
	}
	return rec, nil
}

// attributeValue converts the Lambda event's attribute value to the SDK's.
func attributeValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var out []types.AttributeValue
		for _, e := range v.List() {
			av, err := attributeValue(e)
			if err != nil {
				return nil, err
			}
			out = append(out, av)
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		out := map[string]types.AttributeValue{}
		for k, e := range v.Map() {
			av, err := attributeValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = av
		}
		return &types.AttributeValueMemberM{Value: out}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}
