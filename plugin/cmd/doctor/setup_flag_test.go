package doctor_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// TestSetupFlagPicksTheRecord: two setup records in one namespace (real apiserver); --setup checks the one it
// names (its route), -n alone the default record; a record that is not there is one error line (exit 1), and
// --setup in another namespace than -n is a usage error.
func TestSetupFlagPicksTheRecord(t *testing.T) {
	clustertest.NeedAgentGatewayCRDs(t)
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "doctor-setup")
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, ""); err != nil {
		t.Fatal(err)
	}
	// AWS answers nothing here: static keys and a closed endpoint, so no credential lookup waits.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	ctx := context.Background()
	for _, r := range []*setup.Record{
		{Namespace: ns, Name: setup.DefaultRecordName, RouteName: "route-default", Mode: setup.ModeRewrite, GatewayName: "agw",
			RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-0123456789"},
		{Namespace: ns, Name: "payments", RouteName: "route-payments", Mode: setup.ModeRewrite, GatewayName: "agw",
			RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/b-0123456789"},
	} {
		if err := setup.Save(ctx, c.Kube(), r, nil); err != nil {
			t.Fatal(err)
		}
	}
	setupDetail := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(t, false, append([]string{"doctor", "--kubeconfig", kc, "-o", "json", "--timeout", "20s"}, args...)...)
		if code != 3 {
			t.Fatalf("%v: exit %d, want 3 (the routes do not exist); stderr %q", args, code, errOut)
		}
		var rep dr.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		for _, r := range rep.Checks {
			if r.ID == dr.IDResourcesSetup {
				return r.Detail
			}
		}
		t.Fatalf("%v: no %s check", args, dr.IDResourcesSetup)
		return ""
	}
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"--setup", ns + "/payments"}, "route-payments", "route-default"},
		{[]string{"-n", ns, "--setup", "payments"}, "route-payments", "route-default"},
		{[]string{"-n", ns, "--setup", ns + "/payments"}, "route-payments", "route-default"},
		{[]string{"-n", ns}, "route-default", "route-payments"},
	} {
		d := setupDetail(tc.args...)
		if !strings.Contains(d, ns+"/"+tc.want) || strings.Contains(d, tc.not) {
			t.Errorf("%v: resources.setup %q, want the route %s", tc.args, d, tc.want)
		}
	}

	code, out, errOut := run(t, false, "doctor", "--kubeconfig", kc, "--setup", ns+"/nope", "-o", "json")
	if code != 1 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 ||
		!strings.HasPrefix(errOut, "error: reading the setup record --setup "+ns+"/nope: ") {
		t.Errorf("missing record: exit %d stdout %q stderr %q", code, out, errOut)
	}
	code, _, errOut = run(t, false, "doctor", "--kubeconfig", kc, "-n", "other", "--setup", ns+"/payments")
	if code != 2 || !strings.Contains(errOut, "error: --setup "+ns+"/payments is in namespace "+ns+" but -n says other") {
		t.Errorf("-n and --setup disagree: exit %d stderr %q", code, errOut)
	}
	code, _, errOut = run(t, false, "doctor", "--kubeconfig", kc, "--all", "--setup", ns+"/payments")
	if code != 2 || !strings.Contains(errOut, "--setup names one setup") {
		t.Errorf("--all --setup: exit %d stderr %q", code, errOut)
	}
}
