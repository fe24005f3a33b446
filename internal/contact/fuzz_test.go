package contact

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/omnichannel/contacts/internal/mergepatch"
)

// FuzzBuildProfile feeds arbitrary create bodies and merge patches: nothing
// panics, and every profile accepted rebuilds to itself from its Document.
func FuzzBuildProfile(f *testing.F) {
	f.Add([]byte(`{"name":"Maria","phone":"(11) 99999-1234"}`), []byte(`{"email":"a@b.co","phone":null}`))
	f.Add([]byte(`{"email":"a@b.co","taxId":"12.ABC.345/01DE-35","birthDate":"01/02/1990"}`), []byte(`{"customFields":{"plan":"pro"}}`))
	f.Add([]byte(`{"phone":"+1 415 555 2671","country":"us","language":"en-us"}`), []byte(`{"country":null}`))
	f.Add([]byte(`{"otherPhones":["(21) 97777-0002","+1 415 555 2671"],"otherEmails":["A@x.co","b@x.co"]}`), []byte(`{"phone":"+5521977770002","otherPhones":null}`))
	f.Fuzz(func(t *testing.T, body, patch []byte) {
		in, ok := decodeObject(body)
		if !ok {
			return
		}
		p, problems := BuildProfile(in, testWorkspace, testNow, true)
		if len(problems) > 0 {
			return
		}
		again, problems := BuildProfile(p.Document(), testWorkspace, testNow, true)
		if len(problems) > 0 || !reflect.DeepEqual(again, p) {
			t.Fatalf("profile does not rebuild from its document: %+v vs %+v (%v)", p, again, problems)
		}
		if pd, ok := decodeObject(patch); ok {
			BuildProfile(mergepatch.Apply(p.Document(), pd), testWorkspace, testNow, false)
		}
	})
}

func decodeObject(b []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}
