// Package doctor is the doctor screen: the checks fill in as they finish (a spinner per running check), grouped
// by category; ↑/↓ select, enter shows the detail with hint and fix, r re-runs, c copies the fix (OSC 52),
// q goes back. It makes no calls of its own: the command gives it a function that starts a run.
package doctor

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// keyMap is the doctor screen's keys.
type keyMap struct {
	Up, Down, Top, Bottom, Move key.Binding
	Details, Close, Rerun, Copy key.Binding
	Help, Quit, Interrupt       key.Binding
	detail                      bool // the detail of a check is open
}

func newKeyMap() keyMap {
	return keyMap{
		Up: keys.Up, Down: keys.Down, Top: keys.Top, Bottom: keys.Bottom,
		Move:      keys.With(keys.Move, "↑/↓", "select"),
		Details:   key.NewBinding(key.WithKeys("enter", "right", "l", "space"), key.WithHelp("enter", "details")),
		Close:     key.NewBinding(key.WithKeys("esc", "backspace", "left", "h"), key.WithHelp("esc", "back")),
		Rerun:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-run")),
		Copy:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy fix")),
		Help:      keys.Help,
		Quit:      key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q", "back")),
		Interrupt: keys.Interrupt,
	}
}

// ShortHelp is the line under the checks.
func (k keyMap) ShortHelp() []key.Binding {
	if k.detail {
		return []key.Binding{k.Close, k.Copy, k.Rerun, k.Quit, k.Help}
	}
	return []key.Binding{k.Move, k.Details, k.Rerun, k.Copy, k.Quit, k.Help}
}

// FullHelp is every key, in columns (? toggles it).
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Details, k.Close, k.Rerun, k.Copy}, {k.Help, k.Quit, k.Interrupt}}
}

// StartFunc starts a fresh run: the plan (every check, pending) and the channel its results stream on.
type StartFunc func() ([]dr.Result, <-chan dr.Result)

type (
	resultMsg struct {
		gen int
		r   dr.Result
	}
	doneMsg struct{ gen int }
	tickMsg struct{}
)

// TickInterval is how often the spinners move.
const TickInterval = 120 * time.Millisecond

// Model is the doctor screen.
type Model struct {
	title string
	start StartFunc
	theme style.Theme

	gen     int
	results []dr.Result
	index   map[string]int
	ch      <-chan dr.Result
	running bool
	began   time.Time
	took    time.Duration

	cursor, offset int
	detail         bool
	frame          int
	width, height  int
	status         string
	keys           keyMap
	help           help.Model
}

// New builds the screen. title names what is checked (header line).
func New(title string, start StartFunc, theme style.Theme) Model {
	return Model{title: title, start: start, theme: theme, width: 100, height: 30, keys: newKeyMap(), help: keys.NewHelp(theme)}
}

// Report is the last complete (or partial, when quit early) set of results.
func (m Model) Report() dr.Report {
	var rs []dr.Result
	for _, r := range m.results {
		if r.Status != dr.Pending && r.Status != dr.Running {
			rs = append(rs, r)
		}
	}
	return dr.Report{Checks: rs, Summary: dr.Summarize(rs)}
}

// Done reports whether the current run has finished.
func (m Model) Done() bool { return !m.running && m.results != nil }

func (m *Model) begin() tea.Cmd {
	m.gen++
	plan, ch := m.start()
	m.results = plan
	m.index = map[string]int{}
	for i, r := range plan {
		m.index[r.ID] = i
	}
	m.ch, m.running, m.began = ch, true, time.Now()
	if m.cursor >= len(plan) {
		m.cursor = 0
	}
	return m.next()
}

func (m Model) next() tea.Cmd {
	ch, gen := m.ch, m.gen
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return doneMsg{gen}
		}
		return resultMsg{gen, r}
	}
}

func tick() tea.Cmd { return tea.Tick(TickInterval, func(time.Time) tea.Msg { return tickMsg{} }) }

// runMsg starts a run (Init cannot change the model, so the first run starts in Update).
type runMsg struct{}

// Init starts the first run and the spinner.
func (m Model) Init() tea.Cmd {
	return tea.Batch(func() tea.Msg { return runMsg{} }, tick())
}

// Update handles keys, results and ticks.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case runMsg:
		return m, m.begin()
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		m.frame++
		return m, tick()
	case resultMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		if i, ok := m.index[msg.r.ID]; ok {
			m.results[i] = msg.r
		}
		return m, m.next()
	case doneMsg:
		if msg.gen == m.gen {
			m.running = false
			m.took = time.Since(m.began)
		}
	case tea.KeyPressMsg:
		m.status = ""
		k := m.keys
		switch {
		case key.Matches(msg, k.Interrupt):
			return m, tea.Quit
		case m.detail && (key.Matches(msg, k.Close) || key.Matches(msg, k.Quit)):
			m.detail = false
		case key.Matches(msg, k.Quit):
			return m, tea.Quit
		case key.Matches(msg, k.Up):
			if m.cursor > 0 {
				m.cursor--
			}
		case key.Matches(msg, k.Down):
			if m.cursor < len(m.results)-1 {
				m.cursor++
			}
		case key.Matches(msg, k.Top):
			m.cursor = 0
		case key.Matches(msg, k.Bottom):
			m.cursor = len(m.results) - 1
		case key.Matches(msg, k.Details):
			m.detail = !m.detail
		case key.Matches(msg, k.Help):
			m.help.ShowAll = !m.help.ShowAll
		case key.Matches(msg, k.Rerun):
			if m.running {
				m.status = "still running…"
				return m, nil
			}
			m.detail = false
			return m, m.begin()
		case key.Matches(msg, k.Copy):
			if m.cursor < len(m.results) {
				if fix := m.results[m.cursor].Fix; fix != "" {
					m.status = "fix copied to the clipboard"
					return m, tea.SetClipboard(fix)
				}
				m.status = "this check has no fix command"
			}
		}
	}
	return m, nil
}

// View renders the screen in the alternate screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore doctor"
	return v
}

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
var spinASCII = []string{"|", "/", "-", "\\"}

func (m Model) symbol(s dr.Status) string {
	t := m.theme
	switch s {
	case dr.Running:
		f := spinFrames
		if t.ASCII {
			f = spinASCII
		}
		return t.Magenta.Render(f[m.frame%len(f)])
	case dr.Pending:
		if t.ASCII {
			return t.Faint.Render(".")
		}
		return t.Faint.Render("·")
	}
	return t.Symbol(style.Status(s))
}

// Render is the screen as text (tests compare it).
func (m Model) Render() string {
	t := m.theme
	w := max(m.width, 50)
	rule := t.Faint.Render(strings.Repeat("─", w-2))
	var b strings.Builder

	sum := dr.Summarize(m.results)
	counts := fmt.Sprintf("%d %s  %d %s  %d %s", sum.Pass, t.Symbol(style.Pass), sum.Warn, t.Symbol(style.Warn), sum.Fail, t.Symbol(style.Fail))
	if sum.Skip > 0 {
		counts += fmt.Sprintf("  %d %s", sum.Skip, t.Symbol(style.Skip))
	}
	left := " " + t.Title.Render("Doctor") + " · " + m.title
	if lipgloss.Width(left)+lipgloss.Width(counts)+3 > w {
		left = truncate(left, w-lipgloss.Width(counts)-4)
	}
	gap := max(w-lipgloss.Width(left)-lipgloss.Width(counts)-1, 2)
	b.WriteString(left + strings.Repeat(" ", gap) + counts + "\n")
	b.WriteString(" " + rule + "\n")

	body := m.listLines(w)
	if m.detail && m.cursor < len(m.results) {
		body = m.detailLines(w)
	}
	m.keys.detail = m.detail
	m.help.SetWidth(w - 2)
	keyLines := strings.Split(m.help.View(m.keys), "\n")
	avail := max(m.height-4-len(keyLines), 3)
	if len(body) > avail && !m.detail {
		// keep the selected line visible
		sel := m.selectedLine()
		off := m.offset
		if sel < off {
			off = sel
		}
		if sel >= off+avail {
			off = sel - avail + 1
		}
		body = body[off:min(off+avail, len(body))]
	} else if len(body) > avail {
		body = body[:avail]
	}
	for _, l := range body {
		b.WriteString(l + "\n")
	}
	b.WriteString(" " + rule + "\n")
	state := ""
	switch {
	case m.running:
		state = fmt.Sprintf("running %s", style.Short(time.Since(m.began)))
	case m.took > 0:
		state = "done in " + m.took.Round(10*time.Millisecond).String()
	}
	if m.status != "" {
		state = t.Amber.Render(m.status)
	}
	for i, l := range keyLines {
		b.WriteString("  " + l)
		if i == 0 && state != "" {
			b.WriteString("   " + state)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// selectedLine is the index in listLines of the cursor's check.
func (m Model) selectedLine() int {
	line, cat := 0, ""
	for i, r := range m.results {
		if r.Category != cat {
			cat = r.Category
		}
		if i == m.cursor {
			return line
		}
		line++
	}
	return 0
}

const catWidth = 12

func (m Model) listLines(w int) []string {
	t := m.theme
	var out []string
	cat := ""
	titleW := 0
	for _, r := range m.results {
		titleW = max(titleW, lipgloss.Width(r.Title))
	}
	titleW = min(titleW, 28)
	for i, r := range m.results {
		label := ""
		if r.Category != cat {
			cat = r.Category
			label = r.Category
		}
		marker := "  "
		title := fmt.Sprintf("%-*s", titleW, truncate(r.Title, titleW))
		if i == m.cursor {
			marker = "▸ "
			if t.ASCII {
				marker = "> "
			}
			title = t.Selected.Render(title)
		}
		detail := r.Detail
		switch r.Status {
		case dr.Pending:
			detail = ""
		case dr.Running:
			detail = "checking…"
		}
		prefix := " " + t.Bold.Render(fmt.Sprintf("%-*s", catWidth-1, label)) + marker + m.symbol(r.Status) + " " + title + "  "
		room := w - lipgloss.Width(prefix) - 1
		line := prefix + colorDetail(t, r.Status, truncate(detail, max(room, 10)))
		out = append(out, line)
	}
	return out
}

func colorDetail(t style.Theme, s dr.Status, d string) string {
	switch s {
	case dr.Fail:
		return t.Red.Render(d)
	case dr.Warn:
		return t.Amber.Render(d)
	case dr.Skip, dr.Running:
		return t.Faint.Render(d)
	}
	return d
}

func (m Model) detailLines(w int) []string {
	t := m.theme
	r := m.results[m.cursor]
	wrapW := max(w-14, 20)
	var out []string
	field := func(name, val string, st lipgloss.Style) {
		if val == "" {
			return
		}
		for i, l := range wrap(val, wrapW) {
			lab := ""
			if i == 0 {
				lab = name
			}
			out = append(out, fmt.Sprintf("  %-10s %s", t.Faint.Render(fmt.Sprintf("%-10s", lab)), st.Render(l)))
		}
	}
	out = append(out, "  "+m.symbol(r.Status)+" "+t.Bold.Render(r.Category+" · "+r.Title)+"  "+t.Faint.Render(r.ID), "")
	field("status", string(r.Status), lipgloss.NewStyle())
	field("detail", r.Detail, lipgloss.NewStyle())
	field("hint", r.Hint, lipgloss.NewStyle())
	field("fix", r.Fix, t.Bold)
	if r.Duration >= time.Millisecond {
		field("took", r.Duration.Round(time.Millisecond).String(), t.Faint)
	}
	return out
}

func truncate(s string, n int) string {
	if n <= 1 {
		return s
	}
	return ansi.Truncate(s, n, "…")
}

// wrap breaks each line of s to n cells with the one wrapper of styled lines (style.WrapHanging): a fix's command is
// never split where copying one line would copy half of it.
func wrap(s string, n int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, style.WrapHanging(para, n)...)
	}
	return out
}
