package tokencheck_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
)

func TestVerifyRSAAndEC(t *testing.T) {
	rsaKey, ecKey := tokentest.RSA(t, "rsa-1"), tokentest.EC(t, "ec-1")
	is := tokentest.NewIssuer(t, rsaKey, ecKey)
	for _, k := range []*tokentest.Key{rsaKey, ecKey} {
		tok, err := tokencheck.Parse(k.Mint(t, tokentest.CognitoID(is.Issuer, "c", time.Now(), time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{})
		if !v.Verified || v.Err != nil {
			t.Fatalf("%s: %+v", k.Alg, v)
		}
		if v.Discovery.Issuer != is.Issuer || v.JWKSURI != is.URL+"/.well-known/jwks.json" {
			t.Errorf("discovery %+v", v.Discovery)
		}
		if f := tokencheck.SignatureFinding(tok, v); f.Status != "pass" || !strings.Contains(f.Detail, k.KID) {
			t.Errorf("finding %+v", f)
		}
	}
}

func TestVerifyFailures(t *testing.T) {
	good := tokentest.EC(t, "k1")
	other := tokentest.EC(t, "k1") // same kid, different key
	rsaKey := tokentest.RSA(t, "r1")
	is := tokentest.NewIssuer(t, good, rsaKey)
	claims := func() map[string]any { return tokentest.CognitoAccess(is.Issuer, "c", time.Now(), time.Hour) }
	parse := func(s string) *tokencheck.Token {
		tok, err := tokencheck.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	fastClient := &http.Client{Timeout: 300 * time.Millisecond}

	cases := []struct {
		name  string
		tok   *tokencheck.Token
		src   tokencheck.Sources
		setup func()
		stage string
		want  string
	}{
		{"wrong key, same kid", parse(other.Mint(t, claims())), tokencheck.Sources{}, nil, "signature", `signature does not match key "k1"`},
		{"unknown kid", parse(tokentest.EC(t, "nope").Mint(t, claims())), tokencheck.Sources{}, nil, "signature", `unknown kid "nope": the JWKS has keys with kid k1, r1`},
		{"tampered payload", func() *tokencheck.Token {
			s := good.Mint(t, claims())
			p := strings.Split(s, ".")
			p[1] = seg(`{"iss":"` + is.Issuer + `","client_id":"evil"}`)
			return parse(strings.Join(p, "."))
		}(), tokencheck.Sources{}, nil, "signature", "signature does not match"},
		{"alg of key differs (RSA key named by an EC token)", func() *tokencheck.Token {
			k := *good
			k.KID = "r1"
			return parse(k.Mint(t, claims()))
		}(), tokencheck.Sources{}, nil, "signature", `key "r1" is for alg RS256, the token says ES256`},
		{"HS256 unsupported", parse(seg(`{"alg":"HS256","kid":"k1"}`) + "." + seg(`{"iss":"`+is.Issuer+`"}`) + "." + seg("sig")), tokencheck.Sources{}, nil, "signature", "alg HS256 is not supported"},
		{"discovery returns HTML", parse(good.Mint(t, claims())), tokencheck.Sources{}, func() {
			is.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write([]byte("<!doctype html><html><body>Sign in</body></html>"))
			})
		}, "discovery", "got an HTML page, not JSON"},
		{"discovery 404", parse(good.Mint(t, claims())), tokencheck.Sources{DiscoveryURL: is.URL + "/missing/.well-known/openid-configuration"}, nil, "discovery", "HTTP 404 Not Found"},
		{"discovery URL is the JWKS", parse(good.Mint(t, claims())), tokencheck.Sources{DiscoveryURL: is.URL + "/.well-known/jwks.json"}, nil, "discovery", "this is a JWKS (keys), not a discovery document"},
		{"discovery unreachable", parse(good.Mint(t, claims())), tokencheck.Sources{DiscoveryURL: "http://127.0.0.1:1/.well-known/openid-configuration"}, nil, "discovery", "cannot connect"},
		{"JWKS timeout", parse(good.Mint(t, claims())), tokencheck.Sources{Client: fastClient}, func() {
			is.Handle("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		}, "jwks", "timed out"},
		{"JWKS not JSON", parse(good.Mint(t, claims())), tokencheck.Sources{}, func() {
			is.Handle("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("keys: none")) })
		}, "jwks", "not JSON"},
		{"JWKS without keys", parse(good.Mint(t, claims())), tokencheck.Sources{}, func() {
			is.Handle("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"k":[]}`)) })
		}, "jwks", "no keys array"},
		{"no iss and no source", parse(good.Mint(t, map[string]any{"sub": "x"})), tokencheck.Sources{}, nil, "discovery", "the token has no iss"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is.Handle("/.well-known/openid-configuration", nil)
			is.Handle("/.well-known/jwks.json", nil)
			if c.setup != nil {
				c.setup()
			}
			v := tokencheck.Verify(context.Background(), c.tok, c.src)
			if v.Verified || v.Err == nil {
				t.Fatalf("verified: %+v", v)
			}
			if v.Stage != c.stage || !strings.Contains(v.Err.Error(), c.want) {
				t.Errorf("stage %q error %q; want %q containing %q", v.Stage, v.Err, c.stage, c.want)
			}
			if strings.Contains(v.Err.Error(), "\n") {
				t.Errorf("error not one line: %q", v.Err)
			}
			f := tokencheck.SignatureFinding(c.tok, v)
			if f.Status != "fail" || f.Hint == "" || f.Detail != v.Err.Error() {
				t.Errorf("finding %+v", f)
			}
		})
	}
	is.Handle("/.well-known/jwks.json", nil)
	// Signature errors match ErrSignature; fetch errors are FetchErrors.
	v := tokencheck.Verify(context.Background(), parse(other.Mint(t, claims())), tokencheck.Sources{})
	if !errors.Is(v.Err, tokencheck.ErrSignature) {
		t.Errorf("%v is not ErrSignature", v.Err)
	}
	var fe *tokencheck.FetchError
	v = tokencheck.Verify(context.Background(), parse(good.Mint(t, claims())), tokencheck.Sources{DiscoveryURL: is.URL + "/x/.well-known/openid-configuration"})
	if !errors.As(v.Err, &fe) || fe.What != "discovery document" {
		t.Errorf("%v is not a FetchError", v.Err)
	}
}

func TestVerifyOffline(t *testing.T) {
	k := tokentest.RSA(t, "off")
	dir := t.TempDir()
	iss := "https://issuer.example.com/pool"
	disc := filepath.Join(dir, "disc.json")
	jwks := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(disc, []byte(`{"issuer":"`+iss+`","jwks_uri":"https://unreachable.invalid/jwks"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jwks, tokentest.JWKS(t, k), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := tokencheck.Parse(k.Mint(t, tokentest.CognitoID(iss, "c", time.Now(), time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{DiscoveryFile: disc, JWKSFile: jwks}); !v.Verified || v.Discovery.Issuer != iss {
		t.Fatalf("%+v", v)
	}
	if v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{JWKSFile: jwks}); !v.Verified || v.Discovery != nil {
		t.Fatalf("JWKS file alone: %+v", v)
	}
	if v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{JWKSFile: filepath.Join(dir, "nope.json")}); v.Stage != "jwks" || !strings.Contains(v.Err.Error(), "no such file") {
		t.Fatalf("missing file: %+v", v)
	}
	if v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{DiscoveryFile: jwks}); v.Stage != "discovery" || !strings.Contains(v.Err.Error(), "this is a JWKS") {
		t.Fatalf("wrong file: %+v", v)
	}
}

func TestInspectReport(t *testing.T) {
	k := tokentest.RSA(t, "r")
	is := tokentest.NewIssuer(t, k)
	is.SetDiscoveryIssuer(is.Issuer + "/")
	raw := k.Mint(t, tokentest.CognitoID(is.Issuer, "c", time.Now(), time.Hour))
	tok, _ := tokencheck.Parse(raw)
	v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{})
	r := tokencheck.Inspect(tok, time.Now(), &v, false)
	if r.Token == raw || !strings.Contains(r.Token, "redacted") {
		t.Errorf("token not masked: %q", r.Token)
	}
	if !r.Signature.Verified || r.Signature.Issuer != is.Issuer+"/" {
		t.Errorf("signature %+v", r.Signature)
	}
	if f := find(t, r.Findings, "token.issuer"); f.Status != "fail" {
		t.Errorf("issuer mismatch not reported: %+v", f)
	}
	if !r.Failed() {
		t.Error("Failed() = false")
	}
	if r2 := tokencheck.Inspect(tok, time.Now(), nil, true); r2.Token != raw || r2.Signature != nil || r2.Failed() {
		t.Errorf("show-token report %+v", r2)
	}
}

// TestVerifySignatureJWKSReuse: a parsed JWKS is reused only for the same bytes — verifying against another JWKS
// (a rotated key under the same kid) and back answers for the JWKS given each time, also concurrently.
func TestVerifySignatureJWKSReuse(t *testing.T) {
	a, rotated := tokentest.RSA(t, "k"), tokentest.NewRSA(t, "k")
	jwksA, jwksRotated := tokentest.JWKS(t, a), tokentest.JWKS(t, rotated)
	tok, err := tokencheck.Parse(a.Mint(t, tokentest.CognitoID("https://idp.example", "c", time.Now(), time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errs := make(chan error, 60)
	for i := range 60 {
		go func() {
			jwks, ok := jwksA, i%3 != 1
			if !ok {
				jwks = jwksRotated
			}
			err := tokencheck.VerifySignature(ctx, tok, jwks)
			switch {
			case ok && err != nil:
				errs <- fmt.Errorf("round %d, the signing key's JWKS: %v", i, err)
			case !ok && !errors.Is(err, tokencheck.ErrSignature):
				errs <- fmt.Errorf("round %d, the rotated JWKS: %v, want a signature error", i, err)
			default:
				errs <- nil
			}
		}()
	}
	for range 60 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
