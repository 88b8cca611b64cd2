package doctor

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestEngineSkipsDependantsAndRunsIndependentOnesConcurrently(t *testing.T) {
	var running, peak atomic.Int32
	gate := make(chan struct{})
	slow := func(o Outcome) func(ctx context.Context) Outcome {
		return func(ctx context.Context) Outcome {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-gate
			running.Add(-1)
			return o
		}
	}
	checks := []Check{
		{ID: "a.one", Category: "a", Title: "one", Run: slow(pass("ok"))},
		{ID: "a.two", Category: "a", Title: "two", Run: slow(fail("broken", "h", "f"))},
		{ID: "a.three", Category: "a", Title: "three", Run: slow(warn("meh", "", ""))},
		{ID: "b.after-one", Category: "b", Title: "x", Deps: []string{"a.one", "a.three"}, Run: func(context.Context) Outcome { return pass("ran") }},
		{ID: "b.after-two", Category: "b", Title: "y", Deps: []string{"a.two"}, Run: func(context.Context) Outcome {
			t.Error("a dependant of a failed check ran")
			return pass("")
		}},
		{ID: "b.after-skip", Category: "b", Title: "z", Deps: []string{"b.after-two"}, Run: func(context.Context) Outcome {
			t.Error("a dependant of a skipped check ran")
			return pass("")
		}},
		{ID: "b.panics", Category: "b", Title: "p", Run: func(context.Context) Outcome { panic("boom") }},
	}
	if err := Validate(checks); err != nil {
		t.Fatal(err)
	}
	ch := Run(context.Background(), checks)
	// All three independent checks must be running at the same time before any finishes.
	deadline := time.After(10 * time.Second)
	var order []string
	// Poll without reading the channel (it is buffered for every event): a result taken here would be
	// missing from Collect's report.
	for running.Load() < 3 {
		select {
		case <-deadline:
			t.Fatalf("independent checks did not run concurrently (peak %d)", peak.Load())
		case <-time.After(5 * time.Millisecond):
		}
	}
	close(gate)
	rep := Collect(checks, ch, func(r Result) { order = append(order, string(r.Status)+":"+r.ID) })
	got := map[string]Result{}
	for _, r := range rep.Checks {
		got[r.ID] = r
	}
	if len(rep.Checks) != len(checks) {
		t.Fatalf("got %d results, want %d", len(rep.Checks), len(checks))
	}
	for i, c := range checks {
		if rep.Checks[i].ID != c.ID {
			t.Fatalf("report order %d = %s, want %s", i, rep.Checks[i].ID, c.ID)
		}
	}
	if got["b.after-one"].Status != Pass {
		t.Errorf("b.after-one = %+v, want pass (deps passed and warned)", got["b.after-one"])
	}
	if r := got["b.after-two"]; r.Status != Skip || r.Detail != "skipped: a.two failed" || !slices.Equal(r.BlockedBy, []string{"a.two"}) {
		t.Errorf("b.after-two = %+v", r)
	}
	if r := got["b.after-skip"]; r.Status != Skip || !strings.Contains(r.Detail, "b.after-two was skipped") || !slices.Contains(r.BlockedBy, "b.after-two") {
		t.Errorf("b.after-skip = %+v", r)
	}
	if r := got["b.panics"]; r.Status != Fail || !strings.Contains(r.Detail, "boom") {
		t.Errorf("a panicking check must fail, got %+v", r)
	}
	if rep.Summary != (Summary{Pass: 2, Warn: 1, Fail: 2, Skip: 2}) {
		t.Errorf("summary %+v", rep.Summary)
	}
	// Running results came before final ones for checks that ran.
	sawRunning := false
	for _, o := range order {
		if o == "running:a.one" {
			sawRunning = true
		}
	}
	if !sawRunning {
		t.Errorf("no running result streamed: %v", order)
	}
}

func TestValidateRejectsBadPlans(t *testing.T) {
	run := func(context.Context) Outcome { return pass("") }
	for name, cs := range map[string][]Check{
		"duplicate":    {{ID: "a.x", Category: "a", Run: run}, {ID: "a.x", Category: "a", Run: run}},
		"unknown dep":  {{ID: "a.x", Category: "a", Deps: []string{"a.y"}, Run: run}},
		"cycle":        {{ID: "a.x", Category: "a", Deps: []string{"a.y"}, Run: run}, {ID: "a.y", Category: "a", Deps: []string{"a.x"}, Run: run}},
		"wrong prefix": {{ID: "b.x", Category: "a", Run: run}},
	} {
		if err := Validate(cs); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

func TestRunStopsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	defer close(block)
	checks := []Check{
		{ID: "a.block", Category: "a", Run: func(ctx context.Context) Outcome { <-ctx.Done(); return fail(ctx.Err().Error(), "", "") }},
		{ID: "a.after", Category: "a", Deps: []string{"a.block"}, Run: func(context.Context) Outcome { return pass("") }},
	}
	ch := Run(ctx, checks)
	cancel()
	rep := Collect(checks, ch, nil)
	if rep.Checks[0].Status == Pass || rep.Checks[1].Status != Skip {
		t.Fatalf("after cancel: %+v", rep.Checks)
	}
}

func TestCriticalPath(t *testing.T) {
	checks := []Check{
		{ID: "a.x", Category: "a"}, {ID: "a.y", Category: "a", Deps: []string{"a.x"}},
		{ID: "a.z", Category: "a"},
	}
	rep := Report{Checks: []Result{{ID: "a.x", Duration: 100}, {ID: "a.y", Duration: 50}, {ID: "a.z", Duration: 120}}}
	d, chain := CriticalPath(checks, rep)
	if d != 150 || strings.Join(chain, ">") != "a.x>a.y" {
		t.Fatalf("critical path %v %v", d, chain)
	}
}
