package contact

import (
	"slices"
	"testing"
)

func TestDuplicateKeys(t *testing.T) {
	tests := []struct {
		name string
		c    *Contact
		want []string
	}{
		{"nil", nil, nil},
		{"none", &Contact{Profile: Profile{Name: "Maria"}}, nil},
		{"phone with and without the 9th digit match", &Contact{Profile: Profile{Phone: "+5511999991234"}}, []string{"p:" + identityOf(t, "+551199991234")}},
		{"email folded", &Contact{Profile: Profile{Email: " Maria@Example.COM "}}, []string{"e:maria@example.com"}},
		{"both", &Contact{Profile: Profile{Phone: "+14155552671", Email: "a@b.co"}}, []string{"p:" + identityOf(t, "+14155552671"), "e:a@b.co"}},
		{"blocked", &Contact{Profile: Profile{Phone: "+14155552671", Email: "a@b.co"}, Blocked: true}, nil},
	}
	for _, tt := range tests {
		if got := DuplicateKeys(tt.c); !slices.Equal(got, tt.want) {
			t.Errorf("%s: DuplicateKeys = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func identityOf(t *testing.T, p string) string {
	t.Helper()
	keys := IdentityKeys(p, "")
	if len(keys) != 1 {
		t.Fatalf("IdentityKeys(%q) = %q", p, keys)
	}
	return keys[0][2:]
}
