package dynamo

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A reference, in a contact's partition, names an item elsewhere that holds
// the contact's data: the idempotency record of the request that created
// the contact, or of a request answered with its data (a note, a
// conversation). Deleting the contact reads its partition anyway, so it
// deletes each reference with the item named, with no search; a merge
// moves references with the rest of the source's items. A reference
// expires with the item it names.
type refItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	RefPK     string `dynamodbav:"refPK"`
	RefSK     string `dynamodbav:"refSK"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

const typeRef = "ref"

// refSK keeps one reference per item named in a partition.
func refSK(pk, sk string) string { return "REF#" + pk + "#" + sk }

// marshalRef returns the reference of the contact to item, which expires at expires.
func marshalRef(ws, contactID string, item map[string]types.AttributeValue, expires time.Time) (map[string]types.AttributeValue, error) {
	pk, sk := str(item, attrPK), str(item, attrSK)
	av, err := attributevalue.MarshalMap(refItem{
		PK: contactPK(ws, contactID), SK: refSK(pk, sk), Type: typeRef, RefPK: pk, RefSK: sk, ExpiresAt: expires.Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("marshal reference: %w", err)
	}
	return av, nil
}

// referenced returns the key of the item an owned item names, if it is a
// reference that has not expired. An expired one is not followed: its item
// expired too, and its key may have been taken since by another request.
func referenced(item map[string]types.AttributeValue, now time.Time) (map[string]types.AttributeValue, bool) {
	var r refItem
	if str(item, "type") != typeRef || attributevalue.UnmarshalMap(item, &r) != nil || r.ExpiresAt <= now.Unix() {
		return nil, false
	}
	return key(r.RefPK, r.RefSK), true
}
