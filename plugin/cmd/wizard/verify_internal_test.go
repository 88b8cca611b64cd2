package wizard

import (
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
)

// Verify leaves out a check skipped only because the checks it needs were skipped (the first skip says why); a
// check skipped because one it needs failed stays.
func TestSkippedForSkips(t *testing.T) {
	status := map[string]doctor.Status{"secret.present": doctor.Skip, "secret.key": doctor.Skip, "token.x": doctor.Fail}
	for _, c := range []struct {
		r    doctor.Result
		want bool
	}{
		{doctor.Result{ID: "secret.present", Status: doctor.Skip}, false}, // the first skip, with its reason
		{doctor.Result{ID: "secret.key", Status: doctor.Skip, BlockedBy: []string{"secret.present"}}, true},
		{doctor.Result{ID: "token.y", Status: doctor.Skip, BlockedBy: []string{"secret.key", "token.x"}}, false},
		{doctor.Result{ID: "token.z", Status: doctor.Pass}, false},
	} {
		if got := skippedForSkips(c.r, status); got != c.want {
			t.Errorf("%s: %v, want %v", c.r.ID, got, c.want)
		}
	}
}
