package contact

import "github.com/omnichannel/contacts/internal/phone"

// IdentityKeys returns the keys under which a phone and an email are
// matched as the same person: "p:" and the phone's identity (Brazil's 9th
// digit folded), "e:" and the email's key. Empty values give no key.
func IdentityKeys(phoneNumber, email string) []string {
	var out []string
	if phoneNumber != "" {
		out = append(out, "p:"+phone.Identity(phoneNumber))
	}
	if email != "" {
		out = append(out, "e:"+EmailKey(email))
	}
	return out
}

// DuplicateKeys returns the keys a contact is counted under as a possible
// duplicate: its identity keys, none when it is blocked (blocked contacts
// stay out of suggestions) or nil.
func DuplicateKeys(c *Contact) []string {
	if c == nil || c.Blocked {
		return nil
	}
	return IdentityKeys(c.Phone, c.Email)
}
