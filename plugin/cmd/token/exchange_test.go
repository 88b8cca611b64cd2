package token_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
)

const (
	callerAPI  = "https://app.example.test/"
	runtimeAPI = "https://runtime.example.test/"
)

type tokenService struct {
	srv                    *oidcserver.Server
	caller, exchanger, m2m string
	subject, subjectFile   string
}

// startTokenService runs the real oidc-provider as the caller's IdP and the token service: the caller's token is a
// client-credentials token of client caller-app (its sub), written to a file like a caller would hold it.
func startTokenService(t *testing.T) *tokenService {
	t.Helper()
	ts := &tokenService{caller: oidcserver.NewSecret(), exchanger: oidcserver.NewSecret(), m2m: oidcserver.NewSecret()}
	ts.srv = oidcservertest.Start(t, oidcserver.Options{TrailingSlash: true, StrictAuthMethod: true,
		Resources: map[string]string{callerAPI: "app.use", runtimeAPI: "agents.invoke"}, DefaultResource: callerAPI,
		Clients: []oidcserver.Client{
			{ID: "caller-app", Secret: ts.caller},
			{ID: "gateway-exchanger", Secret: ts.exchanger, GrantTypes: []string{oidcserver.TokenExchange}},
			{ID: "m2m-only", Secret: ts.m2m},
		}})
	t.Setenv("CALLER_SECRET", ts.caller)
	r := runMint(t, nil, "token", "mint", "--discovery-url", ts.srv.DiscoveryURL(), "--client-id", "caller-app",
		"--client-secret-from", "env:CALLER_SECRET", "--audience", callerAPI, "-o", "raw")
	if r.code != 0 {
		t.Fatalf("caller token: exit %d: %s", r.code, r.errOut)
	}
	ts.subject = strings.TrimSpace(r.out)
	ts.subjectFile = filepath.Join(t.TempDir(), "caller.jwt")
	if err := os.WriteFile(ts.subjectFile, []byte(ts.subject+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *tokenService) secrets() []string {
	return []string{ts.caller, ts.exchanger, ts.m2m, ts.subject}
}

func TestExchangeTextAndJSON(t *testing.T) {
	isolate(t)
	ts := startTokenService(t)
	t.Setenv("EXCHANGE_SECRET", ts.exchanger)
	args := []string{"token", "exchange", "--discovery-url", ts.srv.DiscoveryURL(), "--client-id", "gateway-exchanger",
		"--client-secret-from", "env:EXCHANGE_SECRET", "--subject-token-from", "file:" + ts.subjectFile, "--audience", runtimeAPI}
	r := runMint(t, ts.secrets(), args...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"exchanged at " + ts.srv.TokenURL(), "client gateway-exchanger", "for " + runtimeAPI,
		`on behalf of caller-app, act {"sub":"gateway-exchanger"}`, "redacted"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}

	r = runMint(t, ts.secrets(), append(args, "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	var got struct {
		Exchange struct {
			ClientID, Subject, SubjectTokenType, IssuedTokenType string
			Act                                                  map[string]any `json:"act"`
		}
		Issuer    string
		Subject   string
		Audience  []string
		Claims    map[string]any
		Signature struct{ Verified bool }
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, r.out)
	}
	if got.Exchange.Subject != "caller-app" || got.Exchange.Act["sub"] != "gateway-exchanger" ||
		got.Exchange.SubjectTokenType != "urn:ietf:params:oauth:token-type:access_token" || got.Exchange.IssuedTokenType == "" {
		t.Fatalf("exchange %+v", got.Exchange)
	}
	if got.Subject != "caller-app" || got.Issuer != ts.srv.Issuer || !got.Signature.Verified || len(got.Audience) != 1 || got.Audience[0] != runtimeAPI {
		t.Fatalf("inspection: sub %q issuer %q verified %v aud %v", got.Subject, got.Issuer, got.Signature.Verified, got.Audience)
	}
	if act, _ := got.Claims["act"].(map[string]any); act["sub"] != "gateway-exchanger" {
		t.Fatalf("claims lack act: %v", got.Claims)
	}
}

func TestExchangeFailuresExit1OneLine(t *testing.T) {
	isolate(t)
	ts := startTokenService(t)
	wrong := oidcserver.NewSecret()
	t.Setenv("WRONG_SECRET", wrong)
	t.Setenv("EXCHANGE_SECRET", ts.exchanger)
	t.Setenv("M2M_SECRET", ts.m2m)
	t.Setenv("BAD_SUBJECT", ts.subject[:len(ts.subject)-4]+"AAAA")
	sub := "file:" + ts.subjectFile
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"wrong client secret", []string{"--client-id", "gateway-exchanger", "--client-secret-from", "env:WRONG_SECRET", "--subject-token-from", sub},
			[]string{"exchanging the caller's token with client gateway-exchanger", "invalid_client", "--client-secret-from"}},
		{"bad subject token", []string{"--client-id", "gateway-exchanger", "--client-secret-from", "env:EXCHANGE_SECRET", "--subject-token-from", "env:BAD_SUBJECT"},
			[]string{"invalid_grant", "refused the subject token", "--subject-token-from"}},
		{"client may not exchange", []string{"--client-id", "m2m-only", "--client-secret-from", "env:M2M_SECRET", "--subject-token-from", sub},
			[]string{"may not use the token-exchange grant", "m2m-only"}},
		{"missing subject file", []string{"--client-id", "gateway-exchanger", "--client-secret-from", "env:EXCHANGE_SECRET", "--subject-token-from", "file:" + ts.subjectFile + ".nope"},
			[]string{"reading the caller's token", "no such file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runMint(t, append(ts.secrets(), wrong, os.Getenv("BAD_SUBJECT")),
				append([]string{"token", "exchange", "--discovery-url", ts.srv.DiscoveryURL(), "--audience", runtimeAPI}, c.args...)...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1:\n%s%s", r.code, r.out, r.errOut)
			}
			oneErrorLine(t, r, c.want...)
		})
	}
}
