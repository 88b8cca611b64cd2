package clientcreds

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

const (
	appAPI     = "https://app.example.test/"
	runtimeAPI = "https://runtime.example.test/"
)

type exchangeFixture struct {
	srv                                *oidcserver.Server
	callerSecret, exchSecret, m2m, bad string
}

// startTokenService runs the real oidc-provider as the caller's IdP and the token service at once: a caller client
// (client credentials, its tokens' sub is its id), an exchange client, and a client without the exchange grant.
func startTokenService(t *testing.T) *exchangeFixture {
	t.Helper()
	fx := &exchangeFixture{callerSecret: oidcserver.NewSecret(), exchSecret: oidcserver.NewSecret(), m2m: oidcserver.NewSecret(), bad: oidcserver.NewSecret()}
	fx.srv = oidcservertest.Start(t, oidcserver.Options{TrailingSlash: true, StrictAuthMethod: true,
		Resources: map[string]string{appAPI: "app.use", runtimeAPI: "agents.invoke"}, DefaultResource: appAPI,
		Clients: []oidcserver.Client{
			{ID: "caller-app", Secret: fx.callerSecret},
			{ID: "gateway-exchanger", Secret: fx.exchSecret, AuthMethod: oidcserver.Post, GrantTypes: []string{oidcserver.TokenExchange}},
			{ID: "m2m-only", Secret: fx.m2m},
		}})
	return fx
}

func (fx *exchangeFixture) callerToken(t *testing.T) string {
	t.Helper()
	res, err := mint(t, Request{DiscoveryURL: fx.srv.DiscoveryURL(), ClientID: "caller-app", ClientSecret: fx.callerSecret, Audience: appAPI})
	if err != nil {
		t.Fatalf("caller token: %v", err)
	}
	return res.Token
}

func exchange(t *testing.T, r ExchangeRequest) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Exchange(ctx, r)
}

func TestExchangeAgainstARealServer(t *testing.T) {
	fx := startTokenService(t)
	subject := fx.callerToken(t)
	res, err := exchange(t, ExchangeRequest{Request: Request{DiscoveryURL: fx.srv.DiscoveryURL(), ClientID: "gateway-exchanger",
		ClientSecret: fx.exchSecret, Audience: runtimeAPI, Scopes: []string{"agents.invoke"}, AuthMethod: AuthPost}, SubjectToken: subject})
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if !slices.Contains(res.Discovery.GrantTypes, GrantTokenExchange) {
		t.Fatalf("grant_types_supported %v lacks %s", res.Discovery.GrantTypes, GrantTokenExchange)
	}
	if res.IssuedTokenType != TokenTypeAccess || res.SubjectTokenType != TokenTypeAccess || res.Scope != "agents.invoke" {
		t.Fatalf("result %+v: want issued/subject access_token, scope agents.invoke", res)
	}
	tok, err := tokencheck.Parse(res.Token)
	if err != nil {
		t.Fatal(err)
	}
	act, _ := tok.Claims["act"].(map[string]any)
	if tok.Subject != "caller-app" || !slices.Equal(tok.Audience, []string{runtimeAPI}) || tok.ClientID != "gateway-exchanger" ||
		act["sub"] != "gateway-exchanger" || tok.Issuer != fx.srv.Issuer {
		t.Fatalf("exchanged token claims %v: want sub caller-app, aud %s, client_id and act.sub gateway-exchanger, iss %s", tok.Claims, runtimeAPI, fx.srv.Issuer)
	}
	ev := fx.srv.WaitEvents(oidcserver.Exchanged("caller-app"))
	last := ev[len(ev)-1]
	if last.Kind != oidcserver.EventExchange || last.Subject != "caller-app" || last.Resource != runtimeAPI {
		t.Fatalf("the server saw %+v; want a token exchange of caller-app's token for %s", last, runtimeAPI)
	}
}

func TestExchangeFailuresAreOneLineWithoutSecrets(t *testing.T) {
	fx := startTokenService(t)
	subject := fx.callerToken(t)
	// The same claims under a signature the token service did not make (the last signature byte changed).
	forged := subject[:len(subject)-2] + map[bool]string{true: "AA", false: "BA"}[subject[len(subject)-2:] == "BA"]
	wrong := oidcserver.NewSecret()
	ok := Request{ClientID: "gateway-exchanger", ClientSecret: fx.exchSecret, AuthMethod: AuthPost, Audience: runtimeAPI}
	cases := []struct {
		name    string
		req     ExchangeRequest
		kind    string
		says    []string
		secrets []string
	}{
		{"wrong client secret", ExchangeRequest{Request: Request{ClientID: "gateway-exchanger", ClientSecret: wrong, AuthMethod: AuthPost, Audience: runtimeAPI}, SubjectToken: subject},
			KindInvalidClient, []string{"invalid_client", "gateway-exchanger", "--client-secret-from"}, []string{wrong, fx.exchSecret, subject}},
		{"subject token with a forged signature", ExchangeRequest{Request: ok, SubjectToken: forged},
			KindInvalidGrant, []string{"invalid_grant", "subject token", "--subject-token-from", "token inspect"}, []string{fx.exchSecret, forged}},
		{"subject token that is no JWT", ExchangeRequest{Request: ok, SubjectToken: "not-a-jwt-" + wrong, SubjectFrom: "--bearer-from"},
			KindInvalidGrant, []string{"invalid_grant", "--bearer-from"}, []string{fx.exchSecret, wrong}},
		{"client without the grant", ExchangeRequest{Request: Request{ClientID: "m2m-only", ClientSecret: fx.m2m, Audience: runtimeAPI}, SubjectToken: subject},
			KindUnauthorizedClient, []string{"token-exchange", "m2m-only", GrantTokenExchange}, []string{fx.m2m, subject}},
		{"unknown audience", ExchangeRequest{Request: Request{ClientID: "gateway-exchanger", ClientSecret: fx.exchSecret, AuthMethod: AuthPost, Audience: "https://nope.example.test/"}, SubjectToken: subject},
			KindUnknownAudience, []string{"invalid_target", "https://nope.example.test/"}, []string{fx.exchSecret, subject}},
		{"empty subject token", ExchangeRequest{Request: ok, SubjectToken: " \n"},
			KindInvalidGrant, []string{"subject token is empty", "--subject-token-from"}, []string{fx.exchSecret}},
	}
	before := len(fx.srv.Events())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.DiscoveryURL = fx.srv.DiscoveryURL()
			res, err := exchange(t, c.req)
			if res != nil {
				t.Fatalf("exchanged: %+v", res)
			}
			checkErr(t, err, c.kind, c.says, "")
			noLeak(t, err.Error(), c.secrets...)
		})
	}
	// The forged and the garbage subject never got past the server's verification: no exchange with a subject.
	for _, ev := range fx.srv.Events()[before:] {
		if ev.Kind == oidcserver.EventExchange && ev.ClientID == "gateway-exchanger" && ev.Resource == runtimeAPI {
			t.Fatalf("the server accepted a bad subject token: %+v", ev)
		}
	}
}

func TestExchangeValidate(t *testing.T) {
	base := Request{TokenURL: "https://idp.example.test/token", ClientID: "c", ClientSecret: "s"}
	for _, c := range []struct {
		r    ExchangeRequest
		want string
	}{
		{ExchangeRequest{Request: base, SubjectTokenType: "saml"}, "subject token type"},
		{ExchangeRequest{Request: base, RequestedTokenType: "refresh"}, "requested token type"},
		{ExchangeRequest{Request: Request{ClientID: "c"}}, "--discovery-url"},
	} {
		if err := c.r.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to say %q", c.r, err, c.want)
		}
	}
	for in, want := range map[string]string{"": "", "jwt": TokenTypeJWT, "access_token": TokenTypeAccess, TokenTypeID: TokenTypeID} {
		if got, err := TokenType(in); err != nil || got != want {
			t.Errorf("TokenType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
