// Package oidcserver starts a real OAuth 2.0 / OpenID Connect server for tests: the npm package oidc-provider,
// installed by `make oidc-provider` under tools/oidc-provider and run by its server.mjs on a free loopback port.
// It issues JWT access tokens by the client-credentials grant and by token exchange (RFC 8693), with resource
// indicators (RFC 8707) giving them an `aud`, and answers token requests the way real identity providers do (invalid_client, invalid_scope,
// access_denied for an unknown Auth0-style audience, a grant not enabled for the client).
//
// Test-only: import it from _test.go files (or other test-only packages), never from the plugin.
package oidcserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/proc"
)

// Client authentication methods (RFC 7591 names).
const (
	Basic = "client_secret_basic"
	Post  = "client_secret_post"
)

// Grant types a Client may be given.
const (
	ClientCredentials = "client_credentials"
	// TokenExchange is RFC 8693's grant: a client with it may exchange a token this server issued (the subject)
	// for one with another audience that keeps the subject's sub and names the client in `act`.
	TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// Client is one registered OAuth client.
type Client struct {
	ID     string `json:"client_id"`
	Secret string `json:"client_secret"`
	// AuthMethod is Basic (default) or Post.
	AuthMethod string `json:"token_endpoint_auth_method"`
	// GrantTypes default to client_credentials; a client with authorization_code, or with neither
	// client_credentials nor TokenExchange, gets the code response type and a redirect URI.
	GrantTypes    []string `json:"grant_types"`
	ResponseTypes []string `json:"response_types"`
	RedirectURIs  []string `json:"redirect_uris"`
	// Scope is what the client may ask for (space separated); empty: anything the resources know.
	Scope string `json:"scope,omitempty"`
}

// Options configure the server (see tools/oidc-provider/server.mjs).
type Options struct {
	// TrailingSlash makes the issuer end with "/" (like Auth0's).
	TrailingSlash bool
	// AccessTokenTTL is an access token's lifetime (default 5m; whole seconds).
	AccessTokenTTL time.Duration
	// Resources maps resource indicators (a token's aud) to the scopes they know (space separated).
	Resources map[string]string
	// DefaultResource is the aud of a token whose request names none ("" = the only resource, if one).
	DefaultResource string
	// Auth0UnknownAudience answers an unknown audience as Auth0 does (403 access_denied "Service not enabled
	// within domain: …") instead of oidc-provider's 400 invalid_target.
	Auth0UnknownAudience bool
	// RequireScope lists client ids that must ask for a scope (400 invalid_scope otherwise, as Okta).
	RequireScope []string
	// StrictAuthMethod refuses (401 invalid_client) a client authenticating other than its registered method.
	StrictAuthMethod bool
	Clients          []Client
}

// Event is one token request the server saw: client credentials (after client authentication) or a token
// exchange (Kind EventExchange, after client authentication; Subject is the subject token's sub once it verified).
type Event struct {
	Kind       string `json:"event"`
	ClientID   string `json:"clientId"`
	AuthMethod string `json:"authMethod"`
	Resource   string `json:"resource"`
	Subject    string `json:"subject,omitempty"`
}

// Event kinds.
const (
	EventToken    = "token"
	EventExchange = "token-exchange"
)

// Server is a running oidc-provider.
type Server struct {
	Issuer string

	proc    *proc.Process
	stderr  *bytes.Buffer
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced when an event is added
}

// DiscoveryURL is the issuer's openid-configuration.
func (s *Server) DiscoveryURL() string {
	return strings.TrimSuffix(s.Issuer, "/") + "/.well-known/openid-configuration"
}

// TokenURL is the token endpoint.
func (s *Server) TokenURL() string { return strings.TrimSuffix(s.Issuer, "/") + "/token" }

// Events returns the token requests seen so far. The server reports them on its stdout, apart from its HTTP
// answers: a request just answered may not be among them yet (WaitEvents waits for it).
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// eventWait is how long WaitEvents waits: far longer than the server takes to report a request, so it only
// matters when what is waited for never happens.
const eventWait = 30 * time.Second

// WaitEvents returns the token requests seen so far once until holds for them, or what was seen when eventWait
// ran out (the caller's check then fails on it).
func (s *Server) WaitEvents(until func([]Event) bool) []Event {
	deadline := time.After(eventWait)
	for {
		s.mu.Lock()
		ev, changed := append([]Event(nil), s.events...), s.changed
		s.mu.Unlock()
		if until(ev) {
			return ev
		}
		select {
		case <-changed:
		case <-deadline:
			return ev
		}
	}
}

// AtLeast is a WaitEvents condition: n requests or more.
func AtLeast(n int) func([]Event) bool { return func(ev []Event) bool { return len(ev) >= n } }

// Exchanged is a WaitEvents condition: a token exchange whose subject token's sub is subject.
func Exchanged(subject string) func([]Event) bool {
	return func(ev []Event) bool {
		for _, e := range ev {
			if e.Kind == EventExchange && e.Subject == subject {
				return true
			}
		}
		return false
	}
}

// ServerJS is where `make oidc-provider` puts the server script: $AGENTCORE_OIDC_PROVIDER, else
// <repo>/tools/oidc-provider/server.mjs.
func ServerJS() string {
	if p := os.Getenv("AGENTCORE_OIDC_PROVIDER"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	for err == nil {
		p := filepath.Join(dir, "tools", "oidc-provider", "server.mjs")
		if _, serr := os.Stat(p); serr == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return filepath.Join("tools", "oidc-provider", "server.mjs")
}

// Missing says why the server cannot start here ("" when it can).
func Missing() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node (Node.js) is not on PATH"
	}
	js := ServerJS()
	if _, err := os.Stat(filepath.Join(filepath.Dir(js), "node_modules", "oidc-provider", "package.json")); err != nil {
		return "oidc-provider is not installed next to " + js + " (run `make oidc-provider`)"
	}
	return ""
}

// Required reports whether a missing server must fail the test instead of skipping it (AGENTCORE_REQUIRE_OIDC=1,
// set by `make test`).
func Required() bool { return os.Getenv("AGENTCORE_REQUIRE_OIDC") == "1" }

// Run starts the server and waits until it answers its discovery document; Stop ends it. Tests use
// oidcservertest.Start, which skips or fails when node or oidc-provider is missing.
func Run(ctx context.Context, o Options) (*Server, error) {
	ttl := int(o.AccessTokenTTL / time.Second)
	if ttl <= 0 {
		ttl = 300
	}
	resources := map[string]map[string]string{}
	for ind, sc := range o.Resources {
		resources[ind] = map[string]string{"scope": sc}
	}
	def := o.DefaultResource
	if def == "" && len(o.Resources) == 1 {
		for ind := range o.Resources {
			def = ind
		}
	}
	clients := make([]Client, 0, len(o.Clients))
	for _, c := range o.Clients {
		if c.AuthMethod == "" {
			c.AuthMethod = Basic
		}
		if c.GrantTypes == nil {
			c.GrantTypes = []string{ClientCredentials}
		}
		if c.ResponseTypes == nil {
			c.ResponseTypes, c.RedirectURIs = []string{}, []string{}
			machine := slices.Contains(c.GrantTypes, ClientCredentials) || slices.Contains(c.GrantTypes, TokenExchange)
			if !machine || slices.Contains(c.GrantTypes, "authorization_code") {
				c.ResponseTypes, c.RedirectURIs = []string{"code"}, []string{"http://127.0.0.1/callback"}
			}
		}
		clients = append(clients, c)
	}
	cfg := map[string]any{
		"host": "127.0.0.1", "trailingSlash": o.TrailingSlash, "accessTokenTTL": ttl, "resources": resources,
		"defaultResource": def, "requireScope": o.RequireScope, "strictAuthMethod": o.StrictAuthMethod,
		"clients": clients,
	}
	if o.Auth0UnknownAudience {
		cfg["unknownResource"] = "auth0"
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "oidc-provider-")
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		return nil, err
	}
	js := ServerJS()
	cmd := exec.Command("node", js, cfgFile)
	cmd.Dir = filepath.Dir(js)
	s := &Server{stderr: &bytes.Buffer{}, changed: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &s.mu, w: s.stderr}
	// stdout through a pipe of our own, closed when the process has exited, so reading it never races Wait.
	out, stdout := io.Pipe()
	cmd.Stdout = stdout
	if s.proc, err = proc.Start(cmd, func() { stdout.Close(); os.RemoveAll(dir) }); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			line := sc.Bytes()
			if first {
				var hello struct{ Issuer string }
				if json.Unmarshal(line, &hello) == nil && hello.Issuer != "" {
					ready <- hello.Issuer
					first = false
				}
				continue
			}
			var ev Event
			if json.Unmarshal(line, &ev) == nil && ev.ClientID != "" {
				s.mu.Lock()
				s.events = append(s.events, ev)
				close(s.changed)
				s.changed = make(chan struct{})
				s.mu.Unlock()
			}
		}
		_, _ = io.Copy(io.Discard, out) // a line too long for the scanner must not block the process
	}()
	select {
	case s.Issuer = <-ready:
		return s, nil
	case <-s.proc.Done():
		return nil, fmt.Errorf("oidc-provider exited before listening: %s", s.stderrText())
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("oidc-provider did not start: %w: %s", ctx.Err(), s.stderrText())
	}
}

// PID is the server's process id (0 when not started).
func (s *Server) PID() int {
	if s.proc == nil {
		return 0
	}
	return s.proc.PID()
}

// Stop ends the server and waits for it.
func (s *Server) Stop() { s.proc.Stop() }

func (s *Server) stderrText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.stderr.String())
}

// NewSecret is a random client secret (URL-safe, 32 bytes of entropy).
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(errors.New("crypto/rand: " + err.Error()))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
