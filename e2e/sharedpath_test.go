package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Two setups on the sandbox's Gateway (the real Agent Gateway controller) with one path prefix, as a team gets
// them by taking the wizard's default in two namespaces: the wizard refuses the second before changing anything and
// names a free prefix; with it both work. A route moved onto the first one's path by hand is Accepted by the
// controller, and then doctor fails resources.route-precedence with the wizard rerun as the fix, invoke warns
// that its call reaches the other setup, and the fix as printed (a rerun from the record) puts it right.
func TestTwoSetupsOnOnePath(t *testing.T) {
	o := needOIDC(t)
	ctx := context.Background()
	kube := sb.Cluster.Kube()
	first, second, prefix := "agentcore-path-a", "agentcore-path-b", "/shared"
	tr := &transcript{t: t}
	var tokens []string
	wizardIn := func(ns, path string) result {
		t.Helper()
		return tr.run("wizard", "--non-interactive", "--yes", "--runtime-arn", echoARN(), "-n", ns, "--path-prefix", path,
			"--identity", "external", "--discovery-url", o.DiscoveryURL, "--client-id", o.ClientID, "--client-secret-from", o.SecretFrom,
			"--audience", o.Audience)
	}
	if r := wizardIn(first, prefix); r.code != 0 {
		t.Fatalf("first wizard: %s", r)
	}
	tokens = append(tokens, gatewayToken(t, first))
	r := wizardIn(second, prefix)
	free := "/" + second + prefix
	if r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 ||
		!strings.Contains(r.stderr, "error: HTTPRoute "+first+"/agentcore on Gateway ") ||
		!strings.Contains(r.stderr, "would take every call to this setup's PathPrefix "+prefix) ||
		!strings.Contains(r.stderr, "Nothing was changed. Give this setup a path of its own: --path-prefix "+free) {
		t.Fatalf("second wizard on the same path: %s", r)
	}
	if _, err := kube.CoreV1().Namespaces().Get(ctx, second, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the refused wizard created namespace %s (%v)", second, err)
	}
	if r := wizardIn(second, free); r.code != 0 {
		t.Fatalf("second wizard with the free prefix: %s", r)
	}
	tokens = append(tokens, gatewayToken(t, second))
	doctorPasses := func(why string) {
		t.Helper()
		eventually(t, 60*time.Second, func() string {
			if r := tr.run("doctor", "-n", second); r.code != 0 {
				return why + ": " + r.String()
			}
			return ""
		})
	}
	doctorPasses("doctor on the second setup")

	// The second route moved onto the first one's path by hand: the controller accepts it too.
	patch := []byte(`[{"op":"replace","path":"/spec/rules/0/matches/0/path/value","value":"` + prefix + `"}]`)
	if _, err := sb.Cluster.Dynamic().Resource(k8sres.GVRHTTPRoute).Namespace(second).Patch(ctx, setup.DefaultRouteName, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var fix string
	eventually(t, 60*time.Second, func() string {
		checks, r := doctorChecks(t, "-n", second)
		c := checks["resources.route-precedence"]
		if r.code != 3 || c.Status != "fail" || !strings.Contains(c.Detail, "HTTPRoute "+first+"/agentcore takes PathPrefix "+prefix+" for any host before this route's PathPrefix "+prefix) {
			return "doctor on the shadowed setup: " + r.String()
		}
		fix = c.Fix
		return ""
	})
	if fix != "kubectl agentcore wizard -n "+second+" --path-prefix "+free {
		t.Fatalf("fix %q", fix)
	}
	r = tr.run("invoke", "-n", second, "through a shadowed path")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: HTTPRoute "+first+"/agentcore takes PathPrefix "+prefix) || !strings.Contains(r.stderr, "this call reaches that route's backend") {
		t.Fatalf("invoke through the shadowed path: %s", r)
	}

	// The fix as doctor prints it (with --yes: no terminal here) puts the route back on its own path.
	if r := tr.run(append(strings.Fields(strings.TrimPrefix(fix, "kubectl agentcore ")), "--yes")...); r.code != 0 {
		t.Fatalf("doctor's fix: %s", r)
	}
	doctorPasses("doctor after the fix")
	tokens = append(tokens, gatewayToken(t, second))

	for _, ns := range []string{second, first} {
		if r := tr.run("teardown", "-n", ns, "--yes"); r.code != 0 {
			t.Fatalf("teardown %s: %s", ns, r)
		}
		waitNamespaceGone(t, ns)
	}
	tr.scan(append([]string{demoClientSecret(t)}, tokens...)...)
}
