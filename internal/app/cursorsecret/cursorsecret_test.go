package cursorsecret

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/omnichannel/contacts/internal/cursor"
)

// parameterVersions answers GetParameter as SSM does for one parameter whose
// versions are values[0] (version 1) to values[len-1]: "name" is the latest,
// "name:N" version N.
type parameterVersions struct {
	name   string
	values []string
	asked  []string
}

func (p *parameterVersions) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	name := aws.ToString(in.Name)
	p.asked = append(p.asked, name)
	if !aws.ToBool(in.WithDecryption) {
		return nil, errors.New("read without decryption")
	}
	base, sel, hasSel := strings.Cut(name, ":")
	if base != p.name {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	v := len(p.values)
	if hasSel {
		n, err := strconv.Atoi(sel)
		if err != nil || n < 1 || n > len(p.values) {
			return nil, &ssmtypes.ParameterVersionNotFound{}
		}
		v = n
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(p.values[v-1]), Version: int64(v)}}, nil
}

// tokenOf returns a token signed with key alone.
func tokenOf(t *testing.T, key string) string {
	t.Helper()
	c, err := cursor.New([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return c.Encode("ws", "scope", []byte("p"), time.Hour)
}

func TestCursorsFromParameter(t *testing.T) {
	k1, k2, k3 := strings.Repeat("1", 32), strings.Repeat("2", 32), strings.Repeat("3", 32)
	tests := []struct {
		name     string
		versions []string
		accepts  []string // keys whose tokens the codec must accept
		refuses  []string
		asked    int
	}{
		{"first version", []string{k1}, []string{k1}, []string{k2}, 1},
		{"rotated once", []string{k1, k2}, []string{k2, k1}, []string{k3}, 2},
		{"rotated twice: only the last previous key", []string{k1, k2, k3}, []string{k3, k2}, []string{k1}, 2},
		{"a previous value too short to have been a key", []string{"short", k2}, []string{k2}, []string{k1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ssmc := &parameterVersions{name: "/contacts/cursor", values: tt.versions}
			c, err := cursorsFrom(context.Background(), ssmc, "/contacts/cursor")
			if err != nil {
				t.Fatalf("cursorsFrom: %v", err)
			}
			if len(ssmc.asked) != tt.asked {
				t.Errorf("GetParameter calls = %v, want %d", ssmc.asked, tt.asked)
			}
			for _, k := range tt.accepts {
				if _, err := c.Decode("ws", "scope", tokenOf(t, k)); err != nil {
					t.Errorf("token of key %.1s…: %v, want accepted", k, err)
				}
			}
			for _, k := range tt.refuses {
				if _, err := c.Decode("ws", "scope", tokenOf(t, k)); err == nil {
					t.Errorf("token of key %.1s… accepted, want refused", k)
				}
			}
			latest := tt.versions[len(tt.versions)-1]
			if _, err := mustCodec(t, latest).Decode("ws", "scope", c.Encode("ws", "scope", []byte("p"), time.Hour)); err != nil {
				t.Errorf("a new token is not signed with the latest version: %v", err)
			}
		})
	}
}

func mustCodec(t *testing.T, key string) *cursor.Codec {
	t.Helper()
	c, err := cursor.New([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCursorsFromParameterErrors(t *testing.T) {
	ssmc := &parameterVersions{name: "/contacts/cursor", values: []string{"too-short"}}
	if _, err := cursorsFrom(context.Background(), ssmc, "/contacts/cursor"); err == nil || !strings.Contains(err.Error(), "/contacts/cursor") {
		t.Errorf("a short current key: err = %v, want an error naming the parameter", err)
	}
	_, err := cursorsFrom(context.Background(), ssmc, "/missing")
	var missing *ssmtypes.ParameterNotFound
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "/missing") {
		t.Errorf("a missing parameter: err = %v, want ParameterNotFound naming it", err)
	}
}
