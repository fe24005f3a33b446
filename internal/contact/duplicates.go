package contact

import (
	"slices"
	"strings"

	"github.com/omnichannel/contacts/internal/phone"
)

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
	return ProfileKeys(&c.Profile)
}

// ProfileKeys returns the identity keys of every phone and email of p
// (IdentityKeys), the primaries first, each once.
func ProfileKeys(p *Profile) []string {
	var out []string
	for _, n := range p.Phones() {
		if k := "p:" + phone.Identity(n); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, e := range p.Emails() {
		if k := "e:" + EmailKey(e); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// SettleOthers makes p's other phones and emails keep the rules after a
// write that gathered them (an import row over a contact, a merge): a
// missing primary takes the first other; an other repeating an identity of
// the contact (the primary's included) goes, and so does every one beyond
// MaxOtherIdentities, returned as dropped (the phones, then the emails).
func SettleOthers(p *Profile) (dropped []string) {
	settle := func(primary *string, others *[]string, key func(string) string) {
		all := append([]string(nil), *others...)
		if *primary == "" && len(all) > 0 {
			*primary, all = all[0], all[1:]
		}
		seen := []string{}
		if *primary != "" {
			seen = append(seen, key(*primary))
		}
		var keep []string
		for _, v := range all {
			k := key(v)
			if slices.Contains(seen, k) {
				continue
			}
			seen = append(seen, k)
			if len(keep) == MaxOtherIdentities {
				dropped = append(dropped, v)
				continue
			}
			keep = append(keep, v)
		}
		*others = keep
	}
	settle(&p.Phone, &p.OtherPhones, phone.Identity)
	settle(&p.Email, &p.OtherEmails, EmailKey)
	return dropped
}

// NameIsPlaceholder reports whether p's name is only one of its phone
// numbers or emails, or any phone-like string (digits and dialling
// punctuation): the name a channel gives a contact it knows no display
// name of. It never wins a merge over a real name.
func NameIsPlaceholder(p *Profile) bool {
	name := strings.TrimSpace(p.Name)
	if name == "" {
		return false
	}
	for _, e := range p.Emails() {
		if strings.EqualFold(name, e) {
			return true
		}
	}
	digits := 0
	for _, r := range name {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-.() ", r):
		default:
			return false
		}
	}
	return digits >= 4
}
