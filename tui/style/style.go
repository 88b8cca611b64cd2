// Package style is the one look of kubectl-agentcore: colours, status symbols (with the ASCII fallback) and
// the small text helpers every screen and plain-text renderer shares. With colour off every style renders plain.
package style

import (
	"fmt"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/humantime"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/status"
)

// Status of a check or an event: the shared vocabulary (internal/status).
type Status = status.Status

const (
	Pass    = status.Pass
	Warn    = status.Warn
	Fail    = status.Fail
	Skip    = status.Skip
	Running = status.Running
)

// Theme is the set of styles for one output: colour on or off, Unicode or ASCII symbols.
type Theme struct {
	Color bool
	ASCII bool

	Title, Faint, Bold, Selected, Key lipgloss.Style
	Green, Amber, Red, Grey, Magenta  lipgloss.Style
}

// New builds a theme. color=false gives unstyled text (NO_COLOR, --no-color, not a terminal).
func New(color, ascii bool) Theme {
	t := Theme{Color: color, ASCII: ascii}
	plain := lipgloss.NewStyle()
	if !color {
		t.Title, t.Faint, t.Bold, t.Selected, t.Key = plain, plain, plain, plain, plain
		t.Green, t.Amber, t.Red, t.Grey, t.Magenta = plain, plain, plain, plain, plain
		return t
	}
	t.Title = plain.Bold(true).Foreground(lipgloss.Color("#7D56F4"))
	t.Faint = plain.Foreground(lipgloss.Color("#8A8A8A"))
	t.Bold = plain.Bold(true)
	t.Selected = plain.Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(lipgloss.Color("#5A4FCF"))
	t.Key = plain.Bold(true).Foreground(lipgloss.Color("#C0C0C0"))
	t.Green = plain.Foreground(lipgloss.Color("#3FB950"))
	t.Amber = plain.Foreground(lipgloss.Color("#D29922"))
	t.Red = plain.Foreground(lipgloss.Color("#F85149"))
	t.Grey = plain.Foreground(lipgloss.Color("#6E7681"))
	t.Magenta = plain.Foreground(lipgloss.Color("#DB61A2"))
	return t
}

// Symbol is ✔ ‼ ✖ ○ ◌ (or OK WARN FAIL SKIP RUN in ASCII), coloured when colour is on.
func (t Theme) Symbol(s Status) string {
	var sym string
	var st lipgloss.Style
	switch s {
	case Pass:
		sym, st = "✔", t.Green
		if t.ASCII {
			sym = "OK"
		}
	case Warn:
		sym, st = "‼", t.Amber
		if t.ASCII {
			sym = "WARN"
		}
	case Fail:
		sym, st = "✖", t.Red
		if t.ASCII {
			sym = "FAIL"
		}
	case Skip:
		sym, st = "○", t.Grey
		if t.ASCII {
			sym = "SKIP"
		}
	default:
		sym, st = "◌", t.Grey
		if t.ASCII {
			sym = "RUN"
		}
	}
	return st.Render(sym)
}

// HTTPStatus colours an HTTP status code: 2xx green, 401/403 red, 429 amber, 5xx magenta.
func (t Theme) HTTPStatus(code int) string {
	s := fmt.Sprint(code)
	switch {
	case code >= 200 && code < 300:
		return t.Green.Render(s)
	case code == 401 || code == 403:
		return t.Red.Render(s)
	case code == 429:
		return t.Amber.Render(s)
	case code >= 500:
		return t.Magenta.Render(s)
	}
	return s
}

// Relative says how far t is from now: "in 41m", "3h ago", "now".
func Relative(t, now time.Time) string { return humantime.Relative(t, now) }

// Short formats a duration the way people say it: 45s, 12m, 3h, 2d (one or two units).
func Short(d time.Duration) string { return humantime.Short(d) }

// ShortARN shortens a runtime ARN for the TUI: `…:runtime/payments_agent-Ab12…`. Never use it in JSON.
func ShortARN(arn string, max int) string {
	if len(arn) <= max || max < 12 {
		return arn
	}
	i := len(arn) - 1
	for i > 0 && arn[i] != ':' {
		i--
	}
	tail := arn[i:]
	if len(tail)+1 > max {
		tail = tail[:max-2] + "…"
	}
	return "…" + tail
}
