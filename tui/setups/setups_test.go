package setups

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setups"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func rows() []setups.Row {
	return []setups.Row{
		{Setup: "a/agentcore-setup", Namespace: "a", Name: "agentcore-setup", Mode: "rewrite", Identity: "cognito", Target: "runtime",
			TokenExpires: now.Add(42 * time.Minute),
			Rotation:     rotate.RecordStatus{LastRotation: now.Add(-5 * time.Minute), Next: now.Add(25 * time.Minute), LastError: "mint: refused", Failures: 2}},
		{Setup: "b/agentcore-setup", Namespace: "b", Name: "agentcore-setup", Mode: "sigv4", Identity: "none", Target: "runtime", TokenNote: setups.NoteNoToken},
	}
}

// drive runs cmd (and what it returns, one level of batches) through Update, as the runtime would.
func drive(t *testing.T, m Model, cmd tea.Cmd) (Model, tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return m, nil
	}
	nm, next := m.Update(cmd())
	return nm.(Model), next
}

func press(code rune, text string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: code, Text: text} }

func TestRowsThenDoctorAsync(t *testing.T) {
	release := make(chan struct{})
	calls := 0
	l := Loaders{
		Rows: func(context.Context) ([]setups.Row, string, error) { calls++; return rows(), "all namespaces", nil },
		Doctor: func(ctx context.Context) (map[string]dr.Summary, error) {
			<-release
			return map[string]dr.Summary{"a/agentcore-setup": {Pass: 9, Warn: 1, Fail: 2}}, nil
		},
	}
	m := New(context.Background(), style.New(false, false), l, func() time.Time { return now })
	if !strings.Contains(m.Render(), "loading") {
		t.Fatalf("first frame: %s", m.Render())
	}
	m, docCmd := drive(t, m, m.Init())
	out := m.Render()
	for _, want := range []string{"Setups · all namespaces", "a/agentcore-setup", "rewrite", "cognito", "42m left", "5m ago", "retry in 25m", "checking …",
		"b/agentcore-setup", "sigv4", setups.NoteNoToken + "  —", "last rotation failed (2 in a row): mint: refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("rows frame lacks %q:\n%s", want, out)
		}
	}
	if docCmd == nil {
		t.Fatal("no doctor load started after the rows")
	}
	close(release)
	m, _ = drive(t, m, docCmd)
	out = m.Render()
	if !strings.Contains(out, "✔9 ‼1 ✖2") || strings.Contains(out, "checking …") {
		t.Errorf("doctor counts not filled:\n%s", out)
	}

	// ↓ then enter asks for b's doctor; the screen quits with Open set.
	nm, _ := m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	m = nm.(Model)
	nm, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m = nm.(Model)
	if cmd == nil {
		t.Fatal("enter emitted nothing")
	}
	msg := cmd()
	od, ok := msg.(OpenDoctorMsg)
	if !ok || od.Row.Setup != "b/agentcore-setup" {
		t.Fatalf("enter emitted %#v, want OpenDoctorMsg for b", msg)
	}
	nm, quit := m.Update(od)
	if nm.(Model).Open == nil || nm.(Model).Open.Namespace != "b" || quit == nil {
		t.Fatalf("OpenDoctorMsg: Open=%v quit=%v", nm.(Model).Open, quit)
	}

	// r reloads; a doctor answer of the older load is dropped.
	nm, cmd = m.Update(press('r', "r"))
	m = nm.(Model)
	if !strings.Contains(m.Render(), "loading") {
		t.Errorf("r did not reload")
	}
	stale, _ := m.Update(doctorMsg{gen: 0, sums: map[string]dr.Summary{"a/agentcore-setup": {Fail: 7}}})
	if strings.Contains(stale.(Model).Render(), "✖7") {
		t.Errorf("a stale doctor answer was shown")
	}
	m, _ = drive(t, m, cmd)
	if calls != 2 || !strings.Contains(m.Render(), "a/agentcore-setup") {
		t.Errorf("after r: %d loads\n%s", calls, m.Render())
	}
}

func TestEmptyStateAndBack(t *testing.T) {
	l := Loaders{Rows: func(context.Context) ([]setups.Row, string, error) { return nil, "namespace team", nil },
		Doctor: func(context.Context) (map[string]dr.Summary, error) {
			t.Error("doctor ran without setups")
			return nil, nil
		}}
	m := New(context.Background(), style.New(false, false), l, func() time.Time { return now })
	m, cmd := drive(t, m, m.Init())
	if cmd != nil {
		t.Error("a doctor load started for no setups")
	}
	if out := m.Render(); !strings.Contains(out, "No setups yet") || !strings.Contains(out, "wizard") {
		t.Errorf("empty state:\n%s", out)
	}
	if _, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter}); cmd != nil {
		t.Error("enter on no rows emitted a command")
	}
	nm, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEscape})
	if cmd == nil || nm.(Model).Open != nil {
		t.Error("esc must go back without opening")
	}
}

func TestLoadError(t *testing.T) {
	msg := "you may list the setup records neither in every namespace nor in namespace default (the kubeconfig's): pass -n NAMESPACE, or ask your cluster admin to let you list ConfigMaps"
	l := Loaders{Rows: func(context.Context) ([]setups.Row, string, error) { return nil, "", errors.New(msg) }}
	m := New(context.Background(), style.New(false, false), l, nil)
	m, _ = drive(t, m, m.Init())
	nm, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 20})
	out := nm.(Model).Render()
	// wrapped to the screen, not cut at its edge: every word is there, no line is wider than the screen
	if got := strings.Join(strings.Fields(out), " "); !strings.Contains(got, "✖ "+msg) {
		t.Errorf("error frame:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("a line %d wide on an 80-column screen: %q", w, l)
		}
	}
}

// Two records in one namespace: enter on the second asks for that record's doctor, by name, not for whichever
// record the namespace has.
func TestEnterTargetsTheSelectedRecord(t *testing.T) {
	two := []setups.Row{
		{Setup: "team/agentcore-setup", Namespace: "team", Name: "agentcore-setup", Mode: "rewrite", Target: "runtime"},
		{Setup: "team/payments", Namespace: "team", Name: "payments", Mode: "native", Target: "runtime"},
	}
	l := Loaders{Rows: func(context.Context) ([]setups.Row, string, error) { return two, "namespace team", nil }}
	m := New(context.Background(), style.New(false, false), l, func() time.Time { return now })
	m, _ = drive(t, m, m.Init())
	for _, tc := range []struct {
		moves int
		want  []string
	}{
		{0, []string{"team", "agentcore-setup"}},
		{1, []string{"team", "payments"}},
	} {
		mm := m
		for range tc.moves {
			nm, _ := mm.Update(tea.KeyPressMsg{Code: tea.KeyDown})
			mm = nm.(Model)
		}
		_, cmd := mm.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
		if cmd == nil {
			t.Fatal("enter emitted nothing")
		}
		od, ok := cmd().(OpenDoctorMsg)
		if !ok {
			t.Fatalf("enter emitted no OpenDoctorMsg")
		}
		nm, _ := mm.Update(od)
		open := nm.(Model).Open
		if open == nil {
			t.Fatal("Open not set")
		}
		if got := []string{open.Namespace, open.Name}; strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("after %d moves: doctor %q, want %q", tc.moves, got, tc.want)
		}
	}
}

// Coming back from a setup's doctor, that setup is still the one selected (the rows are loaded again).
func TestSelectionKeptAfterTheDoctor(t *testing.T) {
	rows := []setups.Row{
		{Setup: "team/agentcore-setup", Namespace: "team", Name: "agentcore-setup", Mode: "rewrite", Target: "runtime"},
		{Setup: "team/payments", Namespace: "team", Name: "payments", Mode: "native", Target: "runtime"},
		{Setup: "tools/agentcore-setup", Namespace: "tools", Name: "agentcore-setup", Mode: "rewrite", Target: "runtime"},
	}
	l := Loaders{Rows: func(context.Context) ([]setups.Row, string, error) { return rows, "all namespaces", nil }}
	m := New(context.Background(), style.New(false, false), l, func() time.Time { return now }).Selecting("team/payments")
	m, _ = drive(t, m, m.Init())
	_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter emitted nothing")
	}
	if od, ok := cmd().(OpenDoctorMsg); !ok || od.Row.Setup != "team/payments" {
		t.Fatalf("enter opened %+v, want team/payments", od)
	}
	// a refresh keeps the cursor where the user moved it, not on the setup selected at the start
	nm, _ := m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	m = nm.(Model)
	nm, cmd = m.Update(tea.KeyPressMsg{Code: 'r', Text: "r"})
	m, _ = drive(t, nm.(Model), cmd)
	_, cmd = m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if od := cmd().(OpenDoctorMsg); od.Row.Setup != "tools/agentcore-setup" {
		t.Fatalf("after a move and a refresh, enter opened %s", od.Row.Setup)
	}
}
