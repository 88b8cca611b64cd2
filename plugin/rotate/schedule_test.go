package rotate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
)

func TestParseRenewBefore(t *testing.T) {
	for in, want := range map[string]rotate.RenewBefore{
		"20m": {Duration: 20 * time.Minute}, "33%": {Fraction: 0.33}, " 50 % ": {Fraction: 0.5}, "1h30m": {Duration: 90 * time.Minute},
	} {
		got, err := rotate.ParseRenewBefore(in)
		if err != nil || got != want {
			t.Errorf("ParseRenewBefore(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5m", "0%", "100%", "150%", "abc", "x%", "NaN%"} {
		if _, err := rotate.ParseRenewBefore(in); err == nil || !strings.Contains(err.Error(), "--renew-before") {
			t.Errorf("ParseRenewBefore(%q) accepted (err %v)", in, err)
		}
	}
}

func TestRenewBeforeFor(t *testing.T) {
	def := rotate.RenewBefore{}
	cases := []struct {
		rb       rotate.RenewBefore
		lifetime time.Duration
		want     time.Duration
	}{
		{def, time.Hour, 20 * time.Minute},                               // a third of an hour
		{def, 0, 20 * time.Minute},                                       // unknown lifetime counts as an hour
		{def, 3 * time.Minute, 90 * time.Second},                         // raised to margin + headroom
		{def, 95 * time.Second, 85500 * time.Millisecond},                // at most 90% of the lifetime
		{rotate.RenewBefore{Fraction: 0.5}, time.Hour, 30 * time.Minute}, // percentage
		{rotate.RenewBefore{Duration: 10 * time.Minute}, time.Hour, 10 * time.Minute},
		{rotate.RenewBefore{Duration: 10 * time.Second}, time.Hour, 90 * time.Second}, // never later than AgentCore allows
		{rotate.RenewBefore{Duration: 2 * time.Hour}, time.Hour, 54 * time.Minute},
	}
	for _, c := range cases {
		if got := c.rb.For(c.lifetime); got != c.want {
			t.Errorf("%s For(%s) = %s, want %s", c.rb, c.lifetime, got, c.want)
		}
	}
	if got := def.For(3*time.Minute) - rotate.AgentCoreRefusalMargin; got < rotate.RenewHeadroom {
		t.Errorf("a short token is renewed with only %s before AgentCore refuses it", got)
	}
}

func TestNextRenewalJitterIsEarlierNeverLater(t *testing.T) {
	rb := rotate.RenewBefore{}
	exp := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	latest := rb.NextRenewal(exp, time.Hour, func() float64 { return 0 })
	if want := exp.Add(-20 * time.Minute); !latest.Equal(want) {
		t.Fatalf("no jitter: %s, want %s", latest, want)
	}
	earliest := rb.NextRenewal(exp, time.Hour, func() float64 { return 0.999999 })
	if d := latest.Sub(earliest); d <= 0 || d > 2*time.Minute {
		t.Fatalf("jitter moved the renewal by %s (want (0, 2m])", d)
	}
	// At the scheduled time, even the earliest, the token counts as due.
	if left := exp.Sub(earliest); left >= rb.DueWithin(time.Hour) {
		t.Fatalf("a renewal scheduled %s before expiry is not due (due within %s)", left, rb.DueWithin(time.Hour))
	}
	// Spread: 50 setups minted together land on different seconds.
	seen := map[int64]bool{}
	for i := range 50 {
		seen[rb.NextRenewal(exp, time.Hour, func() float64 { return float64(i) / 50 }).Unix()] = true
	}
	if len(seen) < 40 {
		t.Fatalf("50 renewals fall on %d distinct seconds", len(seen))
	}
}

func TestRetryDelay(t *testing.T) {
	now := time.Now()
	half := func() float64 { return 1 }
	if d := rotate.RetryDelay(1, now.Add(time.Hour), now, half); d != rotate.BackoffBase {
		t.Fatalf("first retry %s, want %s", d, rotate.BackoffBase)
	}
	if d1, d3 := rotate.RetryDelay(1, now.Add(time.Hour), now, half), rotate.RetryDelay(3, now.Add(time.Hour), now, half); d3 != 4*d1 {
		t.Fatalf("backoff not exponential: %s then %s", d1, d3)
	}
	// Near expiry the retries come faster: never past half of the usable time left.
	if d := rotate.RetryDelay(10, now.Add(100*time.Second), now, half); d != 20*time.Second {
		t.Fatalf("retry with 40s usable left: %s, want 20s", d)
	}
	if d := rotate.RetryDelay(10, now.Add(-time.Minute), now, half); d != rotate.BackoffMax {
		t.Fatalf("expired token: %s, want the backoff cap %s", d, rotate.BackoffMax)
	}
}
