// Package home is the screen `kubectl agentcore` opens on a terminal: a header with where the plugin points
// (kube context, namespace, AWS region and account), the menu of capabilities with live hints, and key help.
// Everything slow (kubeconfig, STS, hints) arrives after the first frame through loaders the plugin passes in.
package home

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// keyMap is the home screen's keys.
type keyMap struct {
	Up, Down, Top, Bottom, Move key.Binding
	Open, Jump                  key.Binding
	Help, Quit, Interrupt       key.Binding
}

// newKeyMap builds the keys; Jump is the items' first letters (w d t r l …), each jumping to its item.
func newKeyMap(items []Item) keyMap {
	var letters []string
	for _, it := range items {
		if l := strings.ToLower(it.Title[:min(1, len(it.Title))]); l != "" && !slices.Contains(letters, l) {
			letters = append(letters, l)
		}
	}
	return keyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k", "shift+tab"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j", "tab"), key.WithHelp("↓/j", "down")),
		Top:       keys.Top,
		Bottom:    keys.Bottom,
		Move:      keys.Move,
		Open:      key.NewBinding(key.WithKeys("enter", "space", "right"), key.WithHelp("enter", "open")),
		Jump:      key.NewBinding(key.WithKeys(letters...), key.WithHelp(strings.Join(letters, " "), "jump to the item")),
		Help:      keys.Help,
		Quit:      key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q", "quit")),
		Interrupt: keys.Interrupt,
	}
}

// ShortHelp is the line under the menu.
func (k keyMap) ShortHelp() []key.Binding { return []key.Binding{k.Move, k.Open, k.Help, k.Quit} }

// FullHelp is every key, in columns (? toggles it).
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Open, k.Jump}, {k.Help, k.Quit}}
}

// Item is one capability in the menu. Key is the subcommand it opens, with Args (e.g. rotate opens its
// --watch screen, the one with the countdown and a key to rotate now).
type Item struct {
	Key, Title, Desc string
	Args             []string
}

// Header is what the top line shows. Empty fields render as "…" until loaded; Err fields say what failed.
type Header struct {
	Context, Namespace string
	// As is the user impersonated with --as ("" = none): every call is made as that user.
	As              string
	KubeErr         string
	Region, Account string
	AWSErr          string
}

// Hint is a right-hand note for one menu item, e.g. "token expires in 12m".
type Hint struct {
	Text   string
	Status style.Status
}

// Loaders are called in the background after the first frame. Any may be nil.
type Loaders struct {
	Kube  func(ctx context.Context) (ctx_, ns string, err error)
	AWS   func(ctx context.Context) (region, account string, err error)
	Hints func(ctx context.Context) map[string]Hint
}

type (
	kubeMsg struct {
		ctx, ns string
		err     error
	}
	awsMsg struct {
		region, account string
		err             error
	}
	hintsMsg map[string]Hint
)

// Model is the home screen.
type Model struct {
	Items   []Item
	theme   style.Theme
	loaders Loaders
	ctx     context.Context

	cursor        int
	width, height int
	header        Header
	kubeDone      bool
	awsDone       bool
	hints         map[string]Hint
	keys          keyMap
	help          help.Model

	// Status is a one-line message under the menu (e.g. why an item could not open).
	Status string
	// Chosen is the key of the item picked with enter; empty when the user quit.
	Chosen string
}

// New builds the home model.
func New(ctx context.Context, items []Item, theme style.Theme, l Loaders) Model {
	return Model{Items: items, theme: theme, loaders: l, ctx: ctx, width: 80, height: 20, keys: newKeyMap(items), help: keys.NewHelp(theme)}
}

// SetCursor selects the item with the given key (used when coming back from a screen).
func (m *Model) SetCursor(key string) {
	for i, it := range m.Items {
		if it.Key == key {
			m.cursor = i
		}
	}
}

// Impersonating is m with the header saying that every call is made as user (kubectl's --as).
func (m Model) Impersonating(user string) Model {
	m.header.As = user
	return m
}

// Init starts the background loaders; the first frame does not wait for them.
func (m Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	ctx := m.ctx
	if l := m.loaders.Kube; l != nil {
		cmds = append(cmds, func() tea.Msg {
			c, ns, err := l(ctx)
			return kubeMsg{c, ns, err}
		})
	}
	if l := m.loaders.AWS; l != nil {
		cmds = append(cmds, func() tea.Msg {
			r, a, err := l(ctx)
			return awsMsg{r, a, err}
		})
	}
	if l := m.loaders.Hints; l != nil {
		cmds = append(cmds, func() tea.Msg { return hintsMsg(l(ctx)) })
	}
	return tea.Batch(cmds...)
}

// Update handles keys, resizes and loader results.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case kubeMsg:
		m.kubeDone = true
		m.header.Context, m.header.Namespace = msg.ctx, msg.ns
		if msg.err != nil {
			m.header.KubeErr = msg.err.Error()
		}
	case awsMsg:
		m.awsDone = true
		m.header.Region, m.header.Account = msg.region, msg.account
		if msg.err != nil {
			m.header.AWSErr = msg.err.Error()
		}
	case hintsMsg:
		m.hints = msg
	case tea.KeyPressMsg:
		m.Status = ""
		k := m.keys
		switch {
		case key.Matches(msg, k.Quit), key.Matches(msg, k.Interrupt):
			m.Chosen = ""
			return m, tea.Quit
		case key.Matches(msg, k.Up):
			m.cursor = (m.cursor - 1 + len(m.Items)) % len(m.Items)
		case key.Matches(msg, k.Down):
			m.cursor = (m.cursor + 1) % len(m.Items)
		case key.Matches(msg, k.Top):
			m.cursor = 0
		case key.Matches(msg, k.Bottom):
			m.cursor = len(m.Items) - 1
		case key.Matches(msg, k.Help):
			m.help.ShowAll = !m.help.ShowAll
		case key.Matches(msg, k.Open):
			m.Chosen = m.Items[m.cursor].Key
			return m, tea.Quit
		case key.Matches(msg, k.Jump):
			// The first letter of a title jumps to it (w wizard, d doctor, …); it never opens.
			for i, it := range m.Items {
				if strings.HasPrefix(strings.ToLower(it.Title), msg.String()) {
					m.cursor = i
					break
				}
			}
		}
	}
	return m, nil
}

// View renders the screen in the alternate buffer.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "kubectl agentcore"
	return v
}

// Render is the screen as text (also used by golden tests).
func (m Model) Render() string {
	t := m.theme
	w := m.width
	if w < 40 {
		w = 40
	}
	rule := t.Faint.Render(strings.Repeat("─", w-2))
	var b strings.Builder

	left := " " + t.Title.Render("kubectl agentcore")
	right := m.headerRight()
	if gap := w - lipgloss.Width(left) - lipgloss.Width(right) - 1; gap >= 2 {
		b.WriteString(left + strings.Repeat(" ", gap) + right + "\n")
	} else {
		// too narrow for one line: the context, namespace, user and AWS account on a line of their own, cut
		// at the screen's edge
		b.WriteString(left + "\n " + ansi.Truncate(right, w-2, "…") + "\n")
	}
	b.WriteString(" " + rule + "\n")

	titleW, descW := 12, 0
	for _, it := range m.Items {
		if l := len(it.Desc); l > descW {
			descW = l
		}
	}
	for i, it := range m.Items {
		marker := "  "
		title := fmt.Sprintf("%-*s", titleW, it.Title)
		if i == m.cursor {
			marker = "▸ "
			if t.ASCII {
				marker = "> "
			}
			title = t.Selected.Render(title)
		}
		line := "  " + marker + title
		if h, ok := m.hints[it.Key]; ok && h.Text != "" {
			line += t.Faint.Render(fmt.Sprintf("%-*s", descW, it.Desc)) + "  " + m.hintText(h)
		} else {
			line += t.Faint.Render(it.Desc)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(" " + rule + "\n")
	if m.Status != "" {
		b.WriteString("  " + t.Amber.Render(m.Status) + "\n")
	}
	m.help.SetWidth(w - 2)
	for _, l := range strings.Split(m.help.View(m.keys), "\n") {
		b.WriteString("  " + l + "\n")
	}
	if m.help.ShowAll {
		b.WriteString("  " + t.Faint.Render("Every screen also runs without a terminal: kubectl agentcore <command> --help") + "\n")
	}
	return b.String()
}

func (m Model) headerRight() string {
	t := m.theme
	h := m.header
	var kube string
	switch {
	case !m.kubeDone:
		kube = "ctx … · ns …"
	case h.KubeErr != "":
		kube = t.Amber.Render("no kube context")
	default:
		kube = "ctx " + h.Context + " · ns " + h.Namespace
	}
	if h.As != "" { // first: cut at a narrow screen's edge, it must not be what goes
		kube = t.Amber.Render("as "+h.As) + " · " + kube
	}
	var aws string
	switch {
	case !m.awsDone:
		aws = "aws …"
	case h.AWSErr != "" && h.Region == "":
		aws = t.Amber.Render("aws not configured")
	case h.AWSErr != "":
		aws = "aws " + h.Region + " " + t.Amber.Render("(no credentials)")
	case h.Account != "":
		aws = fmt.Sprintf("aws %s (%s)", h.Region, shortAccount(h.Account))
	default:
		aws = "aws " + h.Region
	}
	return kube + " · " + aws
}

func (m Model) hintText(h Hint) string {
	t := m.theme
	switch h.Status {
	case style.Warn:
		return t.Amber.Render(h.Text + " " + t.Symbol(style.Warn))
	case style.Fail:
		return t.Red.Render(h.Text + " " + t.Symbol(style.Fail))
	}
	return t.Faint.Render(h.Text)
}

// shortAccount shows an account id as 986…769.
func shortAccount(a string) string {
	if len(a) != 12 {
		return a
	}
	return a[:3] + "…" + a[9:]
}

// DefaultItems is the menu in the order of the UX guide.
func DefaultItems() []Item {
	return []Item{
		{Key: "wizard", Title: "Wizard", Desc: "set up an AgentCore runtime behind Agent Gateway"},
		{Key: "doctor", Title: "Doctor", Desc: "find why calls fail (401, 403, 429 …)"},
		{Key: "setups", Title: "Setups", Desc: "every setup: token left, rotation, doctor status"},
		{Key: "token", Title: "Token", Desc: "decode and verify a JWT"},
		{Key: "rotate", Title: "Rotate", Desc: "refresh the gateway's token", Args: []string{"--watch"}},
		{Key: "logs", Title: "Logs", Desc: "stream gateway logs", Args: []string{"--follow"}},
		{Key: "teardown", Title: "Teardown", Desc: "remove what the wizard created"},
	}
}

// LoadTimeout bounds every background loader so a dead cluster never hangs the header.
const LoadTimeout = 8 * time.Second
