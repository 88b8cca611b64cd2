// Package cognitotest is the test side of internal/cognitolocal: one shared cognito-local per test binary, or a
// private one per test. Its helpers take testing.TB or end the process (Main), so they live here, apart from the
// code the sandbox binary links; only tests import it.
package cognitotest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
)

var (
	sharedOnce sync.Once
	shared     *cognitolocal.Server
	sharedErr  error
)

// unavailable skips the test with the reason, or fails it under AGENTCORE_REQUIRE_COGNITO=1 (make test, CI).
func unavailable(t testing.TB, why string) {
	t.Helper()
	msg := "cognito-local unavailable: " + why
	if cognitolocal.Required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Shared returns the test binary's one cognito-local, starting it on first use. Use Main in TestMain so it is
// stopped when the package's tests end. Without node or cognito-local the test is skipped with the reason (or
// fails under AGENTCORE_REQUIRE_COGNITO=1). Tests share it: give pools unique names (t.Name()).
func Shared(t testing.TB) *cognitolocal.Server {
	t.Helper()
	if why := cognitolocal.Missing(cognitolocal.Options{}); why != "" {
		unavailable(t, why)
	}
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		shared, sharedErr = cognitolocal.Start(ctx, cognitolocal.Options{})
	})
	if sharedErr != nil {
		t.Fatalf("starting cognito-local: %v", sharedErr)
	}
	return shared
}

// Main runs the package's tests, stops the shared cognito-local afterwards and exits with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "cognitolocal: log tail:\n%s\n", shared.LogTail())
		}
		shared.Stop()
	}
	os.Exit(code)
}

// StartForTest starts a private cognito-local (e.g. with EmailUsernames) stopped at test end.
func StartForTest(t testing.TB, o cognitolocal.Options) *cognitolocal.Server {
	t.Helper()
	if why := cognitolocal.Missing(o); why != "" {
		unavailable(t, why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := cognitolocal.Start(ctx, o)
	if err != nil {
		t.Fatalf("starting cognito-local: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}
