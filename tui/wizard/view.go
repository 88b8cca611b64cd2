package wizard

// This file: the keys and what the wizard looks like: header, progress rail, the step's form, the plan, the
// run step by step and its result.

import (
	"bytes"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// keyMap is the wizard's keys, shown in the one help line (the bubbles help model in the theme, tui/keys). On the
// step pages the focused field's own keys (huh's, whose own help line is off) come first, then the wizard's.
type keyMap struct {
	Back, Interrupt         key.Binding // step pages
	Apply, Quit, Help       key.Binding // plan page
	Up, Down, PageUp        key.Binding // plan page, scrolling the plan (Scroll, Page and Ends are their help)
	PageDown, Top, Bottom   key.Binding
	Scroll, Page, Ends      key.Binding
	TestCall, Close         key.Binding // result page
	page                    page
	field                   []key.Binding // the focused field's keys (step pages)
	changes, canTest, again bool
	scroll                  bool // the plan is taller than its room: the scroll keys are shown
}

func newKeyMap() keyMap {
	return keyMap{
		Back:      keys.With(keys.Back, "esc", "previous step"),
		Interrupt: keys.Interrupt,
		Apply:     key.NewBinding(key.WithKeys("enter", "y"), key.WithHelp("enter", "apply")),
		Quit:      keys.Quit,
		Help:      keys.Help,
		Up:        keys.Up,
		Down:      keys.Down,
		PageUp:    key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:       keys.Top,
		Bottom:    keys.Bottom,
		Scroll:    keys.With(keys.Move, "↑/↓", "scroll"),
		Page:      key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "page")),
		Ends:      key.NewBinding(key.WithKeys("home", "end"), key.WithHelp("home/end", "top/bottom")),
		TestCall:  key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "send a test call through the gateway")),
		Close:     keys.With(keys.Enter, "enter", "close"),
	}
}

// ShortHelp is the keys of the page shown.
func (k keyMap) ShortHelp() []key.Binding {
	switch k.page {
	case pagePlan:
		apply := k.Apply
		if !k.changes {
			apply.SetHelp("enter", "run verify")
		}
		quit := keys.With(k.Quit, "q", "quit (nothing changed yet)")
		if !k.scroll {
			return []key.Binding{apply, k.Back, quit}
		}
		// The scroll keys take the room of "(nothing changed yet)": the line fits 100 columns.
		return []key.Binding{apply, k.Back, k.Quit, k.Scroll, k.Page, k.Ends}
	case pageRunning:
		return []key.Binding{keys.With(k.Interrupt, "ctrl+c", "stop")}
	case pageDone:
		test := k.TestCall
		if k.again {
			test.SetHelp("t", "send it again")
		}
		test.SetEnabled(k.canTest)
		return []key.Binding{test, k.Quit}
	}
	return append(append([]key.Binding(nil), k.field...), k.Back, k.Interrupt)
}

// FullHelp is every key of the page shown.
func (k keyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp(), {k.Help}} }

// View renders header, rail, page and key help.
func (m *Model) View() tea.View {
	var b bytes.Buffer
	t := m.theme
	b.WriteString(" " + t.Title.Render("kubectl agentcore · wizard") + "\n")
	b.WriteString(" " + m.rail() + "\n")
	b.WriteString(" " + strings.Repeat("─", max(10, min(m.width-2, 96))) + "\n")
	switch m.page {
	case pagePlan:
		m.viewPlan(&b)
	case pageRunning:
		m.viewRunning(&b)
	case pageDone:
		m.viewDone(&b)
	default:
		b.WriteString(m.form.View())
	}
	if !(m.page == pagePlan && m.plan == nil && m.planErr == nil) {
		b.WriteString("\n " + strings.ReplaceAll(m.helpView(m.planOverflows()), "\n", "\n "))
	}
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore · wizard"
	return v
}

// helpView is the help line (or, after ?, the full help) of the page shown; scroll says the plan page offers its
// scroll keys.
func (m *Model) helpView(scroll bool) string {
	km := m.keys
	km.page = m.page
	km.changes = m.plan != nil && m.plan.Changes > 0
	km.canTest = m.canTestCall() && !m.calling
	km.again = m.result != nil && m.result.Call != nil
	km.scroll = scroll
	if m.page < pagePlan {
		km.field = m.form.KeyBinds()
	}
	if m.page == pagePlan && m.planErr != nil {
		km.page = pageVerify // only back and quit make sense
	}
	return m.help.View(km)
}

// planOverflows reports whether the plan is taller than the viewport it is shown in.
func (m *Model) planOverflows() bool {
	return m.page == pagePlan && m.plan != nil && m.vp.TotalLineCount() > m.vp.Height()
}

// layoutPlan prints the plan at the screen's width into the plan page's viewport, sized to the screen less the
// header (3 lines), the blank line and the help (counted with the scroll keys shown), and no taller than the
// plan: a plan that fits looks as printed, a taller one scrolls (↑/↓, pgup/pgdn, home/end) and the help line
// stays on the last row.
func (m *Model) layoutPlan() {
	if m.plan == nil {
		return
	}
	var b bytes.Buffer
	PrintPlan(&b, m.theme, m.plan, m.width-1)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	room := max(3, m.height-3-1-lipgloss.Height(m.helpView(true)))
	m.vp.SetWidth(max(10, m.width-1))
	m.vp.SetHeight(min(room, len(lines)))
	m.vp.SetContentLines(lines)
}

// scrollPlan moves the plan page's viewport when msg is one of its scroll keys.
func (m *Model) scrollPlan(msg tea.KeyPressMsg) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		m.vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		m.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		m.vp.PageDown()
	case key.Matches(msg, k.Top):
		m.vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		m.vp.GotoBottom()
	}
}

func (m *Model) viewPlan(b *bytes.Buffer) {
	t := m.theme
	switch {
	case m.planErr != nil:
		b.WriteString(" " + t.Symbol(style.Fail) + " " + m.planErr.Error() + "\n")
	case m.plan == nil:
		b.WriteString(" " + m.spin.View() + " computing the plan (dry run against the cluster and AWS)…\n")
	default:
		b.WriteString(m.vp.View() + "\n")
	}
}

func (m *Model) viewRunning(b *bytes.Buffer) {
	t := m.theme
	for _, s := range wz.Steps {
		e, ok := m.last[s.Name]
		sym := t.Symbol(style.Skip)
		if ok {
			switch e.Status {
			case "running":
				sym = m.spin.View()
			case "done":
				sym = t.Symbol(style.Pass)
			case "failed":
				sym = t.Symbol(style.Fail)
			}
		}
		fmt.Fprintf(b, " %s %-14s %s\n", sym, StepLabel(s.Name), t.Faint.Render(e.Detail))
	}
}

func (m *Model) viewDone(b *bytes.Buffer) {
	t := m.theme
	if m.err != nil {
		b.WriteString(" " + t.Symbol(style.Fail) + " " + m.err.Error() + "\n")
	} else if m.result != nil {
		// The test call's answer comes first when room is short: it is what the user just asked for.
		var r, c bytes.Buffer
		res := *m.result
		if res.Call != nil {
			res.Call, res.TestCall = nil, ""
		}
		PrintResult(&r, t, &res)
		if m.result.Call != nil {
			PrintTestCall(&c, t, m.result.Call)
		}
		if m.result.Record.Mode.CallerToken() {
			c.WriteString(" " + t.Faint.Render("callers bring their own token: send one with kubectl agentcore invoke --bearer-from env:VAR|file:F|prompt") + "\n")
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimRight(r.String(), "\n"), "\n") {
			lines = append(lines, style.WrapHanging(l, m.width-1)...)
		}
		callLines := strings.Count(c.String(), "\n")
		if room := m.height - 6 - callLines; room > 3 && len(lines) > room {
			lines = append(lines[:room-1], t.Faint.Render(fmt.Sprintf(" … %d more line(s): the whole report is printed when you quit", len(lines)-room+1)))
		}
		b.WriteString(strings.Join(lines, "\n") + "\n" + c.String())
	}
	switch {
	case m.calling:
		b.WriteString(" " + m.spin.View() + " sending a test call through the gateway…\n")
	case m.callErr != nil:
		b.WriteString(" " + t.Symbol(style.Fail) + " test call: " + m.callErr.Error() + "\n")
	}
}

// rail is "① Gateway ② Runtime … Plan" with the current page highlighted and the done ones green.
func (m *Model) rail() string {
	t := m.theme
	var parts []string
	for i, s := range wz.Steps {
		label := StepLabel(s.Name)
		switch {
		case page(i) == m.page:
			parts = append(parts, t.Selected.Render(label))
		case page(i) < m.page:
			parts = append(parts, t.Green.Render(label))
		default:
			parts = append(parts, t.Faint.Render(label))
		}
	}
	if m.page >= pagePlan {
		parts = append(parts, t.Selected.Render("Plan"))
	} else {
		parts = append(parts, t.Faint.Render("Plan"))
	}
	return strings.Join(parts, " ")
}
