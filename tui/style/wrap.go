package style

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// WrapHanging wraps a line wider than width at spaces, the continuations indented under the line's text. Only a
// word longer than a whole line is broken (a JWT, a long URL); runs of spaces inside a line are kept (columns). The
// one wrapper of styled lines: the token report, the plans (tui/planview) and the wizard's result page.
//
// A command in the text (from a word "kubectl" followed by one of kubectl's commands or a flag, or "aws" followed by
// one of the AWS CLI's services the plugin calls, to the end of its
// clause: a closing parenthesis or backquote, a comma, semicolon or full stop, two spaces, or the end of the line;
// "the kubectl helper" is prose) is never split across lines as prose is, so
// that copying a line never copies half of it: it moves to a line of its own when it does not fit where it is,
// and one longer than a line is broken between its arguments with shell continuations (" \"), each "--flag value"
// kept together, so that the lines copied together are still the one command. The rows after a shell comment's
// "#" each start with "# ".
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
	// put adds piece w (ww columns) after sep spaces, starting a new line first when it does not fit.
	put := func(w string, ww, sep int) {
		if curW+sep+ww > width && hasWord && indent+ww <= width { // a word too long for any line is broken here
			newLine()
			if ww == 0 {
				return
			}
			sep = 0
		}
		cur += strings.Repeat(" ", sep)
		curW += sep
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
	words := strings.Split(line, " ") // escape sequences hold no spaces: each piece keeps its own
	for i := 0; i < len(words); i++ {
		w := words[i]
		ww := ansi.StringWidth(w)
		if ww == 0 && !hasWord && len(out) > 0 {
			continue // no spaces at the start of a continuation
		}
		sep := 0
		if i > 0 && (hasWord || len(out) == 0) {
			sep = 1
		}
		if !startsCommand(words, i) {
			put(w, ww, sep)
			if ansi.Strip(w) == "#" { // a shell comment's rows stay comments when pasted: "# " under its "#"
				col := curW - ww
				if col+2 > width/2 {
					col = max(indent-2, 0)
				}
				cont, indent = strings.Repeat(" ", col)+"# ", col+2
			}
			continue
		}
		end := commandEnd(words, i)
		args := commandArgs(words[i:end])
		i = end - 1
		cmd, cmdW := strings.Join(args, " "), ansi.StringWidth(strings.Join(args, " "))
		if curW+sep+cmdW <= width || indent+cmdW <= width {
			put(cmd, cmdW, sep) // where it is, else on a line of its own
			continue
		}
		first := 0 // the spaces before the command, on the line's first row
		if hasWord {
			newLine()
		} else if len(out) == 0 {
			first = sep
		}
		for j, a := range splitLong(args, width-indent-4) { // broken between arguments, continued with " \"
			aw := ansi.StringWidth(a)
			switch {
			case j == 0:
				put(a, aw, first)
			case curW+1+aw+2 > width:
				cur += " \\"
				newLine()
				cur, curW = cont+"  ", indent+2
				put(a, aw, 0)
			default:
				put(a, aw, 1)
			}
		}
		if len(words) > end {
			newLine() // the prose after it on a row of its own, not copied with the command
		}
	}
	return append(out, cur)
}

// startsCommand reports whether words[i] (maybe styled, maybe after "(" or "`") is the word kubectl, followed by
// one of kubectl's commands (or a plugin's) or a flag, or the word aws followed by one of the AWS CLI's services the
// plugin's fixes call: a command line, not the word in prose.
func startsCommand(words []string, i int) bool {
	if i+1 >= len(words) {
		return false
	}
	next := ansi.Strip(words[i+1])
	switch strings.TrimLeft(ansi.Strip(words[i]), "(`'\"") {
	case "kubectl":
		return strings.HasPrefix(next, "-") || kubectlCommands[strings.TrimRight(next, ",;.)`'\"")]
	case "aws":
		return awsServices[next]
	}
	return false
}

// awsServices are the AWS CLI services whose commands the plugin's fixes and hints print.
var awsServices = map[string]bool{"bedrock-agentcore-control": true, "bedrock-agentcore": true, "cognito-idp": true, "sts": true}

// kubectlCommands are kubectl's commands (`kubectl help`) and the plugins the plugin's text names.
var kubectlCommands = map[string]bool{
	"agentcore": true, "krew": true,
	"annotate": true, "api-resources": true, "api-versions": true, "apply": true, "attach": true, "auth": true,
	"autoscale": true, "certificate": true, "cluster-info": true, "completion": true, "config": true, "cordon": true,
	"cp": true, "create": true, "debug": true, "delete": true, "describe": true, "diff": true, "drain": true,
	"edit": true, "events": true, "exec": true, "explain": true, "expose": true, "get": true, "help": true, "kustomize": true,
	"label": true, "logs": true, "patch": true, "plugin": true, "port-forward": true, "proxy": true, "replace": true,
	"rollout": true, "run": true, "scale": true, "set": true, "taint": true, "top": true, "uncordon": true,
	"version": true, "wait": true,
}

// commandEnd is the index after the last piece of the command starting at words[i]: the piece that closes its
// clause, or the one before two spaces (an empty piece) or before a piece opening a parenthesis, or the end.
func commandEnd(words []string, i int) int {
	for j := i; j < len(words); j++ {
		p := ansi.Strip(words[j])
		if p == "" || j > i && strings.HasPrefix(p, "(") { // two spaces, or a parenthesis of prose after it
			return j
		}
		if last := p[len(p)-1]; strings.IndexByte(",;.)`", last) >= 0 && (j > i || last != '`') {
			return j + 1
		}
	}
	return len(words)
}

// splitLong splits the "--flag value" pairs of args wider than room back into flag and value.
func splitLong(args []string, room int) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if f, v, ok := strings.Cut(a, " "); ok && ansi.StringWidth(a) > room {
			out = append(out, f, v)
			continue
		}
		out = append(out, a)
	}
	return out
}

// commandArgs are the command's pieces grouped as they may be broken: a "--flag" with the value after it (when
// the value does not start with "-" and the flag has no "="), every other piece alone.
func commandArgs(words []string) []string {
	var out []string
	for j := 0; j < len(words); j++ {
		p := ansi.Strip(words[j])
		if strings.HasPrefix(p, "-") && !strings.Contains(p, "=") && j+1 < len(words) {
			if next := ansi.Strip(words[j+1]); next != "" && !strings.HasPrefix(next, "-") {
				out = append(out, words[j]+" "+words[j+1])
				j++
				continue
			}
		}
		out = append(out, words[j])
	}
	return out
}
