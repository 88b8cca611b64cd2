// Package doctor is `kubectl agentcore doctor`.
package doctor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/startgc"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	tuidoctor "github.com/kubectl-agentcore/kubectl-agentcore/tui/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/spf13/cobra"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options are the doctor command's flags and, after Validate, the use case's options they make (Doctor).
type Options struct {
	f *cmdutil.Factory

	Route, Secret, Gateway string
	// Setup names the setup record to check, NAMESPACE/NAME or NAME in -n (default: the record in -n).
	Setup            string
	RuntimeARN       string
	AgentCoreGateway string
	TokenFile        string
	TokenFrom        string
	AuthorizerFile   string
	ManifestsFile    string
	TokenSource      string
	DiscoveryFile    string
	JWKSFile         string
	Probe            bool
	GatewayURL       string
	Timeout          time.Duration
	Output           string
	NoTUI            bool
	// All checks every setup record in -n (or the kubeconfig's namespace), or in every namespace with
	// AllNamespaces; Concurrency bounds the setups checked at once.
	All           bool
	AllNamespaces bool
	Concurrency   int

	// Set by Complete: -n as given ("" when not) and whether -o was given (a terminal then gets no screen).
	Namespace string
	OutputSet bool
	// Doctor is what the checks run with; Validate fills it from the flags and Run adds the files' contents
	// (and the record --setup names).
	Doctor dr.Options
	// setupRef is --setup, parsed.
	setupRef dr.Ref
}

// NewCmd builds the doctor command. runF, when not nil, receives the completed and validated Options instead of
// Run (flag tests).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find why calls through the gateway fail (401, 403, 429 …) and how to fix it",
		Long: `Check every link of Client → Agent Gateway → AgentCore for one setup: cluster, gateway resources, the
token Secret, the token itself, the runtime's JWT authorizer and the runtime. Each problem is named with its
check id (see docs/checks.md) and, where one exists, the exact fix command.

The setup is the one the wizard recorded (its ConfigMap; --setup NAMESPACE/NAME picks one of several), or the
objects named by --route, --secret, --gateway and --runtime-arn. --agentcore-gateway ID|ARN names an AgentCore Gateway (MCP) instead of a runtime:
doctor reads its authorizer type and customJWTAuthorizer with GetGateway. Offline (no cluster, no AWS), only the token and authorizer are checked:

  kubectl agentcore doctor --token-file token.jwt --authorizer-file authorizer.json \
      [--discovery-file openid-configuration.json --jwks-file jwks.json]

--authorizer-file holds the authorizerConfiguration as the AWS CLI prints it; null or {} = no JWT authorizer.

Passthrough and exchange setups send the caller's own token: there is no token Secret, and the caller checks
compare the gateway's jwtAuthentication with the runtime's authorizer (give a caller's token with --token-file to
check it against both, or --token-from env:VAR|file:PATH|prompt). Offline, read the policies from the wizard's rendered manifests:

  kubectl agentcore doctor --manifests-file setup.yaml --authorizer-file authorizer.json [--token-file caller.jwt]

--all checks every setup the wizard recorded in the namespace (or --all-namespaces) concurrently, sharing the
cluster's discovery and the AWS client: one row per setup (✔ ‼ ✖ counts, the first failing check), then each
failure in detail; -o json is an array of the single-setup documents.

Exit codes: 0 no failure, 3 a check failed, 1 doctor could not run, 2 bad flags.`,
		Example: `  kubectl agentcore doctor
  kubectl agentcore doctor -n agentcore -o json
  kubectl agentcore doctor --setup agentcore/payments-setup
  kubectl agentcore doctor --all -A
  kubectl agentcore doctor --route agentcore/agentcore --runtime-arn arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-Ab12Cd34Ef
  kubectl agentcore doctor --probe --gateway-url http://localhost:8080
  kubectl agentcore doctor --agentcore-gateway arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/tools-gw-abcdef0123`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Setup, "setup", "", "the setup record to check, NAMESPACE/NAME or NAME in -n, as doctor --all and the setups view name it (default: "+setup.DefaultRecordName+" in -n, else the only record)")
	fl.StringVar(&o.Route, "route", "", "the HTTPRoute to check, NAMESPACE/NAME (default: from the setup record)")
	fl.StringVar(&o.Secret, "secret", "", "the token Secret, NAMESPACE/NAME (default: from the record or the route's policy)")
	fl.StringVar(&o.Gateway, "gateway", "", "the Gateway, NAMESPACE/NAME (default: the route's parent)")
	fl.StringVar(&o.RuntimeARN, "runtime-arn", "", "the AgentCore runtime ARN (default: from the record, backend or route rewrite)")
	fl.StringVar(&o.AgentCoreGateway, "agentcore-gateway", "", "the AgentCore Gateway (MCP), ID or ARN, instead of a runtime")
	fl.StringVar(&o.TokenFile, "token-file", "", "read the token from this file (- = stdin) instead of the Secret")
	cmdutil.SecretSourceFlag(cmd, &o.TokenFrom, "token-from", "read the token (a caller's, in passthrough and exchange setups)", "instead of the Secret")
	fl.StringVar(&o.AuthorizerFile, "authorizer-file", "", "read the authorizerConfiguration JSON from this file instead of GetAgentRuntime")
	fl.StringVar(&o.ManifestsFile, "manifests-file", "", "offline: the setup's manifests (the wizard's --dry-run -o yaml); its policies are checked against --authorizer-file (passthrough and exchange modes)")
	fl.StringVar(&o.TokenSource, "token-source", "", "where the token AgentCore sees comes from: secret, passthrough (the caller's) or exchange (default: from the gateway's policies; secret offline)")
	fl.StringVar(&o.DiscoveryFile, "discovery-file", "", "the issuer's openid-configuration document (instead of fetching it)")
	fl.StringVar(&o.JWKSFile, "jwks-file", "", "the issuer's JWKS (instead of fetching it)")
	fl.BoolVar(&o.Probe, "probe", false, "also send one request through the gateway (with the caller's token given by --token-file or --token-from when callers bring theirs) and one straight to AgentCore (without a token)")
	fl.StringVar(&o.GatewayURL, "gateway-url", "", "base URL of the gateway for --probe (default: the Gateway's address)")
	fl.DurationVar(&o.Timeout, "timeout", 60*time.Second, "give up on checks still running after this long")
	fl.BoolVar(&o.NoTUI, "no-tui", false, "print text even on a terminal")
	fl.BoolVar(&o.All, "all", false, "check every setup record in the namespace (-n), or in every namespace with --all-namespaces: a summary row per setup, then the failures")
	fl.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "--all: the setup records of every namespace")
	fl.IntVar(&o.Concurrency, "concurrency", dr.DefaultFleetConcurrency, "--all: setups checked at the same time")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Offline reports whether doctor runs without a cluster and AWS: the token and authorizer, and with
// --manifests-file the rendered policies.
func (o *Options) Offline() bool {
	return (o.TokenFile != "" || o.TokenFrom != "" || o.ManifestsFile != "") && o.AuthorizerFile != "" && o.Setup == "" && o.Route == "" && o.Secret == "" && o.Gateway == "" &&
		o.RuntimeARN == "" && o.AgentCoreGateway == "" && !o.Probe
}

// Complete takes -n (as given: the record is looked up in every namespace without it) and whether -o was given.
func (o *Options) Complete(cmd *cobra.Command, _ []string) error {
	o.OutputSet = cmd.Flags().Changed("output")
	o.Namespace = o.f.NamespaceFlag()
	return nil
}

// Validate checks the flags (usage errors, exit 2) and makes the use case's options of them.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output); err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	if err := o.validateAll(); err != nil {
		return err
	}
	var err error
	do := dr.Options{Offline: o.Offline(), Namespace: o.Namespace, RuntimeARN: strings.TrimSpace(o.RuntimeARN), Probe: o.Probe, GatewayURL: o.GatewayURL}
	defNS := cmp.Or(o.Namespace, "default")
	for _, x := range []struct {
		flag, val string
		dst       *dr.Ref
	}{{"--route", o.Route, &do.Route}, {"--secret", o.Secret, &do.Secret}, {"--gateway", o.Gateway, &do.Gateway}} {
		if *x.dst, err = dr.ParseRef(x.val, defNS); err != nil {
			return cmdutil.UsageErrorf("%s: %v", x.flag, err)
		}
	}
	if do.RuntimeARN != "" {
		if _, err := awsops.ParseRuntimeARN(do.RuntimeARN); err != nil {
			return cmdutil.UsageErrorf("--runtime-arn: %v", err)
		}
	}
	if gw := strings.TrimSpace(o.AgentCoreGateway); gw != "" {
		if do.RuntimeARN != "" {
			return cmdutil.UsageErrorf("--runtime-arn and --agentcore-gateway name two targets: doctor checks one runtime or one AgentCore Gateway. Pass one of them")
		}
		if _, err := awsops.GatewayIDFrom(gw); err != nil {
			return cmdutil.UsageErrorf("--agentcore-gateway: %v", err)
		}
		do.AgentCoreGateway = gw
	}
	if o.Setup != "" {
		if o.Route != "" {
			return cmdutil.UsageErrorf("--setup and --route both name the setup: --setup checks the record's objects, --route names them by hand. Pass one of them")
		}
		ref, err := dr.ParseRef(o.Setup, defNS)
		if err != nil {
			return cmdutil.UsageErrorf("--setup: %v", err)
		}
		if o.Namespace != "" && ref.Namespace != o.Namespace {
			return cmdutil.UsageErrorf("--setup %s is in namespace %s but -n says %s: drop -n or name the record as NAME", o.Setup, ref.Namespace, o.Namespace)
		}
		o.setupRef = ref
		do.Namespace = ref.Namespace
	}
	if o.GatewayURL != "" && !strings.HasPrefix(o.GatewayURL, "http://") && !strings.HasPrefix(o.GatewayURL, "https://") {
		return cmdutil.UsageErrorf("--gateway-url %q must start with http:// or https://", o.GatewayURL)
	}
	if o.TokenSource != "" {
		if do.TokenSource, err = tokencheck.ParseTokenSource(o.TokenSource); err != nil {
			return cmdutil.UsageErrorf("--token-source: %v", err)
		}
	}
	if o.TokenFile != "" && o.TokenFrom != "" {
		return cmdutil.UsageErrorf("--token-file and --token-from both name the token: give one")
	}
	if err := secretsource.Validate("token-from", o.TokenFrom); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if n := countStdin(o.TokenFile, o.AuthorizerFile, o.ManifestsFile); n > 1 {
		return cmdutil.UsageErrorf("only one of --token-file, --authorizer-file and --manifests-file can be stdin (-)")
	}
	if o.ManifestsFile != "" && !do.Offline {
		return cmdutil.UsageErrorf("--manifests-file is for offline checks: give it with --authorizer-file and no cluster flags (--route, --secret, --gateway, --runtime-arn, --agentcore-gateway, --probe)")
	}
	o.Doctor = do
	return nil
}

// readFiles adds the contents of --token-file, --authorizer-file, --discovery-file and --jwks-file to Doctor.
func (o *Options) readFiles(ctx context.Context) error {
	do := &o.Doctor
	var err error
	if o.TokenFile != "" {
		b, err := readInput(o.f, o.TokenFile)
		if err != nil {
			return cmdutil.Fail("reading --token-file "+o.TokenFile, err, "Check the path")
		}
		// As it is: doctor names a trailing newline, quotes or Bearer twice as it does for the Secret's value.
		do.Token = string(b)
		if strings.TrimSpace(do.Token) == "" {
			return cmdutil.Fail("reading --token-file "+o.TokenFile, errors.New("the file is empty"), "Put the JWT (or Bearer <jwt>) in it")
		}
	}
	if o.TokenFrom != "" {
		// The value is read as it is (file: trims only the surrounding white space): doctor names the slips.
		if do.Token, err = cmdutil.ReadSecretFrom(ctx, o.f, "token-from", o.TokenFrom, "token", "token"); err != nil {
			return cmdutil.Fail("reading the token", err, "Check the source") // err names the flag and the source
		}
	}
	if o.AuthorizerFile != "" {
		b, err := readInput(o.f, o.AuthorizerFile)
		if err != nil {
			return cmdutil.Fail("reading --authorizer-file "+o.AuthorizerFile, err, "Check the path")
		}
		az, err := tokencheck.ParseAuthorizerJSON(b)
		if err != nil {
			return cmdutil.Fail("reading --authorizer-file "+o.AuthorizerFile, err, `It must hold the authorizerConfiguration JSON, e.g. {"customJWTAuthorizer":{"discoveryUrl":"…","allowedAudience":["…"]}}, or the whole get-agent-runtime output`)
		}
		do.Authorizer, do.AuthorizerSet = az, true
	}
	if o.ManifestsFile != "" {
		b, err := readInput(o.f, o.ManifestsFile)
		if err != nil {
			return cmdutil.Fail("reading --manifests-file "+o.ManifestsFile, err, "Check the path")
		}
		if do.Rendered, err = dr.ParseManifests(b); err != nil {
			return cmdutil.Fail("reading --manifests-file "+o.ManifestsFile, err, "Give the output of kubectl agentcore wizard --dry-run -o yaml")
		}
	}
	if o.DiscoveryFile != "" {
		if do.DiscoveryDoc, err = os.ReadFile(o.DiscoveryFile); err != nil {
			return cmdutil.Fail("reading --discovery-file", err, "Check the path")
		}
	}
	if o.JWKSFile != "" {
		if do.JWKS, err = os.ReadFile(o.JWKSFile); err != nil {
			return cmdutil.Fail("reading --jwks-file", err, "Check the path")
		}
	}
	return nil
}

func countStdin(paths ...string) int {
	n := 0
	for _, p := range paths {
		if p == "-" {
			n++
		}
	}
	return n
}

func readInput(f *cmdutil.Factory, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(f.IO.In, 2<<20))
	}
	return os.ReadFile(path)
}

// Deps builds the clients. A kubeconfig that cannot be loaded is an error (doctor cannot run); AWS problems
// become failed checks.
func (o *Options) Deps(ctx context.Context) (dr.Deps, error) {
	f := o.f
	deps := dr.Deps{Now: f.Now, HTTP: &http.Client{Timeout: 15 * time.Second}}
	if o.Doctor.Offline {
		return deps, nil
	}
	cfg, err := f.RESTConfig()
	if err != nil {
		return deps, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 100, 200 // doctor asks for a handful of objects at once
	if o.All {
		cfg.QPS, cfg.Burst = dr.FleetQPS, dr.FleetBurst
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	if deps.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return deps, err
	}
	if deps.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return deps, err
	}
	if deps.Discovery, err = discovery.NewDiscoveryClientForConfig(cfg); err != nil {
		return deps, err
	}
	deps.Server = cfg.Host
	awsCfg, err := f.AWSConfig(ctx)
	if err != nil {
		deps.AWSErr = err
		return deps, nil
	}
	deps.Region = awsCfg.Region
	deps.AgentCore = bedrockagentcorecontrol.NewFromConfig(awsCfg)
	deps.CallerAccount = func(ctx context.Context) (string, error) {
		id, err := awsops.CallerIdentity(ctx, awsCfg)
		return id.Account, err
	}
	return deps, nil
}

// Run reads the files, runs the checks and renders them: the TUI on a terminal, else text or -o json|yaml.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f := o.f
	tui := !o.All && f.IO.CanPrompt() && !o.OutputSet && !o.NoTUI
	if !tui { // reads, answers and exits
		defer startgc.OneShot()()
	}
	if err := o.readFiles(ctx); err != nil {
		return err
	}
	deps, err := o.Deps(ctx)
	if err != nil {
		return err
	}
	if o.All {
		return o.runAll(ctx, deps)
	}
	if !o.setupRef.IsZero() { // the record --setup names, read once for every check
		lctx, lcancel := context.WithTimeout(ctx, o.Timeout)
		rec, err := setup.LoadNamed(lctx, deps.Kube, o.setupRef.Namespace, o.setupRef.Name)
		lcancel()
		if err != nil {
			return cmdutil.Fail("reading the setup record --setup "+o.setupRef.String(), err, "List the setups with kubectl agentcore doctor --all -A")
		}
		o.Doctor.Record = rec
	}
	// A setup whose record names an AgentCore Gateway is checked as one, without flags.
	rctx, rcancel := context.WithTimeout(ctx, o.Timeout)
	d := dr.New(dr.RecordTarget(rctx, deps.Kube, o.Doctor), deps)
	rcancel()
	theme := f.IO.Theme()

	if tui {
		return o.runTUI(ctx, f, d, theme)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	_, rep := d.RunAll(ctx, nil)
	switch o.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		if err := cmdutil.PrintStructured(f.IO.Out, o.Output, rep); err != nil {
			return err
		}
	default:
		WriteText(f.IO.Out, d.Header(), rep, theme)
	}
	if rep.Failed() {
		return cmdutil.ErrFindings
	}
	return nil
}

func (o *Options) runTUI(ctx context.Context, f *cmdutil.Factory, d *dr.Doctor, theme style.Theme) error {
	var cancelRun context.CancelFunc = func() {}
	start := func() ([]dr.Result, <-chan dr.Result) {
		cancelRun()
		var rctx context.Context
		rctx, cancelRun = context.WithTimeout(ctx, o.Timeout)
		cs, ch := d.Start(rctx)
		return dr.PendingResults(cs), ch
	}
	defer func() { cancelRun() }()
	m := tuidoctor.New(d.Header(), start, theme)
	final, err := cmdutil.RunScreen(ctx, f.IO, m)
	if err != nil || ctx.Err() != nil {
		return err
	}
	if final.Report().Failed() {
		return cmdutil.ErrFindings
	}
	return nil
}

// WriteText prints the report: a line per category, one line per check (symbol, id, detail), and for every
// check that did not pass its hint and fix, indented.
func WriteText(w io.Writer, header string, rep dr.Report, t style.Theme) {
	fmt.Fprintf(w, "%s %s\n", t.Title.Render("Doctor ·"), header)
	idW := 0
	for _, r := range rep.Checks {
		idW = max(idW, len(r.ID))
	}
	cat := ""
	for _, r := range rep.Checks {
		if r.Category != cat {
			cat = r.Category
			fmt.Fprintln(w, t.Bold.Render(cat))
		}
		detail := r.Detail
		if detail == "" {
			detail = r.Title
		}
		sym := t.Symbol(style.Status(r.Status))
		if t.ASCII {
			sym = fmt.Sprintf("%-4s", sym)
		}
		fmt.Fprintf(w, "  %s %-*s  %s\n", sym, idW, r.ID, detail)
		if r.Status == dr.Pass || r.Status == dr.Skip {
			continue
		}
		pad := strings.Repeat(" ", 4)
		if r.Hint != "" {
			fmt.Fprintf(w, "%s%s %s\n", pad, t.Faint.Render("hint"), r.Hint)
		}
		if r.Fix != "" {
			fmt.Fprintf(w, "%s%s  %s\n", pad, t.Faint.Render("fix"), t.Bold.Render(r.Fix))
		}
	}
	s := rep.Summary
	fmt.Fprintf(w, "%d passed, %s, %d failed, %d skipped\n", s.Pass, words.Count(s.Warn, "warning"), s.Fail, s.Skip)
}
