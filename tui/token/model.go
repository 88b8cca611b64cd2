// This file: Model, the token screen. It asks for a token when it has none (masked input), shows the report with
// a countdown that ticks every second, and scrolls.
package token

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

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
	m := Model{o: o, input: in, vp: vp, now: o.Now(), width: 80, height: 24}
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
		k := msg.String()
		if k == "ctrl+c" {
			return m, tea.Quit
		}
		switch m.page {
		case pageInput:
			switch k {
			case "esc":
				return m, tea.Quit
			case "enter":
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
			if k == "esc" || k == "q" {
				return m, tea.Quit
			}
			return m, nil
		case pageReport:
			switch k {
			case "q", "esc":
				return m, tea.Quit
			case "n":
				if m.o.Inspect != nil {
					m.page, m.report, m.errText = pageInput, nil, ""
					return m, m.input.Focus()
				}
			case "v":
				if m.o.Verify != nil && m.report != nil && m.report.Tok != nil && m.report.Signature == nil {
					m.page, m.verifying = pageLoading, true
					ctx, verify, raw := m.o.Ctx, m.o.Verify, m.report.Tok.Raw
					return m, func() tea.Msg {
						r, err := verify(ctx, raw)
						return reportMsg{r, err}
					}
				}
			case "g", "home":
				m.vp.GotoTop()
			case "G", "end":
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
	m.vp.SetHeight(max(3, m.height-4))
}

func (m *Model) refresh() {
	m.layout()
	if m.report != nil {
		var lines []string
		for _, l := range Lines(m.report, m.now, m.o.Theme) {
			lines = append(lines, wrapHanging(l, m.vp.Width())...)
		}
		m.vp.SetContentLines(lines)
	}
}

// wrapHanging cuts a line wider than width into pieces, the continuations indented under the line's text.
func wrapHanging(line string, width int) []string {
	total := ansi.StringWidth(line)
	if total <= width || width < 20 {
		return []string{line}
	}
	plain := ansi.Strip(line)
	lead := len(plain) - len(strings.TrimLeft(plain, " "))
	indent := min(lead+2, width/3)
	out := []string{ansi.Cut(line, 0, width)}
	for pos := width; pos < total; pos += width - indent {
		out = append(out, strings.Repeat(" ", indent)+ansi.Cut(line, pos, min(total, pos+width-indent)))
	}
	return out
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
	var help string
	switch m.page {
	case pageInput:
		b.WriteString("\n  Paste the token (it stays masked and is never printed):\n\n")
		b.WriteString("  " + m.input.View() + "\n")
		if m.errText != "" {
			b.WriteString("\n  " + t.Symbol(style.Fail) + " " + t.Red.Render(m.errText) + "\n")
		}
		help = "enter inspect · esc quit"
	case pageLoading:
		what := "decoding"
		if m.o.Verifying || m.verifying {
			what = "decoding and verifying (discovery → JWKS → signature)"
		}
		b.WriteString("\n  " + t.Symbol(style.Running) + " " + what + " …\n")
		help = "esc quit"
	case pageReport:
		b.WriteString(m.vp.View() + "\n")
		keys := []string{"↑/↓ scroll", "g/G top/bottom"}
		if m.o.Verify != nil && m.report.Signature == nil {
			keys = append(keys, "v verify")
		}
		if m.o.Inspect != nil {
			keys = append(keys, "n new token")
		}
		help = strings.Join(append(keys, "q quit"), " · ")
		if m.errText != "" {
			help = t.Red.Render(m.errText) + " · " + help
		}
	}
	b.WriteString(rule + "\n")
	b.WriteString("  " + t.Faint.Render(help))
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
