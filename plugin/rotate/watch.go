package rotate

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Watch policy.
const (
	// MinThreshold is the least remaining lifetime at which Watch rotates.
	MinThreshold = 5 * time.Minute
	// ThresholdFraction of the token's lifetime: Watch rotates when less than this is left (20%).
	ThresholdFraction = 0.2
	// MaxIdle caps how long Watch sleeps before re-reading the Secret, so a token replaced by someone else
	// (or by hand) is noticed in time.
	MaxIdle = 10 * time.Minute
	// BackoffBase and BackoffMax bound the retry delay after a failed rotation.
	BackoffBase = 5 * time.Second
	BackoffMax  = 5 * time.Minute
	// assumedLifetime is used when the stored token says nothing about its lifetime (no iat).
	assumedLifetime = time.Hour
	// dueSlack: a token this close to its threshold is rotated now rather than after a short sleep (at most a
	// tenth of the threshold, so a freshly minted short-lived token is not re-minted at once).
	dueSlack = 30 * time.Second
)

// AgentCoreRefusalMargin is how long before its exp AgentCore already refuses a token: docs/facts.md#agentcore-data-plane
// ("tokens that expire within about one minute are already refused"). A token's usable window is therefore
// its lifetime minus this margin.
const AgentCoreRefusalMargin = 60 * time.Second

// Threshold is the remaining lifetime under which Watch rotates: max(5 min, 20% of the lifetime), capped so
// that rotation happens at the latest halfway through the token's usable window (lifetime minus
// AgentCoreRefusalMargin). The cap is (lifetime + margin)/2: at that point margin + half the usable window is
// left, so a failed rotation still has half the usable window to be retried in before AgentCore refuses the
// stored token. For 1-hour tokens the cap (30.5 min) does not bite (12 min); for 5-minute tokens it is 3 min
// (2 min still usable); for a 2-minute test token 90 s (30 s usable). Capping at lifetime/2 instead would put
// a 2-minute token's threshold at 60 s — exactly when AgentCore starts refusing it.
func Threshold(lifetime time.Duration) time.Duration {
	if lifetime <= 0 {
		lifetime = assumedLifetime
	}
	th := time.Duration(float64(lifetime) * ThresholdFraction)
	if th < MinThreshold {
		th = MinThreshold
	}
	if limit := (lifetime + AgentCoreRefusalMargin) / 2; th > limit {
		th = limit
	}
	return th
}

// Backoff is the delay before retry n (1-based): exponential from BackoffBase up to BackoffMax, with jitter
// between 50% and 100% so many rotators do not retry in step.
func Backoff(n int, rnd func() float64) time.Duration {
	d := BackoffBase
	for i := 1; i < n && d < BackoffMax; i++ {
		d *= 2
	}
	if d > BackoffMax {
		d = BackoffMax
	}
	return time.Duration(float64(d) * (0.5 + 0.5*rnd()))
}

// EventKind names what happened in the watch loop.
type EventKind string

const (
	EventStarted EventKind = "started"
	EventRotated EventKind = "rotated"
	EventFresh   EventKind = "fresh" // checked; enough left, nothing done
	EventKept    EventKind = "kept"  // another writer stored a newer token
	// EventFailed is loud by design: rotation is only attempted when it is due, so a failure means the stored
	// token is about to expire (or has). It is retried after Backoff.
	EventFailed   EventKind = "failed"
	EventStopping EventKind = "stopped"
)

// Event is one line of the watch log / one row of the TUI history.
type Event struct {
	Time time.Time `json:"time"`
	Kind EventKind `json:"kind"`
	// Expiry of the token the Secret holds after this event (zero when unknown).
	Expiry time.Time `json:"expiry,omitzero"`
	// Next is when the loop looks again.
	Next     time.Time `json:"next,omitzero"`
	Result   *Result   `json:"result,omitempty"`
	Err      error     `json:"-"`
	Failures int       `json:"failures,omitempty"`
	// Threshold is the remaining lifetime at which the loop rotates; Lifetime is the stored token's (exp - iat).
	Threshold time.Duration `json:"threshold,omitempty"`
	Lifetime  time.Duration `json:"lifetime,omitempty"`
}

// WatchOptions tune Watch; zero values are the defaults.
type WatchOptions struct {
	// Rand returns [0,1); default math/rand/v2.
	Rand func() float64
	// OnEvent receives every event, in order, from the loop's goroutine.
	OnEvent func(Event)
	// Trigger, when it delivers, makes the loop rotate now (the TUI's "r").
	Trigger <-chan struct{}
}

// Watch rotates before each expiry until ctx is done, then returns nil. Failures never end the loop: they are
// retried with jittered exponential backoff and reported as EventFailed with the stored token's expiry.
func (e *Engine) Watch(ctx context.Context, o WatchOptions) error {
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	emit := func(ev Event) {
		if o.OnEvent != nil {
			o.OnEvent(ev)
		}
	}
	emit(Event{Time: e.Clock.Now(), Kind: EventStarted})
	failures := 0
	force := false
	var lastExp time.Time
	for {
		if ctx.Err() != nil {
			emit(Event{Time: e.Clock.Now(), Kind: EventStopping, Expiry: lastExp})
			return nil
		}
		cur, rerr := e.Store.Read(ctx)
		now := e.Clock.Now()
		var wait time.Duration
		var ev Event
		if rerr == nil {
			lastExp = cur.Claims.Exp
		}
		th := Threshold(cur.Claims.Lifetime())
		// Within dueSlack of the threshold counts as due: no point sleeping a few seconds and reading again.
		slack := cur.Claims.Exp.Sub(now) - th
		due := rerr == nil && (force || cur.Claims.Exp.IsZero() || slack < min(dueSlack, th/10))
		force = false
		switch {
		case rerr != nil:
			failures++
			ev = Event{Kind: EventFailed, Err: &Error{Stage: StageRead, Err: rerr}, Failures: failures}
			wait = Backoff(failures, rnd)
		case !due:
			failures = 0
			ev = Event{Kind: EventFresh, Expiry: cur.Claims.Exp, Threshold: th, Lifetime: cur.Claims.Lifetime()}
			// Wake when the threshold is crossed, a little early by a random amount so rotators spread out.
			wait = slack - time.Duration(rnd()*float64(min(th/10, slack/2)))
			if wait > MaxIdle {
				wait = MaxIdle
			}
		default:
			res, err := e.Once(ctx, Options{Force: true})
			now = e.Clock.Now()
			if err != nil {
				if ctx.Err() != nil {
					continue
				}
				failures++
				ev = Event{Kind: EventFailed, Err: err, Failures: failures, Expiry: cur.Claims.Exp, Threshold: th}
				wait = Backoff(failures, rnd)
				break
			}
			failures = 0
			ev = Event{Kind: EventRotated, Result: res, Threshold: th}
			if res.Action == ActionKept {
				ev.Kind = EventKept
			}
			if res.NewExpiry != nil {
				ev.Expiry = *res.NewExpiry
				lastExp = ev.Expiry
			}
			life := ev.Expiry.Sub(now)
			if res.IssuedAt != nil && res.NewExpiry != nil {
				life = res.NewExpiry.Sub(*res.IssuedAt)
			}
			nth := Threshold(life)
			ev.Threshold, ev.Lifetime = nth, life
			nslack := ev.Expiry.Sub(now) - nth
			wait = nslack - time.Duration(rnd()*float64(max(min(nth/10, nslack/2), 0)))
			if wait > MaxIdle {
				wait = MaxIdle
			}
		}
		if wait < time.Second {
			wait = time.Second
		}
		ev.Time = now
		ev.Next = now.Add(wait)
		emit(ev)
		if err := e.sleep(ctx, wait, o.Trigger); err != nil {
			if errors.Is(err, errTriggered) {
				force = true
				continue
			}
		}
	}
}

var errTriggered = errors.New("triggered")

func (e *Engine) sleep(ctx context.Context, d time.Duration, trigger <-chan struct{}) error {
	if trigger == nil {
		return e.Clock.Sleep(ctx, d)
	}
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	go func() {
		select {
		case <-trigger:
			cancel(errTriggered)
		case <-done:
		}
	}()
	err := e.Clock.Sleep(sctx, d)
	close(done)
	if context.Cause(sctx) == errTriggered && ctx.Err() == nil {
		return errTriggered
	}
	return err
}
