// Package tokentest mints JWTs for tests with keys made on the spot (RSA and EC), shaped like the tokens of
// Cognito (ID and access), Auth0, Okta and Entra ID, and serves an issuer (discovery document + JWKS) over
// httptest. Other packages' tests (doctor, rotate) use it too.
package tokentest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Key is a signing key with its kid and alg.
type Key struct {
	KID  string
	Alg  string
	Priv crypto.Signer
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// RSA returns an RS256 key (one 2048-bit RSA key per test binary, generation is slow) with the given kid.
func RSA(t testing.TB, kid string) *Key {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return &Key{KID: kid, Alg: "RS256", Priv: rsaKey}
}

// NewRSA returns a fresh RS256 key (use it when two distinct RSA keys are needed).
func NewRSA(t testing.TB, kid string) *Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{KID: kid, Alg: "RS256", Priv: k}
}

// EC returns a fresh ES256 (P-256) key with the given kid.
func EC(t testing.TB, kid string) *Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{KID: kid, Alg: "ES256", Priv: k}
}

// Mint signs claims with k (header alg and kid from k; kid omitted when empty).
func (k *Key) Mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.Alg), jwt.MapClaims(claims))
	if k.KID != "" {
		tok.Header["kid"] = k.KID
	}
	s, err := tok.SignedString(k.Priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// JWK is the public key as a JWK.
func (k *Key) JWK(t testing.TB) jwkset.JWKMarshal {
	t.Helper()
	j, err := jwkset.NewJWKFromKey(k.Priv.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
		KID: k.KID, ALG: jwkset.ALG(k.Alg), USE: jwkset.UseSig}})
	if err != nil {
		t.Fatal(err)
	}
	return j.Marshal()
}

// JWKS is the JSON Web Key Set of the public keys.
func JWKS(t testing.TB, keys ...*Key) []byte {
	t.Helper()
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK(t))
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Issuer is an httptest OpenID issuer: GET {URL}/.well-known/openid-configuration and {URL}/.well-known/jwks.json.
type Issuer struct {
	*httptest.Server
	// Issuer is the iss of its tokens (= Server.URL unless changed before use).
	Issuer string
	Keys   []*Key

	mu sync.Mutex
	// DiscoveryIssuer, when set, is served as the discovery document's issuer instead of Issuer.
	discoveryIssuer string
	handlers        map[string]http.HandlerFunc
}

// NewIssuer starts an issuer serving keys; it is closed at the end of the test.
func NewIssuer(t testing.TB, keys ...*Key) *Issuer {
	t.Helper()
	is := &Issuer{Keys: keys, handlers: map[string]http.HandlerFunc{}}
	jwks := JWKS(t, keys...)
	is.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		h := is.handlers[r.URL.Path]
		di := is.discoveryIssuer
		is.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			if di == "" {
				di = is.Issuer
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": di, "jwks_uri": is.URL + "/.well-known/jwks.json",
				"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}})
		case "/.well-known/jwks.json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	is.Issuer = is.URL
	t.Cleanup(is.Close)
	return is
}

// DiscoveryURL is the issuer's discovery document URL.
func (is *Issuer) DiscoveryURL() string { return is.URL + "/.well-known/openid-configuration" }

// SetDiscoveryIssuer makes the discovery document claim another issuer (to test the byte-equal check).
func (is *Issuer) SetDiscoveryIssuer(s string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.discoveryIssuer = s
}

// Handle replaces what the issuer answers on path (e.g. an HTML page, a 404, a slow JWKS).
func (is *Issuer) Handle(path string, h http.HandlerFunc) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.handlers[path] = h
}

// Claim shapes of the providers, valid from now-1m to now+ttl.

func base(iss string, now time.Time, ttl time.Duration) map[string]any {
	return map[string]any{"iss": iss, "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(ttl).Unix()}
}

func merge(m map[string]any, extra map[string]any) map[string]any {
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// CognitoID is a Cognito ID token's claims (aud = app client id, token_use=id, no client_id, no scope).
func CognitoID(iss, clientID string, now time.Time, ttl time.Duration) map[string]any {
	return merge(base(iss, now, ttl), map[string]any{"sub": "7c1e2f4a-1111-2222-3333-444455556666", "aud": clientID,
		"token_use": "id", "cognito:username": "agent-user", "auth_time": now.Add(-time.Minute).Unix(),
		"email": "agent@example.com", "jti": "4f6f2a9e", "origin_jti": "9a8b7c6d", "event_id": "e1"})
}

// CognitoAccess is a Cognito access token's claims (client_id, scope, token_use=access, no aud).
func CognitoAccess(iss, clientID string, now time.Time, ttl time.Duration) map[string]any {
	return merge(base(iss, now, ttl), map[string]any{"sub": "7c1e2f4a-1111-2222-3333-444455556666", "client_id": clientID,
		"token_use": "access", "scope": "aws.cognito.signin.user.admin openid", "username": "agent-user",
		"auth_time": now.Add(-time.Minute).Unix(), "jti": "5e4d3c2b"})
}

// Auth0 is an Auth0 access token's claims (aud = API identifier array, azp, scope, gty for client credentials).
func Auth0(iss, audience, clientID string, now time.Time, ttl time.Duration) map[string]any {
	return merge(base(iss, now, ttl), map[string]any{"sub": clientID + "@clients", "aud": []any{audience, iss + "userinfo"},
		"azp": clientID, "scope": "invoke:agent", "gty": "client-credentials"})
}

// Okta is an Okta access token's claims (ver=1, cid, uid, scp array, jti "AT.…").
func Okta(iss, audience, clientID string, now time.Time, ttl time.Duration) map[string]any {
	return merge(base(iss, now, ttl), map[string]any{"ver": 1, "jti": "AT.abc123", "aud": audience, "cid": clientID,
		"uid": "00u1abcd", "scp": []any{"openid", "agent.invoke"}, "sub": "agent@example.com"})
}

// Entra is an Entra ID v2 access token's claims (tid, oid, azp, ver 2.0, scp string).
func Entra(iss, audience, clientID string, now time.Time, ttl time.Duration) map[string]any {
	return merge(base(iss, now, ttl), map[string]any{"ver": "2.0", "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"oid": "0a1b2c3d", "azp": clientID, "aud": audience, "scp": "Agent.Invoke", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"})
}
