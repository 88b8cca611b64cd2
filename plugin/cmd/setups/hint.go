package setups

import (
	"context"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/home"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// HintFor is the home screen's note next to Setups: how many setups there are and, in amber, how many renewals are
// failing or overdue ("12 setups · 2 failing renewals"). One LIST of the records (-n's namespace, else every
// namespace), no Secret read; nothing (ok=false) without records or leave to list them.
// ns is the namespace ("" = every namespace), now the clock.
func HintFor(ctx context.Context, kube kubernetes.Interface, ns string, now time.Time) (home.Hint, bool) {
	l, err := kube.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: setup.RecordSelector()})
	if err != nil || len(l.Items) == 0 {
		return home.Hint{}, false
	}
	failing, overdue := 0, 0
	for i := range l.Items {
		s := rotate.ReadStatus(&l.Items[i])
		switch {
		case s.Failing():
			failing++
		case s.Overdue(now) > 0:
			overdue++
		}
	}
	parts := []string{words.Count(len(l.Items), "setup")}
	if failing > 0 {
		parts = append(parts, words.Count(failing, "failing renewal"))
	}
	if overdue > 0 {
		parts = append(parts, words.Count(overdue, "overdue renewal"))
	}
	st := style.Pass
	if failing+overdue > 0 {
		st = style.Warn
	}
	return home.Hint{Text: strings.Join(parts, " · "), Status: st}, true
}
