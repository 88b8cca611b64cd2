package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// Identity (c) through the sandbox: the wizard mints from the sandbox's OAuth server (oidc-provider) by client
// credentials with the demo client (its secret read from the cluster), invoke answers 200; two rotations each
// mint a new token by client credentials, and invoke answers 200 after each. Neither the client secret nor any
// token minted appears in any output. The setup lives in its own namespace and path, and is torn down at the end
// (the echo runtime's previous authorizer restored).
func TestExternalClientCredentialsThroughSandbox(t *testing.T) {
	o := needOIDC(t)
	ns, prefix := "agentcore-m2m", "/m2m"
	secret := demoClientSecret(t)
	tr := &transcript{t: t}
	var tokens []string
	token := func() string { return gatewayToken(t, ns) }
	invoke := func(prompt string) {
		t.Helper()
		var last result
		eventually(t, 30*time.Second, func() string {
			last = tr.run("invoke", "-n", ns, prompt)
			if last.code == 0 && strings.Contains(last.stdout, "echo: "+prompt) {
				return ""
			}
			return "invoke through the m2m setup: " + last.String()
		})
	}

	r := tr.run("wizard", "--non-interactive", "--yes", "--runtime-arn", echoARN(), "--route-namespace", ns, "--path-prefix", prefix,
		"--identity", "external", "--discovery-url", o.DiscoveryURL, "--client-id", o.ClientID, "--client-secret-from", o.SecretFrom,
		"--audience", o.Audience)
	if r.code != 0 {
		t.Fatalf("wizard: %s", r)
	}
	rec, err := setup.Load(context.Background(), sb.Cluster.Kube(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.ClientCredentials() || rec.ClientID != o.ClientID || strings.Join(rec.Audience, ",") != o.Audience {
		t.Fatalf("record: %+v", rec)
	}
	tokens = append(tokens, token())
	invoke("m2m before any rotation")

	for i := 1; i <= 2; i++ {
		r := tr.run("rotate", "-n", ns, "--force")
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

	if r := tr.run("teardown", "-n", ns, "--yes"); r.code != 0 {
		t.Fatalf("teardown: %s", r)
	}
	waitNamespaceGone(t, ns)

	tr.scan(append([]string{secret}, tokens...)...)
}
