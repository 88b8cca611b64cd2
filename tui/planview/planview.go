// Package planview prints a plan (internal/plan) as text: the one printer of the wizard's, teardown's and
// rotate's plans, in the plain output and on the wizard's plan page.
package planview

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// Doc is one plan as the printer sees it.
type Doc struct {
	// Header is the first line, already worded and styled ("Plan · rewrite · gw → arn").
	Header   string
	Items    []plan.Item
	Warnings []string
	// StepLabel, when set, puts the items under a line per step ("① Gateway").
	StepLabel func(step string) string
	// Nothing is said when no item changes anything ("Nothing to remove."); else "N changes." ("1 change.").
	Nothing string
	// Width, when not 0, wraps lines wider than it at spaces, continuations indented under the line's text
	// (style.WrapHanging): a screen shows every word instead of cutting lines at its edge.
	Width int
}

// Write prints d: the header, a line per item (with its diff below, indented), the warnings and the count.
func Write(w io.Writer, t style.Theme, d Doc) {
	if d.Header != "" {
		d.println(w, d.Header)
	}
	last := ""
	for _, it := range d.Items {
		if d.StepLabel != nil && it.Step != last {
			fmt.Fprintf(w, " %s\n", d.StepLabel(it.Step))
			last = it.Step
		}
		d.println(w, Line(t, "   ", it))
		if it.Diff != "" {
			for _, l := range strings.Split(strings.TrimRight(it.Diff, "\n"), "\n") {
				d.println(w, "       "+l)
			}
		}
	}
	for _, warn := range d.Warnings {
		d.println(w, fmt.Sprintf(" %s %s", t.Symbol(style.Warn), warn))
	}
	if n := plan.Changes(d.Items); n == 0 {
		fmt.Fprintln(w, " "+d.Nothing)
	} else {
		fmt.Fprintf(w, " %s.\n", words.Count(n, "change"))
	}
}

// println writes line, wrapped at d.Width when set.
func (d Doc) println(w io.Writer, line string) {
	if d.Width <= 0 {
		fmt.Fprintln(w, line)
		return
	}
	for _, l := range style.WrapHanging(line, d.Width) {
		fmt.Fprintln(w, strings.TrimRight(l, " "))
	}
}

// Line is one item after indent: symbol, action and target in the action's colour (create green, update amber,
// delete red, the rest faint), then the call (when something changes) and the detail, faint.
func Line(t style.Theme, indent string, it plan.Item) string {
	var b strings.Builder
	b.WriteString(actionStyle(t, it.Action)(fmt.Sprintf("%s%s %-9s %s", indent, it.Action.Symbol(), it.Action, it.Target)))
	if it.Call != "" && it.Action != plan.Unchanged {
		b.WriteString(t.Faint.Render("  [" + it.Call + "]"))
	}
	if it.Detail != "" {
		b.WriteString(t.Faint.Render("  " + it.Detail))
	}
	return b.String()
}

func actionStyle(t style.Theme, a plan.Action) func(...string) string {
	switch a {
	case plan.Create:
		return t.Green.Render
	case plan.Update:
		return t.Amber.Render
	case plan.Delete:
		return t.Red.Render
	}
	return t.Faint.Render
}
