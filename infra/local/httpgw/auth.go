package httpgw

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
)

// DefaultSecret is the HS256 key used when neither JWTConfig.Secret nor
// LOCAL_JWT_SECRET is set.
const DefaultSecret = "local-dev-secret"

// SecretFromEnv returns LOCAL_JWT_SECRET, or DefaultSecret when it is unset
// or empty.
func SecretFromEnv() []byte {
	if s := os.Getenv("LOCAL_JWT_SECRET"); s != "" {
		return []byte(s)
	}
	return []byte(DefaultSecret)
}

// Token signs an HS256 token with the claims sub, workspace_id, role (plus
// iat, exp = now+ttl, iss/aud if given).
func Token(secret []byte, sub, workspace, role string, ttl time.Duration, issuer string, audience []string) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("httpgw: token: empty secret")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("httpgw: token: ttl %v is not positive", ttl)
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"sub":          sub,
		"workspace_id": workspace,
		"role":         role,
		"iat":          now.Unix(),
		"exp":          now.Add(ttl).Unix(),
	}
	if issuer != "" {
		claims["iss"] = issuer
	}
	if len(audience) > 0 {
		claims["aud"] = audience
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("httpgw: token: %w", err)
	}
	return s, nil
}

// authError is a JWT authorizer rejection; its text becomes the
// error_description of the www-authenticate header.
type authError string

func (e authError) Error() string { return string(e) }

// authenticate validates the token in the Authorization header as an HTTP
// API JWT authorizer does and returns the authorizer description of the
// event.
func (g *gateway) authenticate(header string) (*events.APIGatewayV2HTTPRequestContextAuthorizerDescription, error) {
	// HTTP API takes "Bearer <token>" as well as the bare token.
	f := strings.Fields(header)
	if len(f) > 0 && strings.EqualFold(f[0], "bearer") {
		f = f[1:]
	}
	switch len(f) {
	case 0:
		return nil, authError("the token is missing")
	case 1:
	default:
		return nil, authError("the token is malformed")
	}
	tok := f[0]
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithJSONNumber(),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}
	if g.cfg.JWT.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(g.cfg.JWT.Issuer))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) {
		return g.cfg.JWT.Secret, nil
	})
	if err != nil {
		return nil, describeJWTError(err)
	}
	if aud := g.cfg.JWT.Audience; len(aud) > 0 && !audienceMatches(claims, aud) {
		return nil, authError("the token does not have a valid audience")
	}
	return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: renderClaims(claims),
			Scopes: scopes(claims),
		},
	}, nil
}

// audienceMatches reports whether aud, or client_id for access tokens
// without aud (as Cognito issues them), is one of want.
func audienceMatches(claims jwt.MapClaims, want []string) bool {
	aud, err := claims.GetAudience()
	if err == nil && len(aud) > 0 {
		return slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(want, a) })
	}
	cid, ok := claims["client_id"].(string)
	return ok && slices.Contains(want, cid)
}

func describeJWTError(err error) authError {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token signature is invalid"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token was issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "the token does not have a valid issuer"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return authError("the token is missing a required claim: " + err.Error())
	default:
		return authError("the token is invalid: " + err.Error())
	}
}

// renderClaims flattens claims into the strings HTTP API puts in
// requestContext.authorizer.jwt.claims: strings as-is, numbers in decimal,
// booleans as true/false, arrays as "[a b c]", objects as "map[k:v]".
func renderClaims(claims jwt.MapClaims) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = renderClaim(v)
	}
	return out
}

func renderClaim(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return string(v)
		}
		f, err := v.Float64()
		if err != nil {
			return string(v)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = renderClaim(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + renderClaim(v[k])
		}
		return "map[" + strings.Join(parts, " ") + "]"
	default:
		return fmt.Sprint(v)
	}
}

// scopes returns the scopes of the scope claim (space-separated) or of the
// scp claim (space-separated string or array), or nil.
func scopes(claims jwt.MapClaims) []string {
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			if f := strings.Fields(v); len(f) > 0 {
				return f
			}
		case []any:
			var out []string
			for _, e := range v {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return nil
}
