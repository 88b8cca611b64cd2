// Package logs is the logs screen: a table of the gateway's access log that follows the tail, status
// coloured, with pause, a live filter, a detail pane that names the likely cause of a 401/403, and counts by
// status class. Entries arrive in batches (plugin/logs.Batcher) at most ~20 times a second and are kept in a
// bounded ring, so a flood never freezes the screen or grows memory. It only renders: the command feeds it.
package logs

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	pl "github.com/kubectl-agentcore/kubectl-agentcore/plugin/logs"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// keyMap is the logs screen's keys; the footer shows those of the mode the screen is in (table, filter being
// typed, detail).
type keyMap struct {
	Pause, Filter, Up, Down, Move, Top, Bottom, Details, Stats, Doctor key.Binding
	Apply, Clear                                                       key.Binding // typing a filter
	Close                                                              key.Binding // detail
	Back, Help, Quit, Interrupt                                        key.Binding
	filtering, detail, paused                                          bool
}

func newKeyMap(doctor bool) keyMap {
	k := keyMap{
		Pause:     key.NewBinding(key.WithKeys("space", " "), key.WithHelp("space", "pause")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Up:        keys.Up,
		Down:      keys.Down,
		Move:      keys.With(keys.Move, "↑/↓", "select"),
		Top:       keys.Top,
		Bottom:    keys.With(keys.Bottom, "G/end", "follow the newest"),
		Details:   keys.With(keys.Enter, "enter", "details"),
		Stats:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "stats")),
		Doctor:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "doctor")),
		Apply:     keys.With(keys.Enter, "enter", "apply"),
		Clear:     keys.With(keys.Back, "esc", "clear"),
		Close:     key.NewBinding(key.WithKeys("esc", "enter", "backspace", "q", "left", "h"), key.WithHelp("esc", "back")),
		Back:      keys.With(keys.Back, "esc", "close stats / clear filter / quit"),
		Help:      keys.Help,
		Quit:      keys.Quit,
		Interrupt: keys.Interrupt,
	}
	k.Doctor.SetEnabled(doctor)
	return k
}

// ShortHelp is the footer's keys for the mode shown.
func (k keyMap) ShortHelp() []key.Binding {
	switch {
	case k.filtering:
		return []key.Binding{k.Apply, k.Clear}
	case k.detail:
		return []key.Binding{k.Close, k.Doctor}
	}
	pause := k.Pause
	if k.paused {
		pause.SetHelp("space", "resume")
	}
	return []key.Binding{pause, k.Filter, k.Move, k.Details, k.Doctor, k.Stats, k.Quit, k.Help}
}

// FullHelp is every key of the table, in columns (? toggles it).
func (k keyMap) FullHelp() [][]key.Binding {
	if k.filtering || k.detail {
		return [][]key.Binding{k.ShortHelp()}
	}
	return [][]key.Binding{{k.Pause, k.Up, k.Down, k.Top, k.Bottom}, {k.Filter, k.Details, k.Stats, k.Doctor}, {k.Back, k.Help, k.Quit, k.Interrupt}}
}

// Config is what the screen shows.
type Config struct {
	// Gateway is namespace/name; Source overrides the header's subject (e.g. a file name).
	Gateway string
	Source  string
	Theme   style.Theme
	Buffer  int
	Batches <-chan pl.Batch
	// Following says the source follows (header "following"); otherwise "read".
	Following bool
	// Doctor says whether the d key can open the doctor.
	Doctor bool
}

type batchMsg struct {
	b  pl.Batch
	ok bool
}

// Model is the logs screen.
type Model struct {
	cfg    Config
	ring   *pl.Ring[pl.Entry]
	seq    uint64
	width  int
	height int

	paused bool
	sel    uint64 // selected entry's Seq; 0 = the newest (following)

	filtering bool
	filterIn  string
	live      liveFilter

	detail bool
	stats  bool

	pods    []string
	podsSet bool
	notice  string
	done    bool
	err     error
	report  pl.StatsReport
	dropped int
	newer   int // entries that arrived while paused

	keys keyMap
	help help.Model

	// OpenDoctor is set when the user pressed d: the command runs the doctor after the screen closes.
	OpenDoctor bool
}

// New builds the screen.
func New(cfg Config) Model {
	if cfg.Buffer <= 0 {
		cfg.Buffer = pl.DefaultBuffer
	}
	return Model{cfg: cfg, ring: pl.NewRing[pl.Entry](cfg.Buffer), width: 100, height: 30, keys: newKeyMap(cfg.Doctor), help: keys.NewHelp(cfg.Theme)}
}

// Report is the counters as of the last batch (for --stats after the screen closes).
func (m Model) Report() pl.StatsReport { return m.report }

// Init starts waiting for the first batch.
func (m Model) Init() tea.Cmd { return m.wait() }

func (m Model) wait() tea.Cmd {
	ch := m.cfg.Batches
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		b, ok := <-ch
		return batchMsg{b, ok}
	}
}

// Update handles batches, keys and resizes.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case batchMsg:
		if !msg.ok {
			m.done = true
			return m, nil
		}
		m.apply(msg.b)
		if msg.b.Done {
			m.done = true
			return m, nil
		}
		return m, m.wait()
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) apply(b pl.Batch) {
	for i := range b.Entries {
		m.seq++
		b.Entries[i].Seq = m.seq
		m.ring.Push(b.Entries[i])
		if m.paused {
			m.newer++
		}
	}
	m.report = b.Report
	m.dropped += b.Dropped
	if b.Pods != nil {
		m.pods, m.podsSet = b.Pods, true
	}
	if b.Notice != "" {
		m.notice = b.Notice
	}
	if b.Err != nil {
		m.err = b.Err
	}
}

func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if key.Matches(msg, k.Interrupt) {
		return m, tea.Quit
	}
	if m.filtering {
		switch {
		case key.Matches(msg, k.Apply):
			m.filtering = false
		case key.Matches(msg, k.Clear):
			m.filtering, m.filterIn = false, ""
			m.live = liveFilter{}
		case msg.String() == "backspace":
			if r := []rune(m.filterIn); len(r) > 0 {
				m.filterIn = string(r[:len(r)-1])
			}
			m.live = parseLive(m.filterIn)
		case msg.Text != "":
			m.filterIn += msg.Text
			m.live = parseLive(m.filterIn)
		}
		return m, nil
	}
	if m.detail {
		switch {
		case key.Matches(msg, k.Close):
			m.detail = false
		case key.Matches(msg, k.Doctor):
			m.OpenDoctor = true
			return m, tea.Quit
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Back):
		if m.stats {
			m.stats = false
		} else if m.live.active() {
			m.filterIn, m.live = "", liveFilter{}
		} else {
			return m, tea.Quit
		}
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	case key.Matches(msg, k.Pause):
		m.paused = !m.paused
		if m.paused {
			m.sel = m.lastVisibleSeq()
		} else {
			m.sel, m.newer = 0, 0
		}
	case key.Matches(msg, k.Filter):
		m.filtering = true
	case key.Matches(msg, k.Stats):
		m.stats = !m.stats
	case key.Matches(msg, k.Doctor):
		m.OpenDoctor = true
		return m, tea.Quit
	case key.Matches(msg, k.Details):
		if m.selected() != nil {
			m.detail = true
		}
	case key.Matches(msg, k.Up):
		if !m.paused {
			m.paused, m.sel = true, m.lastVisibleSeq()
		}
		if s := m.step(m.sel, -1); s != 0 {
			m.sel = s
		}
	case key.Matches(msg, k.Down):
		if m.paused {
			if s := m.step(m.sel, +1); s != 0 {
				m.sel = s
			}
		}
	case key.Matches(msg, k.Bottom):
		m.paused, m.sel, m.newer = false, 0, 0
	case key.Matches(msg, k.Top):
		m.paused = true
		if m.ring.Len() > 0 {
			m.sel = m.step(m.ring.At(0).Seq-1, +1)
		}
	}
	return m, nil
}

// index of the entry with seq in the ring, or -1.
func (m Model) index(seq uint64) int {
	n := m.ring.Len()
	if n == 0 || seq == 0 {
		return -1
	}
	first := m.ring.At(0).Seq
	if seq < first || seq > first+uint64(n)-1 {
		return -1
	}
	return int(seq - first)
}

// step finds the next (dir=+1) or previous (-1) entry passing the live filter from seq; 0 when none.
func (m Model) step(seq uint64, dir int) uint64 {
	n := m.ring.Len()
	if n == 0 {
		return 0
	}
	first := m.ring.At(0).Seq
	i := int(int64(seq)-int64(first)) + dir
	for ; i >= 0 && i < n; i += dir {
		if e := m.ring.At(i); m.live.match(e) {
			return e.Seq
		}
	}
	return 0
}

func (m Model) lastVisibleSeq() uint64 {
	n := m.ring.Len()
	if n == 0 {
		return 0
	}
	return m.step(m.ring.At(n-1).Seq+1, -1)
}

func (m Model) selected() *pl.Entry {
	seq := m.sel
	if seq == 0 {
		seq = m.lastVisibleSeq()
	}
	if i := m.index(seq); i >= 0 {
		return m.ring.At(i)
	}
	return nil
}

// View renders the screen in the alternate screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore logs"
	return v
}

var podPalette = []string{"#58A6FF", "#D2A8FF", "#79C0FF", "#FFA657", "#7EE787", "#FF7B72", "#A5D6FF", "#F2CC60"}

func (m Model) podStyle(pod string) lipgloss.Style { return PodStyle(m.cfg.Theme, pod) }

// PodStyle is the pod's stable colour (the same pod always gets the same one; plain without colour).
func PodStyle(t style.Theme, pod string) lipgloss.Style {
	if !t.Color {
		return lipgloss.NewStyle()
	}
	return lipgloss.NewStyle().Foreground(lipgloss.Color(podPalette[pl.PodColor(pod, len(podPalette))]))
}

// Render is the screen as text (tests use it).
func (m Model) Render() string {
	t := m.cfg.Theme
	w := max(m.width, 40)
	h := max(m.height, 8)
	var b strings.Builder
	line := func(s string) {
		b.WriteString(ansi.Truncate(s, w, "…"))
		b.WriteByte('\n')
	}
	line(m.header())
	if m.filtering || m.live.active() {
		cursor := ""
		if m.filtering {
			cursor = "▏"
		}
		line(" " + t.Key.Render("/") + " " + m.filterIn + cursor + t.Faint.Render("   (401 · 4xx · 401,5xx · text)"))
	}
	footer := m.footer(w)
	used := strings.Count(b.String(), "\n")
	bodyH := h - used - 1 - len(footer)
	switch {
	case m.detail:
		m.renderDetail(&b, w, bodyH)
	case m.stats:
		m.renderStats(&b, w, bodyH)
	default:
		m.renderTable(&b, w, bodyH)
	}
	b.WriteString(t.Faint.Render(strings.Repeat("─", w-1)))
	b.WriteByte('\n')
	for i, l := range footer {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(ansi.Truncate(l, w, "…"))
	}
	return b.String()
}

func (m Model) header() string {
	t := m.cfg.Theme
	subject := m.cfg.Gateway
	if m.cfg.Source != "" {
		subject = m.cfg.Source
	}
	parts := []string{t.Title.Render("Logs") + " · " + subject}
	if m.podsSet {
		parts = append(parts, "("+words.Count(len(m.pods), "pod")+")")
	}
	state := "following"
	switch {
	case m.paused:
		state = t.Amber.Render("paused")
		if m.newer > 0 {
			state += t.Faint.Render(fmt.Sprintf(" (+%d new)", m.newer))
		}
	case m.done:
		state = "end of log"
	case !m.cfg.Following:
		state = "reading"
	}
	left := " " + strings.Join(parts, " ") + " · " + state
	var counts []string
	for _, c := range m.report.ByClass {
		label := c.Key
		switch c.Key {
		case "2xx":
			label = t.Green.Render(c.Key)
		case "4xx":
			label = t.Red.Render(c.Key)
		case "5xx":
			label = t.Magenta.Render(c.Key)
		}
		counts = append(counts, fmt.Sprintf("%s %d", label, c.Count))
	}
	right := strings.Join(counts, "  ")
	gap := max(m.width-ansi.StringWidth(left)-ansi.StringWidth(right)-1, 2)
	return left + strings.Repeat(" ", gap) + right
}

// footer is the keys of the mode shown (several lines with ? on), then an error or a notice on the first line.
func (m Model) footer(w int) []string {
	t := m.cfg.Theme
	k := m.keys
	k.filtering, k.detail, k.paused = m.filtering, m.detail, m.paused
	m.help.SetWidth(w - 2)
	lines := strings.Split(m.help.View(k), "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	if m.err != nil {
		lines[0] = " " + t.Red.Render("error: "+m.err.Error())
	} else if m.notice != "" && !m.filtering {
		lines[0] += "   " + t.Faint.Render(m.notice)
	}
	return lines
}

const (
	colTime   = 8
	colPod    = 14
	colStatus = 6
	colMethod = 6
	colRoute  = 24
	colReason = 15
	colDur    = 9
)

func pad(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

// ShortPod drops the Deployment-style prefix shared by the proxy pods: "agentgateway-proxy-7c9d5-x2k9q" →
// "7c9d5-x2k9q" (the gateway name is in the header).
func ShortPod(pod, gateway string) string {
	if _, name, ok := strings.Cut(gateway, "/"); ok {
		gateway = name
	}
	if gateway != "" && strings.HasPrefix(pod, gateway+"-") && len(pod) > len(gateway)+1 {
		return pod[len(gateway)+1:]
	}
	return pod
}

func (m Model) renderTable(b *strings.Builder, w, bodyH int) {
	t := m.cfg.Theme
	hdr := " " + pad("TIME", colTime) + " " + pad("POD", colPod) + " " + pad("STATUS", colStatus) + " " +
		pad("METHOD", colMethod) + " " + pad("ROUTE", colRoute) + " " + pad("REASON", colReason) + " " +
		pad("DURATION", colDur) + " [caller=SUB] ERROR / PATH"
	b.WriteString(t.Faint.Render(ansi.Truncate(hdr, w, "")))
	b.WriteByte('\n')
	rows := bodyH - 1
	// collect the rows ending at the anchor (the selection when paused, else the newest), newest last
	var idx []int
	n := m.ring.Len()
	end := n - 1
	if m.paused && m.sel != 0 {
		if i := m.index(m.sel); i >= 0 {
			end = i
			// keep some rows below the selection visible when there are
			for k, i := 0, end+1; k < rows/3 && i < n; i++ {
				if m.live.match(m.ring.At(i)) {
					end = i
					k++
				}
			}
		}
	}
	for i := end; i >= 0 && len(idx) < rows; i-- {
		if m.live.match(m.ring.At(i)) {
			idx = append(idx, i)
		}
	}
	for i := len(idx) - 1; i >= 0; i-- {
		e := m.ring.At(idx[i])
		row := m.row(e, w)
		if m.paused && e.Seq == m.sel {
			row = t.Selected.Render(ansi.Strip(row))
		}
		b.WriteString(row)
		b.WriteByte('\n')
	}
	for k := len(idx); k < rows; k++ {
		if k == 0 && len(idx) == 0 {
			msg := "waiting for log lines…"
			if m.done {
				msg = "no lines matched"
			}
			b.WriteString(" " + t.Faint.Render(msg))
		}
		b.WriteByte('\n')
	}
}

func (m Model) row(e *pl.Entry, w int) string {
	t := m.cfg.Theme
	ts := ""
	if !e.Time.IsZero() {
		ts = e.Time.Local().Format("15:04:05")
	}
	pod := m.podStyle(e.Pod).Render(pad(ShortPod(e.Pod, m.cfg.Gateway), colPod))
	var s string
	if !e.Access {
		s = " " + pad(ts, colTime) + " " + pod + " " + t.Faint.Render(sanitize(e.Message))
	} else {
		status := pad(fmt.Sprint(e.Status), colStatus)
		if e.Status > 0 {
			status = t.HTTPStatus(e.Status) + strings.Repeat(" ", max(colStatus-len(fmt.Sprint(e.Status)), 0))
		}
		tail := e.Error
		if tail == "" {
			tail = e.Path
		}
		if e.JWTSubject != "" {
			tail = "caller=" + e.JWTSubject + " " + tail
		}
		s = " " + pad(ts, colTime) + " " + pod + " " + status + " " + pad(e.Method, colMethod) + " " +
			pad(e.Route, colRoute) + " " + pad(e.Reason, colReason) + " " + pad(e.Duration, colDur) + " " + sanitize(tail)
	}
	return ansi.Truncate(s, w, "…")
}

// sanitize keeps control characters and escape sequences in log lines from driving the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return '·'
		}
		return r
	}, s)
}

func (m Model) renderDetail(b *strings.Builder, w, bodyH int) {
	t := m.cfg.Theme
	e := m.selected()
	lines := []string{}
	if e == nil {
		lines = append(lines, " nothing selected")
	} else {
		ts := ""
		if !e.Time.IsZero() {
			ts = e.Time.Local().Format("2006-01-02 15:04:05.000 MST")
		}
		add := func(k, v string) {
			if v != "" {
				lines = append(lines, " "+t.Faint.Render(pad(k, 14))+" "+sanitize(v))
			}
		}
		add("time", ts)
		add("pod", e.Pod)
		add("container", e.Container)
		if e.Status > 0 {
			lines = append(lines, " "+t.Faint.Render(pad("status", 14))+" "+t.HTTPStatus(e.Status))
		}
		if cause := e.Cause(); cause != "" {
			lines = append(lines, "", " "+t.Red.Render("likely cause"))
			for _, l := range strings.Split(ansi.Wordwrap(cause, w-4, " "), "\n") {
				lines = append(lines, "   "+l)
			}
			lines = append(lines, "")
		}
		if !e.Access {
			add("message", e.Message)
		}
		for _, f := range e.Fields {
			add(f.Key, f.Value)
		}
		lines = append(lines, "", " "+t.Faint.Render("raw"))
		for _, l := range strings.Split(ansi.Hardwrap(sanitize(e.Raw), w-3, true), "\n") {
			if len(lines) >= bodyH {
				break
			}
			lines = append(lines, "  "+l)
		}
	}
	for i := 0; i < bodyH; i++ {
		if i < len(lines) {
			b.WriteString(ansi.Truncate(lines[i], w, "…"))
		}
		b.WriteByte('\n')
	}
}

func (m Model) renderStats(b *strings.Builder, w, bodyH int) {
	t := m.cfg.Theme
	r := m.report
	lines := []string{fmt.Sprintf(" %d lines · %d access · %d other", r.Lines, r.Access, r.Other)}
	if m.dropped > 0 {
		lines = append(lines, t.Faint.Render(fmt.Sprintf(" %d lines arrived faster than shown (counted, not kept)", m.dropped)))
	}
	section := func(title string, cs []pl.Count) {
		lines = append(lines, "", " "+t.Bold.Render(title))
		for i, c := range cs {
			if i == 8 {
				lines = append(lines, fmt.Sprintf("   … %d more", len(cs)-8))
				break
			}
			lines = append(lines, fmt.Sprintf("   %-28s %d", c.Key, c.Count))
		}
	}
	section("by status", r.ByStatus)
	section("by reason", r.ByReason)
	section("by route", r.ByRoute)
	for i := 0; i < bodyH; i++ {
		if i < len(lines) {
			b.WriteString(ansi.Truncate(lines[i], w, "…"))
		}
		b.WriteByte('\n')
	}
}

// liveFilter is what `/` typed: status specs ("401", "4xx", "401,5xx") filter by status, anything else is a
// case-insensitive substring of the raw line.
type liveFilter struct {
	statuses []pl.StatusRange
	text     string
}

func parseLive(s string) liveFilter {
	s = strings.TrimSpace(s)
	if s == "" {
		return liveFilter{}
	}
	if st, err := pl.ParseStatuses([]string{s}); err == nil && len(st) > 0 {
		return liveFilter{statuses: st}
	}
	return liveFilter{text: strings.ToLower(s)}
}

func (f liveFilter) active() bool { return len(f.statuses) > 0 || f.text != "" }

func (f liveFilter) match(e *pl.Entry) bool {
	if len(f.statuses) > 0 {
		if !e.Access {
			return false
		}
		for _, r := range f.statuses {
			if e.Status >= r.Lo && e.Status <= r.Hi {
				return true
			}
		}
		return false
	}
	if f.text != "" {
		return strings.Contains(strings.ToLower(e.Raw), f.text)
	}
	return true
}
