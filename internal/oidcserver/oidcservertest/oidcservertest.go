// Package oidcservertest is the test side of internal/oidcserver: it starts oidc-provider for one test. Its helper
// takes testing.TB, so it lives here, apart from code any binary links; only tests import it.
package oidcservertest

import (
	"context"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
)

// Start runs the server for this test (stopped at its end). Without node or oidc-provider the test is skipped
// with the reason, or fails under AGENTCORE_REQUIRE_OIDC=1.
func Start(t testing.TB, o oidcserver.Options) *oidcserver.Server {
	t.Helper()
	if why := oidcserver.Missing(); why != "" {
		if oidcserver.Required() {
			t.Fatal("oidc-provider unavailable: " + why)
		}
		t.Skip("oidc-provider unavailable: " + why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := oidcserver.Run(ctx, o)
	if err != nil {
		t.Fatalf("starting oidc-provider: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}
