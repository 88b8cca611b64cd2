package wizard

// This file: the test driver. The wizard runs in teatest (a real Bubble Tea program) wrapped by tuitest.Probe: a
// test reads the screen the wizard shows now (its View, from inside the program's loop: no data race with Update)
// instead of scanning the renderer's output stream (which holds only the cells that changed, so a text already on
// screen is not seen again). Every wait polls a condition with tuitest's deadline, which only a broken wizard
// reaches, however loaded the machine (-race, other builds).

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/tuitest"
)

// enterBefore is the wizard inside teatest: it presses enter for an enterBeforeMsg only while the wizard has not
// reached that page (checked and pressed in one Update: no race with the wizard moving on by itself).
type enterBefore struct{ *Model }

type enterBeforeMsg page

func (e enterBefore) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if p, ok := msg.(enterBeforeMsg); ok {
		if e.page >= page(p) {
			return e, nil
		}
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	}
	_, cmd := e.Model.Update(msg)
	return e, cmd
}

// frame is what the wizard shows at one moment: its page and its screen.
type frame struct {
	page   page
	screen string // the View without styling
}

// readFrame reads the frame of the wizard Probe wraps (inside the program's loop: page and screen agree).
func readFrame(m tea.Model) frame {
	w := m.(enterBefore)
	return frame{w.page, tuitest.Text(w)}
}

// driver drives one wizard run: keys in, the screen out.
type driver struct {
	t  *testing.T
	tm *teatest.TestModel
	fl *fakeLoaders
}

// start runs the wizard with answers a and the fake loaders (edit changes them) on a w×h screen, and waits for
// the ① page with the discovery done.
func start(t *testing.T, a wz.Answers, w, h int, edit ...func(*Loaders)) *driver {
	t.Helper()
	fl := &fakeLoaders{}
	l := fl.loaders()
	for _, e := range edit {
		e(&l)
	}
	m := New(context.Background(), a, style.New(false, false), l)
	d := &driver{t: t, tm: teatest.NewTestModel(t, tuitest.Probe(enterBefore{m}), teatest.WithInitialTermSize(w, h)), fl: fl}
	d.waitFor("Cluster serves")
	return d
}

// frame is what the wizard shows now.
func (d *driver) frame() frame {
	d.t.Helper()
	return tuitest.Read(d.t, d.tm, readFrame)
}

// waitUntil waits until the frame satisfies ok, and returns its screen; what says what is awaited when it never
// does.
func (d *driver) waitUntil(what string, ok func(f frame) bool) string {
	d.t.Helper()
	return tuitest.WaitRead(d.t, d.tm, what, readFrame, ok).screen
}

// waitFor waits until the screen shows every one of what, and returns it.
func (d *driver) waitFor(what ...string) string {
	d.t.Helper()
	return tuitest.WaitFor(d.t, d.tm, what...)
}

func (d *driver) key(code rune) { d.tm.Send(tea.KeyPressMsg{Code: code}) }
func (d *driver) enter()        { d.key(tea.KeyEnter) }
func (d *driver) down()         { d.key(tea.KeyDown) }
func (d *driver) letter(c rune) { d.tm.Send(tea.KeyPressMsg{Code: c, Text: string(c)}) }
func (d *driver) typ(s string)  { d.tm.Type(s) }

// paste pastes s (one message, as a terminal's bracketed paste).
func (d *driver) paste(s string) { d.tm.Send(tea.PasteMsg{Content: s}) }
func (d *driver) clear()         { d.tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) }
func (d *driver) downs(n int) {
	for range n {
		d.down()
	}
}

// focused is the title line of the field that has the focus (huh draws "┃" before the focused field only).
func focused(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "┃") {
			return l
		}
	}
	return ""
}

// next submits the focused field and waits until the focus is on another field or page (huh moves the focus
// through a command: keys typed before that would land in the old field).
func (d *driver) next() {
	d.t.Helper()
	before := d.frame()
	d.enter()
	d.waitUntil("the focus on the next field", func(f frame) bool {
		return f.page != before.page || focused(f.screen) != focused(before.screen)
	})
}

// toMode goes from ① (its default) through the ② runtime list (its first entry) to the mode.
func (d *driver) toMode() {
	d.t.Helper()
	d.enter()
	d.waitFor("payments_agent")
	d.enter()
	d.waitFor("Invocation path", "Mode")
}

// toIdentity goes on from the mode (its default) to ③ and waits for what it shows.
func (d *driver) toIdentity(what ...string) {
	d.t.Helper()
	d.toMode()
	d.enter()
	d.waitFor(what...)
}

// enterUntil presses enter, each time after the last one was taken (the screen changed), until the plan page shows
// want; an enter is pressed only before the plan page (never one that would apply it).
func (d *driver) enterUntil(want string) string {
	d.t.Helper()
	return d.enterTo(pagePlan, want)
}

// enterTo presses enter until page p shows, then waits for want on it.
func (d *driver) enterTo(p page, want ...string) string {
	d.t.Helper()
	deadline := time.Now().Add(tuitest.Patience)
	for {
		before := d.frame()
		if before.page >= p {
			return d.waitFor(want...)
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("after %s of enter page %d never came; the screen shows:\n%s", tuitest.Patience, p, before.screen)
		}
		d.tm.Send(enterBeforeMsg(p))
		d.waitUntil("the enter taken", func(f frame) bool { return f.page != before.page || f.screen != before.screen })
	}
}

// quit sends key (q, ctrl+c) and returns the wizard as it ended.
func (d *driver) quit(key tea.KeyPressMsg) *Model {
	d.t.Helper()
	d.tm.Send(key)
	return tuitest.Final(d.t, d.tm).(enterBefore).Model
}

var (
	keyQ     = tea.KeyPressMsg{Code: 'q', Text: "q"}
	keyCtrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
)

// planned goes on to the plan page showing want, quits there, and returns the answers the plan was computed for.
func (d *driver) planned(want string) wz.Answers {
	d.t.Helper()
	d.enterUntil(want)
	d.quit(keyQ)
	d.fl.mu.Lock()
	defer d.fl.mu.Unlock()
	return d.fl.planned
}
