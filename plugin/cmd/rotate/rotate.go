// Package rotate is `kubectl agentcore rotate`.
package rotate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/planview"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/spf13/cobra"
)

// Options of the command: its flags (Flags are the use case's), what Complete derived from the command line,
// and test hooks.
type Options struct {
	f *cmdutil.Factory
	// reporter writes the record's rotation status and Events (set by Run).
	reporter *rotate.Reporter

	Flags          rotate.Flags
	Force          bool
	DryRun         bool
	MinRemaining   time.Duration
	MinValidity    time.Duration
	Watch          bool
	LogFormat      string
	NoTUI          bool
	PrintManifests bool
	Image          string
	AWSRoleARN     string
	Output         string

	// The rotation service (--all): every setup record in -n, or in every namespace.
	All            bool
	AllNamespaces  bool
	RenewBefore    string
	Listen         string
	LeaseNamespace string
	Workers        int
	// Renew is RenewBefore parsed by Validate.
	Renew rotate.RenewBefore

	// Set by Complete: which flags were given (a default and an explicit value differ in meaning).
	LogFormatSet   bool
	MinValiditySet bool
	OutputSet      bool

	// Clock, when set, replaces the wall clock (tests).
	Clock rotate.Clock
	// WatchHook, when set, receives every watch event (tests).
	WatchHook func(rotate.Event)
}

// NewCmd builds the rotate command. runF, when not nil, receives the completed and validated Options instead of
// Run (flag tests).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Mint a fresh token into the gateway's Secret before it expires",
		Long: `Mint a new token, verify it against the pool's keys and the runtime's authorizer, and only then write it to
the Secret (only the Authorization key changes; a token that fails is never written). With the wizard's setup
record no flags are needed; without it, name the pool, client, user and Secret, and where the client secret and
password come from (` + secretsource.Forms + ` — never the value itself).

--watch keeps doing so before each expiry: when less than max(5m, 20% of the lifetime) is left, and for short-lived
tokens no later than halfway through the part of the lifetime AgentCore accepts (it refuses a token in its last
minute). Failures are retried with backoff and alerted loudly; --print-manifests prints what runs it in the cluster.

--watch --all is the rotation service: every setup record in -n (or --all-namespaces), each renewed on its own
schedule (when --renew-before is left, default a third of the lifetime, with jitter and backoff), records created
or deleted while it runs picked up, one writer at a time by leader election on a Lease, /metrics /healthz /readyz
on --listen, Events and status annotations on each record (docs/rotation-service.md).
--print-manifests --all prints its 2-replica Deployment with RBAC, PodDisruptionBudget and probes.

A new token must live at least --min-validity (default 5m, Cognito's shortest validity) to be written; lower it
only for short-lived test or sandbox pools.`,
		Example: `  kubectl agentcore rotate                      # with the wizard's setup record
  kubectl agentcore rotate --dry-run -o json
  kubectl agentcore rotate -n agentcore --user-pool-id us-east-1_AbC --client-id 5pk… --username gw \
      --client-secret-from env:CLIENT_SECRET --password-from prompt
  kubectl agentcore rotate --watch --log-format json
  kubectl agentcore rotate --print-manifests | kubectl apply -f -
  kubectl agentcore rotate --watch --all -n agentcore --listen :8080 --renew-before 25%
  kubectl agentcore rotate --print-manifests --all -A | kubectl apply -f -`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Flags.SecretName, "secret", "", "the gateway's token Secret (default: the setup record's, else "+setup.DefaultSecretName+")")
	fs.StringVar(&o.Flags.CredentialsSecret, "credentials-secret", "", "Secret with clientSecret / password / refreshToken keys (default: the setup record's)")
	fs.StringVar(&o.Flags.UserPoolID, "user-pool-id", "", "Cognito user pool id (default: the setup record's)")
	fs.StringVar(&o.Flags.ClientID, "client-id", "", "Cognito app client id (default: the setup record's)")
	fs.StringVar(&o.Flags.Username, "username", "", "Cognito user the gateway signs in as (default: the setup record's)")
	cmdutil.SecretSourceFlag(cmd, &o.Flags.ClientSecretFrom, "client-secret-from", "the client secret", "(default: the credentials Secret, else $"+rotate.EnvClientSecret+")")
	cmdutil.SecretSourceFlag(cmd, &o.Flags.PasswordFrom, "password-from", "the password", "(default: the credentials Secret, else $"+rotate.EnvPassword+")")
	cmdutil.SecretSourceFlag(cmd, &o.Flags.RefreshTokenFrom, "refresh-token-from", "a refresh token", "(default: the credentials Secret, else $"+rotate.EnvRefreshToken+")")
	fs.StringVar(&o.Flags.RuntimeARN, "runtime-arn", "", "AgentCore runtime whose authorizer the token must satisfy (default: the setup record's)")
	fs.StringVar(&o.Flags.DiscoveryURL, "discovery-url", "", "the pool's OpenID discovery URL (default: the setup record's, else derived from the pool)")
	fs.StringVar(&o.Flags.TokenUse, "token-use", "", "which Cognito token goes into the Secret: id or access (default: the setup record's, else id)")
	fs.BoolVar(&o.Force, "force", false, "rotate even when the stored token is still fresh")
	fs.DurationVar(&o.MinRemaining, "min-remaining", rotate.DefaultMinRemaining, "one-shot: leave a stored token alone while it has at least this long left")
	fs.DurationVar(&o.MinValidity, "min-validity", rotate.DefaultMinValidity, "refuse a new token that expires sooner than this (at least "+
		style.Short(rotate.LowestMinValidity)+"; lower only for short-lived test or sandbox pools)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "mint and validate, show what would be written, change nothing")
	fs.BoolVar(&o.Watch, "watch", false, "keep rotating before each expiry until stopped (SIGTERM / ctrl+c)")
	fs.StringVar(&o.LogFormat, "log-format", "text", "--watch log lines: text or json (on a terminal, giving it selects logs instead of the screen)")
	fs.BoolVar(&o.NoTUI, "no-tui", false, "--watch: log lines even on a terminal")
	fs.BoolVar(&o.PrintManifests, "print-manifests", false, "print the ServiceAccount, Role, RoleBinding and Deployment that run rotate --watch in the cluster")
	fs.StringVar(&o.Image, "image", "", "--print-manifests: container image (default "+rotate.DefaultImage+":<version>)")
	fs.StringVar(&o.AWSRoleARN, "aws-role-arn", "", "--print-manifests: IAM role for the ServiceAccount (IRSA), needed for the password path and GetAgentRuntime")
	fs.BoolVar(&o.All, "all", false, "--watch / --print-manifests: every setup record in the namespace (-n), or in every namespace with --all-namespaces, each on its own schedule, one leader-elected writer")
	fs.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "--all: the setup records of every namespace")
	fs.StringVar(&o.RenewBefore, "renew-before", "", "--all: renew when this is left, a duration (20m) or a percentage of the token's lifetime (default "+rotate.RenewBefore{}.String()+
		"; never later than "+style.Short(rotate.AgentCoreRefusalMargin+rotate.RenewHeadroom)+" before expiry, never sooner than a tenth of the lifetime after minting)")
	fs.StringVar(&o.Listen, "listen", "", "--watch --all: address of /metrics, /healthz and /readyz (e.g. :8080; default none)")
	fs.StringVar(&o.LeaseNamespace, "lease-namespace", "", "--watch --all: namespace of the leader election Lease (default: -n, else the kubeconfig's or pod's namespace)")
	fs.IntVar(&o.Workers, "workers", rotate.DefaultFleetWorkers, "--watch --all: setups rotated at the same time")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Complete takes from the command line what the flags' values alone do not say: -n and --region (global flags)
// and which flags were given.
func (o *Options) Complete(cmd *cobra.Command, _ []string) error {
	o.LogFormatSet = cmd.Flags().Changed("log-format")
	o.MinValiditySet = cmd.Flags().Changed("min-validity")
	o.OutputSet = cmd.Flags().Changed("output")
	if ns := o.f.NamespaceFlag(); ns != "" {
		o.Flags.Namespace = ns
	}
	o.Flags.Region = o.f.AWS.Region
	return nil
}

// Validate checks flag values and combinations (usage errors, exit 2).
func (o *Options) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output); err != nil {
		return err
	}
	if o.LogFormat != "text" && o.LogFormat != "json" {
		return cmdutil.UsageErrorf("--log-format %q: use text or json", o.LogFormat)
	}
	if o.Flags.TokenUse != "" && o.Flags.TokenUse != rotate.TokenUseID && o.Flags.TokenUse != rotate.TokenUseAccess {
		return cmdutil.UsageErrorf("--token-use %q: use id or access", o.Flags.TokenUse)
	}
	for _, s := range []struct{ flag, v string }{{"client-secret-from", o.Flags.ClientSecretFrom}, {"password-from", o.Flags.PasswordFrom}, {"refresh-token-from", o.Flags.RefreshTokenFrom}} {
		if err := rotate.ValidateSource(s.flag, s.v); err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
	}
	if o.MinRemaining < 0 {
		return cmdutil.UsageErrorf("--min-remaining must not be negative")
	}
	if err := rotate.ValidateMinValidity(o.MinValidity); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	if o.Watch && o.DryRun {
		return cmdutil.UsageErrorf("--watch and --dry-run do not go together: use --dry-run alone to see one rotation")
	}
	if o.PrintManifests && (o.Watch || o.DryRun || o.Force) {
		return cmdutil.UsageErrorf("--print-manifests only prints: drop --watch, --dry-run and --force")
	}
	if o.PrintManifests && o.OutputSet && o.Output != cmdutil.OutputYAML {
		return cmdutil.UsageErrorf("--print-manifests prints YAML: drop -o or use -o yaml")
	}
	return o.validateAll()
}

// flags are the use case's flags with the kubeconfig's namespace as the default.
func (o *Options) flags() (rotate.Flags, error) {
	fl := o.Flags
	ns, err := o.f.Namespace()
	if err != nil {
		return fl, err
	}
	fl.DefaultNamespace = ns
	return fl, nil
}

func (o *Options) clock() rotate.Clock {
	if o.Clock != nil {
		return o.Clock
	}
	return rotate.RealClock{}
}

// Run does the work.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	fl, err := o.flags()
	if err != nil {
		return err
	}
	if o.All && o.PrintManifests {
		return o.printFleetManifests(fl)
	}
	if o.All {
		return o.runFleet(ctx, fl)
	}
	if o.PrintManifests {
		return o.printManifests(ctx, fl)
	}
	kube, err := o.f.KubeClient()
	if err != nil {
		return err
	}
	prompt := cmdutil.SecretPrompt(o.f.IO)
	mode := "once"
	if o.Watch {
		mode = "watch"
	}
	identity := fmt.Sprintf("kubectl-agentcore/%s (%s)", cmdutil.Version, mode)
	// The record's rotation status and Events, as the rotation service writes them (docs/rotation-service.md).
	o.reporter = &rotate.Reporter{Kube: kube, Recorder: &rotate.SyncRecorder{Kube: kube, Instance: identity, Now: o.clock().Now},
		Identity: identity}
	s, err := rotate.Build(ctx, rotate.Deps{
		Kube: kube,
		AWSConfig: func(ctx context.Context, region string) (aws.Config, error) {
			if o.f.AWS.Region == "" && region != "" {
				return awsops.Load(ctx, awsops.Options{Region: region, Profile: o.f.AWS.Profile})
			}
			return o.f.AWSConfig(ctx)
		},
		Clock:       o.clock(),
		Prompt:      prompt,
		Identity:    identity,
		MinValidity: o.MinValidity,
	}, fl)
	if err != nil {
		return err
	}
	if o.Watch {
		return o.runWatch(ctx, s)
	}
	res, err := s.Engine.Once(ctx, rotate.Options{Force: o.Force, DryRun: o.DryRun, MinRemaining: o.MinRemaining})
	if !o.DryRun && ctx.Err() == nil {
		rotate.ReportSingle(ctx, o.reporter, s.Target, res, err, -1, time.Time{}, rotate.RenewBefore{}, o.clock().Now())
	}
	if err != nil {
		return rotationError(s.Target, err)
	}
	if o.Output != cmdutil.OutputText {
		return cmdutil.PrintStructured(o.f.IO.Out, o.Output, res)
	}
	theme := o.f.IO.Theme()
	RenderText(o.f.IO.Out, theme, res, s.AuthorizerSource, o.clock().Now())
	return nil
}

// rotationError is the one-line error of a failed rotation (exit 1).
func rotationError(t *rotate.Target, err error) error {
	what := "rotating the token in Secret " + t.Namespace + "/" + t.SecretName
	var re *rotate.Error
	if errors.As(err, &re) && re.Stage == rotate.StageRead {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: re.Err} // already names the Secret and the verb
	}
	if errors.As(err, &re) && re.Stage == rotate.StageMint {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("%s: %s. Nothing was written", what, strings.TrimRight(redact.Text(err.Error()), "."))}
	}
	return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("%s: %s", what, redact.Text(err.Error()))}
}

// RenderText prints a one-shot Result.
func RenderText(w io.Writer, th style.Theme, r *rotate.Result, authorizerSource string, now time.Time) {
	exp := func(t *time.Time) string {
		if t == nil {
			return "none (no readable token)"
		}
		verb := "expires"
		if !t.After(now) {
			verb = "expired"
		}
		return fmt.Sprintf("%s %s (%s)", verb, style.Relative(*t, now), t.Local().Format("15:04:05"))
	}
	switch r.Action {
	case rotate.ActionFresh:
		fmt.Fprintf(w, "%s %s is fresh: its token %s; nothing written\n", th.Symbol(style.Skip), r.Secret, exp(r.OldExpiry))
		fmt.Fprintf(w, "  %s\n", r.Note)
		return
	case rotate.ActionRotated:
		fmt.Fprintf(w, "%s rotated %s (%s token, minted with the %s)\n", th.Symbol(style.Pass), r.Secret, r.TokenUse, methodWords(r.Method))
	case rotate.ActionDryRun:
		fmt.Fprintf(w, "%s dry run: would write a new %s token to %s (minted with the %s); nothing changed\n", th.Symbol(style.Skip), r.TokenUse, r.Secret, methodWords(r.Method))
		for _, it := range r.Changes { // the plan, in the wizard's and teardown's words
			fmt.Fprintln(w, planview.Line(th, "  ", it))
		}
	case rotate.ActionKept:
		fmt.Fprintf(w, "%s %s: another writer stored a newer token meanwhile; it was kept\n", th.Symbol(style.Pass), r.Secret)
	}
	fmt.Fprintf(w, "  old token   %s\n", exp(r.OldExpiry))
	fmt.Fprintf(w, "  new token   %s", exp(r.NewExpiry))
	if r.Token != "" {
		fmt.Fprintf(w, "  %s", r.Token)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  checked     signature against %s, expiry, claims against %s\n", keysWords(r), authorizerSource)
	if r.RefreshTokenRotated {
		if r.Action == rotate.ActionDryRun {
			fmt.Fprintln(w, "  refresh     Cognito issued a new refresh token (would be stored)")
		} else {
			fmt.Fprintln(w, "  refresh     Cognito issued a new refresh token; stored in the credentials Secret")
		}
	}
	if r.Conflicts > 0 {
		fmt.Fprintf(w, "  conflicts   %d (retried on the fresh copy; other keys kept)\n", r.Conflicts)
	}
	if r.Note != "" && r.Action != rotate.ActionKept {
		fmt.Fprintf(w, "  note        %s\n", r.Note)
	}
	if r.Action == rotate.ActionDryRun {
		keys := []string{rotate.AnnotationRotatedAt, rotate.AnnotationTokenExpires, rotate.AnnotationRotatedBy}
		for _, k := range keys {
			if v, ok := r.Annotations[k]; ok {
				fmt.Fprintf(w, "  annotation  %s=%s\n", k, v)
			}
		}
	}
}

// keysWords names whose keys the new token's signature was checked against: the Cognito pool's, or an external
// identity provider's JWKS by its jwks_uri and issuer (from its discovery document).
func keysWords(r *rotate.Result) string {
	if r.Method != rotate.MethodClientCredentials {
		if r.JWKSURI != "" {
			return "the pool's keys (" + r.JWKSURI + ")"
		}
		return "the pool's keys"
	}
	switch {
	case r.JWKSURI != "" && r.Issuer != "":
		return "the identity provider's JWKS " + r.JWKSURI + " (issuer " + r.Issuer + ")"
	case r.JWKSURI != "":
		return "the identity provider's JWKS " + r.JWKSURI
	}
	return "the identity provider's JWKS"
}

func methodWords(m string) string { return strings.ReplaceAll(m, "-", " ") }

func (o *Options) runWatch(ctx context.Context, s *rotate.Setup) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	useTUI := o.f.IO.CanPrompt() && !o.NoTUI && !o.LogFormatSet
	if useTUI {
		return o.runWatchTUI(ctx, s)
	}
	log := NewLogger(o.f.IO.ErrOut, o.LogFormat)
	log.Info("watching", "secret", s.Target.Namespace+"/"+s.Target.SecretName, "authorizer", s.AuthorizerSource,
		"tokenUse", s.Target.TokenUse)
	err := s.Engine.Watch(ctx, rotate.WatchOptions{OnEvent: func(ev rotate.Event) {
		LogEvent(log, ev)
		o.recordEvent(ctx, s, ev)
		if o.WatchHook != nil {
			o.WatchHook(ev)
		}
	}})
	return err
}

// recordEvent writes a watch round's rotation (or failure) on the setup record, as the rotation service does.
func (o *Options) recordEvent(ctx context.Context, s *rotate.Setup, ev rotate.Event) {
	if o.reporter == nil || ctx.Err() != nil {
		return
	}
	switch ev.Kind {
	case rotate.EventRotated, rotate.EventKept:
		rotate.ReportSingle(ctx, o.reporter, s.Target, ev.Result, nil, 0, ev.Next, rotate.RenewBefore{}, ev.Time)
	case rotate.EventFailed:
		rotate.ReportSingle(ctx, o.reporter, s.Target, nil, ev.Err, ev.Failures, ev.Next, rotate.RenewBefore{}, ev.Time)
	}
}

// NewLogger is the watch loop's structured logger (text or json), one line per event.
func NewLogger(w io.Writer, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// LogEvent writes one line for ev. Nothing secret is ever a field: tokens appear masked at most.
func LogEvent(log *slog.Logger, ev rotate.Event) {
	attrs := []any{}
	if !ev.Expiry.IsZero() {
		attrs = append(attrs, "expiresAt", ev.Expiry.UTC().Format(time.RFC3339), "expiresIn", ev.Expiry.Sub(ev.Time).Round(time.Second).String())
	}
	if !ev.Next.IsZero() {
		attrs = append(attrs, "nextCheck", ev.Next.UTC().Format(time.RFC3339))
	}
	switch ev.Kind {
	case rotate.EventStarted:
		return // the command logs "watching" with the target
	case rotate.EventFresh:
		log.Info("token fresh", append(attrs, "rotateWhenLeft", ev.Threshold.String())...)
	case rotate.EventRotated, rotate.EventKept:
		r := ev.Result
		msg := "token rotated"
		if ev.Kind == rotate.EventKept {
			msg = "newer token kept"
		}
		attrs = append(attrs, "method", r.Method, "secret", r.Secret)
		if ev.Lifetime > 0 {
			attrs = append(attrs, "lifetime", ev.Lifetime.String(), "rotateWhenLeft", ev.Threshold.String())
		}
		if r.OldExpiry != nil {
			attrs = append(attrs, "oldExpiresAt", r.OldExpiry.UTC().Format(time.RFC3339))
		}
		if r.Conflicts > 0 {
			attrs = append(attrs, "conflicts", r.Conflicts)
		}
		if r.RefreshTokenRotated {
			attrs = append(attrs, "refreshTokenRotated", true)
		}
		if r.Note != "" {
			attrs = append(attrs, "note", r.Note)
		}
		log.Info(msg, attrs...)
	case rotate.EventFailed:
		msg := "ALERT: token rotation failed"
		switch {
		case ev.Expiry.IsZero():
			msg += "; the Secret holds no readable token"
		case !ev.Expiry.After(ev.Time):
			msg += "; the stored token has EXPIRED and the gateway's calls get 401"
		default:
			msg += "; the stored token still works for " + style.Short(ev.Expiry.Sub(ev.Time))
		}
		var re *rotate.Error
		stage := ""
		if errors.As(ev.Err, &re) {
			stage = string(re.Stage)
		}
		attrs = append(attrs, "stage", stage, "failures", ev.Failures, "retryIn", ev.Next.Sub(ev.Time).Round(time.Second).String(),
			"reason", redact.Text(ev.Err.Error()))
		log.Error(msg, attrs...)
	case rotate.EventStopping:
		log.Info("stopped", attrs...)
	}
}
