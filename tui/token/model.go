// This file: Model, the token screen. It asks for a token when it has none (masked input), shows the report with
// a countdown that ticks every second, and scrolls.
package token

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// keyMap is the token screen's keys; which are shown depends on the page and on what the command offers.
type keyMap struct {
	Inspect, Scroll, Top, Bottom, Verify, New key.Binding
	Help, Quit, Interrupt                     key.Binding
	page                                      page
}

func newKeyMap() keyMap {
	return keyMap{
		Inspect:   keys.With(keys.Enter, "enter", "inspect"),
		Scroll:    keys.With(keys.Move, "↑/↓", "scroll"),
		Top:       keys.Top,
		Bottom:    keys.Bottom,
		Verify:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "verify")),
		New:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new token")),
		Help:      keys.Help,
		Quit:      key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q", "quit")),
		Interrupt: keys.Interrupt,
	}
}

// ShortHelp is the line at the bottom.
func (k keyMap) ShortHelp() []key.Binding {
	switch k.page {
	case pageInput:
		return []key.Binding{k.Inspect, keys.With(k.Quit, "esc", "quit")}
	case pageLoading:
		return []key.Binding{keys.With(k.Quit, "esc", "quit")}
	}
	return []key.Binding{k.Scroll, keys.With(k.Top, "g/G", "top/bottom"), k.Verify, k.New, k.Quit, k.Help}
}

// FullHelp is every key of the page, in columns (? toggles it on the report).
func (k keyMap) FullHelp() [][]key.Binding {
	if k.page != pageReport {
		return [][]key.Binding{k.ShortHelp()}
	}
	return [][]key.Binding{{k.Scroll, k.Top, k.Bottom}, {k.Verify, k.New}, {k.Help, k.Quit, k.Interrupt}}
}

// InspectFunc decodes (and, if the command was asked to, verifies) a token. Errors are shown on the input page.
type InspectFunc func(ctx context.Context, raw string) (*tokencheck.Report, error)

// Options configure the screen.
type Options struct {
	Theme style.Theme
	// Now is the clock (tests inject one); default time.Now.
	Now func() time.Time
	// Inspect is called with what the user typed or pasted. Nil = no input page.
	Inspect InspectFunc
	// Report, when set, is shown at once (the token came from an argument, a file or a Secret).
	Report *tokencheck.Report
	// Verifying says Inspect also fetches keys (the loading line says so).
	Verifying bool
	// Verify, when set, is offered on the report page (key v): the same token inspected with signature checks.
	Verify InspectFunc
	Ctx    context.Context
}

type (
	tickMsg   time.Time
	reportMsg struct {
		r   *tokencheck.Report
		err error
	}
)

type page int

const (
	pageInput page = iota
	pageLoading
	pageReport
)

// Model is the token screen.
type Model struct {
	o       Options
	page    page
	input   textinput.Model
	vp      viewport.Model
	report  *tokencheck.Report
	errText string
	// verifying: the loading page is a verification of the shown token (its failure goes back to the report).
	verifying bool
	now       time.Time
	width     int
	height    int
	keys      keyMap
	help      help.Model
}

// New builds the screen: the report page when o.Report is set, else the input page.
func New(o Options) Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Ctx == nil {
		o.Ctx = context.Background()
	}
	in := textinput.New()
	in.Prompt = "token › "
	in.Placeholder = "paste a JWT or Bearer <jwt>, then enter"
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.CharLimit = tokencheck.MaxTokenBytes
	in.SetWidth(60)
	in.Focus()
	vp := viewport.New(viewport.WithWidth(80), viewport.WithHeight(20))
	vp.SoftWrap = true
	m := Model{o: o, input: in, vp: vp, now: o.Now(), width: 80, height: 24, keys: newKeyMap(), help: keys.NewHelp(o.Theme)}
	m.keys.Verify.SetEnabled(o.Verify != nil)
	m.keys.New.SetEnabled(o.Inspect != nil)
	if o.Report != nil {
		m.page, m.report = pageReport, o.Report
		m.refresh()
	}
	return m
}

// Report is what the screen shows (nil before a token was decoded).
func (m Model) Report() *tokencheck.Report { return m.report }

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Init focuses the input (input page) and starts the once-a-second clock.
func (m Model) Init() tea.Cmd {
	if m.page == pageInput {
		return tea.Batch(textinput.Blink, tick())
	}
	return tick()
}

// Update handles keys, paste, resizes, the clock and the inspection result.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.input.SetWidth(max(10, msg.Width-12))
		m.layout()
		return m, nil
	case tickMsg:
		m.now = m.o.Now()
		if m.page == pageReport {
			m.refresh()
		}
		return m, tick()
	case reportMsg:
		if msg.err != nil && m.verifying && m.report != nil {
			m.page, m.verifying, m.errText = pageReport, false, redact.Text(msg.err.Error())
			return m, nil
		}
		m.verifying = false
		if msg.err != nil {
			m.page, m.errText = pageInput, redact.Text(msg.err.Error())
			m.input.SetValue("")
			return m, m.input.Focus()
		}
		m.page, m.report, m.errText = pageReport, msg.r, ""
		m.input.SetValue("")
		m.input.Blur()
		m.vp.GotoTop()
		m.refresh()
		return m, nil
	case tea.KeyPressMsg:
		k := m.keys
		if key.Matches(msg, k.Interrupt) {
			return m, tea.Quit
		}
		switch m.page {
		case pageInput:
			switch {
			case msg.String() == "esc":
				return m, tea.Quit
			case key.Matches(msg, k.Inspect):
				raw := strings.TrimSpace(m.input.Value())
				if raw == "" {
					m.errText = "nothing pasted yet: paste a JWT, then press enter"
					return m, nil
				}
				m.page, m.errText = pageLoading, ""
				ctx, inspect := m.o.Ctx, m.o.Inspect
				return m, func() tea.Msg {
					r, err := inspect(ctx, raw)
					return reportMsg{r, err}
				}
			}
		case pageLoading:
			if key.Matches(msg, k.Quit) {
				return m, tea.Quit
			}
			return m, nil
		case pageReport:
			switch {
			case key.Matches(msg, k.Quit):
				return m, tea.Quit
			case key.Matches(msg, k.Help):
				m.help.ShowAll = !m.help.ShowAll
				m.layout()
				return m, nil
			case key.Matches(msg, k.New):
				m.page, m.report, m.errText = pageInput, nil, ""
				return m, m.input.Focus()
			case key.Matches(msg, k.Verify) && m.report != nil && m.report.Tok != nil && m.report.Signature == nil:
				m.page, m.verifying = pageLoading, true
				ctx, verify, raw := m.o.Ctx, m.o.Verify, m.report.Tok.Raw
				return m, func() tea.Msg {
					r, err := verify(ctx, raw)
					return reportMsg{r, err}
				}
			case key.Matches(msg, k.Top):
				m.vp.GotoTop()
			case key.Matches(msg, k.Bottom):
				m.vp.GotoBottom()
			}
			var cmd tea.Cmd
			m.vp, cmd = m.vp.Update(msg)
			return m, cmd
		}
	}
	if m.page == pageInput {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	if m.page == pageReport {
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) layout() {
	m.vp.SetWidth(max(20, m.width))
	m.help.SetWidth(max(20, m.width) - 2)
	m.vp.SetHeight(max(3, m.height-3-strings.Count(m.helpView(), "\n")-1))
}

// helpView is the key help of the page shown.
func (m Model) helpView() string {
	k := m.keys
	k.page = m.page
	k.Verify.SetEnabled(m.o.Verify != nil && m.report != nil && m.report.Signature == nil)
	return m.help.View(k)
}

func (m *Model) refresh() {
	m.layout()
	if m.report != nil {
		var lines []string
		for _, l := range Lines(m.report, m.now, m.o.Theme) {
			lines = append(lines, style.WrapHanging(l, m.vp.Width())...)
		}
		m.vp.SetContentLines(lines)
	}
}

// View renders the screen in the alternate buffer.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore · token"
	if m.page == pageInput && !m.input.VirtualCursor() {
		v.Cursor = m.input.Cursor()
	}
	return v
}

// Render is the screen as text.
func (m Model) Render() string {
	t := m.o.Theme
	w := max(40, m.width)
	rule := " " + t.Faint.Render(strings.Repeat("─", w-2))
	var b strings.Builder
	left := " " + t.Title.Render("Token")
	right := ""
	if m.report != nil && m.page == pageReport {
		left += t.Faint.Render(" · ") + string(m.report.Kind)
		right = m.expiryText()
	}
	gap := max(2, w-lipgloss.Width(left)-lipgloss.Width(right)-1)
	b.WriteString(left + strings.Repeat(" ", gap) + right + "\n")
	b.WriteString(rule + "\n")
	switch m.page {
	case pageInput:
		b.WriteString("\n  Paste the token (it stays masked and is never printed):\n\n")
		b.WriteString("  " + m.input.View() + "\n")
		if m.errText != "" {
			b.WriteString("\n  " + t.Symbol(style.Fail) + " " + t.Red.Render(m.errText) + "\n")
		}
	case pageLoading:
		what := "decoding"
		if m.o.Verifying || m.verifying {
			what = "decoding and verifying (discovery → JWKS → signature)"
		}
		b.WriteString("\n  " + t.Symbol(style.Running) + " " + what + " …\n")
	case pageReport:
		b.WriteString(m.vp.View() + "\n")
	}
	b.WriteString(rule + "\n")
	help := strings.ReplaceAll(m.helpView(), "\n", "\n  ")
	if m.page == pageReport && m.errText != "" {
		help = t.Red.Render(m.errText) + " · " + help
	}
	b.WriteString("  " + help)
	return b.String()
}

func (m Model) expiryText() string {
	t := m.o.Theme
	r := m.report
	if r.ExpiresAt == nil {
		return t.Amber.Render("no exp")
	}
	fs := pick(Findings(r, m.now), "token.expired", "token.expiring")
	st := style.Status(tokencheck.Worst(fs))
	text := "expires " + Countdown(*r.ExpiresAt, m.now)
	if !r.ExpiresAt.After(m.now) {
		text = "expired " + Countdown(*r.ExpiresAt, m.now)
	}
	switch st {
	case style.Fail:
		text = t.Red.Render(text)
	case style.Warn:
		text = t.Amber.Render(text)
	}
	return text + " " + t.Symbol(st)
}
