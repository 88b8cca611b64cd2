// Package rotate is the `rotate --watch` screen: the stored token's countdown, when the next rotation happens,
// and the history of rotations and failures. It renders events the command feeds it; it makes no calls itself.
package rotate

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	rot "github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// keyMap is the watch screen's keys.
type keyMap struct {
	RotateNow, Help, Quit, Interrupt key.Binding
}

func newKeyMap(canTrigger bool) keyMap {
	k := keyMap{
		RotateNow: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rotate now")),
		Help:      keys.Help,
		Quit:      key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q", "quit (stops cleanly)")),
		Interrupt: keys.Interrupt,
	}
	k.RotateNow.SetEnabled(canTrigger)
	return k
}

// ShortHelp is the line at the bottom.
func (k keyMap) ShortHelp() []key.Binding { return []key.Binding{k.RotateNow, k.Quit, k.Help} }

// FullHelp is every key (? toggles it).
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.RotateNow}, {k.Help, k.Quit, k.Interrupt}}
}

// MaxHistory is how many events the screen keeps.
const MaxHistory = 200

// Info is the static part of the header.
type Info struct {
	Secret     string // namespace/name
	TokenUse   string
	Authorizer string
}

// EventMsg carries one watch event into the model.
type EventMsg rot.Event

// DoneMsg says the watch loop has ended.
type DoneMsg struct{ Err error }

type tickMsg time.Time

// Model is the watch screen.
type Model struct {
	info    Info
	theme   style.Theme
	events  <-chan rot.Event
	trigger chan<- struct{}
	now     func() time.Time

	width, height int
	expiry        time.Time
	next          time.Time
	threshold     time.Duration
	lifetime      time.Duration
	failures      int
	lastErr       string
	history       []rot.Event
	rotations     int
	stopping      bool
	done          bool
	keys          keyMap
	help          help.Model
}

// New builds the model. events delivers the loop's events (closed when the loop ends); trigger (may be nil)
// asks the loop to rotate now; now is the clock.
func New(info Info, theme style.Theme, events <-chan rot.Event, trigger chan<- struct{}, now func() time.Time) Model {
	if now == nil {
		now = time.Now
	}
	return Model{info: info, theme: theme, events: events, trigger: trigger, now: now, width: 100, height: 30,
		keys: newKeyMap(trigger != nil), help: keys.NewHelp(theme)}
}

// Init starts listening and ticking.
func (m Model) Init() tea.Cmd { return tea.Batch(m.wait(), tick()) }

func (m Model) wait() tea.Cmd {
	ch := m.events
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return DoneMsg{}
		}
		return EventMsg(ev)
	}
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update handles events, ticks and keys.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		if m.done {
			return m, nil
		}
		return m, tick()
	case EventMsg:
		m.apply(rot.Event(msg))
		return m, m.wait()
	case DoneMsg:
		m.done = true
		return m, tea.Quit
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.keys.Quit), key.Matches(msg, m.keys.Interrupt):
			// The command cancels the loop when the program ends and waits for it to stop cleanly.
			m.stopping = true
			return m, tea.Quit
		case key.Matches(msg, m.keys.RotateNow):
			select {
			case m.trigger <- struct{}{}:
			default:
			}
		case key.Matches(msg, m.keys.Help):
			m.help.ShowAll = !m.help.ShowAll
		}
	}
	return m, nil
}

func (m *Model) apply(ev rot.Event) {
	if !ev.Expiry.IsZero() {
		m.expiry = ev.Expiry
	}
	if !ev.Next.IsZero() {
		m.next = ev.Next
	}
	if ev.Threshold > 0 {
		m.threshold = ev.Threshold
	}
	if ev.Lifetime > 0 {
		m.lifetime = ev.Lifetime
	}
	switch ev.Kind {
	case rot.EventFailed:
		m.failures = ev.Failures
		if ev.Err != nil {
			m.lastErr = redact.Text(ev.Err.Error())
		}
	case rot.EventRotated, rot.EventKept:
		m.failures, m.lastErr = 0, ""
		m.rotations++
	case rot.EventFresh:
		m.failures, m.lastErr = 0, ""
	}
	if ev.Kind == rot.EventStarted {
		return
	}
	m.history = append(m.history, ev)
	if len(m.history) > MaxHistory {
		m.history = m.history[len(m.history)-MaxHistory:]
	}
}

// View draws the screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore rotate"
	return v
}

// Render is the screen as text.
func (m Model) Render() string {
	t := m.theme
	now := m.now()
	w := max(m.width, 50)
	rule := " " + t.Faint.Render(strings.Repeat("─", w-2))
	var b strings.Builder

	title := " " + t.Title.Render("Rotate") + " · " + m.info.Secret + " · watching"
	right := fmt.Sprintf("%d rotated", m.rotations)
	if m.failures > 0 {
		right = t.Red.Render(fmt.Sprintf("%d failing", m.failures)) + " · " + right
	}
	gap := max(w-lipgloss.Width(title)-lipgloss.Width(right)-1, 2)
	b.WriteString(title + strings.Repeat(" ", gap) + right + "\n")
	b.WriteString(rule + "\n")

	// Countdown.
	var status style.Status
	var line string
	switch {
	case m.expiry.IsZero():
		status, line = style.Running, "reading the Secret…"
	case !m.expiry.After(now):
		status = style.Fail
		line = fmt.Sprintf("token EXPIRED %s ago (%s) — the gateway's calls get 401", style.Short(now.Sub(m.expiry)), m.expiry.Local().Format("15:04:05"))
	default:
		left := m.expiry.Sub(now)
		status = style.Pass
		if m.failures > 0 || left < m.threshold {
			status = style.Warn
		}
		line = fmt.Sprintf("token expires in %s (%s)", countdown(left), m.expiry.Local().Format("15:04:05"))
	}
	b.WriteString("  " + t.Symbol(status) + " " + t.Bold.Render(line) + "\n")
	if !m.expiry.IsZero() && m.expiry.After(now) {
		b.WriteString("    " + m.bar(now, w-8) + "\n")
	}
	var next string
	switch {
	case m.done:
		next = "stopped"
	case m.next.IsZero():
		next = "next check …"
	case !m.next.After(now):
		next = "working…"
	case m.failures > 0:
		next = fmt.Sprintf("retry %s (%s) · attempt %d", style.Relative(m.next, now), m.next.Local().Format("15:04:05"), m.failures+1)
	default:
		next = fmt.Sprintf("next check %s (%s)", style.Relative(m.next, now), m.next.Local().Format("15:04:05"))
		if m.threshold > 0 {
			next += fmt.Sprintf(" · rotates when less than %s is left", style.Short(m.threshold))
		}
	}
	b.WriteString("    " + t.Faint.Render(next) + "\n")
	b.WriteString("    " + t.Faint.Render(truncate(fmt.Sprintf("%s token · claims checked against %s", m.info.TokenUse, m.info.Authorizer), w-6)) + "\n")
	if m.lastErr != "" {
		b.WriteString("  " + t.Red.Render(truncate("ALERT: "+m.lastErr, w-4)) + "\n")
	}
	b.WriteString(rule + "\n")

	// History, newest first, as many as fit.
	b.WriteString("  " + t.Faint.Render(fmt.Sprintf("%-10s %-8s %s", "TIME", "EVENT", "DETAIL")) + "\n")
	m.help.SetWidth(w - 2)
	keyLines := strings.Split(m.help.View(m.keys), "\n")
	rows := max(m.height-11-len(keyLines), 3)
	for i := len(m.history) - 1; i >= 0 && rows > 0; i, rows = i-1, rows-1 {
		b.WriteString("  " + m.historyLine(m.history[i], w-4) + "\n")
	}
	b.WriteString(rule + "\n")
	for _, l := range keyLines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func (m Model) historyLine(ev rot.Event, w int) string {
	t := m.theme
	ts := ev.Time.Local().Format("15:04:05")
	var sym, kind, detail string
	switch ev.Kind {
	case rot.EventRotated, rot.EventKept:
		sym, kind = t.Symbol(style.Pass), "rotated"
		if ev.Kind == rot.EventKept {
			kind = "kept"
		}
		if r := ev.Result; r != nil {
			layout := "15:04"
			if ev.Lifetime > 0 && ev.Lifetime < 10*time.Minute {
				layout = "15:04:05" // short-lived (test) tokens: minutes alone would repeat row after row
			}
			detail = fmt.Sprintf("via %s · new token until %s", r.Method, ev.Expiry.Local().Format(layout))
			if r.Conflicts > 0 {
				detail += " · " + words.Count(r.Conflicts, "conflict") + " retried"
			}
			if r.RefreshTokenRotated {
				detail += " · refresh token stored"
			}
		}
	case rot.EventFresh:
		sym, kind = t.Symbol(style.Skip), "fresh"
		detail = fmt.Sprintf("%s left", style.Short(ev.Expiry.Sub(ev.Time)))
	case rot.EventFailed:
		sym, kind = t.Symbol(style.Fail), "failed"
		if ev.Err != nil {
			detail = redact.Text(ev.Err.Error())
		}
	case rot.EventStopping:
		sym, kind, detail = t.Symbol(style.Skip), "stopped", "shutdown requested"
	default:
		sym, kind = " ", string(ev.Kind)
	}
	return truncate(fmt.Sprintf("%s %s %-8s %s", ts, sym, kind, detail), w)
}

func (m Model) bar(now time.Time, width int) string {
	t := m.theme
	width = min(width, 60)
	lifetime := m.lifetime
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	frac := float64(m.expiry.Sub(now)) / float64(lifetime)
	frac = min(max(frac, 0), 1)
	full := int(frac * float64(width))
	st := t.Green
	if m.threshold > 0 && m.expiry.Sub(now) < m.threshold {
		st = t.Amber
	}
	fill, empty := "█", "░"
	if t.ASCII {
		fill, empty = "#", "."
	}
	return st.Render(strings.Repeat(fill, full)) + t.Faint.Render(strings.Repeat(empty, width-full))
}

func countdown(d time.Duration) string {
	d = d.Round(time.Second)
	h, mi, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm%02ds", h, mi, s)
	}
	return fmt.Sprintf("%dm%02ds", mi, s)
}

func truncate(s string, w int) string {
	if w < 10 {
		return s
	}
	return ansi.Truncate(s, w, "…")
}
