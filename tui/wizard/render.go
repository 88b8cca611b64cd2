package wizard

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/planview"
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

// PrintPlan writes the plan as text (the plain output and the TUI's plan page), with the one plan printer; width
// (not 0) wraps its lines at spaces (the TUI's page width).
func PrintPlan(w io.Writer, t style.Theme, p *wz.Plan, width int) {
	header := fmt.Sprintf("%s · %s · %s", t.Title.Render("Plan"), p.Mode, p.Gateway)
	if p.Endpoint != "" {
		header += fmt.Sprintf(" (%s)", p.Endpoint)
	}
	target := p.RuntimeARN
	if p.AgentCoreGateway != "" {
		target = "AgentCore Gateway " + p.AgentCoreGateway
	}
	header += fmt.Sprintf(" → %s · %s kinds", target, p.Flavor)
	planview.Write(w, t, planview.Doc{Header: header, Items: p.Items, Warnings: p.Warnings, StepLabel: StepLabel,
		Nothing: "Nothing to change: the setup already matches.", Width: width})
}

// PrintResult writes what the run did, the verify findings and the test call.
func PrintResult(w io.Writer, t style.Theme, r *wz.Result) {
	for _, c := range r.Changes {
		if c.Action == plan.Unchanged {
			continue
		}
		fmt.Fprintln(w, planview.Line(t, " ", c))
	}
	if r.Changed == 0 {
		fmt.Fprintln(w, " No changes: everything was already set up as asked.")
	} else {
		fmt.Fprintf(w, " %s %s applied; setup recorded in ConfigMap %s.\n", t.Symbol(style.Pass), words.Count(r.Changed, "change"), r.Record.Ref())
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
