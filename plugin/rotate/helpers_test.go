package rotate_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
)

// issuer is a local OpenID issuer: discovery document + JWKS over HTTP, and an RSA key to sign tokens with.
type issuer struct {
	URL string
	key *rsa.PrivateKey
	kid string
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key, kid: "test-kid"}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	is.URL = srv.URL + "/pool"
	mux.HandleFunc("/pool/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.URL, "jwks_uri": is.URL + "/.well-known/jwks.json"})
	})
	mux.HandleFunc("/pool/.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		pub := key.PublicKey
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": is.kid, "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	return is
}

func (is *issuer) DiscoveryURL() string { return is.URL + "/.well-known/openid-configuration" }

// sign makes an ID token for client issued at iat, living ttl.
func (is *issuer) sign(t testing.TB, client, user string, iat time.Time, ttl time.Duration) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": is.URL, "aud": client, "sub": "sub-" + user, "cognito:username": user, "token_use": "id",
		"iat": iat.Unix(), "auth_time": iat.Unix(), "exp": iat.Add(ttl).Unix(),
	})
	tok.Header["kid"] = is.kid
	s, err := tok.SignedString(is.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeMinter mints tokens from the local issuer at the engine's clock; it can be told to fail.
type fakeMinter struct {
	t        testing.TB
	is       *issuer
	clock    rotate.Clock
	client   string
	ttl      time.Duration
	refresh  atomic.Int64
	password atomic.Int64
	// failRefresh / failPassword make the next calls fail.
	mu           sync.Mutex
	failRefresh  error
	failPassword error
	failN        int // fail this many next calls (any method) with failErr
	failErr      error
	rotateRT     string // returned as a rotated refresh token
	lastUser     string
}

func (m *fakeMinter) Calls() int64 { return m.refresh.Load() + m.password.Load() }

func (m *fakeMinter) mint() rotate.Tokens {
	return rotate.Tokens{IDToken: m.is.sign(m.t, m.client, "svc-user", m.clock.Now(), m.ttl), AccessToken: "unused", ExpiresIn: m.ttl, RefreshToken: m.rotateRT}
}

func (m *fakeMinter) next() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failN > 0 {
		m.failN--
		return m.failErr
	}
	return nil
}

func (m *fakeMinter) MintWithRefresh(_ context.Context, c rotate.Credentials, user string) (rotate.Tokens, error) {
	m.refresh.Add(1)
	m.mu.Lock()
	m.lastUser = user
	fr := m.failRefresh
	m.mu.Unlock()
	if err := m.next(); err != nil {
		return rotate.Tokens{}, err
	}
	if fr != nil {
		return rotate.Tokens{}, fr
	}
	return m.mint(), nil
}

func (m *fakeMinter) MintWithPassword(_ context.Context, c rotate.Credentials) (rotate.Tokens, error) {
	m.password.Add(1)
	if err := m.next(); err != nil {
		return rotate.Tokens{}, err
	}
	m.mu.Lock()
	fp := m.failPassword
	m.mu.Unlock()
	if fp != nil {
		return rotate.Tokens{}, fp
	}
	return m.mint(), nil
}

// fakeClock advances only when slept on; onSleep sees every interval.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	onSleep func(from, to time.Time)
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	from := c.now
	c.now = c.now.Add(d)
	to := c.now
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(from, to)
	}
	return ctx.Err()
}

// memStore is an in-memory Store for engine unit tests.
type memStore struct {
	mu      sync.Mutex
	value   string
	rt      string
	writes  int
	readErr error
}

func (s *memStore) Read(context.Context) (rotate.Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readErr != nil {
		return rotate.Stored{}, s.readErr
	}
	c, _ := rotate.Peek(s.value)
	return rotate.Stored{Ref: "ns/mem", Value: s.value, Claims: c}, nil
}

func (s *memStore) Write(_ context.Context, prev, value string, exp time.Time, _ map[string]string) (rotate.WriteOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = value
	s.writes++
	return rotate.WriteOutcome{Written: true}, nil
}

func (s *memStore) SaveRefreshToken(_ context.Context, rt string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rt = rt
	return nil
}

var errUnreachable = errors.New("Cognito unreachable: dial tcp 127.0.0.1:1: connection refused")
