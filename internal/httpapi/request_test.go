package httpapi

import (
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/errs"
)

// TestParseIfMatch: If-Match as RFC 9110 (13.1.1) has it. "*" and no header
// match any version; a list matches any version a strong tag names; weak
// tags and tags that name no version are well-formed but name nothing;
// only a header that is not "*" or a list of entity-tags is malformed.
func TestParseIfMatch(t *testing.T) {
	tests := []struct {
		header   string
		any      bool
		versions []int
		bad      bool
	}{
		{header: "", any: true},
		{header: "  ", any: true},
		{header: "*", any: true},
		{header: " * ", any: true},
		{header: `"1"`, versions: []int{1}},
		{header: ` "12" `, versions: []int{12}},
		{header: `"1", "3"`, versions: []int{1, 3}},
		{header: `"1","3"`, versions: []int{1, 3}},
		{header: "\"1\",\t\"3\"", versions: []int{1, 3}},
		{header: `"1", , "3",`, versions: []int{1, 3}},        // empty list elements are allowed
		{header: `"stale-0"`},                                 // well-formed, names no version
		{header: `"0"`},                                       // versions start at 1
		{header: `"-1"`},                                      //
		{header: `"01"`},                                      // strong comparison: "01" is not "1"
		{header: `"+1"`},                                      //
		{header: `"99999999999999999999"`},                    // no version that large
		{header: `""`},                                        // an empty opaque tag is a tag
		{header: `W/"1"`},                                     // weak tags never match for If-Match
		{header: `W/"1", "2"`, versions: []int{2}},            //
		{header: `"a,b", "2"`, versions: []int{2}},            // a comma is an etagc
		{header: "\"caf\xc3\xa9\""},                           // obs-text is allowed
		{header: `"1"` + ", " + `"1"`, versions: []int{1, 1}}, //
		{header: "1", bad: true},
		{header: "v1", bad: true},
		{header: `"1`, bad: true},
		{header: `1"`, bad: true},
		{header: `'1'`, bad: true},
		{header: `"1" "2"`, bad: true},
		{header: `"1""2"`, bad: true},
		{header: `"1" x`, bad: true},
		{header: `*, "1"`, bad: true},
		{header: `"1", *`, bad: true},
		{header: `**`, bad: true},
		{header: `w/"1"`, bad: true},
		{header: `W/1`, bad: true},
		{header: `W/`, bad: true},
		{header: `"a b"`, bad: true}, // no spaces inside a tag
		{header: `"a"b"`, bad: true},
		{header: "\"a\x00\"", bad: true},
		{header: "\"a\x7f\"", bad: true},
		{header: ",", bad: true},
		{header: " , ,", bad: true},
	}
	for _, tt := range tests {
		got, err := parseIfMatch(tt.header)
		if tt.bad {
			if errs.KindOf(err) != errs.Malformed || errs.As(err).Code != "if_match_invalid" {
				t.Errorf("parseIfMatch(%q) = %+v, %v; want Malformed if_match_invalid", tt.header, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseIfMatch(%q): %v, want no error", tt.header, err)
			continue
		}
		if want := (ifMatch{anyVersion: tt.any, versions: tt.versions}); !reflect.DeepEqual(got, want) {
			t.Errorf("parseIfMatch(%q) = %+v, want %+v", tt.header, got, want)
		}
	}
}

// TestConditional: what version each write is asked for, and how a list
// finds the current version among its tags.
func TestConditional(t *testing.T) {
	const current = 3
	// write is a versioned entity at version current: it refuses any other
	// demanded version as a store does, naming the current one.
	tests := []struct {
		header string
		asked  []int // the versions write was called with, in order
		status errs.Kind
	}{
		{header: "", asked: []int{0}},
		{header: "*", asked: []int{0}},
		{header: `"3"`, asked: []int{3}},
		{header: `"2"`, asked: []int{2}, status: errs.Precondition},
		{header: `"stale-0"`, asked: []int{unmatchableVersion}, status: errs.Precondition},
		{header: `W/"3"`, asked: []int{unmatchableVersion}, status: errs.Precondition},
		{header: `"3", "1"`, asked: []int{3}},
		{header: `"1", "3"`, asked: []int{1, 3}},
		{header: `"1", W/"3"`, asked: []int{1}, status: errs.Precondition},
		{header: `"1", "2"`, asked: []int{1}, status: errs.Precondition},
		{header: `"1", "1"`, asked: []int{1}, status: errs.Precondition},
		{header: `3`, status: errs.Malformed},
	}
	for _, tt := range tests {
		r := &Request{Event: &events.APIGatewayV2HTTPRequest{Headers: map[string]string{"if-match": tt.header}}}
		var asked []int
		err := conditional(r, func(version int) error {
			asked = append(asked, version)
			if version != 0 && version != current {
				return errs.E(errs.Precondition, "version_mismatch").With("current", strconv.Itoa(current))
			}
			return nil
		})
		if !reflect.DeepEqual(asked, tt.asked) {
			t.Errorf("If-Match %q: write asked for %v, want %v", tt.header, asked, tt.asked)
		}
		if got := errs.KindOf(err); tt.status != "" && got != tt.status || tt.status == "" && err != nil {
			t.Errorf("If-Match %q: error %v, want kind %q", tt.header, err, tt.status)
		}
	}
	// Any other error of the first write is the answer.
	r := &Request{Event: &events.APIGatewayV2HTTPRequest{Headers: map[string]string{"if-match": `"1", "3"`}}}
	boom := errors.New("boom")
	calls := 0
	if err := conditional(r, func(int) error { calls++; return boom }); err != boom || calls != 1 {
		t.Errorf("conditional = %v after %d writes, want the write's error after 1", err, calls)
	}
}

// FuzzParseIfMatch: any header is "*", a list of versions or Malformed;
// every version is positive and written back as ETag is found again.
func FuzzParseIfMatch(f *testing.F) {
	for _, s := range []string{"", "*", `"1"`, `"1", "3"`, `W/"2"`, `"stale-0"`, `"a,b"`, `, "1",`, `"1" "2"`, "\"\xff\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		m, err := parseIfMatch(h)
		if err != nil {
			if errs.KindOf(err) != errs.Malformed {
				t.Fatalf("parseIfMatch(%q) error kind = %q, want malformed", h, errs.KindOf(err))
			}
			return
		}
		if m.anyVersion && len(m.versions) > 0 {
			t.Fatalf("parseIfMatch(%q) = %+v: both any version and versions", h, m)
		}
		for _, v := range m.versions {
			if v < 1 {
				t.Fatalf("parseIfMatch(%q) gave version %d", h, v)
			}
			again, err := parseIfMatch(ETag(v))
			if err != nil || !reflect.DeepEqual(again.versions, []int{v}) {
				t.Fatalf("ETag(%d) = %s parses as %+v, %v", v, ETag(v), again, err)
			}
		}
	})
}
