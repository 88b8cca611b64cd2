package oidcserver_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
)

func TestServerIssuesJWTAccessTokensByClientCredentials(t *testing.T) {
	secret := oidcserver.NewSecret()
	s := oidcservertest.Start(t, oidcserver.Options{
		TrailingSlash:  true,
		AccessTokenTTL: 90 * time.Second,
		Resources:      map[string]string{"https://api.example.test/": "invoke"},
		Clients:        []oidcserver.Client{{ID: "svc", Secret: secret, AuthMethod: oidcserver.Post}},
	})
	if !strings.HasSuffix(s.Issuer, "/") {
		t.Fatalf("issuer %q: want a trailing slash", s.Issuer)
	}
	resp, err := http.Get(s.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc.Issuer != s.Issuer || disc.TokenEndpoint != s.TokenURL() {
		t.Fatalf("discovery %+v, want issuer %s and token endpoint %s", disc, s.Issuer, s.TokenURL())
	}
	resp, err = http.PostForm(s.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"},
		"client_secret": {secret}, "scope": {"invoke"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	if resp.StatusCode != 200 || tok.ExpiresIn != 90 {
		t.Fatalf("token response %d, expires_in %d", resp.StatusCode, tok.ExpiresIn)
	}
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	if claims["aud"] != "https://api.example.test/" || claims["client_id"] != "svc" || claims["iss"] != s.Issuer ||
		claims["scope"] != "invoke" {
		t.Fatalf("claims %v", claims)
	}
	if ev := s.WaitEvents(oidcserver.AtLeast(1)); len(ev) != 1 || ev[0].AuthMethod != oidcserver.Post || ev[0].ClientID != "svc" {
		t.Fatalf("events %+v", ev)
	}
}
