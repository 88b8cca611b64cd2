package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// token.renewal reads what the renewers keep on the setup record: a failing renewal and an overdue one warn
// (with the error, how long the stored token still works and the command that renews now or starts the
// service), a renewed or watched setup passes, one no renewer has looked at says so, and a run without a record
// skips.
func TestRenewalStatus(t *testing.T) {
	e := newEnv(t)
	e.saveRecord()
	ctx := context.Background()
	now := time.Now().UTC()
	stamp := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		status      Status
		detail      []string
		fix         string
	}{
		{"nothing recorded", nil, Skip, []string{"no renewal recorded", "the stored token still works for"}, "kubectl agentcore rotate --print-manifests --all -n " + e.ns},
		{"watched, not yet renewed", map[string]string{rotate.StatusNext: stamp(40 * time.Minute), rotate.StatusBy: "agentcore-rotate-7d9f-abcde"},
			Pass, []string{"not renewed yet; next renewal due in 3", "(scheduled by agentcore-rotate-7d9f-abcde)"}, ""},
		{"renewed", map[string]string{rotate.StatusLastRotation: stamp(-2 * time.Hour), rotate.StatusNext: stamp(time.Hour), rotate.StatusBy: "pod-a"},
			Pass, []string{"renewed 2h ago by pod-a; next due in 5"}, ""},
		{"failing", map[string]string{rotate.StatusLastError: "mint: the token endpoint refused client m2m (invalid_client)", rotate.StatusFailures: "3",
			rotate.StatusNext: stamp(30 * time.Second), rotate.StatusBy: "pod-a"},
			Warn, []string{"the last renewal by pod-a failed (3 in a row), next try in", "mint: the token endpoint refused client m2m (invalid_client)", "the stored token still works for"},
			"kubectl agentcore rotate -n " + e.ns + " --force"},
		{"overdue", map[string]string{rotate.StatusLastRotation: stamp(-3 * time.Hour), rotate.StatusNext: stamp(-10 * time.Minute), rotate.StatusBy: "pod-a"},
			Warn, []string{"renewal overdue by 10m", "by pod-a"}, "kubectl agentcore rotate --print-manifests --all -n " + e.ns},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cm, err := e.kube.CoreV1().ConfigMaps(e.ns).Get(ctx, setup.DefaultRecordName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cm.Annotations = tc.annotations
			if _, err := e.kube.CoreV1().ConfigMaps(e.ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			got, _ := e.run(Options{Namespace: e.ns}, nil)
			r := got[IDTokenRenewal]
			if r.Status != tc.status || !strings.HasPrefix(r.Fix, tc.fix) || (tc.fix == "") != (r.Fix == "") {
				t.Fatalf("%s %q fix %q; want %s, fix %q", r.Status, r.Detail, r.Fix, tc.status, tc.fix)
			}
			for _, want := range tc.detail {
				if !strings.Contains(r.Detail, want) {
					t.Errorf("detail %q lacks %q", r.Detail, want)
				}
			}
		})
	}
	// A pasted token: nothing renews it, and the fix is not the rotation service (it cannot renew it either).
	cm, err := e.kube.CoreV1().ConfigMaps(e.ns).Get(ctx, setup.DefaultRecordName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Annotations = nil
	cm.Data["identityProvider"], cm.Data["tokenSource"], cm.Data["discoveryUrl"] = setup.IdPExternal, setup.TokenSourcePasted, e.issuer.DiscoveryURL()
	if _, err := e.kube.CoreV1().ConfigMaps(e.ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.run(Options{Namespace: e.ns}, nil)
	if r := got[IDTokenRenewal]; r.Status != Skip || !strings.Contains(r.Detail, "pasted") || !strings.Contains(r.Fix, "--client-secret-from") {
		t.Fatalf("a pasted token: %s %q fix %q", r.Status, r.Detail, r.Fix)
	}
	// Without a record (the route named by flags) there is nothing to read.
	got, _ = e.run(Options{}, nil)
	if r := got[IDTokenRenewal]; r.Status != Skip || !strings.Contains(r.Detail, "no setup record") {
		t.Fatalf("without a record: %s %q", r.Status, r.Detail)
	}
}
