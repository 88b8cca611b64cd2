package startgc

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func gcSettings() (gogc uint64, limit uint64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

func clearEnv(t *testing.T, keys ...string) {
	for _, k := range keys {
		if v, ok := os.LookupEnv(k); ok {
			t.Cleanup(func() { _ = os.Setenv(k, v) })
			_ = os.Unsetenv(k)
		}
	}
}

func TestOneShotSetsAndRestores(t *testing.T) {
	clearEnv(t, "GOGC", "GOMEMLIMIT")
	prevGC, prevLimit := debug.SetGCPercent(150), debug.SetMemoryLimit(1<<40)
	defer func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) }()

	restore := OneShot()
	if gogc, limit := gcSettings(); gogc != OneShotGOGC || limit != OneShotMemoryLimit {
		t.Fatalf("during a one-shot command: GOGC %d, limit %d; want %d, %d", gogc, limit, OneShotGOGC, OneShotMemoryLimit)
	}
	restore()
	if gogc, limit := gcSettings(); gogc != 150 || limit != 1<<40 {
		t.Fatalf("after restore: GOGC %d, limit %d; want the settings before (150, %d)", gogc, limit, uint64(1<<40))
	}
}

func TestOneShotLeavesTheEnvironmentsSettings(t *testing.T) {
	prevGC, prevLimit := debug.SetGCPercent(150), debug.SetMemoryLimit(1<<40)
	defer func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) }()
	for _, tc := range []struct {
		env                 string
		wantGOGC, wantLimit uint64
	}{
		{"GOGC", 150, OneShotMemoryLimit},
		{"GOMEMLIMIT", OneShotGOGC, 1 << 40},
	} {
		t.Run(tc.env, func(t *testing.T) {
			clearEnv(t, "GOGC", "GOMEMLIMIT")
			t.Setenv(tc.env, "set by the user") // only whether it is set counts: the runtime read it at start
			restore := OneShot()
			gogc, limit := gcSettings()
			restore()
			if gogc != tc.wantGOGC || limit != tc.wantLimit {
				t.Fatalf("with %s set: GOGC %d, limit %d; want %d, %d", tc.env, gogc, limit, tc.wantGOGC, tc.wantLimit)
			}
		})
	}
}

// OneShot during the start (Restore's GOGC until the first collection) puts back the process's own setting, and
// the start's end (settle) no longer changes it.
func TestOneShotDuringTheStart(t *testing.T) {
	clearEnv(t, "GOGC", "GOMEMLIMIT")
	prevGC, prevLimit := debug.SetGCPercent(startGOGC), debug.SetMemoryLimit(1<<40)
	defer func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) }()
	mu.Lock()
	starting = true
	mu.Unlock()
	restore := OneShot()
	settle() // the first collection, while the command runs
	if gogc, _ := gcSettings(); gogc != OneShotGOGC {
		t.Fatalf("the start's end changed the one-shot setting: GOGC %d", gogc)
	}
	restore()
	if gogc, _ := gcSettings(); gogc != uint64(before) {
		t.Fatalf("after restore: GOGC %d, want the process's own %d (not the start's %d)", gogc, before, startGOGC)
	}
}
