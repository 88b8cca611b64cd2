package wizard

import (
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// The caller modes' plan items say whose authorizer must accept the token: the runtime's, or the AgentCore
// Gateway's for a gateway target (it said "the runtime's" for both).
func TestCallerPartiesNameTheTarget(t *testing.T) {
	for _, mode := range []setup.Mode{setup.ModePassthrough, setup.ModeExchange} {
		for target, want := range map[string]string{
			setup.TargetRuntime:          "the runtime's authorizer",
			setup.TargetAgentCoreGateway: "the AgentCore Gateway's authorizer",
		} {
			rec := setup.Record{Mode: mode, Target: target, AgentCoreGateway: "tools-gw-abcdefghij", CallerIssuer: "https://idp.example.com/",
				CallerAudiences: []string{"app"}, JWTPolicyName: "agentcore-jwt", Issuer: "https://idp.example.com/", ExchangeAudience: "agents"}
			items := callerParties(&Config{Mode: mode}, rec)
			last := items[len(items)-1].Detail
			if !strings.Contains(last, want) || strings.Count(last, "authorizer") != 1 {
				t.Errorf("%s to %s: %q, want it to name %q", mode, target, last, want)
			}
		}
	}
}
