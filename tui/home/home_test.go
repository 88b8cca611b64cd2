package home

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/tuitest"
)

// loaders whose AWS lookup blocks until release is closed: the first frame must not wait for it.
func slowLoaders(release <-chan struct{}) Loaders {
	return Loaders{
		Kube: func(context.Context) (string, string, error) { return "prod-eks", "agentcore", nil },
		AWS: func(ctx context.Context) (string, string, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return "us-east-1", "986123456769", nil
		},
		Hints: func(context.Context) map[string]Hint {
			return map[string]Hint{"rotate": {Text: "token expires in 12m", Status: style.Warn}}
		},
	}
}

func TestHomeGolden(t *testing.T) {
	release := make(chan struct{})
	m := New(context.Background(), DefaultItems(), style.New(false, false), slowLoaders(release))
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(90, 20))

	// The first frame shows the menu while AWS is still loading.
	tuitest.WaitFor(t, tm, "Wizard", "aws …")

	close(release)
	tuitest.WaitFor(t, tm, "(986…769)")

	tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyUp})
	tm.Send(tea.WindowSizeMsg{Width: 100, Height: 24})
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})

	final := tuitest.Final(t, tm).(Model)
	if final.Chosen != "" {
		t.Fatalf("q must quit without choosing, got %q", final.Chosen)
	}
	if final.cursor != 1 {
		t.Fatalf("cursor = %d, want 1 (Doctor)", final.cursor)
	}
	if final.width != 100 {
		t.Fatalf("resize not applied: width %d", final.width)
	}
	out := final.Render()
	if !strings.Contains(out, "token expires in 12m ‼") {
		t.Fatalf("rotate hint missing:\n%s", out)
	}
	golden.RequireEqual(t, out)
}

func TestHomeEnterChoosesAndLetterJumps(t *testing.T) {
	m := New(context.Background(), DefaultItems(), style.New(false, false), Loaders{})
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(80, 20))
	tm.Send(tea.KeyPressMsg{Code: tea.KeyRight})
	final := tuitest.Final(t, tm).(Model)
	if final.Chosen != "wizard" {
		t.Fatalf("→ opens the selected item; got %q", final.Chosen)
	}

	m = New(context.Background(), DefaultItems(), style.New(false, false), Loaders{})
	tm = teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(80, 20))
	tm.Send(tea.KeyPressMsg{Code: 'd', Text: "d"})
	tm.Send(tea.KeyPressMsg{Code: 'l', Text: "l"}) // letters jump (l = Logs), they never open
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	final = tuitest.Final(t, tm).(Model)
	if final.Chosen != "logs" {
		t.Fatalf("d, l then enter should open logs, got %q", final.Chosen)
	}
}

func TestHomeCtrlCQuits(t *testing.T) {
	m := New(context.Background(), DefaultItems(), style.New(false, false), Loaders{})
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(80, 20))
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	final := tuitest.Final(t, tm).(Model)
	if final.Chosen != "" {
		t.Fatal("ctrl+c must not choose")
	}
}

func TestHomeShowsLoaderFailuresInHeader(t *testing.T) {
	l := Loaders{
		Kube: func(context.Context) (string, string, error) { return "", "", errors.New("no kubeconfig") },
		AWS: func(context.Context) (string, string, error) {
			return "us-west-2", "", errors.New("no AWS credentials")
		},
	}
	m := New(context.Background(), DefaultItems(), style.New(false, true), l)
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(90, 20))
	tuitest.WaitFor(t, tm, "no kube context", "(no credentials)")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	out := tuitest.Final(t, tm).(Model).Render()
	if !strings.Contains(out, "> Wizard") {
		t.Fatalf("ASCII marker missing:\n%s", out)
	}
}

// With kubectl's --as, the header says whose rights every call uses.
func TestHomeHeaderSaysImpersonation(t *testing.T) {
	l := Loaders{Kube: func(context.Context) (string, string, error) { return "prod-eks", "team-a", nil }}
	m := New(context.Background(), DefaultItems(), style.New(false, false), l)
	plain := m.Impersonating("")
	m = m.Impersonating("team-a-dev")
	for _, mm := range []*Model{&m, &plain} {
		nm, _ := mm.Update(kubeMsg{ctx: "prod-eks", ns: "team-a"})
		*mm = nm.(Model)
	}
	if got := m.headerRight(); !strings.Contains(got, "as team-a-dev · ctx prod-eks · ns team-a") {
		t.Fatalf("header %q does not say --as", got)
	}
	if got := plain.headerRight(); strings.Contains(got, "as ") {
		t.Fatalf("header %q says an impersonation nobody asked for", got)
	}
}

// A header too long for the screen moves under the title and is cut at the edge, never past it.
func TestHomeNarrowHeaderFits(t *testing.T) {
	l := Loaders{Kube: func(context.Context) (string, string, error) {
		return "arn:aws:eks:us-east-1:986123456769:cluster/platform-prod", "payments-team", nil
	}}
	m := New(context.Background(), DefaultItems(), style.New(false, false), l).Impersonating("payments-admin")
	nm, _ := m.Update(kubeMsg{ctx: "arn:aws:eks:us-east-1:986123456769:cluster/platform-prod", ns: "payments-team"})
	nm, _ = nm.Update(tea.WindowSizeMsg{Width: 80, Height: 20})
	out := nm.(Model).Render()
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("a line %d wide on an 80-column screen: %q", w, l)
		}
	}
	if !strings.HasPrefix(lines[1], " as payments-admin · ctx arn:aws:eks:us-east-1:986123456769:cluster/") || !strings.HasSuffix(lines[1], "…") {
		t.Fatalf("the header's second line is %q", lines[1])
	}
}
