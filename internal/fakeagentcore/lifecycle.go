package fakeagentcore

import (
	"encoding/json"
	"time"
)

// lifecycle is what the control plane keeps alike for a runtime and a gateway: the stored spec, and the status
// that is CREATING or UPDATING until the delay has passed, then READY (or CREATE_FAILED / UPDATE_FAILED when a
// failure was planned with FailNextUpdate).
type lifecycle struct {
	spec      map[string]json.RawMessage
	status    string
	readyAt   time.Time
	createdAt time.Time
	updatedAt time.Time
	updates   int
	failNext  string // reason for the next update to fail
	failWith  string // reason applied when readyAt passes
	failure   string
}

func newLifecycle(spec map[string]json.RawMessage, now time.Time) lifecycle {
	return lifecycle{spec: spec, createdAt: now, updatedAt: now}
}

// busy reports an operation in flight (a second one is a 409 ConflictException).
func (l *lifecycle) busy() bool { return l.status == "UPDATING" || l.status == "CREATING" }

// advance ends an operation whose delay has passed: READY, or the planned failure.
func (l *lifecycle) advance(now time.Time) {
	if !l.busy() || now.Before(l.readyAt) {
		return
	}
	if l.failWith != "" {
		if l.status == "CREATING" {
			l.status = "CREATE_FAILED"
		} else {
			l.status = "UPDATE_FAILED"
		}
		l.failure, l.failWith = l.failWith, ""
		return
	}
	l.status, l.failure = "READY", ""
}

// begin starts CreateX: CREATING for delay.
func (l *lifecycle) begin(now time.Time, delay time.Duration) {
	l.status, l.readyAt = "CREATING", now.Add(delay)
}

// replace starts UpdateX, which replaces the whole spec: whatever the request omits is reset. The request's
// own members (client token, identifier) are not stored.
func (l *lifecycle) replace(spec map[string]json.RawMessage, now time.Time, delay time.Duration, requestOnly ...string) {
	for _, k := range requestOnly {
		delete(spec, k)
	}
	l.spec = spec
	l.updates++
	l.status = "UPDATING"
	l.updatedAt = now.UTC()
	l.readyAt = now.Add(delay)
	l.failWith, l.failNext = l.failNext, ""
}
