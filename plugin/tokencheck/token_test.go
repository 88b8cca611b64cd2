package tokencheck_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const cognitoIss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseProviders(t *testing.T) {
	k := tokentest.RSA(t, "k1")
	cases := []struct {
		name   string
		claims map[string]any
		kind   tokencheck.Kind
		check  func(t *testing.T, tok *tokencheck.Token)
	}{
		{"cognito id", tokentest.CognitoID(cognitoIss, "5pk1q2client", now, time.Hour), tokencheck.KindCognitoID, func(t *testing.T, tok *tokencheck.Token) {
			if len(tok.Audience) != 1 || tok.Audience[0] != "5pk1q2client" || tok.ClientID != "" || tok.Scopes != nil {
				t.Errorf("aud=%v client=%q scopes=%v", tok.Audience, tok.ClientID, tok.Scopes)
			}
		}},
		{"cognito access", tokentest.CognitoAccess(cognitoIss, "5pk1q2client", now, time.Hour), tokencheck.KindCognitoAccess, func(t *testing.T, tok *tokencheck.Token) {
			if tok.Audience != nil || tok.ClientID != "5pk1q2client" || len(tok.Scopes) != 2 || tok.ScopeClaim != "scope" {
				t.Errorf("aud=%v client=%q scopes=%v", tok.Audience, tok.ClientID, tok.Scopes)
			}
		}},
		{"auth0", tokentest.Auth0("https://tenant.us.auth0.com/", "https://agents.example.com", "AbCdEf", now, time.Hour), tokencheck.KindAuth0, func(t *testing.T, tok *tokencheck.Token) {
			if len(tok.Audience) != 2 || tok.Audience[0] != "https://agents.example.com" || tok.AuthorizedParty != "AbCdEf" || tok.AuthorizedPartyClaim != "azp" {
				t.Errorf("aud=%v azp=%q", tok.Audience, tok.AuthorizedParty)
			}
		}},
		{"auth0 by issuer and azp (user token)", map[string]any{"iss": "https://tenant.eu.auth0.com/", "sub": "google-oauth2|1", "aud": "api", "azp": "c", "exp": now.Add(time.Hour).Unix()}, tokencheck.KindAuth0, nil},
		{"okta", tokentest.Okta("https://dev-1.okta.com/oauth2/default", "api://default", "0oa1", now, time.Hour), tokencheck.KindOkta, func(t *testing.T, tok *tokencheck.Token) {
			if tok.ScopeClaim != "scp" || len(tok.Scopes) != 2 || tok.AuthorizedParty != "0oa1" || tok.AuthorizedPartyClaim != "cid" {
				t.Errorf("scp=%v %q cid=%q", tok.Scopes, tok.ScopeClaim, tok.AuthorizedParty)
			}
		}},
		{"entra", tokentest.Entra("https://login.microsoftonline.com/72f9/v2.0", "api://agent", "11112222", now, time.Hour), tokencheck.KindEntra, func(t *testing.T, tok *tokencheck.Token) {
			if tok.ScopeClaim != "scp" || len(tok.Scopes) != 1 || tok.Scopes[0] != "Agent.Invoke" {
				t.Errorf("scp=%v", tok.Scopes)
			}
		}},
		{"entra v1 (appid)", map[string]any{"iss": "https://sts.windows.net/72f9/", "tid": "72f9", "appid": "abc", "aud": "api", "exp": now.Unix()}, tokencheck.KindEntra, func(t *testing.T, tok *tokencheck.Token) {
			if tok.AuthorizedPartyClaim != "appid" {
				t.Errorf("azp claim %q", tok.AuthorizedPartyClaim)
			}
		}},
		// A Cognito-looking issuer with generic claims stays generic: the kind comes from the claims.
		{"issuer alone is not enough", map[string]any{"iss": cognitoIss, "sub": "x", "aud": "y"}, tokencheck.KindGeneric, nil},
		{"generic", map[string]any{"iss": "https://idp.example.com", "sub": "x", "aud": "y", "exp": now.Unix()}, tokencheck.KindGeneric, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := k.Mint(t, c.claims)
			for _, in := range []string{raw, "Bearer " + raw, "  bearer\t" + raw + "\n"} {
				tok, err := tokencheck.Parse(in)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if tok.Kind != c.kind {
					t.Errorf("kind = %s, want %s", tok.Kind, c.kind)
				}
				if tok.Raw != raw || tok.Alg != "RS256" || tok.KeyID != "k1" {
					t.Errorf("raw/alg/kid: %q %q", tok.Alg, tok.KeyID)
				}
				if c.check != nil {
					c.check(t, tok)
				}
			}
		})
	}
}

func TestParseTimes(t *testing.T) {
	k := tokentest.EC(t, "e1")
	c := tokentest.CognitoID(cognitoIss, "c", now, 41*time.Minute)
	c["nbf"] = now.Add(-2 * time.Minute).Unix()
	tok, err := tokencheck.Parse(k.Mint(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Alg != "ES256" || !tok.ExpiresAt.Equal(now.Add(41*time.Minute)) || !tok.IssuedAt.Equal(now.Add(-time.Minute)) || !tok.NotBefore.Equal(now.Add(-2*time.Minute)) {
		t.Fatalf("times: exp=%v iat=%v nbf=%v", tok.ExpiresAt, tok.IssuedAt, tok.NotBefore)
	}
	if tok.Expired(now) || !tok.Expired(now.Add(41*time.Minute)) {
		t.Fatal("Expired wrong")
	}
}

// The bad-input table of the issue: each gives ErrMalformed with a clear one-line reason, never a panic.
func TestParseBadInput(t *testing.T) {
	hdr := seg(`{"alg":"RS256","kid":"k"}`)
	body := seg(`{"iss":"x"}`)
	sig := seg("sig")
	cases := []struct{ name, in, want string }{
		{"empty", "", "empty token"},
		{"only whitespace", "  \n", "empty token"},
		{"bearer only", "Bearer ", "empty token"},
		{"one segment", "abcdef", "one segment"},
		{"two segments", hdr + "." + body, "2 segments"},
		{"four segments", hdr + "." + body + "." + sig + ".x", "4 segments"},
		{"JWE", "a.b.c.d.e", "encrypted JWT"},
		{"bad base64 header", "e$$." + body + "." + sig, "header is not valid base64url"},
		{"standard base64 payload", hdr + ".ab+/." + sig, "standard base64"},
		{"bad base64 signature", hdr + "." + body + ".%%%", "signature is not valid base64url"},
		{"header array", seg(`["alg"]`) + "." + body + "." + sig, "header is not a JSON object: JSON array"},
		{"claims string", hdr + "." + seg(`"hello"`) + "." + sig, "claims are not a JSON object: JSON string"},
		{"claims null", hdr + "." + seg(`null`) + "." + sig, "claims are not a JSON object: JSON null"},
		{"claims number", hdr + "." + seg(`42`) + "." + sig, "claims are not a JSON object: JSON number"},
		{"claims not JSON", hdr + "." + seg(`{oops`) + "." + sig, "claims are not a JSON object: invalid JSON"},
		{"claims binary", hdr + "." + seg("\xff\xfe\x00") + "." + sig, "binary data"},
		{"claims trailing", hdr + "." + seg(`{} {}`) + "." + sig, "trailing data"},
		{"alg none", seg(`{"alg":"none"}`) + "." + body + ".", "alg none"},
		{"alg NONE with sig", seg(`{"alg":"NONE"}`) + "." + body + "." + sig, "alg none"},
		{"no alg", seg(`{"typ":"JWT"}`) + "." + body + "." + sig, "no alg"},
		{"alg number", seg(`{"alg":5}`) + "." + body + "." + sig, "alg is not a string"},
		{"no signature", hdr + "." + body + ".", "signature segment is empty"},
		{"kid number", seg(`{"alg":"RS256","kid":1}`) + "." + body + "." + sig, "kid is not a string"},
		{"exp string", hdr + "." + seg(`{"exp":"tomorrow"}`) + "." + sig, "claim exp is not a time"},
		{"aud number", hdr + "." + seg(`{"aud":7}`) + "." + sig, "claim aud is neither"},
		{"aud array of numbers", hdr + "." + seg(`{"aud":[7]}`) + "." + sig, "claim aud holds a non-string"},
		{"iss object", hdr + "." + seg(`{"iss":{}}`) + "." + sig, "claim iss is not a string"},
		{"inner whitespace", hdr + ". " + body + "." + sig, "whitespace"},
		{"1 MiB token", hdr + "." + strings.Repeat("A", tokencheck.MaxTokenBytes) + "." + sig, "1 MiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := tokencheck.Parse(c.in)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", tok)
			}
			if !errors.Is(err, tokencheck.ErrMalformed) {
				t.Errorf("error %v is not ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 200 {
				t.Errorf("error is not one short line: %q", err)
			}
			if len(c.in) > 20 && strings.Contains(err.Error(), c.in[:20]) {
				t.Errorf("error echoes the input: %q", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	k := tokentest.EC(f, "f")
	f.Add(k.Mint(f, tokentest.CognitoID(cognitoIss, "c", now, time.Hour)))
	f.Add("Bearer " + k.Mint(f, tokentest.Okta("https://o", "a", "c", now, time.Hour)))
	f.Add("a.b.c")
	f.Add(seg(`{"alg":"none"}`) + "." + seg(`{}`) + ".")
	f.Add(seg(`{"alg":"RS256"}`) + "." + seg(`{"aud":[1,"x"],"exp":1e300,"scp":["a",null]}`) + "." + seg("s"))
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := tokencheck.Parse(s)
		if err != nil {
			if !errors.Is(err, tokencheck.ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			if strings.ContainsRune(err.Error(), '\n') {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if tok.Alg == "" || strings.EqualFold(tok.Alg, "none") || tok.Header == nil || tok.Claims == nil {
			t.Fatalf("accepted a token without a usable alg/header/claims: %+v", tok)
		}
		// Everything downstream must cope with whatever Parse accepts.
		_ = tokencheck.Explain(tok)
		_ = tokencheck.CheckToken(tok, now)
		_ = tokencheck.CheckAuthorizer(tok, &tokencheck.Authorizer{DiscoveryURL: "x", AllowedAudience: []string{"a"},
			AllowedClients: []string{"b"}, AllowedScopes: []string{"c"}, CustomClaims: []tokencheck.CustomClaim{{Name: "aud", ValueType: "STRING_ARRAY", Operator: "CONTAINS_ANY", MatchValues: []string{"a"}}}}, "x")
		_ = tokencheck.Inspect(tok, now, nil, false)
	})
}

// Parse names the slips of internal/bearer in doctor's words: the ones that hide the token fail, the others ride
// along on the token (and token inspect shows them as token.malformed warnings).
func TestParseSlips(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
	if _, err := tokencheck.Parse("Bearer Bearer " + jwt); err == nil || err.Error() != "the value says Bearer twice (`Bearer Bearer <jwt>`)" || !errors.Is(err, tokencheck.ErrMalformed) {
		t.Fatalf("Bearer twice: %v", err)
	}
	var me *tokencheck.MalformedError
	if _, err := tokencheck.Parse(`'` + jwt + `'`); !errors.As(err, &me) || !strings.Contains(me.Reason, "quotes") || !strings.Contains(me.Hint, "without quotes") {
		t.Fatalf("quoted: %v", err)
	}
	tok, err := tokencheck.Parse("Bearer " + jwt + "\n")
	if err != nil || len(tok.Slips) != 1 || tok.Slips[0].Detail != "the value ends with a newline (written with echo?)" {
		t.Fatalf("newline: %v %+v", err, tok)
	}
	rep := tokencheck.Inspect(tok, time.Now(), nil, false)
	if f := rep.Findings[0]; f.ID != "token.malformed" || f.Status != tokencheck.StatusWarn || f.Detail != tok.Slips[0].Detail {
		t.Fatalf("inspect finding %+v", f)
	}
	if tok, err := tokencheck.Parse(jwt); err != nil || len(tok.Slips) != 0 {
		t.Fatalf("a bare token is the usual form outside a Secret: %v %+v", err, tok)
	}
}
