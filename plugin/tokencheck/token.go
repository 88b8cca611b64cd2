// Package tokencheck is the token use case: decode a JWT (raw or "Bearer <jwt>"), tell which identity provider
// shaped it, explain which AgentCore customJWTAuthorizer settings it can satisfy, check it against an authorizer
// (docs/facts.md#jwt-authorizer) and verify its signature against the issuer's discovery document and JWKS. No UI, no cobra:
// `token inspect`, `doctor` and `rotate` all build on it.
//
// This file: Token and Parse (the decoder, with one-line reasons for malformed input).
package tokencheck

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
)

// MaxTokenBytes is the largest token Parse accepts (1 MiB). Real JWTs are a few KiB.
const MaxTokenBytes = 1 << 20

// Kind is the identity provider and token type, decided from the claims.
type Kind string

const (
	KindCognitoID     Kind = "cognito-id"
	KindCognitoAccess Kind = "cognito-access"
	KindAuth0         Kind = "auth0"
	KindOkta          Kind = "okta"
	KindEntra         Kind = "entra"
	KindGeneric       Kind = "generic"
)

// Token is a decoded (not yet verified) JWT.
type Token struct {
	// Raw is the compact JWT (without "Bearer "). Never print it unmasked.
	Raw    string
	Header map[string]any
	Claims map[string]any

	Kind     Kind
	Issuer   string
	Subject  string
	Audience []string // aud as a list (a string aud becomes one element)
	// ClientID is the `client_id` claim, the one AgentCore's allowedClients checks ("" when absent).
	ClientID string
	// AuthorizedParty is the provider's other client claim (azp, cid or appid) when the token has one; AgentCore
	// does not read it, but it names the client for hints.
	AuthorizedParty      string
	AuthorizedPartyClaim string
	// Scopes from `scope` (space separated), else from `scp` (array or space separated); ScopeClaim says which.
	Scopes     []string
	ScopeClaim string

	ExpiresAt *time.Time
	IssuedAt  *time.Time
	NotBefore *time.Time

	KeyID string // header kid
	Alg   string // header alg

	// Slips are the near misses in the value as given that did not stop decoding (a trailing newline, `bearer`
	// in lower case, …), worded as doctor's secret.bearer-form says them.
	Slips []bearer.Slip
}

// ErrMalformed is matched (errors.Is) by every error Parse returns.
var ErrMalformed = errors.New("malformed token")

// MalformedError says in one line why input is not a decodable JWT; Hint, when set, says what to do (the slips
// of internal/bearer: Bearer twice, quotes).
type MalformedError struct{ Reason, Hint string }

func (e *MalformedError) Error() string        { return e.Reason }
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

func malformed(format string, a ...any) error {
	return &MalformedError{Reason: fmt.Sprintf(format, a...)}
}

// Parse decodes a JWT given raw or as "Bearer <jwt>" (surrounding whitespace ignored). It checks the shape
// (three base64url segments, JSON-object header and claims, a signing alg other than none) but not the
// signature: see VerifySignature.
func Parse(s string) (*Token, error) {
	if len(s) > MaxTokenBytes+64 {
		return nil, malformed("token is %d bytes, over the %d byte (1 MiB) limit: this is not a JWT", len(s), MaxTokenBytes)
	}
	var slips []bearer.Slip
	for _, sl := range bearer.Inspect(bearer.Key, s) {
		switch {
		case sl.Unreadable():
			return nil, &MalformedError{Reason: sl.Detail, Hint: sl.Hint}
		case sl.Code != bearer.SlipBare: // a bare token is the usual form outside a Secret
			slips = append(slips, sl)
		}
	}
	s = bearer.Token(s)
	if s == "" {
		return nil, malformed("empty token: nothing to decode")
	}
	if len(s) > MaxTokenBytes {
		return nil, malformed("token is %d bytes, over the %d byte (1 MiB) limit: this is not a JWT", len(s), MaxTokenBytes)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }); i >= 0 {
		return nil, malformed("token contains whitespace at byte %d: pass one JWT (header.payload.signature)", i)
	}
	header, claims, err := jwtparts.Decode(s)
	if err != nil {
		return nil, malformed("%v", err)
	}
	alg, ok := header["alg"].(string)
	switch {
	case !ok && header["alg"] != nil:
		return nil, malformed("header alg is not a string")
	case alg == "":
		return nil, malformed("header has no alg: a signed JWT names its algorithm")
	case strings.EqualFold(alg, "none"):
		return nil, malformed("alg none: unsigned tokens are rejected (AgentCore accepts only signed tokens)")
	}
	if strings.HasSuffix(s, ".") {
		return nil, malformed("signature segment is empty: the token is not signed")
	}

	t := &Token{Raw: s, Header: header, Claims: claims, Alg: alg, Slips: slips}
	if kid, ok := header["kid"]; ok {
		if t.KeyID, ok = kid.(string); !ok {
			return nil, malformed("header kid is not a string")
		}
	}
	if t.Issuer, err = stringClaim(claims, "iss"); err != nil {
		return nil, err
	}
	if t.Subject, err = stringClaim(claims, "sub"); err != nil {
		return nil, err
	}
	if t.Audience, err = stringsClaim(claims, "aud"); err != nil {
		return nil, err
	}
	if t.ClientID, err = stringClaim(claims, "client_id"); err != nil {
		return nil, err
	}
	for _, c := range []string{"azp", "cid", "appid"} {
		if v, _ := claims[c].(string); v != "" {
			t.AuthorizedParty, t.AuthorizedPartyClaim = v, c
			break
		}
	}
	if v, ok := claims["scope"]; ok {
		t.ScopeClaim = "scope"
		if t.Scopes, err = scopeList("scope", v); err != nil {
			return nil, err
		}
	} else if v, ok := claims["scp"]; ok {
		t.ScopeClaim = "scp"
		if t.Scopes, err = scopeList("scp", v); err != nil {
			return nil, err
		}
	}
	if t.ExpiresAt, err = timeClaim(claims, "exp"); err != nil {
		return nil, err
	}
	if t.IssuedAt, err = timeClaim(claims, "iat"); err != nil {
		return nil, err
	}
	if t.NotBefore, err = timeClaim(claims, "nbf"); err != nil {
		return nil, err
	}
	t.Kind = classify(claims)
	return t, nil
}

// SigningInput is header.payload, the bytes the signature covers.
func (t *Token) SigningInput() string {
	i := strings.LastIndexByte(t.Raw, '.')
	if i < 0 {
		return ""
	}
	return t.Raw[:i]
}

// Signature is the decoded signature segment.
func (t *Token) Signature() []byte {
	i := strings.LastIndexByte(t.Raw, '.')
	if i < 0 {
		return nil
	}
	b, _ := jwtparts.Segment(t.Raw[i+1:])
	return b
}

// Expired reports whether exp is at or before now (false when the token has no exp).
func (t *Token) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !t.ExpiresAt.After(now)
}

// TokenUse is Cognito's token_use claim ("id", "access" or "").
func (t *Token) TokenUse() string {
	s, _ := t.Claims["token_use"].(string)
	return s
}

func stringClaim(c map[string]any, name string) (string, error) {
	v, ok := c[name]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", malformed("claim %s is not a string", name)
	}
	return s, nil
}

func stringsClaim(c map[string]any, name string) ([]string, error) {
	switch v := c[name].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, malformed("claim %s holds a non-string value", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, malformed("claim %s is neither a string nor an array of strings", name)
}

func scopeList(name string, v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return strings.Fields(v), nil
	case []any:
		return stringsClaim(map[string]any{name: v}, name)
	}
	return nil, malformed("claim %s is neither a string nor an array of strings", name)
}

func timeClaim(c map[string]any, name string) (*time.Time, error) {
	v, ok := c[name]
	if !ok || v == nil {
		return nil, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return nil, malformed("claim %s is not a time in seconds since 1970 (NumericDate)", name)
	}
	sec, frac := math.Modf(f)
	t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return &t, nil
}
