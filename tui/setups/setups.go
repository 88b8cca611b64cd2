// Package setups is the home screen's setups view: one row per setup record (mode, identity, target, token time
// left, last rotation and the next one due, doctor status). The rows come from a loader the command passes in;
// the doctor counts, slow to get, arrive afterwards through a second loader. enter opens that setup's doctor,
// r reloads, esc goes back. The screen makes no calls of its own.
package setups

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setups"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

type keyMap struct {
	Up, Down, Top, Bottom, Move key.Binding
	Open, Refresh               key.Binding
	Back, Quit, Interrupt, Help key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up: keys.Up, Down: keys.Down, Top: keys.Top, Bottom: keys.Bottom, Move: keys.Move,
		Open:      keys.With(keys.Enter, "enter", "doctor"),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Back:      keys.Back,
		Quit:      keys.With(keys.Quit, "q", "back"),
		Interrupt: keys.Interrupt,
		Help:      keys.Help,
	}
}

// ShortHelp is the line under the table.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Move, k.Open, k.Refresh, k.Back, k.Help}
}

// FullHelp is every key, in columns (? toggles it).
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Open, k.Refresh}, {k.Back, k.Quit, k.Help}}
}

// Loaders fetch the rows (and where they were listed: "all namespaces", "namespace NS") and, later, the doctor
// counts by namespace/name. Doctor may be nil.
type Loaders struct {
	Rows   func(ctx context.Context) (rows []setups.Row, where string, err error)
	Doctor func(ctx context.Context) (map[string]dr.Summary, error)
}

// OpenDoctorMsg asks for the doctor of one setup; the screen quits with Open set to it.
type OpenDoctorMsg struct{ Row setups.Row }

type (
	rowsMsg struct {
		gen   int
		rows  []setups.Row
		where string
		err   error
	}
	doctorMsg struct {
		gen  int
		sums map[string]dr.Summary
		err  error
	}
)

// Model is the setups view.
type Model struct {
	theme   style.Theme
	loaders Loaders
	ctx     context.Context
	now     func() time.Time
	keys    keyMap
	help    help.Model

	width, height int
	gen           int // bumped by each refresh: late answers of an older load are dropped
	loading       bool
	err           string
	where         string
	rows          []setups.Row
	doctor        map[string]dr.Summary
	doctorBusy    bool
	doctorErr     string
	cursor        int
	// selectRef is the setup to select once the rows are in ("namespace/name"; "" = the first).
	selectRef string

	// Open is the setup whose doctor was asked for with enter (nil when the user went back).
	Open *setups.Row
}

// New builds the view; now may be nil (time.Now).
func New(ctx context.Context, theme style.Theme, l Loaders, now func() time.Time) Model {
	if now == nil {
		now = time.Now
	}
	return Model{theme: theme, loaders: l, ctx: ctx, now: now, keys: newKeyMap(), help: keys.NewHelp(theme), width: 100, height: 20, loading: true}
}

// Selecting is m with the setup ref ("namespace/name") selected once the rows are in: coming back from that
// setup's doctor, the selection stays where it was.
func (m Model) Selecting(ref string) Model {
	m.selectRef = ref
	return m
}

// Init loads the rows.
func (m Model) Init() tea.Cmd { return m.loadRows() }

func (m Model) loadRows() tea.Cmd {
	l, ctx, gen := m.loaders.Rows, m.ctx, m.gen
	if l == nil {
		return func() tea.Msg { return rowsMsg{gen: gen} }
	}
	return func() tea.Msg {
		rows, where, err := l(ctx)
		return rowsMsg{gen: gen, rows: rows, where: where, err: err}
	}
}

func (m Model) loadDoctor() tea.Cmd {
	l, ctx, gen := m.loaders.Doctor, m.ctx, m.gen
	return func() tea.Msg {
		s, err := l(ctx)
		return doctorMsg{gen: gen, sums: s, err: err}
	}
}

// Update handles keys, resizes and loader results.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case rowsMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loading, m.rows, m.where, m.err = false, msg.rows, msg.where, ""
		if msg.err != nil {
			m.err = msg.err.Error()
		}
		m.cursor = min(m.cursor, max(len(m.rows)-1, 0))
		for i, r := range m.rows {
			if m.selectRef != "" && r.Setup == m.selectRef {
				m.cursor, m.selectRef = i, ""
			}
		}
		if len(m.rows) > 0 && m.loaders.Doctor != nil {
			m.doctorBusy = true
			return m, m.loadDoctor()
		}
	case doctorMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.doctorBusy, m.doctor, m.doctorErr = false, msg.sums, ""
		if msg.err != nil {
			m.doctorErr = msg.err.Error()
		}
	case OpenDoctorMsg:
		row := msg.Row
		m.Open = &row
		return m, tea.Quit
	case tea.KeyPressMsg:
		k := m.keys
		switch {
		case key.Matches(msg, k.Interrupt), key.Matches(msg, k.Back), key.Matches(msg, k.Quit):
			m.Open = nil
			return m, tea.Quit
		case key.Matches(msg, k.Up):
			if len(m.rows) > 0 {
				m.cursor = (m.cursor - 1 + len(m.rows)) % len(m.rows)
			}
		case key.Matches(msg, k.Down):
			if len(m.rows) > 0 {
				m.cursor = (m.cursor + 1) % len(m.rows)
			}
		case key.Matches(msg, k.Top):
			m.cursor = 0
		case key.Matches(msg, k.Bottom):
			m.cursor = max(len(m.rows)-1, 0)
		case key.Matches(msg, k.Help):
			m.help.ShowAll = !m.help.ShowAll
		case key.Matches(msg, k.Refresh):
			m.gen++
			m.loading, m.doctor, m.doctorBusy, m.doctorErr = true, nil, false, ""
			return m, m.loadRows()
		case key.Matches(msg, k.Open):
			if len(m.rows) == 0 {
				return m, nil
			}
			row := m.rows[m.cursor]
			return m, func() tea.Msg { return OpenDoctorMsg{Row: row} }
		}
	}
	return m, nil
}

// View renders the screen in the alternate buffer.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore · setups"
	return v
}

// Render is the screen as text (also used by tests).
func (m Model) Render() string {
	t := m.theme
	w := max(m.width, 40)
	rule := t.Faint.Render(strings.Repeat("─", w-2))
	var b strings.Builder
	title := " " + t.Title.Render("Setups")
	if m.where != "" {
		title += t.Faint.Render(" · " + m.where)
	}
	b.WriteString(title + "\n")
	b.WriteString(" " + rule + "\n")
	switch {
	case m.loading:
		b.WriteString("  loading the setup records …\n")
	case m.err != "":
		for _, l := range style.WrapHanging(t.Symbol(style.Fail)+" "+m.err, w-4) {
			b.WriteString("  " + t.Red.Render(l) + "\n")
		}
	case len(m.rows) == 0:
		b.WriteString("  No setups yet: the wizard creates one (home → Wizard, or kubectl agentcore wizard).\n")
	default:
		m.table(&b)
	}
	b.WriteString(" " + rule + "\n")
	m.help.SetWidth(w - 2)
	for _, l := range strings.Split(m.help.View(m.keys), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func (m Model) table(b *strings.Builder) {
	t := m.theme
	now := m.now()
	cells := make([][]string, len(m.rows))
	for i, r := range m.rows {
		cells[i] = append(Cells(t, r, now), m.doctorCell(r))
	}
	lines := style.Columns(append([][]string{append(Header, "DOCTOR")}, cells...))
	b.WriteString("    " + t.Faint.Render(lines[0]) + "\n")
	for i, l := range lines[1:] {
		marker := "  "
		if i == m.cursor {
			marker = "▸ "
			if t.ASCII {
				marker = "> "
			}
			l = t.Selected.Render(l)
		}
		b.WriteString("  " + marker + l + "\n")
	}
	if l := FailureLine(t, m.rows[m.cursor]); l != "" {
		b.WriteString("  " + l + "\n")
	}
	if m.doctorErr != "" {
		b.WriteString("  " + t.Amber.Render("doctor: "+m.doctorErr) + "\n")
	}
}

// Header are the columns of a setup's row (Cells); the view adds DOCTOR, as the text output does with --doctor.
var Header = []string{"SETUP", "MODE", "IDENTITY", "TARGET", "TOKEN", "ROTATED", "NEXT"}

// Cells are the columns of Header for r at now, coloured by theme t: the token red once expired and amber when
// it expires soon, NEXT amber after a failed renewal. The view and the text output of the setups command.
func Cells(t style.Theme, r setups.Row, now time.Time) []string {
	tok, state := r.Token(now)
	switch state {
	case setups.TokenExpired:
		tok = t.Red.Render(tok)
	case setups.TokenSoon:
		tok = t.Amber.Render(tok)
	}
	next := r.NextDue(now)
	if r.Failing() {
		next = t.Amber.Render(next)
	}
	return []string{r.Setup, r.Mode, r.Identity, r.Target, tok, r.Rotated(now), next}
}

// DoctorCell is the DOCTOR column for the doctor's counts.
func DoctorCell(t style.Theme, s dr.Summary) string {
	return fmt.Sprintf("%s%d %s%d %s%d", t.Symbol(style.Pass), s.Pass, t.Symbol(style.Warn), s.Warn, t.Symbol(style.Fail), s.Fail)
}

// FailureLine is r's last failed renewal in one amber line ("" when it did not fail).
func FailureLine(t style.Theme, r setups.Row) string {
	e := r.Rotation.LastError
	if e == "" {
		return ""
	}
	fails := ""
	if n := r.Rotation.Failures; n > 0 {
		fails = fmt.Sprintf(" (%d in a row)", n)
	}
	return t.Amber.Render(t.Symbol(style.Warn) + " " + r.Setup + ": last rotation failed" + fails + ": " + e)
}

func (m Model) doctorCell(r setups.Row) string {
	t := m.theme
	s, ok := m.doctor[r.Setup]
	switch {
	case ok:
		return DoctorCell(t, s)
	case m.doctorBusy:
		return "checking …"
	}
	return "—"
}
