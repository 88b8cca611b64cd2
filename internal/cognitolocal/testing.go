package cognitolocal

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Required reports whether a missing cognito-local must fail the test instead of skipping it
// (AGENTCORE_REQUIRE_COGNITO=1, set by `make test` and CI).
func Required() bool { return os.Getenv("AGENTCORE_REQUIRE_COGNITO") == "1" }

// Shared returns the test binary's one cognito-local, starting it on first use. Use Main in TestMain so it is
// stopped when the package's tests end. Without node or cognito-local the test is skipped with the reason (or
// fails under AGENTCORE_REQUIRE_COGNITO=1). Tests share it: give pools unique names (t.Name()).
func Shared(t testing.TB) *Server {
	t.Helper()
	if why := Missing(Options{}); why != "" {
		msg := "cognito-local unavailable: " + why
		if Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		shared, sharedErr = Start(ctx, Options{})
	})
	if sharedErr != nil {
		t.Fatalf("starting cognito-local: %v", sharedErr)
	}
	return shared
}

// Main runs the package's tests and stops the shared cognito-local afterwards.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "cognitolocal: log tail:\n%s\n", shared.logTail())
		}
		shared.Stop()
	}
	os.Exit(code)
}

// StartForTest starts a private cognito-local (e.g. with EmailUsernames) stopped at test end.
func StartForTest(t testing.TB, o Options) *Server {
	t.Helper()
	if why := Missing(o); why != "" {
		msg := "cognito-local unavailable: " + why
		if Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("starting cognito-local: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}
