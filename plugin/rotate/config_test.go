package rotate

import (
	"context"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// A setup that holds no token of its own is refused in one line that says what the gateway sends instead, per
// mode (sigv4 was the only wording, and passthrough and exchange were told the gateway signs with SigV4).
func TestResolveRefusesModesWithoutToken(t *testing.T) {
	for mode, want := range map[setup.Mode]string{
		setup.ModeSigV4:       "signs each call with its own AWS credentials (SigV4)",
		setup.ModePassthrough: "sends each caller's own token on",
		setup.ModeExchange:    "sends a token exchanged for each caller's",
	} {
		rec := &setup.Record{Namespace: "team-a", Name: "agentcore-setup", Mode: mode}
		_, err := Resolve(context.Background(), nil, Flags{Record: rec}, nil)
		if err == nil || !strings.Contains(err.Error(), "the setup team-a/agentcore-setup uses mode "+string(mode)+": the ") ||
			!strings.Contains(err.Error(), want) || !strings.HasSuffix(err.Error(), "holds no token to rotate") {
			t.Errorf("%s: %v, want %q", mode, err, want)
		}
	}
	if setup.ModeRewrite.WithoutToken() != "" || setup.ModeNative.WithoutToken() != "" {
		t.Error("rewrite and native hold a token")
	}
}
