package contact

import (
	"slices"
	"testing"
)

// TestOtherPhonesAndEmails: the others are parsed like the primaries, in
// E.164 and as typed, and a missing primary takes the first other.
func TestOtherPhonesAndEmails(t *testing.T) {
	p, problems := build(t, `{"name":"Ana","phone":"+55 11 98765-4321","otherPhones":["(21) 99999-1111","+1 415 555 2671"],"email":"ana@x.com","otherEmails":[" Ana@Work.com "]}`)
	if len(problems) > 0 {
		t.Fatalf("problems = %v", problems)
	}
	if got, want := p.OtherPhones, []string{"+5521999991111", "+14155552671"}; !slices.Equal(got, want) {
		t.Errorf("otherPhones = %q, want %q", got, want)
	}
	if got, want := p.OtherEmails, []string{"Ana@Work.com"}; !slices.Equal(got, want) {
		t.Errorf("otherEmails = %q, want %q", got, want)
	}
	if got, want := p.Country, "BR"; got != want {
		t.Errorf("country = %q, want %q (the primary's)", got, want)
	}
	if got, want := len(ProfileKeys(&p)), 5; got != want {
		t.Errorf("identity keys = %d, want %d", got, want)
	}

	p, problems = build(t, `{"name":"Ana","otherPhones":["+5511987654321","+5521999991111"],"otherEmails":["a@x.com"]}`)
	if len(problems) > 0 {
		t.Fatalf("problems = %v", problems)
	}
	if p.Phone != "+5511987654321" || !slices.Equal(p.OtherPhones, []string{"+5521999991111"}) || p.Email != "a@x.com" || len(p.OtherEmails) != 0 {
		t.Errorf("promoted = %q %q %q %q, want the first others as primaries", p.Phone, p.OtherPhones, p.Email, p.OtherEmails)
	}
	doc := p.Document()
	back, problems := BuildProfile(doc, testWorkspace, testNow, true)
	if len(problems) > 0 || !slices.Equal(back.OtherPhones, p.OtherPhones) {
		t.Errorf("document round trip = %q %v, want %q", back.OtherPhones, problems, p.OtherPhones)
	}
}

// TestOtherPhonesRejects: each broken rule names the field and its index;
// the 9th digit makes two numbers one.
func TestOtherPhonesRejects(t *testing.T) {
	tests := []struct {
		body  string
		field string
		code  string
	}{
		{`{"phone":"+5511987654321","otherPhones":["+551187654321"]}`, "otherPhones[0]", "duplicate"},
		{`{"phone":"+5511987654321","otherPhones":["+5521999991111","+5521 99999 1111"]}`, "otherPhones[1]", "duplicate"},
		{`{"phone":"+5511987654321","otherPhones":["+5521999991111","x","+14155552671"]}`, "otherPhones[1]", "phone_invalid"},
		{`{"phone":"+5511987654321","otherPhones":"+5521999991111"}`, "otherPhones", "invalid_type"},
		{`{"phone":"+5511987654321","otherPhones":[7]}`, "otherPhones[0]", "invalid_type"},
		{`{"phone":"+5511987654321","otherPhones":[""]}`, "otherPhones[0]", "invalid_type"},
		{`{"email":"a@x.com","otherEmails":["b@x.com","A@X.com"]}`, "otherEmails[1]", "duplicate"},
		{`{"email":"a@x.com","otherEmails":["b@x.com","c@x.com","nope"]}`, "otherEmails[2]", "email_invalid"},
		{`{"email":"a@x.com","otherEmails":["1@x.co","2@x.co","3@x.co","4@x.co","5@x.co","6@x.co","7@x.co","8@x.co","9@x.co","10@x.co","11@x.co"]}`, "otherEmails", "too_many"},
	}
	for _, tt := range tests {
		_, problems := build(t, tt.body)
		if len(problems) != 1 || problems[0].Field != tt.field || problems[0].Code != tt.code {
			t.Errorf("%s: problems = %v, want %s %s", tt.body, problems, tt.field, tt.code)
		}
	}
}

// TestSettleOthers: gathered others lose repeats and what passes the cap.
func TestSettleOthers(t *testing.T) {
	p := Profile{OtherPhones: []string{"+5511987654321", "+551187654321", "+5521999991111"}, Email: "a@x.com", OtherEmails: []string{"A@x.com"}}
	for i := 0; i < 12; i++ {
		p.OtherEmails = append(p.OtherEmails, string(rune('a'+i))+"@y.com")
	}
	dropped := SettleOthers(&p)
	if got, want := p.Phone, "+5511987654321"; got != want {
		t.Errorf("phone = %q, want %q", got, want)
	}
	if got, want := p.OtherPhones, []string{"+5521999991111"}; !slices.Equal(got, want) {
		t.Errorf("otherPhones = %q, want %q", got, want)
	}
	if got, want := len(p.OtherEmails), MaxOtherIdentities; got != want {
		t.Errorf("otherEmails = %d, want %d", got, want)
	}
	if got, want := dropped, []string{"k@y.com", "l@y.com"}; !slices.Equal(got, want) {
		t.Errorf("dropped = %q, want %q", got, want)
	}
}
