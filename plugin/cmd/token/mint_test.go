package token_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/root"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const mintAPI = "https://agents.example.test/"

// fullJWT matches an unmasked JWT (header, payload and signature); a masked one stops after ten characters.
var fullJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}`)

type idp struct {
	srv          *oidcserver.Server
	basic, post  string
	discoveryURL string
}

func startMintIdP(t *testing.T) *idp {
	t.Helper()
	p := &idp{basic: oidcserver.NewSecret(), post: oidcserver.NewSecret()}
	p.srv = oidcservertest.Start(t, oidcserver.Options{
		TrailingSlash:    true,
		StrictAuthMethod: true,
		Resources:        map[string]string{mintAPI: "agents.invoke"},
		Clients: []oidcserver.Client{
			{ID: "m2m-basic", Secret: p.basic, AuthMethod: oidcserver.Basic},
			{ID: "m2m-post", Secret: p.post, AuthMethod: oidcserver.Post},
		},
	})
	p.discoveryURL = p.srv.DiscoveryURL()
	return p
}

// runMint runs the real root command on the real clock (the minted token is real) and fails when a secret or
// any whole JWT appears in the output, unless raw output was asked for.
func runMint(t *testing.T, secrets []string, args ...string) result {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(io)
	code := root.Run(f, args)
	r := result{code, out.String(), errOut.String()}
	raw := false
	for i, a := range args {
		raw = raw || a == "--show-token" || (a == "-o" && i+1 < len(args) && args[i+1] == "raw")
	}
	for _, s := range secrets {
		if strings.Contains(r.out+r.errOut, s) {
			t.Fatalf("a client secret appears in the output:\n%s\n%s", r.out, r.errOut)
		}
	}
	if !raw && fullJWT.MatchString(r.out+r.errOut) {
		t.Fatalf("a minted token appears in the output:\n%s\n%s", r.out, r.errOut)
	}
	return r
}

func TestMintText(t *testing.T) {
	isolate(t)
	p := startMintIdP(t)
	t.Setenv("M2M_SECRET", p.basic)
	r := runMint(t, []string{p.basic, p.post}, "token", "mint", "--discovery-url", p.discoveryURL, "--client-id", "m2m-basic",
		"--client-secret-from", "env:M2M_SECRET", "--audience", mintAPI, "-o", "text")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"minted by client credentials at " + p.srv.TokenURL(), "client_secret_basic", mintAPI, "redacted"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
}

func TestMintJSONPostAndRaw(t *testing.T) {
	isolate(t)
	p := startMintIdP(t)
	t.Setenv("M2M_SECRET", p.post)
	args := []string{"token", "mint", "--discovery-url", p.discoveryURL, "--client-id", "m2m-post", "--client-secret-from",
		"env:M2M_SECRET", "--audience", mintAPI, "--auth-method", "post"}
	r := runMint(t, []string{p.basic, p.post}, append(args, "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.errOut)
	}
	var got struct {
		Mint struct {
			TokenURL, AuthMethod, ClientID string
			SentResource                   bool
		}
		Issuer    string
		Audience  []string
		Signature struct{ Verified bool }
		Suggested struct {
			AllowedAudience []string `json:"allowedAudience"`
			DiscoveryURL    string   `json:"discoveryUrl"`
		} `json:"suggestedAuthorizer"`
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, r.out)
	}
	if got.Mint.AuthMethod != "client_secret_post" || got.Mint.ClientID != "m2m-post" || !got.Mint.SentResource ||
		got.Mint.TokenURL != p.srv.TokenURL() {
		t.Fatalf("mint %+v", got.Mint)
	}
	if got.Issuer != p.srv.Issuer || !got.Signature.Verified || len(got.Audience) != 1 || got.Audience[0] != mintAPI {
		t.Fatalf("inspection: issuer %q verified %v aud %v", got.Issuer, got.Signature.Verified, got.Audience)
	}
	if len(got.Suggested.AllowedAudience) != 1 || got.Suggested.AllowedAudience[0] != mintAPI {
		t.Fatalf("suggested authorizer %+v", got.Suggested)
	}
	if ev := p.srv.WaitEvents(oidcserver.AtLeast(1)); len(ev) != 1 || ev[0].AuthMethod != oidcserver.Post {
		t.Fatalf("server saw %+v", ev)
	}

	r = runMint(t, []string{p.basic, p.post}, append(args, "-o", "raw")...)
	if r.code != 0 || r.errOut != "" {
		t.Fatalf("exit %d:\n%s", r.code, r.errOut)
	}
	if tok := strings.TrimSuffix(r.out, "\n"); !fullJWT.MatchString(tok) || strings.Contains(tok, "\n") || fullJWT.FindString(tok) != tok {
		t.Fatalf("-o raw printed %q, want one JWT", r.out)
	}
}

func TestMintFailuresExit1OneLine(t *testing.T) {
	isolate(t)
	p := startMintIdP(t)
	wrong := oidcserver.NewSecret()
	t.Setenv("WRONG_SECRET", wrong)
	t.Setenv("POST_SECRET", p.post)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"wrong secret", []string{"--client-id", "m2m-basic", "--client-secret-from", "env:WRONG_SECRET"},
			[]string{"minting a token for client m2m-basic", "invalid_client"}},
		{"method not allowed", []string{"--client-id", "m2m-post", "--client-secret-from", "env:POST_SECRET", "--auth-method", "basic"},
			[]string{"invalid_client", "--auth-method post"}},
		{"unknown audience", []string{"--client-id", "m2m-post", "--client-secret-from", "env:POST_SECRET", "--auth-method", "post", "--audience", "https://other.example.test/"},
			[]string{"does not know audience", "--audience"}},
		{"unset env", []string{"--client-id", "m2m-post", "--client-secret-from", "env:NOT_SET_ANYWHERE"},
			[]string{"reading the client secret", "NOT_SET_ANYWHERE"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runMint(t, []string{p.basic, p.post, wrong}, append([]string{"token", "mint", "--discovery-url", p.discoveryURL}, c.args...)...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1:\n%s%s", r.code, r.out, r.errOut)
			}
			oneErrorLine(t, r, c.want...)
		})
	}
}

func TestMintUsage(t *testing.T) {
	isolate(t)
	literal := "s3cr3t-literal-value"
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"literal secret", []string{"--token-url", "https://idp/token", "--client-id", "x", "--client-secret-from", literal}, "not a source"},
		{"no secret source", []string{"--token-url", "https://idp/token", "--client-id", "x"}, "--client-secret-from is required"},
		{"no endpoint", []string{"--client-id", "x", "--client-secret-from", "prompt"}, "--discovery-url"},
		{"both endpoints", []string{"--token-url", "https://idp/token", "--discovery-url", "https://idp/.well-known/openid-configuration", "--client-id", "x", "--client-secret-from", "prompt"}, "give one"},
		{"bad method", []string{"--token-url", "https://idp/token", "--client-id", "x", "--client-secret-from", "prompt", "--auth-method", "jwt"}, "basic or post"},
		{"bad output", []string{"--token-url", "https://idp/token", "--client-id", "x", "--client-secret-from", "prompt", "-o", "wide"}, "raw"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runMint(t, []string{literal}, append([]string{"token", "mint"}, c.args...)...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2:\n%s%s", r.code, r.out, r.errOut)
			}
			if !strings.Contains(r.errOut, c.want) {
				t.Fatalf("stderr %q lacks %q", r.errOut, c.want)
			}
		})
	}
}

func TestMintSecretFromKubernetesSecret(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "tokenmint")
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	kc := filepath.Join(dir, "admin")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, ns); err != nil {
		t.Fatal(err)
	}
	p := startMintIdP(t)
	if _, err := c.Kube().CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "idp-client"},
		Data: map[string][]byte{"secret": []byte(p.basic)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"secret:" + ns + "/idp-client/secret", "secret:idp-client/secret"} {
		r := runMint(t, []string{p.basic}, "--kubeconfig", kc, "token", "mint", "--discovery-url", p.discoveryURL, "--client-id", "m2m-basic",
			"--client-secret-from", ref, "-o", "json")
		if r.code != 0 {
			t.Fatalf("%s: exit %d:\n%s%s", ref, r.code, r.out, r.errOut)
		}
	}
	r := runMint(t, []string{p.basic}, "--kubeconfig", kc, "token", "mint", "--discovery-url", p.discoveryURL, "--client-id", "m2m-basic",
		"--client-secret-from", "secret:"+ns+"/idp-client/nokey")
	if r.code != 1 || !strings.Contains(r.errOut, "has no key nokey") {
		t.Fatalf("exit %d:\n%s", r.code, r.errOut)
	}
}
