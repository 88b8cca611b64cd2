// Package doctor checks the whole path Client → Agent Gateway → AgentCore for one setup and names each broken
// link with its fix. It is a check engine in the style of linkerd's healthcheck: every check has a stable id
// (`category.kebab-name`, listed in docs/checks.md), a category, a title and the ids it depends on. Independent
// checks run concurrently; a check whose prerequisite failed or was skipped is skipped with the reason; results
// stream to the renderer as they finish.
package doctor

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/status"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// Status of a check: the shared vocabulary (internal/status). The values are the JSON values.
type Status = status.Status

const (
	Pass    = status.Pass
	Warn    = status.Warn
	Fail    = status.Fail
	Skip    = status.Skip
	Running = status.Running
	Pending = status.Pending
)

// Categories in display order.
const (
	CatCluster    = "cluster"
	CatResources  = "resources"
	CatSecret     = "secret"
	CatToken      = tokencheck.CategoryToken // the same category as token inspect's findings
	CatAuthorizer = tokencheck.CategoryAuthorizer
	CatCaller     = "caller"
	CatExchange   = "exchange"
	CatRuntime    = "runtime"
	CatProbe      = "probe"
)

// Categories lists the categories in the order they are shown.
var Categories = []string{CatCluster, CatResources, CatSecret, CatToken, CatAuthorizer, CatCaller, CatExchange, CatRuntime, CatProbe}

// Outcome is what a check's Run returns: status, one line of detail, a hint and, where one exists, the exact
// fix command.
type Outcome struct {
	Status Status
	Detail string
	Hint   string
	Fix    string
}

func pass(format string, a ...any) Outcome {
	return Outcome{Status: Pass, Detail: fmt.Sprintf(format, a...)}
}
func warn(detail, hint, fix string) Outcome {
	return Outcome{Status: Warn, Detail: detail, Hint: hint, Fix: fix}
}
func fail(detail, hint, fix string) Outcome {
	return Outcome{Status: Fail, Detail: detail, Hint: hint, Fix: fix}
}
func skip(detail string) Outcome { return Outcome{Status: Skip, Detail: detail} }

// Check is one named test.
type Check struct {
	ID       string
	Category string
	Title    string
	// Deps are the ids of the checks that must pass (or warn) before this one runs.
	Deps []string
	Run  func(ctx context.Context) Outcome
}

// Result is a finished (or running) check as every renderer shows it.
type Result struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Status   Status `json:"status"`
	Title    string `json:"title"`
	Detail   string `json:"detail"`
	Hint     string `json:"hint"`
	Fix      string `json:"fix"`
	// BlockedBy names the prerequisites that failed or were skipped when this check was skipped for them.
	BlockedBy []string      `json:"blockedBy,omitempty"`
	Duration  time.Duration `json:"-"`
	// Started and Ended are offsets from the start of the run (for the benchmark's critical path).
	Started time.Duration `json:"-"`
	Ended   time.Duration `json:"-"`
}

// Summary counts results by status.
type Summary struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Report is the whole run, checks in their declared order.
type Report struct {
	Checks  []Result `json:"checks"`
	Summary Summary  `json:"summary"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool { return r.Summary.Fail > 0 }

// Summarize counts the statuses of results.
func Summarize(rs []Result) Summary {
	var s Summary
	for _, r := range rs {
		switch r.Status {
		case Pass:
			s.Pass++
		case Warn:
			s.Warn++
		case Fail:
			s.Fail++
		case Skip:
			s.Skip++
		}
	}
	return s
}

// Pending returns the results every check starts with, in declared order (the TUI's first frame).
func PendingResults(checks []Check) []Result {
	out := make([]Result, len(checks))
	for i, c := range checks {
		out[i] = Result{ID: c.ID, Category: c.Category, Title: c.Title, Status: Pending}
	}
	return out
}

// Validate reports duplicate ids, unknown dependencies and cycles.
func Validate(checks []Check) error {
	idx := map[string]int{}
	for i, c := range checks {
		if _, dup := idx[c.ID]; dup {
			return fmt.Errorf("duplicate check id %s", c.ID)
		}
		if !strings.HasPrefix(c.ID, c.Category+".") {
			return fmt.Errorf("check id %s is not in its category %s", c.ID, c.Category)
		}
		idx[c.ID] = i
	}
	state := make([]int, len(checks)) // 0 new, 1 visiting, 2 done
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return fmt.Errorf("dependency cycle through %s", checks[i].ID)
		case 2:
			return nil
		}
		state[i] = 1
		for _, d := range checks[i].Deps {
			j, ok := idx[d]
			if !ok {
				return fmt.Errorf("check %s depends on unknown check %s", checks[i].ID, d)
			}
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = 2
		return nil
	}
	for i := range checks {
		if err := visit(i); err != nil {
			return err
		}
	}
	return nil
}

// Run starts every check and returns a channel of results: one Running result when a check starts and one
// final result when it ends (skips have no Running result). The channel is closed when all checks are done.
// Each check runs as soon as its dependencies are done, concurrently with every other ready check.
// The checks must pass Validate.
func Run(ctx context.Context, checks []Check) <-chan Result {
	out := make(chan Result, 2*len(checks)+1)
	done := make(map[string]chan struct{}, len(checks))
	results := make(map[string]*Result, len(checks))
	for _, c := range checks {
		done[c.ID] = make(chan struct{})
		results[c.ID] = &Result{ID: c.ID, Category: c.Category, Title: c.Title}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := results[c.ID]
			defer close(done[c.ID])
			settle(ctx, &c, r, results, func(d string) {
				select {
				case <-done[d]:
				case <-ctx.Done():
				}
			}, start, out)
			out <- *r
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// runInOrder runs one of doctor --all's setups: its checks one after another in dependency order, in the
// caller's goroutine, with the results Run would give (a check still waits for what it reads, fetched once for
// every setup; see fleetShare), straight into the report in declared order. A hundred setups times forty checks
// were as many goroutines, each growing its stack and waiting on channels: a quarter of doctor --all's CPU, while
// the setups themselves already run concurrently. onResult (may be nil) sees each final result as it is decided.
func runInOrder(ctx context.Context, checks []Check, onResult func(Result)) Report {
	rs := make([]Result, len(checks))
	results := make(map[string]*Result, len(checks)) // the decided ones
	idx := make(map[string]int, len(checks))
	for i := range checks {
		idx[checks[i].ID] = i
	}
	start := time.Now()
	var run func(i int)
	run = func(i int) {
		c, r := &checks[i], &rs[i]
		if _, done := results[c.ID]; done {
			return
		}
		*r = Result{ID: c.ID, Category: c.Category, Title: c.Title}
		settle(ctx, c, r, results, func(d string) { run(idx[d]) }, start, nil)
		results[c.ID] = r
		if onResult != nil {
			onResult(*r)
		}
	}
	for i := range checks {
		run(i)
	}
	return Report{Checks: rs, Summary: Summarize(rs)}
}

// settle decides check c's result r, the rule Run and runInOrder share: it waits for each prerequisite (wait
// returns once that check's result is in results, or the run ended), notes those that did not pass, then skips c
// (the run ended, or a prerequisite did not pass: BlockedBy names them) or runs it, sending a Running result to
// out first (when out is not nil).
func settle(ctx context.Context, c *Check, r *Result, results map[string]*Result, wait func(id string), start time.Time, out chan<- Result) {
	var blocked []string
	for _, d := range c.Deps {
		wait(d)
		if ctx.Err() != nil {
			break
		}
		if dr := results[d]; !dr.Status.OK() {
			blocked = append(blocked, d+" "+pastTense(dr.Status))
			r.BlockedBy = append(r.BlockedBy, d)
		}
	}
	r.Started = time.Since(start)
	switch {
	case ctx.Err() != nil:
		r.Status, r.Detail = Skip, "skipped: doctor was interrupted or timed out"
	case len(blocked) > 0:
		r.Status, r.Detail = Skip, "skipped: "+strings.Join(blocked, ", ")
	default:
		if out != nil {
			out <- Result{ID: c.ID, Category: c.Category, Title: c.Title, Status: Running, Started: r.Started}
		}
		o := safeRun(ctx, *c)
		r.Status, r.Detail, r.Hint, r.Fix = o.Status, o.Detail, o.Hint, o.Fix
		if r.Status == "" {
			r.Status = Pass
		}
	}
	r.Ended = time.Since(start)
	r.Duration = r.Ended - r.Started
}

func pastTense(s Status) string {
	switch s {
	case Fail:
		return "failed"
	case Skip:
		return "was skipped"
	}
	return string(s)
}

// safeRun runs a check, turning a panic into a failed result instead of crashing the whole doctor.
func safeRun(ctx context.Context, c Check) (o Outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = fail(fmt.Sprintf("internal error in %s: %v", c.ID, p), "this is a bug in kubectl-agentcore; please report it with --debug output",
				"")
			if debugPanics {
				o.Hint += "\n" + string(debug.Stack())
			}
		}
	}()
	return c.Run(ctx)
}

var debugPanics = false

// Collect drains a Run channel into a Report in the declared order of checks. onResult, when not nil, sees
// every result (running and final) as it arrives.
func Collect(checks []Check, ch <-chan Result, onResult func(Result)) Report {
	final := map[string]Result{}
	for r := range ch {
		if onResult != nil {
			onResult(r)
		}
		if r.Status != Running {
			final[r.ID] = r
		}
	}
	rep := Report{Checks: make([]Result, 0, len(checks))}
	for _, c := range checks {
		if r, ok := final[c.ID]; ok {
			rep.Checks = append(rep.Checks, r)
		}
	}
	rep.Summary = Summarize(rep.Checks)
	return rep
}

// CriticalPath is the longest chain of dependent checks, by the checks' own measured durations: the time a
// perfectly concurrent engine would need. It returns the chain's total and its ids.
func CriticalPath(checks []Check, rep Report) (time.Duration, []string) {
	dur := map[string]time.Duration{}
	for _, r := range rep.Checks {
		dur[r.ID] = r.Duration
	}
	byID := map[string]Check{}
	for _, c := range checks {
		byID[c.ID] = c
	}
	memo := map[string]time.Duration{}
	next := map[string]string{}
	var longest func(id string) time.Duration
	longest = func(id string) time.Duration {
		if v, ok := memo[id]; ok {
			return v
		}
		best, bestDep := time.Duration(0), ""
		for _, d := range byID[id].Deps {
			if v := longest(d); v > best || bestDep == "" {
				best, bestDep = v, d
			}
		}
		memo[id] = best + dur[id]
		next[id] = bestDep
		return memo[id]
	}
	var top time.Duration
	var topID string
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if v := longest(id); v > top {
			top, topID = v, id
		}
	}
	var chain []string
	for id := topID; id != ""; id = next[id] {
		chain = append([]string{id}, chain...)
	}
	return top, chain
}
