// Package startgc sets the garbage collector for the plugin's start and for its one-shot commands: it keeps the
// collector off while the binary's packages initialise, Restore turns it back on as main begins, and OneShot
// (oneshot.go) makes collections rarer for a command that answers and exits.
//
// The plugin links client-go, the AWS SDK and prometheus; their package initialisers allocate about 5 MB (API
// schemes, service schemas, default collectors) and, at the default GOGC, the collector ran twice during those few
// milliseconds, for about a quarter of the start-up time of a short command (`version`: 27 ms → 20 ms with GOGC
// off, `perf stat -r 20`). Nothing collected then would have been garbage for long: init allocates what lives
// for the process.
//
// Nor right after: before its first collection the runtime aims at 4 MB × GOGC/100, so at GOGC=100 the collector
// started as soon as main allocated, to mark the ~5 MB init made, all of it live (`version`: 61-63 ms → 57-58 ms
// without it). Restore starts at GOGC=200 (an 8 MB first goal) and puts the setting in force before back once the
// first collection has run.
//
// Go initialises packages in import-path order among those whose imports are done (the language spec,
// "Package initialization"), so this package, which imports only what runtime/debug imports, runs before the
// heavy ones whenever main imports it first; cmd/kubectl-agentcore TestNoCollectionWhilePackagesInitialise
// checks it. The setting in force before (GOGC from the environment, or 100) is what Restore puts back, so GOGC
// and GOMEMLIMIT still work as documented (a GOGC from the environment is used from the start).
package startgc

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

var before = debug.SetGCPercent(-1)

// startGOGC is the setting until the first collection: its goal (8 MB) is above what init allocates.
const startGOGC = 200

var (
	mu       sync.Mutex
	starting bool // startGOGC is in force, until the first collection
)

// Restore turns the collector back on. Call it first thing in main. The setting the process started with (GOGC
// from the environment, or 100) is in force from the first collection on; until then, without GOGC in the
// environment, it is startGOGC.
func Restore() {
	mu.Lock()
	defer mu.Unlock()
	if fromEnv("GOGC") || before < 0 || before >= startGOGC {
		debug.SetGCPercent(before)
		return
	}
	debug.SetGCPercent(startGOGC)
	starting = true
	// a finalizer runs once a collection has found its object unreachable (64 bytes: the tiny allocator, which
	// may keep a small object alive with its neighbours, serves only objects under 16 bytes)
	sentinel := new([64]byte)
	runtime.SetFinalizer(sentinel, func(*[64]byte) { settle() })
}

// fromEnv reports whether the user set the runtime setting k (GOGC, GOMEMLIMIT) in the environment: theirs wins.
func fromEnv(k string) bool {
	_, set := os.LookupEnv(k)
	return set
}

// settle ends the start: the setting the process started with, unless OneShot took over.
func settle() {
	mu.Lock()
	defer mu.Unlock()
	if starting {
		debug.SetGCPercent(before)
		starting = false
	}
}
