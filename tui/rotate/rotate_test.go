package rotate

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	rot "github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/tuitest"
)

func TestWatchScreen(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.Local)
	clock := func() time.Time { return now }
	events := make(chan rot.Event, 8)
	trigger := make(chan struct{}, 1)
	m := New(Info{Secret: "agentcore/agentcore-jwt", TokenUse: "id", Authorizer: "runtime arn:…"}, style.New(false, false), events, trigger, clock)
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(100, 30))

	exp := now.Add(41 * time.Minute)
	iat := now.Add(-19 * time.Minute)
	events <- rot.Event{Time: now, Kind: rot.EventRotated, Expiry: exp, Next: now.Add(10 * time.Minute), Threshold: 12 * time.Minute,
		Lifetime: time.Hour, Result: &rot.Result{Method: rot.MethodRefresh, NewExpiry: &exp, IssuedAt: &iat, Conflicts: 2}}
	tuitest.WaitFor(t, tm, "token expires in 41m00s", "via refresh-token", "2 conflicts retried", "rotates when less than 12m is left")

	events <- rot.Event{Time: now, Kind: rot.EventFailed, Expiry: now.Add(3 * time.Minute), Next: now.Add(20 * time.Second), Failures: 2,
		Err: errors.New("minting a token: Cognito is unreachable (connection refused)")}
	tuitest.WaitFor(t, tm, "ALERT: minting a token: Cognito is unreachable", "2 failing", "retry in 20s")

	tm.Send(tea.KeyPressMsg{Code: 'r', Text: "r"})
	select {
	case <-trigger:
	case <-time.After(tuitest.Patience):
		t.Fatal("r did not trigger a rotation")
	}
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tuitest.Final(t, tm).(Model)
	if !final.stopping || final.rotations != 1 || len(final.history) != 2 {
		t.Fatalf("final: stopping %v rotations %d history %d", final.stopping, final.rotations, len(final.history))
	}
}

func TestShortLivedTokensShowSecondsInHistory(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.Local)
	m := New(Info{Secret: "ns/s", TokenUse: "id"}, style.New(false, false), nil, nil, func() time.Time { return now })
	for i, life := range []time.Duration{2 * time.Minute, time.Hour} {
		at := now.Add(time.Duration(i) * 30 * time.Second)
		exp := at.Add(life).Add(17 * time.Second)
		m.apply(rot.Event{Time: at, Kind: rot.EventRotated, Expiry: exp, Lifetime: life, Threshold: rot.Threshold(life),
			Result: &rot.Result{Method: rot.MethodRefresh, NewExpiry: &exp}})
	}
	out := m.Render()
	if !strings.Contains(out, "new token until 10:02:17\n") || !strings.Contains(out, "new token until 11:00\n") {
		t.Fatalf("a 2-minute token's expiry needs seconds in the history, an hour's does not:\n%s", out)
	}
}

func TestExpiredTokenRendersRed(t *testing.T) {
	now := time.Now()
	m := New(Info{Secret: "ns/s", TokenUse: "id"}, style.New(false, true), nil, nil, func() time.Time { return now })
	m.apply(rot.Event{Time: now, Kind: rot.EventFailed, Expiry: now.Add(-2 * time.Minute), Failures: 5, Err: errors.New("boom")})
	out := m.Render()
	if !strings.Contains(out, "FAIL token EXPIRED 2m00s ago") && !strings.Contains(out, "FAIL token EXPIRED 2m ago") {
		t.Fatalf("expired token not shown as failing:\n%s", out)
	}
	if strings.Contains(out, "█") {
		t.Fatal("ASCII mode must not draw block characters")
	}
}
