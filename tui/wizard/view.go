package wizard

// This file: the keys and what the wizard looks like: header, progress rail, the step's form, the plan, the
// run step by step and its result.

import (
	"bytes"
	"fmt"
	"slices"
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
	Up, Down, PageUp        key.Binding // plan and result pages, scrolling their text (Scroll, Page and Ends are their help)
	PageDown, Top, Bottom   key.Binding
	Scroll, Page, Ends      key.Binding
	ScrollAll               key.Binding // the scroll keys as one entry, where the three do not fit the line
	TestCall, Close         key.Binding // result page
	page                    page
	field                   []key.Binding // the focused field's keys (step pages)
	changes, canTest, again bool
	scroll                  bool // the page's text is taller than its room: the scroll keys are shown
	narrow                  bool // the line is wider than the screen: the scroll keys as one entry, "esc back", narrowField
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
		ScrollAll: key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown", "home", "end"), key.WithHelp("↑↓ pgup/pgdn home/end", "scroll")),
		TestCall:  key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "send a test call through the gateway")),
		Close:     keys.With(keys.Enter, "enter", "close"),
	}
}

// scrollKeys are the scroll keys' entries of the help line.
func (k keyMap) scrollKeys() []key.Binding {
	if k.narrow {
		return []key.Binding{k.ScrollAll}
	}
	return []key.Binding{k.Scroll, k.Page, k.Ends}
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
		back := k.Back
		if k.narrow {
			back.SetHelp("esc", "back")
		}
		return append([]key.Binding{apply, back, k.Quit}, k.scrollKeys()...)
	case pageRunning:
		return []key.Binding{keys.With(k.Interrupt, "ctrl+c", "stop")}
	case pageDone:
		test := k.TestCall
		switch {
		case k.scroll && k.again:
			test.SetHelp("t", "test call again")
		case k.scroll:
			test.SetHelp("t", "test call")
		case k.again:
			test.SetHelp("t", "send it again")
		}
		test.SetEnabled(k.canTest)
		if !k.scroll {
			return []key.Binding{test, k.Quit}
		}
		return append([]key.Binding{test, k.Quit}, k.scrollKeys()...)
	}
	back := k.Back
	field := k.field
	if k.narrow {
		back.SetHelp("esc", "back")
		field = narrowField(field)
	}
	return append(append([]key.Binding(nil), field...), back, k.Interrupt)
}

// narrowField is the focused field's keys said shorter, for a line wider than the screen: a select's ↑ and ↓ as
// one entry, and shift+tab (huh's "back", to the previous field) as "prev", so that it is not read as esc's back
// to the previous step. Keys are recognised by what they bind, not by their help text.
func narrowField(field []key.Binding) []key.Binding {
	out := make([]key.Binding, 0, len(field))
	up, down := -1, -1
	for _, b := range field {
		switch ks := b.Keys(); {
		case slices.Contains(ks, "shift+tab"):
			b.SetHelp(b.Help().Key, "prev")
		case slices.Contains(ks, "up") && b.Enabled():
			up = len(out)
		case slices.Contains(ks, "down") && b.Enabled():
			down = len(out)
		}
		out = append(out, b)
	}
	if up < 0 || down != up+1 {
		return out
	}
	both := key.NewBinding(key.WithKeys(append(out[up].Keys(), out[down].Keys()...)...), key.WithHelp("↑/↓", "move"))
	return slices.Concat(out[:up], []key.Binding{both}, out[down+1:])
}

// FullHelp is every key of the page shown.
func (k keyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp(), {k.Help}} }

// View renders header, rail, page and key help.
func (m *Model) View() tea.View {
	var b bytes.Buffer
	b.WriteString(" " + m.theme.Title.Render("kubectl agentcore · wizard") + "\n")
	b.WriteString(" " + m.rail() + "\n")
	b.WriteString(" " + strings.Repeat("─", max(10, min(m.width-2, 96))) + "\n")
	switch m.page {
	case pagePlan, pageDone:
		m.viewText(&b)
	case pageRunning:
		m.viewRunning(&b)
	case pageResources:
		if m.checking != 0 {
			b.WriteString("\n " + m.spin.View() + " checking that no other route on Gateway " + m.Answers.Gateway + " takes " + m.Answers.PathPrefix + "…\n")
			break
		}
		b.WriteString(m.form.View() + "\n")
	default:
		b.WriteString(m.form.View() + "\n")
	}
	if !(m.page == pagePlan && m.plan == nil && m.planErr == nil) {
		b.WriteString(" " + strings.ReplaceAll(m.helpView(m.overflows()), "\n", "\n "))
	}
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore · wizard"
	return v
}

// helpView is the help line (or, after ?, the full help) of the page shown; scroll says the page offers its scroll
// keys. A line wider than the screen is said shorter (narrow) before the help model cuts what still does not fit.
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
	if !m.help.ShowAll {
		wide := m.help
		wide.SetWidth(0) // not cut: measured
		if s := wide.ShortHelpView(km.ShortHelp()); lipgloss.Width(s) <= m.width-2 {
			return s
		}
		km.narrow = true
	}
	return m.help.View(km)
}

// overflows reports whether the plan or result page's text is taller than the viewport it is shown in.
func (m *Model) overflows() bool {
	return (m.page == pagePlan || m.page == pageDone) && m.vp.TotalLineCount() > m.vp.Height()
}

// text is the plan page's or the result page's text, wrapped at the screen's width (nil while the plan is
// computed): the plan (or why there is none); what the run did, the verify findings, the test call's answer and,
// where callers bring their own token, how to send one.
func (m *Model) text() []string {
	t := m.theme
	var b bytes.Buffer
	switch {
	case m.page == pagePlan && m.planErr != nil:
		b.WriteString(" " + t.Symbol(style.Fail) + " " + m.planErr.Error() + "\n")
	case m.page == pagePlan && m.plan != nil:
		PrintPlan(&b, t, m.plan, m.width-1)
	case m.page != pageDone:
		return nil
	case m.err != nil:
		b.WriteString(" " + t.Symbol(style.Fail) + " " + m.err.Error() + "\n")
	case m.result != nil:
		PrintResult(&b, t, m.result)
		if m.result.Record.Mode.CallerToken() {
			b.WriteString(" " + t.Faint.Render("callers bring their own token: send one with kubectl agentcore invoke --bearer-from env:VAR|file:F|prompt") + "\n")
		}
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		lines = append(lines, style.WrapHanging(l, m.width-1)...)
	}
	return lines
}

// status is the result page's line under its text, always in view: the test call under way, or why it failed
// to be sent ("" for none).
func (m *Model) status() string {
	t := m.theme
	switch {
	case m.page != pageDone:
		return ""
	case m.calling:
		return " " + m.spin.View() + " sending a test call through the gateway…"
	case m.callErr != nil:
		return strings.Join(style.WrapHanging(" "+t.Symbol(style.Fail)+" test call: "+m.callErr.Error(), m.width-1), "\n")
	}
	return ""
}

// layout puts the plan or result page's text into the viewport, sized to the screen less the header (3 lines),
// the status line, the scroll position line and the help (counted with the scroll keys shown), and no taller than
// the text: a text that fits looks as printed, a taller one scrolls (↑/↓, pgup/pgdn, home/end) with its position
// on the row above the help line, which stays on the last row.
func (m *Model) layout() {
	lines := m.text()
	if lines == nil {
		return
	}
	room := m.height - 3 - 1 - lipgloss.Height(m.helpView(true))
	if s := m.status(); s != "" {
		room -= lipgloss.Height(s)
	}
	m.vp.SetWidth(max(10, m.width-1))
	m.vp.SetHeight(min(max(3, room), len(lines)))
	m.vp.SetContentLines(lines)
	if m.vp.PastBottom() {
		m.vp.GotoBottom() // a taller screen shows the end instead of blank rows
	}
}

// scroll moves the viewport when msg is one of the scroll keys.
func (m *Model) scroll(msg tea.KeyPressMsg) {
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

// position is where the viewport is in the text: "lines 12–25 of 53 (40%)", or "" when the text fits.
func (m *Model) position() string {
	if !m.overflows() {
		return ""
	}
	first := m.vp.YOffset() + 1
	where := fmt.Sprintf("%d%%", int(m.vp.ScrollPercent()*100+0.5))
	switch {
	case m.vp.AtTop():
		where = "top"
	case m.vp.AtBottom():
		where = "end"
	}
	return fmt.Sprintf("lines %d–%d of %d (%s)", first, first+m.vp.VisibleLineCount()-1, m.vp.TotalLineCount(), where)
}

// viewText is the plan or result page: the spinner while the plan is computed, else the viewport, the status
// line, and the scroll position (or a blank line) above the help line.
func (m *Model) viewText(b *bytes.Buffer) {
	if m.page == pagePlan && m.plan == nil && m.planErr == nil {
		b.WriteString(" " + m.spin.View() + " computing the plan (dry run against the cluster and AWS)…\n")
		return
	}
	b.WriteString(m.vp.View() + "\n")
	if s := m.status(); s != "" {
		b.WriteString(s + "\n")
	}
	if p := m.position(); p != "" {
		b.WriteString(" " + m.theme.Faint.Render(p))
	}
	b.WriteString("\n")
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
	b.WriteString("\n")
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
