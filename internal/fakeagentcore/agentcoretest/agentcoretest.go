// Package agentcoretest serves the local AgentCore fake (internal/fakeagentcore) on a loopback test server. It
// takes testing.TB, so it lives here, apart from the code the sandbox binary links; only tests import it.
package agentcoretest

import (
	"net/http/httptest"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
)

// Start serves both planes on a loopback httptest server closed at test end; the result's URL is its base URL.
func Start(t testing.TB, o fakeagentcore.Options) *fakeagentcore.Server {
	t.Helper()
	s := fakeagentcore.New(o)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}
