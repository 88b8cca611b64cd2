package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Identity (c) through the sandbox: the wizard mints from the sandbox's OAuth server (oidc-provider) by client
// credentials with the demo client (its secret read from the cluster), invoke answers 200; two rotations each
// mint a new token by client credentials, and invoke answers 200 after each. Neither the client secret nor any
// token minted appears in any output. The setup lives in its own namespace and path, and is torn down at the end
// (the echo runtime's previous authorizer restored).
func TestExternalClientCredentialsThroughSandbox(t *testing.T) {
	need(t)
	o := sb.State.OIDC
	if o == nil {
		t.Fatal("the sandbox has no OAuth server (oidc-provider not installed: make oidc-provider)")
	}
	ctx := context.Background()
	kube := sb.Cluster.Kube()
	ns, prefix := "agentcore-m2m", "/m2m"
	src, err := kube.CoreV1().Secrets(sandbox.DemoSecretNamespace).Get(ctx, sandbox.DemoSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret := string(src.Data["clientSecret"])
	if len(secret) < 20 {
		t.Fatal("the demo client's secret is not in the cluster")
	}
	var outputs []string
	var tokens []string
	step := func(args ...string) result {
		t.Helper()
		r := kac(t, args...)
		outputs = append(outputs, strings.Join(args, " ")+"\n"+r.stdout+r.stderr)
		return r
	}
	token := func() string {
		t.Helper()
		s, err := kube.CoreV1().Secrets(ns).Get(ctx, setup.DefaultSecretName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tok := bearer.Token(string(s.Data["Authorization"]))
		if strings.Count(tok, ".") != 2 {
			t.Fatalf("the gateway Secret holds no JWT")
		}
		return tok
	}
	invoke := func(prompt string) {
		t.Helper()
		var last result
		eventually(t, 30*time.Second, func() string {
			last = step("invoke", "-n", ns, prompt)
			if last.code == 0 && strings.Contains(last.stdout, "echo: "+prompt) {
				return ""
			}
			return "invoke through the m2m setup: " + last.String()
		})
	}

	r := step("wizard", "--non-interactive", "--yes", "--runtime-arn", echoARN(), "--route-namespace", ns, "--path-prefix", prefix,
		"--identity", "external", "--discovery-url", o.DiscoveryURL, "--client-id", o.ClientID, "--client-secret-from", o.SecretFrom,
		"--audience", o.Audience)
	if r.code != 0 {
		t.Fatalf("wizard: %s", r)
	}
	rec, err := setup.Load(ctx, kube, ns)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.ClientCredentials() || rec.ClientID != o.ClientID || strings.Join(rec.Audience, ",") != o.Audience {
		t.Fatalf("record: %+v", rec)
	}
	tokens = append(tokens, token())
	invoke("m2m before any rotation")

	for i := 1; i <= 2; i++ {
		r := step("rotate", "-n", ns, "--force")
		if r.code != 0 || !strings.Contains(r.stdout, "rotated") {
			t.Fatalf("rotation %d: %s", i, r)
		}
		tok := token()
		for _, old := range tokens {
			if tok == old {
				t.Fatalf("rotation %d wrote the same token again", i)
			}
		}
		tokens = append(tokens, tok)
		invoke("m2m after rotation " + string(rune('0'+i)))
	}

	if r := step("teardown", "-n", ns, "--yes"); r.code != 0 {
		t.Fatalf("teardown: %s", r)
	}
	waitNamespaceGone(t, ns)

	for _, out := range outputs {
		if strings.Contains(out, secret) {
			t.Fatalf("the client secret is in an output:\n%s", out)
		}
		for i, tok := range tokens {
			if strings.Contains(out, tok) || strings.Contains(out, strings.Split(tok, ".")[2]) {
				t.Fatalf("token %d (or its signature) is in an output:\n%s", i, out)
			}
		}
	}
	t.Logf("%d outputs scanned for the client secret and %d tokens", len(outputs), len(tokens))
}
