package httpapi

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/errs"
)

// FuzzDecodeObject: any body either decodes to an object or is a Malformed
// error; nothing panics.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"name":"Ana"}`, `{`, `[]`, `null`, `{"a":1} {}`, "\xff", `{"a":{"b":[1,2,{"c":null}]}}`, ``, `  `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &Request{Event: &events.APIGatewayV2HTTPRequest{}, Body: body}
		obj, err := r.DecodeObject()
		if err != nil {
			if errs.KindOf(err) != errs.Malformed {
				t.Fatalf("DecodeObject error kind = %q, want malformed", errs.KindOf(err))
			}
			return
		}
		if obj == nil {
			t.Fatal("DecodeObject returned a nil object without error")
		}
	})
}
