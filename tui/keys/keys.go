// Package keys holds the key bindings every screen shares (quit, back, help, moving and scrolling) and the help
// line that renders a screen's keymap: each screen declares one keymap of key.Bindings, built from these where
// the key means the same thing, and shows it with Help (the bubbles help model, themed). Press ? for the full
// help on any screen.
package keys

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// The shared bindings. Screens copy them into their keymap (a key.Binding is a value) and may change the help
// text (e.g. "q back" where q returns to where the screen was opened from).
var (
	// Quit leaves the screen.
	Quit = key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit"))
	// Interrupt leaves at once, from anywhere (also while typing).
	Interrupt = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))
	// Back closes a detail, a filter or a page and goes one level up.
	Back = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	// Help toggles the full help.
	Help = key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help"))
	// Up and Down move a selection or scroll.
	Up   = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	Down = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	// Move is Up and Down as one entry of the help line ("↑/↓ move"); screens match Up and Down.
	Move = key.NewBinding(key.WithKeys("up", "down", "k", "j"), key.WithHelp("↑/↓", "move"))
	// Top and Bottom jump to the first and the last line.
	Top    = key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "top"))
	Bottom = key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "bottom"))
	// Enter opens or confirms what is selected.
	Enter = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
)

// With is b with another help text (same keys).
func With(b key.Binding, helpKey, desc string) key.Binding {
	b.SetHelp(helpKey, desc)
	return b
}

// NewHelp is the help model in the theme's look: keys bold, descriptions faint, " · " between them (plain text when
// colour is off, as every screen is).
func NewHelp(t style.Theme) help.Model {
	h := help.New()
	h.ShortSeparator = " · "
	h.FullSeparator = "    "
	h.Styles = help.Styles{
		ShortKey: t.Key, ShortDesc: t.Faint, ShortSeparator: t.Faint, Ellipsis: t.Faint,
		FullKey: t.Key, FullDesc: t.Faint, FullSeparator: t.Faint,
	}
	return h
}
