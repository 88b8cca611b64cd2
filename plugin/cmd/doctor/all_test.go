package doctor

import (
	"bytes"
	"strings"
	"testing"

	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// TestWriteFleetText: one row per setup with its counts and first failing check, a summary line, then only the
// failures and warnings, each with its hint and fix.
func TestWriteFleetText(t *testing.T) {
	ok := dr.SetupReport{Setup: "team-a/agentcore-setup", Namespace: "team-a", Mode: "rewrite",
		Report: dr.Report{Checks: []dr.Result{{ID: "cluster.reachable", Status: dr.Pass}}, Summary: dr.Summary{Pass: 1}}}
	bad := dr.SetupReport{Setup: "team-b/agentcore-setup", Namespace: "team-b", Mode: "native",
		Report: dr.Report{Checks: []dr.Result{
			{ID: "cluster.reachable", Status: dr.Pass, Detail: "fine"},
			{ID: "token.expiry", Status: dr.Warn, Detail: "expires in 2m", Hint: "rotate soon"},
			{ID: "secret.exists", Status: dr.Fail, Detail: "Secret team-b/agentcore-jwt not found", Fix: "kubectl agentcore rotate -n team-b"},
			{ID: "token.signature", Status: dr.Fail, Detail: "no token"},
		}, Summary: dr.Summary{Pass: 1, Warn: 1, Fail: 2}}}
	var buf bytes.Buffer
	WriteFleetText(&buf, "all namespaces", []dr.SetupReport{ok, bad}, style.New(false, false))
	out := buf.String()
	for _, want := range []string{
		"Doctor · 2 setups in all namespaces",
		"✔ team-a/agentcore-setup  rewrite     1    0    0  \n",
		"✖ team-b/agentcore-setup  native      1    1    2  secret.exists\n",
		"2 setups: 1 pass, 0 with warnings, 1 failing",
		"\nteam-b/agentcore-setup\n  ‼ token.expiry  expires in 2m\n    hint rotate soon\n  ✖ secret.exists  Secret team-b/agentcore-jwt not found\n    fix  kubectl agentcore rotate -n team-b\n  ✖ token.signature  no token\n",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "\nteam-a/agentcore-setup\n") || strings.Contains(out, "cluster.reachable") {
		t.Fatalf("a passing setup or check is detailed:\n%s", out)
	}
	// One of a thing is singular: in the fleet's header and summary, and in the single setup's summary.
	buf.Reset()
	WriteFleetText(&buf, "namespace team-a", []dr.SetupReport{ok}, style.New(false, false))
	for _, want := range []string{"Doctor · 1 setup in namespace team-a\n", "\n1 setup: 1 pass, 0 with warnings, 0 failing\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Fatalf("missing %q in\n%s", want, buf.String())
		}
	}
	buf.Reset()
	WriteText(&buf, "team-b", bad.Report, style.New(false, false))
	if !strings.Contains(buf.String(), "1 passed, 1 warning, 2 failed, 0 skipped\n") {
		t.Fatalf("single-setup summary:\n%s", buf.String())
	}
	buf.Reset()
	WriteFleetText(&buf, "namespace x", nil, style.New(false, false))
	if !strings.Contains(buf.String(), "no setup records found") {
		t.Fatalf("empty: %s", buf.String())
	}
}
