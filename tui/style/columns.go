package style

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// Columns lines up rows of cells (the header first, when there is one) in columns two spaces apart, each as wide
// as its widest cell on screen (colours and wide symbols counted as they show), without trailing spaces: the
// tables of the screens and of the text output alike.
func Columns(rows [][]string) []string {
	var widths []int
	for _, r := range rows {
		for c, v := range r {
			if c == len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], lipgloss.Width(v))
		}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for c, v := range r {
			if c > 0 {
				b.WriteString("  ")
			}
			b.WriteString(v)
			if c < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[c]-lipgloss.Width(v)))
			}
		}
		out[i] = strings.TrimRight(b.String(), " ")
	}
	return out
}
