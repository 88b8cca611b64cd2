package clustertest

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
)

// recorder is a testing.TB that records Fatal and Skip (each ends the calling goroutine, like the real ones).
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Fatal(args ...any)         { r.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Skip(args ...any)          { r.skip = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatalf(f string, a ...any) { r.Fatal(fmt.Sprintf(f, a...)) }

func call(f func(testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r
}

// Missing Agent Gateway CRDs skip a test, but fail it under AGENTCORE_REQUIRE_TESTBIN=1 (make test, CI).
func TestNeedAgentGatewayCRDs(t *testing.T) {
	t.Setenv("AGENTCORE_SHARED_CRDS", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("AGENTCORE_REQUIRE_TESTBIN", "1")
	if r := call(NeedAgentGatewayCRDs); r.fatal == "" || r.skip != "" {
		t.Errorf("required, CRDs missing: fatal %q skip %q; want a failure", r.fatal, r.skip)
	}
	t.Setenv("AGENTCORE_REQUIRE_TESTBIN", "")
	if r := call(NeedAgentGatewayCRDs); r.skip == "" || r.fatal != "" {
		t.Errorf("not required, CRDs missing: fatal %q skip %q; want a skip", r.fatal, r.skip)
	}
	t.Setenv("AGENTCORE_SHARED_CRDS", t.TempDir())
	t.Setenv("AGENTCORE_REQUIRE_TESTBIN", "1")
	if r := call(NeedAgentGatewayCRDs); r.skip != "" || r.fatal != "" {
		t.Errorf("CRDs there: fatal %q skip %q; want neither", r.fatal, r.skip)
	}
}
