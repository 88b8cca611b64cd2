// Package humantime formats times and durations the way the UX guide says them ("in 41m", "3h ago", 2h05m),
// for every renderer: TUI screens, plain text and the use cases' own messages.
package humantime

import (
	"fmt"
	"time"
)

// Relative says how far t is from now: "in 41m", "3h ago", "now".
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	if d > -time.Second && d < time.Second {
		return "now"
	}
	if d > 0 {
		return "in " + Short(d)
	}
	return Short(-d) + " ago"
}

// Short formats a duration the way people say it: 45s, 12m, 3h, 2d (one or two units).
func Short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		m := int(d.Minutes())
		if s := int(d.Seconds()) % 60; s != 0 && m < 5 {
			return fmt.Sprintf("%dm%02ds", m, s)
		}
		return fmt.Sprintf("%dm", m)
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 10 {
			return fmt.Sprintf("%dh%02dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
