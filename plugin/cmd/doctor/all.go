package doctor

import (
	"context"
	"fmt"
	"io"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// validateAll checks the flags of doctor --all.
func (o *Options) validateAll() error {
	if !o.All {
		if o.AllNamespaces {
			return cmdutil.UsageErrorf("--all-namespaces goes with --all: doctor --all -A")
		}
		return nil
	}
	for _, f := range []struct {
		flag string
		set  bool
	}{{"--setup", o.Setup != ""}, {"--route", o.Route != ""}, {"--secret", o.Secret != ""}, {"--gateway", o.Gateway != ""}, {"--runtime-arn", o.RuntimeARN != ""},
		{"--agentcore-gateway", o.AgentCoreGateway != ""}, {"--token-file", o.TokenFile != ""}, {"--authorizer-file", o.AuthorizerFile != ""},
		{"--discovery-file", o.DiscoveryFile != ""}, {"--jwks-file", o.JWKSFile != ""}, {"--gateway-url", o.GatewayURL != ""}} {
		if f.set {
			return cmdutil.UsageErrorf("%s names one setup; --all checks every setup from its record: drop %s", f.flag, f.flag)
		}
	}
	if o.AllNamespaces && o.Namespace != "" {
		return cmdutil.UsageErrorf("-n and --all-namespaces do not go together: pick one")
	}
	if o.Concurrency < 1 {
		return cmdutil.UsageErrorf("--concurrency %d: at least 1", o.Concurrency)
	}
	return nil
}

// runAll is doctor --all: every setup record checked, a summary row each, the failures in detail.
func (o *Options) runAll(ctx context.Context, deps dr.Deps) error {
	f := o.f
	ns := ""
	if !o.AllNamespaces {
		ns = o.Namespace
		if ns == "" {
			var err error
			if ns, err = f.Namespace(); err != nil {
				return err
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	reps, err := dr.RunFleet(ctx, dr.FleetOptions{Namespace: ns, Concurrency: o.Concurrency, Base: dr.Options{Probe: o.Probe, TokenSource: o.Doctor.TokenSource}}, deps)
	if err != nil && reps == nil {
		return err
	}
	switch o.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		if reps == nil {
			reps = []dr.SetupReport{}
		}
		if err := cmdutil.PrintStructured(f.IO.Out, o.Output, reps); err != nil {
			return err
		}
	default:
		where := "namespace " + ns
		if ns == "" {
			where = "all namespaces"
		}
		WriteFleetText(f.IO.Out, where, reps, f.IO.Theme())
	}
	for _, r := range reps {
		if r.Failed() {
			return cmdutil.ErrFindings
		}
	}
	return nil
}

// WriteFleetText prints one row per setup (its worst status, the ✔ ‼ ✖ counts, the first failing check), a
// summary line, then every setup's failures and warnings with their hints and fixes.
func WriteFleetText(w io.Writer, where string, reps []dr.SetupReport, t style.Theme) {
	fmt.Fprintf(w, "%s %s in %s\n", t.Title.Render("Doctor ·"), words.Count(len(reps), "setup"), where)
	if len(reps) == 0 {
		fmt.Fprintln(w, "no setup records found. Run kubectl agentcore wizard, or pass -n / --all-namespaces")
		return
	}
	setupW, modeW := len("SETUP"), len("MODE")
	for _, r := range reps {
		setupW, modeW = max(setupW, len(r.Setup)), max(modeW, len(r.Mode))
	}
	pad := "  "
	if t.ASCII {
		pad = "     "
	}
	fmt.Fprintf(w, "  %s%-*s  %-*s  %4s %4s %4s  %s\n", pad, setupW, "SETUP", modeW, "MODE",
		t.Symbol(style.Pass), t.Symbol(style.Warn), t.Symbol(style.Fail), "FIRST FAILING CHECK")
	failing, warning := 0, 0
	for _, r := range reps {
		st := style.Pass
		switch {
		case r.Summary.Fail > 0:
			st = style.Fail
			failing++
		case r.Summary.Warn > 0:
			st = style.Warn
			warning++
		}
		sym := t.Symbol(st)
		if t.ASCII {
			sym = fmt.Sprintf("%-4s", sym)
		}
		first := ""
		if ff := r.FirstFailure(); ff != nil {
			first = ff.ID
		}
		fmt.Fprintf(w, "  %s %-*s  %-*s  %4d %4d %4d  %s\n", sym, setupW, r.Setup, modeW, r.Mode, r.Summary.Pass, r.Summary.Warn, r.Summary.Fail, first)
	}
	fmt.Fprintf(w, "%s: %d pass, %d with warnings, %d failing\n", words.Count(len(reps), "setup"), len(reps)-failing-warning, warning, failing)
	for _, r := range reps {
		if r.Summary.Fail == 0 && r.Summary.Warn == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", t.Bold.Render(r.Setup))
		for _, c := range r.Checks {
			if c.Status != dr.Fail && c.Status != dr.Warn {
				continue
			}
			detail := c.Detail
			if detail == "" {
				detail = c.Title
			}
			fmt.Fprintf(w, "  %s %s  %s\n", t.Symbol(style.Status(c.Status)), c.ID, detail)
			if c.Hint != "" {
				fmt.Fprintf(w, "    %s %s\n", t.Faint.Render("hint"), c.Hint)
			}
			if c.Fix != "" {
				fmt.Fprintf(w, "    %s  %s\n", t.Faint.Render("fix"), t.Bold.Render(c.Fix))
			}
		}
	}
}

// ClientDeps builds the clients one doctor run uses (cluster and AWS), for commands that take doctor's verdicts
// on a setup (invoke explaining a failed call).
func ClientDeps(ctx context.Context, f *cmdutil.Factory) (dr.Deps, error) {
	return (&Options{f: f}).Deps(ctx)
}

// FleetDeps builds the clients doctor --all uses (fleet rate limits), for other screens that show doctor status
// (the home screen's setups view).
func FleetDeps(ctx context.Context, f *cmdutil.Factory) (dr.Deps, error) {
	return (&Options{f: f, All: true}).Deps(ctx)
}

// RunSetup runs the doctor (its screen on a terminal) on one setup record, as `doctor -n NS --setup NS/NAME`
// typed: -n is NS for this run only, the caller (the home screen, the setups view) keeps its own.
func RunSetup(ctx context.Context, f *cmdutil.Factory, ns, name string) error {
	prev := f.KubeFlags.Namespace
	f.KubeFlags.Namespace = &ns
	defer func() { f.KubeFlags.Namespace = prev }()
	cmd := NewCmd(f, nil)
	cmd.SetContext(ctx)
	if err := cmd.ParseFlags([]string{"--setup", ns + "/" + name}); err != nil {
		return err
	}
	return cmd.RunE(cmd, cmd.Flags().Args())
}
