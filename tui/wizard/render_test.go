package wizard

import (
	"strings"
	"testing"

	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// The plan's first line names where the route leads: the runtime's ARN, or the AgentCore Gateway (whose plan
// has no runtime ARN).
func TestPrintPlanNamesTheTarget(t *testing.T) {
	const gw = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/tools-gw-abcdef0123"
	for _, c := range []struct {
		p    wz.Plan
		want string
	}{
		{wz.Plan{Mode: "rewrite", Gateway: "team/edge", RuntimeARN: arn, Flavor: "oss"}, "Plan · rewrite · team/edge → " + arn + " · oss kinds\n"},
		{wz.Plan{Mode: "rewrite", Gateway: "team/edge", Endpoint: "10.0.0.9:8080", AgentCoreGateway: gw, Flavor: "enterprise"},
			"Plan · rewrite · team/edge (10.0.0.9:8080) → AgentCore Gateway " + gw + " · enterprise kinds\n"},
	} {
		var b strings.Builder
		PrintPlan(&b, style.New(false, false), &c.p, 0)
		if first, _, _ := strings.Cut(b.String(), "\n"); first+"\n" != c.want {
			t.Errorf("header %q, want %q", first, strings.TrimSuffix(c.want, "\n"))
		}
	}
}
