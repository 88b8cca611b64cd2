package style

import (
	"testing"
	"time"
)

func TestRelative(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cases := map[time.Duration]string{
		41 * time.Minute:              "in 41m",
		-3 * time.Hour:                "3h ago",
		90 * time.Second:              "in 1m30s",
		0:                             "now",
		-30 * time.Second:             "30s ago",
		26*time.Hour + 10*time.Minute: "in 26h",
		72 * time.Hour:                "in 3d",
		2*time.Hour + 5*time.Minute:   "in 2h05m",
	}
	for d, want := range cases {
		if got := Relative(now.Add(d), now); got != want {
			t.Errorf("Relative(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSymbolsASCIIAndPlain(t *testing.T) {
	th := New(false, true)
	for s, want := range map[Status]string{Pass: "OK", Warn: "WARN", Fail: "FAIL", Skip: "SKIP"} {
		if got := th.Symbol(s); got != want {
			t.Errorf("ASCII %s = %q, want %q", s, got, want)
		}
	}
	if got := New(false, false).Symbol(Fail); got != "✖" {
		t.Errorf("unicode fail = %q", got)
	}
	if got := New(true, false).Symbol(Pass); got == "✔" {
		t.Errorf("colour theme rendered no colour: %q", got)
	}
}

func TestShortARN(t *testing.T) {
	arn := "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"
	if got := ShortARN(arn, 200); got != arn {
		t.Errorf("no shortening wanted: %q", got)
	}
	if got := ShortARN(arn, 40); got != "…:runtime/payments_agent-Ab12Cd34Ef" {
		t.Errorf("got %q", got)
	}
}
