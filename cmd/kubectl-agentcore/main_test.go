package main

import (
	"os"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/startgc"
)

func readMetric(name string) metrics.Value {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value
}

// What init left, read as this package initialises (after every package it imports, as main would start). This
// test binary links the same packages as the plugin and never runs main.
var (
	cyclesAtStart    = readMetric("/gc/cycles/total:gc-cycles").Uint64()
	allocatedAtStart = readMetric("/gc/heap/allocs:bytes").Uint64()
)

// The binary's package initialisers run with the collector off (internal/startgc) and main turns it back on.
func TestNoCollectionWhilePackagesInitialise(t *testing.T) {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "100" {
		// a lower GOGC can start a collection in the packages that initialise before startgc (the AWS SDK's sort first)
		t.Skip("GOGC is set: startgc keeps init free of collections at the default GOGC")
	}
	// at GOGC=100 the first collection aims at 4 MB and starts at about 3 MB (GODEBUG=gctrace=1 without startgc:
	// "gc 1 … 3->4->2 MB, 4 MB goal"): init must allocate more than that for this test to mean anything
	if allocatedAtStart < 3<<20 {
		t.Fatalf("init allocated only %d bytes: a collection would not have run anyway", allocatedAtStart)
	}
	if cyclesAtStart != 0 {
		t.Fatalf("%d collections ran while %d bytes were allocated before main: internal/startgc must initialise before the heavy packages", cyclesAtStart, allocatedAtStart)
	}
	c0 := readMetric("/gc/cycles/total:gc-cycles").Uint64()
	startgc.Restore()
	// until the first collection, a goal above what init allocated (8 MB: GOGC=200), so that main does not start
	// by marking it
	if got := readMetric("/gc/gogc:percent").Uint64(); got != 200 {
		t.Fatalf("after Restore GOGC is %d, want 200 until the first collection", got)
	}
	if c := readMetric("/gc/cycles/total:gc-cycles").Uint64() - c0; c != 0 {
		t.Fatalf("%d collections ran right after Restore", c)
	}
	// then the default (the finalizer that puts it back runs after a collection, in its own goroutine)
	const want = 100
	deadline := time.Now().Add(30 * time.Second)
	for readMetric("/gc/gogc:percent").Uint64() != want {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is still %d after collections, want %d", readMetric("/gc/gogc:percent").Uint64(), want)
		}
		runtime.GC()
		runtime.Gosched()
	}
}
