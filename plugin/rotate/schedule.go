package rotate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/humantime"
)

// Fleet schedule policy (docs/rotation-service.md).
const (
	// DefaultRenewFraction: a token is renewed when a third of its lifetime is left (cert-manager's default of
	// renewing at two thirds elapsed).
	DefaultRenewFraction = 1.0 / 3
	// RenewHeadroom is how much more than AgentCoreRefusalMargin a token must have left when its renewal is due,
	// so a failed attempt can be retried (with backoff) before AgentCore refuses the stored token.
	RenewHeadroom = 30 * time.Second
	// JitterFraction: each renewal is moved earlier by a random part (up to this fraction) of its renew-before
	// window, so setups minted together do not renew together. Never later.
	JitterFraction = 0.1
	// maxRenewFraction keeps the renewal after at least a tenth of the lifetime, so a policy larger than the
	// lifetime does not renew a token the moment it is minted.
	maxRenewFraction = 0.9
)

// RenewBefore is when a token is renewed: a fixed time before its expiry, or a fraction of its lifetime
// (exp - iat). The zero value is DefaultRenewFraction.
type RenewBefore struct {
	Duration time.Duration
	Fraction float64
}

// ParseRenewBefore reads --renew-before: a duration ("20m") or a percentage of the lifetime ("33%").
func ParseRenewBefore(s string) (RenewBefore, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v >= 100 {
			return RenewBefore{}, fmt.Errorf("--renew-before %q: a percentage must be between 0 and 100 (exclusive), e.g. 33%%", s)
		}
		return RenewBefore{Fraction: v / 100}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return RenewBefore{}, fmt.Errorf("--renew-before %q: use a positive duration (20m) or a percentage of the token's lifetime (33%%)", s)
	}
	return RenewBefore{Duration: d}, nil
}

// String is the flag form.
func (r RenewBefore) String() string {
	switch {
	case r.Duration > 0:
		return r.Duration.String()
	case r.Fraction > 0:
		return strconv.FormatFloat(r.Fraction*100, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(DefaultRenewFraction*100, 'f', 0, 64) + "%"
}

// For is the remaining lifetime under which a token of the given lifetime is renewed: the policy, raised to at
// least AgentCoreRefusalMargin + RenewHeadroom (never renew later than AgentCore allows), and at most 90% of
// the lifetime. An unknown lifetime (no iat) counts as one hour.
func (r RenewBefore) For(lifetime time.Duration) time.Duration {
	if lifetime <= 0 {
		lifetime = assumedLifetime
	}
	var rb time.Duration
	switch {
	case r.Duration > 0:
		rb = r.Duration
	case r.Fraction > 0:
		rb = time.Duration(float64(lifetime) * r.Fraction)
	default:
		rb = time.Duration(float64(lifetime) * DefaultRenewFraction)
	}
	rb = max(rb, AgentCoreRefusalMargin+RenewHeadroom)
	return min(rb, time.Duration(float64(lifetime)*maxRenewFraction))
}

// DueWithin is the remaining lifetime under which a token counts as due when its scheduled time comes: For plus
// the largest jitter (a renewal scheduled early by jitter is due, not "fresh").
func (r RenewBefore) DueWithin(lifetime time.Duration) time.Duration {
	rb := r.For(lifetime)
	return rb + time.Duration(float64(rb)*JitterFraction) + time.Second
}

// NextRenewal is when a token expiring at exp with the given lifetime is renewed: exp - For(lifetime), moved
// earlier by jitter in [0, JitterFraction*For) drawn from rnd ([0,1)).
func (r RenewBefore) NextRenewal(exp time.Time, lifetime time.Duration, rnd func() float64) time.Time {
	rb := r.For(lifetime)
	return exp.Add(-rb - time.Duration(rnd()*JitterFraction*float64(rb)))
}

// RetryDelay is the wait before retry n (1-based) of a failed renewal: Backoff, but never past half of what is
// left before AgentCore refuses the stored token (so retries speed up as expiry nears), and at least a second.
func RetryDelay(n int, exp, now time.Time, rnd func() float64) time.Duration {
	d := Backoff(n, rnd)
	if !exp.IsZero() {
		if usable := exp.Sub(now) - AgentCoreRefusalMargin; usable > 0 {
			d = min(d, usable/2)
		}
	}
	return max(d, time.Second)
}

// describe is the policy in words, for logs.
func (r RenewBefore) describe() string {
	if r.Duration > 0 {
		return humantime.Short(r.Duration) + " before expiry"
	}
	return r.String() + " of the lifetime left"
}
