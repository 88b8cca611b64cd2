package fakeagentcore

import (
	"encoding/json"
	"fmt"
	"net/http"
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

// life is the lifecycle itself, for code shared by runtimes and gateways.
func (l *lifecycle) life() *lifecycle { return l }

// specCopy is a deep copy of the stored spec, for tests.
func (l *lifecycle) specCopy() map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(l.spec))
	for k, v := range l.spec {
		out[k] = append(json.RawMessage(nil), v...)
	}
	return out
}

// lookup is f of the resource with this id in m, under s.mu; the zero value when there is none.
func lookup[R, T any](s *Server, m map[string]R, id string, f func(R) T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := m[id]; ok {
		return f(x)
	}
	var zero T
	return zero
}

// inOrder is f of every resource in m, in creation order (*order), under s.mu.
func inOrder[R, T any](s *Server, m map[string]R, order *[]string, f func(R) T) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]T, 0, len(*order))
	for _, id := range *order {
		out = append(out, f(m[id]))
	}
	return out
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

// kind is one resource type's part in the Create/Update flow that runtimes and gateways share (create, update).
// Its functions run with s.mu held.
type kind[R any] struct {
	validate    func(spec map[string]json.RawMessage, create bool) *apiError
	nameKey     string   // the spec member that names the resource
	requestOnly []string // the Update request's own members, not stored
	conflictf   string   // the 409 when the name is taken (%s: the name)
	busyf       string   // the 409 when an operation is in flight (%s: the id, the status)
	all         map[string]R
	order       *[]string                                              // the ids of all in creation order
	add         func(spec map[string]json.RawMessage) R                // stores a new resource
	find        func(ident string) (R, *apiError)                      // the resource, or the 404
	state       func(R) (id, name string, l *lifecycle)                // what the flow reads and changes
	onUpdate    func(R, map[string]json.RawMessage) *apiError          // Update's own refusal or bookkeeping before the spec is replaced
	answer      func(r *http.Request, x R, create bool) map[string]any // the 202 body
}

// create serves CreateX: validate, refuse a taken name, store it CREATING, answer 202.
func create[R any](s *Server, w http.ResponseWriter, r *http.Request, k kind[R]) {
	spec, ok := s.readBody(w, r)
	if !ok {
		return
	}
	if e := k.validate(spec, true); e != nil {
		writeAWSError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var name string
	_ = json.Unmarshal(spec[k.nameKey], &name)
	for _, id := range *k.order {
		if _, taken, _ := k.state(k.all[id]); taken == name {
			writeAWSError(w, &apiError{409, "ConflictException", fmt.Sprintf(k.conflictf, name), nil})
			return
		}
	}
	x := k.add(spec)
	_, _, l := k.state(x)
	l.begin(s.o.Now(), s.o.UpdateDelay)
	writeJSON(w, 202, k.answer(r, x, true))
}

// update serves UpdateX: find it, validate, refuse while an operation is in flight, replace the spec, answer 202.
func update[R any](s *Server, w http.ResponseWriter, r *http.Request, ident string, k kind[R]) {
	spec, ok := s.readBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, e := k.find(ident)
	if e == nil {
		e = k.validate(spec, false)
	}
	if e != nil {
		writeAWSError(w, e)
		return
	}
	id, _, l := k.state(x)
	l.advance(s.o.Now())
	if l.busy() {
		writeAWSError(w, &apiError{409, "ConflictException", fmt.Sprintf(k.busyf, id, l.status) + "; wait until the current operation finishes", nil})
		return
	}
	if k.onUpdate != nil {
		if e := k.onUpdate(x, spec); e != nil {
			writeAWSError(w, e)
			return
		}
	}
	l.replace(spec, s.o.Now(), s.o.UpdateDelay, k.requestOnly...)
	writeJSON(w, 202, k.answer(r, x, false))
}
