// Package cursorsecret reads the key of list cursors from SSM Parameter
// Store at cold start. It is apart from package platform so that only the
// functions that hand out cursors link the SSM client.
package cursorsecret

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/omnichannel/contacts/internal/cursor"
)

// Codec builds the cursor codec, once per cold start, from the SSM
// SecureString parameter named by CURSOR_SECRET_PARAMETER: its current
// version signs, and its previous version (the key before the last
// rotation) is accepted too.
func Codec(ctx context.Context, cfg aws.Config) (*cursor.Codec, error) {
	name := os.Getenv("CURSOR_SECRET_PARAMETER")
	if name == "" {
		return nil, errors.New("environment variable CURSOR_SECRET_PARAMETER is not set")
	}
	return cursorsFrom(ctx, ssm.NewFromConfig(cfg), name)
}

// parameterReader is the part of the SSM client Cursors uses.
type parameterReader interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// cursorsFrom reads the parameter name and its previous version (name:N-1).
// A previous value too short to be a key is left out: it never signed a
// cursor, since no codec accepts it.
func cursorsFrom(ctx context.Context, params parameterReader, name string) (*cursor.Codec, error) {
	current, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read the cursor secret %s: %w", name, err)
	}
	var previous [][]byte
	if v := current.Parameter.Version; v > 1 {
		selector := fmt.Sprintf("%s:%d", name, v-1)
		out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: &selector, WithDecryption: aws.Bool(true)})
		var gone *ssmtypes.ParameterVersionNotFound // SSM keeps the last 100 versions
		switch {
		case errors.As(err, &gone):
		case err != nil:
			return nil, fmt.Errorf("read the previous cursor secret %s: %w", selector, err)
		case len(aws.ToString(out.Parameter.Value)) >= cursor.MinKeyLen:
			previous = append(previous, []byte(aws.ToString(out.Parameter.Value)))
		}
	}
	c, err := cursor.New([]byte(aws.ToString(current.Parameter.Value)), previous...)
	if err != nil {
		return nil, fmt.Errorf("cursor secret %s: %w", name, err)
	}
	return c, nil
}
