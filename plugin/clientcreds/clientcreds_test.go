package clientcreds

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

const api = "https://agents.example.test/"

type fixture struct {
	srv                                   *oidcserver.Server
	basic, post, noGrant, needScope, bare string
}

// startIdP runs the real oidc-provider with a client per case; every secret is fresh.
func startIdP(t *testing.T, o oidcserver.Options) *fixture {
	t.Helper()
	fx := &fixture{basic: oidcserver.NewSecret(), post: oidcserver.NewSecret(), noGrant: oidcserver.NewSecret(),
		needScope: oidcserver.NewSecret(), bare: oidcserver.NewSecret()}
	o.Resources = map[string]string{api: "agents.invoke agents.read"}
	o.Clients = []oidcserver.Client{
		{ID: "m2m-basic", Secret: fx.basic, AuthMethod: oidcserver.Basic, Scope: "agents.invoke"},
		{ID: "m2m-post", Secret: fx.post, AuthMethod: oidcserver.Post},
		{ID: "web-app", Secret: fx.noGrant, GrantTypes: []string{"authorization_code"}},
		{ID: "okta-like", Secret: fx.needScope, Scope: "agents.invoke"},
	}
	o.RequireScope = []string{"okta-like"}
	fx.srv = oidcservertest.Start(t, o)
	return fx
}

func mint(t *testing.T, r Request) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Mint(ctx, r)
}

// noLeak fails when the secret (or a token) is in s.
func noLeak(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, v := range secrets {
		if v != "" && strings.Contains(s, v) {
			t.Fatalf("a secret leaked into %q", s)
		}
	}
}

func TestMintBothAuthMethodsAgainstARealServer(t *testing.T) {
	fx := startIdP(t, oidcserver.Options{StrictAuthMethod: true, TrailingSlash: true, AccessTokenTTL: 2 * time.Minute})
	cases := []struct {
		name, client, secret, flag, want string
	}{
		{"discovery default is basic", "m2m-basic", fx.basic, "", MethodBasic},
		{"post by flag", "m2m-post", fx.post, AuthPost, MethodPost},
		{"basic by flag", "m2m-basic", fx.basic, AuthBasic, MethodBasic},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := mint(t, Request{DiscoveryURL: fx.srv.DiscoveryURL(), ClientID: c.client, ClientSecret: c.secret,
				Audience: api, Scopes: []string{"agents.invoke"}, AuthMethod: c.flag})
			if err != nil {
				t.Fatalf("mint: %v", err)
			}
			if res.AuthMethod != c.want || res.TokenURL != fx.srv.TokenURL() || !res.SentResource {
				t.Fatalf("result %+v: want method %s at %s with resource sent", res, c.want, fx.srv.TokenURL())
			}
			ev := fx.srv.WaitEvents(oidcserver.AtLeast(i + 1))
			if len(ev) != i+1 || ev[i].AuthMethod != c.want || ev[i].ClientID != c.client || ev[i].Resource != api {
				t.Fatalf("the server saw %+v; want request %d by %s with %s for %s", ev, i+1, c.client, c.want, api)
			}
			tok, err := tokencheck.Parse(res.Token)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Issuer != fx.srv.Issuer || !strings.HasSuffix(tok.Issuer, "/") {
				t.Fatalf("iss %q, want the server's issuer %q byte for byte", tok.Issuer, fx.srv.Issuer)
			}
			if len(tok.Audience) != 1 || tok.Audience[0] != api || tok.ClientID != c.client {
				t.Fatalf("aud %v client %q", tok.Audience, tok.ClientID)
			}
			if res.ExpiresIn != 2*time.Minute {
				t.Fatalf("expires_in %v, want 2m", res.ExpiresIn)
			}
			v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{DiscoveryURL: fx.srv.DiscoveryURL()})
			if !v.Verified {
				t.Fatalf("signature: %v", v.Err)
			}
		})
	}
}

func TestMintByTokenURLAndAuth0Audience(t *testing.T) {
	fx := startIdP(t, oidcserver.Options{})
	// --token-url: no discovery, so the audience goes as Auth0's audience parameter only.
	res, err := mint(t, Request{TokenURL: fx.srv.TokenURL(), ClientID: "m2m-post", ClientSecret: fx.post, Audience: api, AuthMethod: AuthPost})
	if err != nil {
		t.Fatal(err)
	}
	if res.SentResource {
		t.Fatal("resource sent without a discovery document advertising it")
	}
	tok, _ := tokencheck.Parse(res.Token)
	if len(tok.Audience) != 1 || tok.Audience[0] != api {
		t.Fatalf("aud %v: the audience parameter was not honoured", tok.Audience)
	}
}

func TestMintFailuresAreOneLineWithoutTheSecret(t *testing.T) {
	fx := startIdP(t, oidcserver.Options{StrictAuthMethod: true})
	auth0 := startIdP(t, oidcserver.Options{Auth0UnknownAudience: true})
	wrong := oidcserver.NewSecret()
	cases := []struct {
		name string
		req  Request
		kind string
		says []string
	}{
		{"wrong secret", Request{ClientID: "m2m-basic", ClientSecret: wrong}, KindInvalidClient,
			[]string{"invalid_client", "m2m-basic", "--client-secret-from"}},
		{"auth method not allowed for the client", Request{ClientID: "m2m-post", ClientSecret: fx.post, AuthMethod: AuthBasic},
			KindInvalidClient, []string{"invalid_client", "client_secret_basic", "--auth-method post"}},
		{"scope required", Request{ClientID: "okta-like", ClientSecret: fx.needScope}, KindInvalidScope,
			[]string{"invalid_scope", "--scope"}},
		{"scope not allowed", Request{ClientID: "m2m-basic", ClientSecret: fx.basic, Scopes: []string{"agents.read"}},
			KindInvalidScope, []string{"invalid_scope", "agents.read"}},
		{"unknown audience (resource indicator)", Request{ClientID: "m2m-basic", ClientSecret: fx.basic, Audience: "https://nope.example.test/"},
			KindUnknownAudience, []string{"invalid_target", "--audience", "https://nope.example.test/"}},
		{"grant not enabled", Request{ClientID: "web-app", ClientSecret: fx.noGrant}, KindUnauthorizedClient,
			[]string{"client_credentials", "web-app"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.DiscoveryURL = fx.srv.DiscoveryURL()
			_, err := mint(t, c.req)
			checkErr(t, err, c.kind, c.says, c.req.ClientSecret)
		})
	}
	t.Run("auth0 unknown audience", func(t *testing.T) {
		_, err := mint(t, Request{DiscoveryURL: auth0.srv.DiscoveryURL(), ClientID: "m2m-basic", ClientSecret: auth0.basic, Audience: "https://nope.example.test/"})
		checkErr(t, err, KindUnknownAudience, []string{"access_denied", "Service not enabled within domain", "--audience"}, auth0.basic)
	})
}

func checkErr(t *testing.T, err error, kind string, says []string, secret string) {
	t.Helper()
	if err == nil {
		t.Fatal("minted; want an error")
	}
	msg := err.Error()
	if KindOf(err) != kind {
		t.Fatalf("kind %q, want %q: %s", KindOf(err), kind, msg)
	}
	if strings.Contains(msg, "\n") {
		t.Fatalf("not one line: %q", msg)
	}
	for _, s := range says {
		if !strings.Contains(msg, s) {
			t.Fatalf("%q does not say %q", msg, s)
		}
	}
	noLeak(t, msg, secret)
}

// Local listeners for what no identity provider does on purpose: an HTML page, TLS, DNS, a timeout.
func TestMintTransportFailures(t *testing.T) {
	secret := oidcserver.NewSecret()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><html><body>Sign in " + r.URL.Path + "</body></html>"))
	}))
	defer html.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + "/token"
	ln.Close()

	cases := []struct {
		name    string
		req     Request
		timeout time.Duration
		kind    string
		says    []string
	}{
		{"html page as token endpoint", Request{TokenURL: html.URL + "/login"}, 0, KindHTML, []string{"HTML page", "HTTP 200"}},
		{"html page as discovery", Request{DiscoveryURL: html.URL + "/.well-known/openid-configuration"}, 0, KindDiscovery, []string{"HTML"}},
		{"untrusted certificate", Request{TokenURL: tlsSrv.URL + "/token"}, 0, KindNetwork, []string{"TLS", "unknown authority"}},
		{"http on an https port", Request{TokenURL: strings.Replace(html.URL, "http://", "https://", 1) + "/token"}, 0, KindNetwork, []string{"TLS"}},
		{"unknown host", Request{TokenURL: "http://idp.invalid/token"}, 0, KindNetwork, []string{"cannot resolve host idp.invalid"}},
		{"nothing listening", Request{TokenURL: closed}, 0, KindNetwork, []string{"cannot connect"}},
		{"timeout", Request{TokenURL: slow.URL + "/token"}, 500 * time.Millisecond, KindNetwork, []string{"timed out"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.ClientID, c.req.ClientSecret = "m2m", secret
			ctx := context.Background()
			if c.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.timeout)
				defer cancel()
			}
			_, err := Mint(ctx, c.req)
			checkErr(t, err, c.kind, c.says, secret)
		})
	}
}

func TestChooseMethod(t *testing.T) {
	for _, c := range []struct {
		flag     string
		accepted []string
		want     string
		err      bool
	}{
		{"", nil, MethodBasic, false},
		{"", []string{MethodPost, MethodBasic}, MethodBasic, false},
		{"", []string{MethodPost}, MethodPost, false},
		{"", []string{"private_key_jwt"}, "", true},
		{AuthPost, []string{MethodBasic}, "", true},
		{AuthPost, nil, MethodPost, false},
	} {
		got, err := chooseMethod(c.flag, c.accepted, "https://idp/.well-known/openid-configuration")
		if got != c.want || (err != nil) != c.err {
			t.Errorf("chooseMethod(%q, %v) = %q, %v", c.flag, c.accepted, got, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, r := range []Request{
		{ClientID: "x"},
		{ClientID: "x", TokenURL: "https://a/token", DiscoveryURL: "https://a/.well-known/openid-configuration"},
		{TokenURL: "https://a/token"},
		{ClientID: "x", TokenURL: "ftp://a/token"},
		{ClientID: "x", DiscoveryURL: "https://a/openid"},
		{ClientID: "x", TokenURL: "https://a/token", AuthMethod: "jwt"},
	} {
		if r.Validate() == nil {
			t.Errorf("%+v: valid, want an error", r)
		}
	}
}
