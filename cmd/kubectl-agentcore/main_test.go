package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/startgc"
)

// The binary's package initialisers run with the collector off (internal/startgc) and main turns it back on.
// This test binary links the same packages and never runs main, so what it reads at its start is what init left.
func TestNoCollectionWhilePackagesInitialise(t *testing.T) {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	cycles, allocated := s[0].Value.Uint64(), s[1].Value.Uint64()
	// the first collection is due at 4 MB of heap: init must allocate more than that for this test to mean anything
	if allocated < 4<<20 {
		t.Fatalf("init allocated only %d bytes: a collection would not have run anyway", allocated)
	}
	if cycles != 0 {
		t.Fatalf("%d collections ran while %d bytes were allocated before main: internal/startgc must initialise before the heavy packages", cycles, allocated)
	}
	startgc.Restore()
	want := 100
	if v, err := strconv.Atoi(os.Getenv("GOGC")); err == nil {
		want = v
	}
	if got := debug.SetGCPercent(want); got != want {
		t.Fatalf("after Restore GOGC is %d, want %d (the environment's, else 100)", got, want)
	}
}
