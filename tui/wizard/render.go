package wizard

import (
	"fmt"
	"io"
	"strings"

	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

var circled = map[string]string{
	wz.StepGateway: "①", wz.StepRuntime: "②", wz.StepIdentity: "③", wz.StepAuthorizer: "④",
	wz.StepResources: "⑤", wz.StepOptions: "⑥", wz.StepVerify: "⑦",
}

// StepLabel is "① Gateway" etc.
func StepLabel(step string) string {
	for _, s := range wz.Steps {
		if s.Name == step {
			return circled[step] + " " + s.Title
		}
	}
	return step
}

// ActionSymbol is + ~ = - ○ for create, update, unchanged, delete, skip.
func ActionSymbol(action string) string {
	switch action {
	case wz.ActionCreate:
		return "+"
	case wz.ActionUpdate:
		return "~"
	case wz.ActionDelete:
		return "-"
	case wz.ActionSkip:
		return "○"
	}
	return "="
}

func actionStyle(t style.Theme, action string) func(...string) string {
	switch action {
	case wz.ActionCreate:
		return t.Green.Render
	case wz.ActionUpdate:
		return t.Amber.Render
	case wz.ActionDelete:
		return t.Red.Render
	}
	return t.Faint.Render
}

// PrintPlan writes the plan as text (the plain output and the TUI's plan page).
func PrintPlan(w io.Writer, t style.Theme, p *wz.Plan) {
	fmt.Fprintf(w, "%s · %s · %s", t.Title.Render("Plan"), p.Mode, p.Gateway)
	if p.Endpoint != "" {
		fmt.Fprintf(w, " (%s)", p.Endpoint)
	}
	fmt.Fprintf(w, " → %s · %s kinds\n", p.RuntimeARN, p.Flavor)
	last := ""
	for _, it := range p.Items {
		if it.Step != last {
			fmt.Fprintf(w, " %s\n", StepLabel(it.Step))
			last = it.Step
		}
		line := fmt.Sprintf("   %s %-9s %s", ActionSymbol(it.Action), it.Action, it.Target)
		fmt.Fprint(w, actionStyle(t, it.Action)(line))
		if it.Call != "" && it.Action != wz.ActionUnchanged {
			fmt.Fprint(w, t.Faint.Render("  ["+it.Call+"]"))
		}
		if it.Detail != "" {
			fmt.Fprint(w, t.Faint.Render("  "+it.Detail))
		}
		fmt.Fprintln(w)
		if it.Diff != "" {
			for _, l := range strings.Split(strings.TrimRight(it.Diff, "\n"), "\n") {
				fmt.Fprintln(w, "       "+l)
			}
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, " %s %s\n", t.Symbol(style.Warn), warn)
	}
	if p.Changes == 0 {
		fmt.Fprintln(w, " Nothing to change: the setup already matches.")
	} else {
		fmt.Fprintf(w, " %d change(s).\n", p.Changes)
	}
}

// PrintResult writes what the run did, the verify findings and the test call.
func PrintResult(w io.Writer, t style.Theme, r *wz.Result) {
	for _, c := range r.Changes {
		if c.Action == wz.ActionUnchanged {
			continue
		}
		line := fmt.Sprintf(" %s %-9s %s", ActionSymbol(c.Action), c.Action, c.Target)
		if c.Detail != "" {
			line += "  " + c.Detail
		}
		fmt.Fprintln(w, actionStyle(t, c.Action)(line))
	}
	if r.Changed == 0 {
		fmt.Fprintln(w, " No changes: everything was already set up as asked.")
	} else {
		fmt.Fprintf(w, " %s %d change(s) applied; setup recorded in ConfigMap %s.\n", t.Symbol(style.Pass), r.Changed, r.Record.Ref())
	}
	if len(r.Verify) > 0 {
		fmt.Fprintf(w, " %s\n", StepLabel(wz.StepVerify))
		for _, v := range r.Verify {
			fmt.Fprintf(w, "   %s %s\n", t.Symbol(style.Status(v.Status)), v.Detail)
			if v.Hint != "" && v.Status != "pass" {
				fmt.Fprintf(w, "     %s\n", t.Faint.Render(v.Hint))
			}
		}
	}
	switch {
	case r.Call != nil:
		PrintTestCall(w, t, r.Call)
	case r.TestCall != "":
		fmt.Fprintf(w, " test call: %s\n", r.TestCall)
	}
}

// PrintTestCall writes the answer of the test call through the gateway and, for a failure, what it means.
func PrintTestCall(w io.Writer, t style.Theme, c *wz.TestCall) {
	sym := style.Pass
	if !c.OK {
		sym = style.Fail
		if c.Status == 429 {
			sym = style.Warn
		}
	}
	fmt.Fprintf(w, " test call %s %s\n", t.Symbol(sym), c.Line())
	if c.OK {
		if c.Reply != "" {
			fmt.Fprintf(w, "     %s\n", t.Faint.Render("reply: "+c.Reply))
		}
		return
	}
	if c.Cause != "" {
		fmt.Fprintf(w, "     %s\n", c.Cause)
	}
	next := c.Next
	if c.CheckID != "" {
		next = strings.TrimSpace("check " + c.CheckID + "; " + next)
	}
	if next != "" {
		fmt.Fprintf(w, "     %s\n", t.Faint.Render(next))
	}
}
