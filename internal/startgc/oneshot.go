package startgc

import "runtime/debug"

// The collector's setting for a one-shot command (OneShot).
const (
	// OneShotGOGC lets the heap grow to five times what is live before a collection. doctor --all on 100 setups
	// allocates about 12 MB and keeps little of it: at GOGC=100 the collector took about a sixth of its CPU, and
	// the API server it shares the cores with waited (docs/rotation-service.md). GOGC off is slower
	// again where a page fault is dear: every allocation then touches fresh memory.
	OneShotGOGC = 400
	// OneShotMemoryLimit is the soft limit that brings collections back as the process nears it (a large cluster
	// read with -A), so the higher GOGC never grows the heap without bound.
	OneShotMemoryLimit = 512 << 20
)

// OneShot sets the collector for a command that reads a bounded amount, answers and exits (doctor without its
// screen, doctor --all, logs without its screen or --follow): collections less often (OneShotGOGC) under a soft
// memory limit (OneShotMemoryLimit). GOGC or GOMEMLIMIT in the environment win over it, each for its own setting.
// restore puts back the setting in force before (the process's own, not Restore's start-up one); long-lived
// commands (screens, rotate --watch, logs -f) keep the default.
func OneShot() (restore func()) {
	mu.Lock()
	defer mu.Unlock()
	gogc, limit := -2, int64(-1) // -2: left alone
	if !fromEnv("GOGC") {
		gogc = debug.SetGCPercent(OneShotGOGC)
		if starting { // Restore's start-up setting is not the one to go back to
			gogc, starting = before, false
		}
	}
	if !fromEnv("GOMEMLIMIT") {
		limit = debug.SetMemoryLimit(OneShotMemoryLimit)
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if gogc != -2 {
			debug.SetGCPercent(gogc)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}
