package style

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// WrapHanging wraps a line wider than width at spaces, the continuations indented under the line's text. Only a
// word longer than a whole line is broken (a JWT, a long URL); runs of spaces inside a line are kept (columns). The one wrapper of styled lines: the token report and the plans (tui/planview).
func WrapHanging(line string, width int) []string {
	if ansi.StringWidth(line) <= width || width < 20 {
		return []string{line}
	}
	plain := ansi.Strip(line)
	lead := len(plain) - len(strings.TrimLeft(plain, " "))
	indent := min(lead+2, width/3)
	cont := strings.Repeat(" ", indent)
	var out []string
	cur, curW, hasWord := "", 0, false
	newLine := func() { out = append(out, cur); cur, curW, hasWord = cont, indent, false }
	for i, w := range strings.Split(line, " ") { // escape sequences hold no spaces: each piece keeps its own
		ww := ansi.StringWidth(w)
		if ww == 0 && !hasWord && len(out) > 0 {
			continue // no spaces at the start of a continuation
		}
		sep := 0
		if i > 0 && (hasWord || len(out) == 0) {
			sep = 1
		}
		if curW+sep+ww > width && hasWord && indent+ww <= width { // a word too long for any line is broken here
			newLine()
			if ww == 0 {
				continue
			}
			sep = 0
		}
		if sep == 1 {
			cur += " "
			curW++
		}
		for curW+ww > width { // longer than the room on a line of its own: break it
			room := width - curW
			if room > 0 {
				cur += ansi.Cut(w, 0, room)
				w, ww = ansi.Cut(w, room, ww), ww-room
			}
			newLine()
		}
		cur += w
		curW += ww
		hasWord = hasWord || ww > 0
	}
	return append(out, cur)
}
