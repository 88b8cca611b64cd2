package rotate

import (
	"context"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/home"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"k8s.io/client-go/kubernetes"
)

// HintWarnBelow is when the home screen's hint turns amber.
const HintWarnBelow = 15 * time.Minute

// HintFor is the home screen's note next to Rotate: "token expires in 12m" (warn under 15 minutes, fail when
// expired or unreadable). Nothing (ok=false) when there is no setup record or Secret to look at.
// ns is the setup's namespace ("" = the only setup in the cluster).
func HintFor(ctx context.Context, kube kubernetes.Interface, ns string, now time.Time) (home.Hint, bool) {
	rec, err := setup.Resolve(ctx, kube, ns)
	if err != nil || rec == nil {
		return home.Hint{}, false
	}
	r := rec.WithDefaults()
	if !r.Mode.UsesToken() {
		return home.Hint{}, false
	}
	sec, err := k8sres.GetSecret(ctx, kube, r.Namespace, r.SecretName)
	if err != nil {
		return home.Hint{Text: "token Secret unreadable", Status: style.Warn}, true
	}
	v, _ := k8sres.SecretValue(sec, rotate.KeyAuthorization)
	c, err := rotate.Peek(v)
	if err != nil || c.Exp.IsZero() {
		return home.Hint{Text: "no valid token in the Secret", Status: style.Fail}, true
	}
	left := c.Exp.Sub(now)
	switch {
	case left <= 0:
		return home.Hint{Text: "token expired " + style.Short(-left) + " ago", Status: style.Fail}, true
	case left < HintWarnBelow:
		return home.Hint{Text: "token expires in " + style.Short(left), Status: style.Warn}, true
	}
	return home.Hint{Text: "token expires in " + style.Short(left), Status: style.Pass}, true
}
