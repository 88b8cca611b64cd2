package tuitest

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// counter shows how many times it was bumped, in bold, and quits on q.
type counter struct{ n int }

type bump struct{}

func (c counter) Init() tea.Cmd { return nil }

func (c counter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case bump:
		c.n++
	case tea.KeyPressMsg:
		if msg.String() == "q" {
			return c, tea.Quit
		}
	}
	return c, nil
}

func (c counter) View() tea.View {
	return tea.NewView(fmt.Sprintf("\x1b[1mbumped %d times\x1b[0m", c.n))
}

func TestProbeReadsTheWholeScreen(t *testing.T) {
	tm := teatest.NewTestModel(t, Probe(counter{}), teatest.WithInitialTermSize(40, 5))
	if s := WaitFor(t, tm, "bumped 0 times"); s != "bumped 0 times" {
		t.Fatalf("the screen is %q, want it without styling", s)
	}
	for range 10 {
		tm.Send(bump{})
	}
	WaitFor(t, tm, "bumped 10 times")
	// From 10 to 11 one cell changes, and that cell is all the renderer writes; the screen reads whole.
	tm.Send(bump{})
	WaitFor(t, tm, "bumped 11 times")
	if n := Read(t, tm, func(m tea.Model) int { return m.(counter).n }); n != 11 {
		t.Fatalf("Read: n = %d, want 11", n)
	}
	if s := Screen(t, tm); s != "bumped 11 times" {
		t.Fatalf("Screen: %q", s)
	}
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := Final(t, tm)
	if c, ok := final.(counter); !ok || c.n != 11 {
		t.Fatalf("Final: %#v, want the counter at 11", final)
	}
}
