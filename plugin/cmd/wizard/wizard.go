// Package wizard is `kubectl agentcore wizard`.
package wizard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	tw "github.com/kubectl-agentcore/kubectl-agentcore/tui/wizard"
	"github.com/spf13/cobra"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options are the command's flags; after Complete, Answers also hold --config's answers and --region.
type Options struct {
	f *cmdutil.Factory

	Answers        wz.Answers
	ConfigFile     string
	NonInteractive bool
	Yes            bool
	DryRun         bool
	Output         string
	Flavor         string
	Offline        bool
	TestCall       bool
	VerifyTimeout  time.Duration

	// FailAfter injects a failure after a checkpoint (hidden; tests of interrupted runs).
	FailAfter string
	// EnvHook lets tests adjust the environment (e.g. poll intervals) before the run.
	EnvHook func(*wz.Env)
	// HTTP is the client for identity providers' discovery documents in an offline render (nil = the default);
	// live runs use Env.HTTP.
	HTTP *http.Client
}

// NewCmd builds the wizard command. runF, when not nil, receives the completed and validated Options instead of
// Run (flag tests; tests of interrupted runs set their hooks there).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "wizard",
		Short: "Set up an AgentCore runtime behind Agent Gateway, idempotently, with a plan first",
		Long: `Create or reuse the Cognito pool, app client and service user, point the runtime's JWT authorizer at the
pool, store the token in a Secret and apply the gateway backend, policy and HTTPRoute. Shows the plan before
any change; --dry-run prints it (and -o yaml the manifests) without changing anything.

Steps: ① Gateway ② Runtime ③ Identity ④ Authorizer ⑤ Resources ⑥ Options ⑦ Verify. Every answer is also a flag,
and --config FILE takes the same keys in YAML. Running it again changes nothing that is already right; after an
interruption, run the same command again to continue.

Modes: rewrite (static backend + URL rewrite, the published recipe), native (aws.agentCore backend with a bearer
token), sigv4 (aws.agentCore backend signed with the proxy's IRSA role; no Cognito), passthrough (the gateway
validates the caller's own token, traffic.jwtAuthentication, and sends it on: backend.auth.passthrough; the
runtime's authorizer trusts the caller's identity provider) and exchange (the same validation, then the gateway
trades the caller's token at a token service, RFC 8693 backend.auth.oauthTokenExchange, for one the runtime's
authorizer accepts).`,
		Example: `  kubectl agentcore wizard
  kubectl agentcore wizard --non-interactive --yes --runtime-arn arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agent-Ab12Cd34Ef
  kubectl agentcore wizard --config setup.yaml --dry-run
  kubectl agentcore wizard --non-interactive --dry-run -o yaml --mode native --runtime-arn ARN --gateway agentgateway-system/agentgateway-proxy --route-namespace agentcore --rate-limit 3/minute
  kubectl agentcore wizard --non-interactive --yes --mode passthrough --runtime-arn ARN --discovery-url https://idp.example.com/.well-known/openid-configuration --audience agents-api
  kubectl agentcore wizard --non-interactive --yes --mode exchange --runtime-arn ARN --discovery-url https://idp.example.com/.well-known/openid-configuration --audience web-app --exchange-client-id gateway --exchange-client-secret-from env:EXCHANGE_SECRET --exchange-audience agentcore`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	a := &o.Answers
	fl.StringVar(&a.Gateway, "gateway", "", "① Gateway NAMESPACE/NAME (default agentgateway-system/agentgateway-proxy)")
	fl.StringVar(&a.RuntimeARN, "runtime-arn", "", "② AgentCore runtime ARN")
	fl.StringVar(&a.AgentCoreGateway, "agentcore-gateway", "", "② or an AgentCore Gateway (MCP), by id or ARN, instead of a runtime")
	fl.StringVar(&a.Mode, "mode", "", "gateway mode: rewrite (default), native, sigv4, passthrough (the caller's token, validated) or exchange (the caller's token, exchanged)")
	fl.StringVar(&a.Identity, "identity", "", "③ identity provider: cognito (service user, default), cognito-machine (app client by client credentials) or external (Auth0, Okta, …)")
	fl.StringVar(&a.UserPoolName, "user-pool-name", "", "Cognito user pool to find by name or create (default agentcore)")
	fl.StringVar(&a.UserPoolID, "user-pool-id", "", "use this existing Cognito user pool")
	fl.StringVar(&a.ClientName, "client-name", "", "app client to find by name or create (default agentcore-gateway)")
	fl.StringVar(&a.ClientID, "client-id", "", "use this existing app client")
	fl.StringVar(&a.Username, "username", "", "service user (default agentcore-gateway)")
	fl.StringVar(&a.TokenUse, "token-use", "", "Cognito token the gateway sends: id (default) or access")
	fl.StringVar(&a.DiscoveryURL, "discovery-url", "", "external IdP (passthrough/exchange: the callers' IdP): https://<issuer>/.well-known/openid-configuration")
	fl.StringSliceVar(&a.Audience, "audience", nil, "external IdP: allowed audience (repeatable); with --client-secret-from: the audience the token is asked for; passthrough/exchange: the audiences of the callers' tokens")
	fl.StringVar(&a.TokenFile, "token-file", "", "external IdP: file holding the token for the gateway Secret")
	cmdutil.SecretSourceFlag(cmd, &a.ClientSecretFrom, "client-secret-from", "external IdP by client credentials (with --client-id): the client secret", "")
	fl.StringVar(&a.TokenURL, "token-url", "", "external IdP by client credentials: the token endpoint (default: from --discovery-url)")
	fl.StringArrayVar(&a.Scopes, "scope", nil, "external IdP by client credentials: a scope to ask for (repeatable)")
	fl.StringVar(&a.AuthMethod, "auth-method", "", "external IdP by client credentials: basic or post (default: what discovery accepts, basic first)")
	fl.StringVar(&a.ResourceServer, "resource-server", "", "cognito-machine: resource server identifier to find or create (default agentcore); --scope names its scopes (default invoke)")
	fl.StringVar(&a.DomainPrefix, "domain-prefix", "", "cognito-machine: user-pool domain prefix to create when the pool has none (default: from the pool's name and id)")
	fl.StringVar(&a.ExchangeDiscoveryURL, "exchange-discovery-url", "", "exchange: the token service's discovery URL (default --discovery-url)")
	fl.StringVar(&a.ExchangeClientID, "exchange-client-id", "", "exchange: the gateway's client at the token service")
	cmdutil.SecretSourceFlag(cmd, &a.ExchangeClientSecretFrom, "exchange-client-secret-from", "exchange: the client's secret", "(never an argument)")
	fl.StringVar(&a.ExchangeAudience, "exchange-audience", "", "exchange: the audience asked for, which the runtime's authorizer allows (default: the one --audience)")
	fl.StringArrayVar(&a.ExchangeScopes, "exchange-scope", nil, "exchange: a scope to ask for (repeatable)")
	fl.StringVar(&a.ExchangeAuthMethod, "exchange-auth-method", "", "exchange: client authentication basic or post (default: what discovery accepts, basic first)")
	fl.BoolVar(&a.SkipAuthorizer, "skip-authorizer", false, "④ leave the runtime's authorizer as it is")
	fl.StringVar(&a.RouteNamespace, "route-namespace", "", "⑤ namespace of the route, backend, policy and Secrets (default: -n, else agentcore)")
	fl.StringVar(&a.PathPrefix, "path-prefix", "", "path the route matches on the gateway (default /agentcore)")
	fl.StringVar(&a.RateLimit, "rate-limit", "", "⑥ requests per unit, e.g. 3/minute")
	fl.StringVar(&a.RateLimitKind, "rate-limit-kind", "", "local (traffic.rateLimit.local) or global (Enterprise RateLimitConfig); default global when served")
	fl.Int32Var(&a.RateLimitBurst, "rate-limit-burst", 0, "extra requests allowed in a short burst above --rate-limit (local limiter)")
	fl.StringSliceVar(&a.CORSOrigins, "cors-origin", nil, "CORS allowed origin (repeatable)")
	fl.StringSliceVar(&a.CORSMethods, "cors-method", nil, "CORS allowed method (repeatable)")
	fl.StringSliceVar(&a.CORSHeaders, "cors-header", nil, "CORS allowed header (repeatable)")
	fl.Int32Var(&a.CORSMaxAge, "cors-max-age", 0, "CORS max age in seconds")
	fl.StringVar(&o.ConfigFile, "config", "", "YAML file with the answers (keys = flag names)")
	fl.BoolVar(&o.NonInteractive, "non-interactive", false, "never prompt: take answers from flags and --config")
	fl.BoolVarP(&o.Yes, "yes", "y", false, "apply the plan without asking")
	fl.BoolVar(&o.DryRun, "dry-run", false, "print the plan (or with -o yaml the manifests) and change nothing")
	fl.StringVar(&o.Flavor, "flavor", "", "with --dry-run -o yaml: render offline with oss (default) or enterprise kinds")
	fl.BoolVar(&o.Offline, "offline", false, "with --dry-run -o yaml: render without the cluster (no kubeconfig needed)")
	fl.BoolVar(&o.TestCall, "test-call", false, "⑦ after applying, send one real request through the gateway and explain the answer")
	fl.DurationVar(&o.VerifyTimeout, "verify-timeout", 60*time.Second, "⑦ how long to wait for the gateway's statuses")
	fl.StringVar(&o.FailAfter, "fail-after", "", "testing: fail on purpose after this checkpoint")
	_ = fl.MarkHidden("fail-after")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Complete adds to the flags' answers those of --config (a flag given wins) and --region. A file that cannot be
// read or parsed is a usage error.
func (o *Options) Complete(*cobra.Command, []string) error {
	// -n names the setup's namespace as it does for doctor and rotate (doctor's fixes say wizard -n NS); the
	// context's namespace does not: without either flag the setup goes in agentcore.
	if ns := o.f.NamespaceFlag(); ns != "" {
		switch o.Answers.RouteNamespace {
		case "":
			o.Answers.RouteNamespace = ns
		case ns:
		default:
			return cmdutil.UsageErrorf("-n %s and --route-namespace %s name two namespaces for one setup: drop one", ns, o.Answers.RouteNamespace)
		}
	}
	if o.ConfigFile != "" {
		file, err := wz.LoadConfigFile(o.ConfigFile)
		if err != nil {
			return cmdutil.UsageErrorf("%s", err)
		}
		o.Answers = o.Answers.Merge(file)
	}
	o.Answers.Region = o.f.AWS.Region
	return nil
}

// Validate checks flag values and combinations (usage errors, exit 2). The answers themselves are checked by
// the use case's rules (plugin/wizard) when the plan is made, as the screen checks them.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output); err != nil {
		return err
	}
	if o.TestCall && o.DryRun {
		return cmdutil.UsageErrorf("--test-call sends a real request after applying; it does not go with --dry-run (use kubectl agentcore invoke or doctor --probe)")
	}
	if (o.Offline || o.Flavor != "") && !(o.DryRun && o.Output == cmdutil.OutputYAML) {
		return cmdutil.UsageErrorf("--offline and --flavor only apply to --dry-run -o yaml")
	}
	if m, err := setup.ParseMode(o.Answers.Mode); o.TestCall && err == nil && m.CallerToken() {
		return cmdutil.UsageErrorf("--test-call sends the gateway's own token; with --mode %s the callers bring theirs: send one with kubectl agentcore invoke", m)
	}
	return nil
}

// Run is the command's body.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f, a := o.f, o.Answers
	interactive := !o.NonInteractive && f.IO.CanPrompt() && !(o.DryRun && o.Output == cmdutil.OutputYAML)
	if o.DryRun && o.Output == cmdutil.OutputYAML {
		return o.render(ctx, f, a)
	}

	var cfg *wz.Config
	if !interactive && a.RuntimeARN == "" && a.AgentCoreGateway == "" {
		// No target: a rerun of the setup in -n (or the cluster's only one), its answers filling what the flags do
		// not give, as on a terminal. With no cluster or no record, the missing answers are the usage error below.
		if kube, err := f.KubeClient(); err == nil {
			a = withEarlierRecord(ctx, kube, a)
		}
	}
	if !interactive {
		// Bad answers are usage errors before any AWS client is made (and, given a target, any cluster client).
		var err error
		if cfg, err = wz.Normalize(a, o.awsRegion(ctx, a)); err != nil {
			return usage(err)
		}
		if err := wz.CheckExchangeClient(cfg, o.DryRun); err != nil {
			return usage(err)
		}
	}
	env, err := o.newEnv(ctx, f)
	if err != nil {
		return err
	}
	if interactive {
		return runTUI(ctx, f, o, env, a)
	}
	if err := o.mintExternal(ctx, f, cfg); err != nil {
		return err
	}
	s, plan, err := o.plan(ctx, f, env, cfg)
	if err != nil {
		return err
	}
	theme := f.IO.Theme()
	if o.DryRun {
		if o.Output != cmdutil.OutputText {
			return cmdutil.PrintStructured(f.IO.Out, o.Output, plan)
		}
		tw.PrintPlan(f.IO.Out, theme, plan, 0)
		return nil
	}
	if o.Output == cmdutil.OutputText {
		tw.PrintPlan(f.IO.Out, theme, plan, 0)
	}
	if plan.Changes > 0 && !o.Yes {
		if !f.IO.CanPrompt() || o.NonInteractive {
			return cmdutil.UsageErrorf("the plan has %s and nothing was changed: pass --yes to apply it, or --dry-run to only show it", words.Count(plan.Changes, "change"))
		}
		if !confirm(f.IO.In, f.IO.Out, fmt.Sprintf("Apply %s? [y/N] ", words.Count(plan.Changes, "change"))) {
			fmt.Fprintln(f.IO.Out, "Nothing was changed.")
			return nil
		}
	}
	// The plan named any change of an AgentCore Gateway's authorizer type, and it was confirmed.
	env.ConfirmGatewayTypeChange = true
	if o.Output == cmdutil.OutputText {
		env.Progress = func(ev wz.Event) {
			if ev.Status == "failed" || ev.Status == "done" && ev.Detail != "" {
				fmt.Fprintf(f.IO.ErrOut, "%s %s %s\n", tw.StepLabel(ev.Step), ev.Status, ev.Detail)
			}
		}
	}
	res, err := wz.Run(ctx, env, s)
	if err != nil {
		return err
	}
	if o.TestCall {
		if res.Call, err = wz.SendTestCall(ctx, env, &res.Record); err != nil {
			return err
		}
	}
	if o.Output != cmdutil.OutputText {
		if err := cmdutil.PrintStructured(f.IO.Out, o.Output, res); err != nil {
			return err
		}
	} else {
		tw.PrintResult(f.IO.Out, theme, res)
	}
	if res.Call != nil && !res.Call.OK {
		return &cmdutil.ExitError{Code: cmdutil.ExitFindings}
	}
	return nil
}

// plan reads the token service client's secret, fetches the caller-token modes' discovery documents, then
// prepares the session and builds its plan. The answers are checked and the external token minted before.
func (o *Options) plan(ctx context.Context, f *cmdutil.Factory, env *wz.Env, cfg *wz.Config) (*wz.Session, *wz.Plan, error) {
	if err := o.readExchangeSecret(ctx, f, cfg); err != nil {
		return nil, nil, err
	}
	if err := wz.Discover(ctx, cfg, env.HTTP); err != nil {
		return nil, nil, err
	}
	applyRegion(env, f, cfg)
	s, err := wz.Prepare(ctx, env, cfg)
	if err != nil {
		return nil, nil, err
	}
	plan, err := wz.BuildPlan(ctx, env, s)
	if err != nil {
		return nil, nil, err
	}
	return s, plan, nil
}

// awsRegion is the AWS configuration's region when the answers name an AgentCore Gateway by id (its ARN carries
// the region); "" otherwise.
func (o *Options) awsRegion(ctx context.Context, a wz.Answers) string {
	if a.AgentCoreGateway == "" || a.Region != "" || strings.HasPrefix(strings.TrimSpace(a.AgentCoreGateway), "arn:") {
		return ""
	}
	cfg, err := o.f.AWSConfig(ctx)
	if err != nil {
		return ""
	}
	return cfg.Region
}

// render prints every manifest for kubectl apply -f -. With a reachable cluster (and no --offline/--flavor) it
// renders for that cluster: the kinds it serves and the existing setup record's values (answers not given are
// taken from the record; identity values from it; the token redacted). Without a cluster it renders offline.
func (o *Options) render(ctx context.Context, f *cmdutil.Factory, a wz.Answers) error {
	offline := o.Offline || o.Flavor != ""
	var why string
	if !offline {
		env, reason, err := o.liveEnv(ctx, f)
		if err != nil {
			return err
		}
		if env != nil {
			return o.renderLive(ctx, f, env, a)
		}
		offline, why = true, reason
	}
	cfg, err := o.renderConfig(ctx, f, a, o.HTTP)
	if err != nil {
		return err
	}
	s, err := wz.OfflineSession(cfg, o.Flavor)
	if err != nil {
		return cmdutil.UsageErrorf("%s", err)
	}
	if why != "" {
		fmt.Fprintf(f.IO.ErrOut, "note: no cluster reachable (%s): rendered offline with %s kinds. Pass --offline to skip the cluster, --flavor enterprise for Enterprise kinds\n", why, s.Kinds.Flavor())
	}
	return writeManifests(f, s, true)
}

func (o *Options) renderLive(ctx context.Context, f *cmdutil.Factory, env *wz.Env, a wz.Answers) error {
	a = withEarlierRecord(ctx, env.Kube, a)
	cfg, err := o.renderConfig(ctx, f, a, env.HTTP)
	if err != nil {
		return err
	}
	s, err := wz.LiveSession(ctx, env, cfg)
	if err != nil {
		return err
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", w)
	}
	return writeManifests(f, s, s.Existing == nil)
}

// renderConfig makes the answers a render's Config (without a default region) and does what comes before the
// manifests: the external identity provider's token by client credentials, and in the caller-token modes the
// discovery documents, fetched with client.
func (o *Options) renderConfig(ctx context.Context, f *cmdutil.Factory, a wz.Answers, client *http.Client) (*wz.Config, error) {
	cfg, err := wz.Normalize(a, "")
	if err != nil {
		return nil, usage(err)
	}
	if err := o.mintExternal(ctx, f, cfg); err != nil {
		return nil, err
	}
	if err := wz.Discover(ctx, cfg, client); err != nil {
		return nil, err
	}
	return cfg, nil
}

func writeManifests(f *cmdutil.Factory, s *wz.Session, placeholder bool) error {
	objs, err := wz.Manifests(s, placeholder)
	if err != nil {
		return err
	}
	b, err := wz.WriteYAML(objs, placeholder)
	if err != nil {
		return err
	}
	_, err = f.IO.Out.Write(b)
	return err
}

// liveEnv returns the cluster environment when a cluster is configured and answers, or (nil, why) when there is
// none to ask (no kubeconfig, unreachable). A cluster that answers with an error (e.g. 401) is an error: the
// render would otherwise silently not match it.
func (o *Options) liveEnv(ctx context.Context, f *cmdutil.Factory) (*wz.Env, string, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, trimDot(err.Error()), nil
	}
	probe := rest.CopyConfig(cfg)
	probe.Timeout = 10 * time.Second
	disc, err := discovery.NewDiscoveryClientForConfig(probe)
	if err != nil {
		return nil, trimDot(err.Error()), nil
	}
	if _, err := disc.ServerVersion(); err != nil {
		var ue *url.Error
		var ne net.Error
		if errors.As(err, &ue) || errors.As(err, &ne) {
			return nil, "cluster " + cfg.Host + " unreachable", nil
		}
		return nil, "", explain.Newf(err, "%s. Fix the cluster access, or pass --offline to render without it", trimDot(k8sres.Explain("reading the cluster for --dry-run -o yaml", err).Error()))
	}
	env, err := o.newEnv(ctx, f)
	return env, "", err
}

func trimDot(s string) string { return strings.TrimRight(strings.TrimSpace(s), ".") }

// usage makes err (bad or missing answers) a usage error, exit 2.
func usage(err error) error {
	return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
}

// newEnv builds the clients. AWS problems are kept in AWSErr (offline parts and sigv4 do without).
func (o *Options) newEnv(ctx context.Context, f *cmdutil.Factory) (*wz.Env, error) {
	kube, err := f.KubeClient()
	if err != nil {
		return nil, err
	}
	dyn, err := f.Dynamic()
	if err != nil {
		return nil, err
	}
	disc, err := f.Discovery()
	if err != nil {
		return nil, err
	}
	env := &wz.Env{Kube: kube, Dynamic: dyn, Discovery: disc, Applier: k8sres.NewApplier(dyn, disc),
		FailAfter: o.FailAfter, VerifyTimeout: o.VerifyTimeout, Now: f.Now}
	if cfg, err := f.AWSConfig(ctx); err != nil {
		env.AWSErr = err
	} else {
		env.Cognito, env.AgentCore = awsops.NewCognito(cfg), awsops.NewAgentCore(cfg)
	}
	env.Verify = func(ctx context.Context, rec *setup.Record) ([]wz.VerifyCheck, error) {
		return doctorChecks(ctx, f, env, rec)
	}
	if o.EnvHook != nil {
		o.EnvHook(env)
	}
	return env, nil
}

// applyRegion points the AWS clients at the runtime's region when --region was not given.
func applyRegion(env *wz.Env, f *cmdutil.Factory, cfg *wz.Config) {
	if env.AWSErr != nil || cfg.Region == "" {
		return
	}
	awsCfg, err := f.AWSConfig(context.Background())
	if err != nil || awsCfg.Region == cfg.Region {
		return
	}
	awsCfg.Region = cfg.Region
	c, a := awsops.NewCognito(awsCfg), awsops.NewAgentCore(awsCfg)
	if env.Cognito != nil {
		c.IssuerBase = env.Cognito.IssuerBase
	}
	if env.AgentCore != nil {
		a.PollInterval, a.WaitTimeout = env.AgentCore.PollInterval, env.AgentCore.WaitTimeout
	}
	env.Cognito, env.AgentCore = c, a
}

// doctorChecks runs the doctor checks that apply after setup (no probe), as verify findings.
func doctorChecks(ctx context.Context, f *cmdutil.Factory, env *wz.Env, rec *setup.Record) ([]wz.VerifyCheck, error) {
	deps := doctor.Deps{Kube: env.Kube, Dynamic: env.Dynamic, Discovery: env.Discovery, Now: f.Now}
	if env.AgentCore != nil {
		deps.AgentCore = env.AgentCore.API
		deps.Region = rec.Region
	} else {
		deps.AWSErr = env.AWSErr
	}
	opts := doctor.Options{Namespace: rec.Namespace}
	if rec.IsAgentCoreGateway() {
		opts.AgentCoreGateway = rec.AgentCoreGateway
	}
	d := doctor.New(opts, deps)
	checks := d.Checks()
	rep := doctor.Collect(checks, doctor.Run(ctx, checks), nil)
	status := make(map[string]doctor.Status, len(rep.Checks))
	for _, r := range rep.Checks {
		status[r.ID] = r.Status
	}
	var out []wz.VerifyCheck
	for _, r := range rep.Checks {
		if r.Category == doctor.CatResources || r.Category == doctor.CatCluster {
			continue // the status wait above covers these
		}
		if skippedForSkips(r, status) {
			continue // e.g. every token check when the mode has no token Secret: the first skip says why
		}
		out = append(out, wz.VerifyCheck{ID: r.ID, Status: string(r.Status), Detail: r.Title + ": " + r.Detail, Hint: r.Hint})
	}
	return out, nil
}

// skippedForSkips: r was skipped only because checks it needs were skipped (not failed) — nothing to say after
// the skip that started it.
func skippedForSkips(r doctor.Result, status map[string]doctor.Status) bool {
	if r.Status != doctor.Skip || len(r.BlockedBy) == 0 {
		return false
	}
	for _, id := range r.BlockedBy {
		if status[id] != doctor.Skip {
			return false
		}
	}
	return true
}

func confirm(in io.Reader, out io.Writer, prompt string) bool {
	fmt.Fprint(out, prompt)
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// mintExternal reads the client secret (never an argument) and mints the external identity provider's token by
// client credentials, before any plan or change, so a wrong secret or audience stops here.
func (o *Options) mintExternal(ctx context.Context, f *cmdutil.Factory, cfg *wz.Config) error {
	if cfg.ClientCreds == nil {
		return nil
	}
	if s := cfg.Answers.ClientSecret; s != "" {
		return wz.MintExternal(ctx, cfg, s) // typed (hidden) in the TUI
	}
	secret, err := cmdutil.ReadSecretFromIn(ctx, f, cfg.Namespace, "client-secret-from", cfg.Answers.ClientSecretFrom, setup.KeyClientSecret, "client secret")
	if err != nil {
		return cmdutil.Fail("③ identity: reading the client secret", err, "Nothing was changed")
	}
	return wz.MintExternal(ctx, cfg, secret)
}

// readExchangeSecret reads the token service client's secret (mode exchange; never an argument) before the plan,
// so the Secret the wizard writes holds it and a missing source stops here.
func (o *Options) readExchangeSecret(ctx context.Context, f *cmdutil.Factory, cfg *wz.Config) error {
	a := cfg.Answers
	if cfg.Mode != setup.ModeExchange {
		return nil
	}
	if a.ExchangeClientSecret != "" {
		cfg.ExchangeClientSecret = a.ExchangeClientSecret // typed (hidden) in the TUI
		return nil
	}
	if a.ExchangeClientSecretFrom == "" {
		return nil // planning only (CheckExchangeClient let it through)
	}
	secret, err := cmdutil.ReadSecretFromIn(ctx, f, cfg.Namespace, "exchange-client-secret-from", a.ExchangeClientSecretFrom, setup.ExchangeSecretKey, "token service client secret")
	if err != nil {
		return cmdutil.Fail("③ identity: reading the token service client's secret", err, "Nothing was changed")
	}
	cfg.ExchangeClientSecret = secret
	return nil
}

// withEarlierRecord fills the answers the flags do not give from the setup a rerun repeats: the record in the
// namespace the answers name (-n, --route-namespace), else the cluster's only record. Flags win.
func withEarlierRecord(ctx context.Context, kube kubernetes.Interface, a wz.Answers) wz.Answers {
	var rec *setup.Record
	if a.RouteNamespace != "" {
		if r, err := setup.Load(ctx, kube, a.RouteNamespace); err == nil {
			rec = r
		}
	} else if recs, err := setup.Find(ctx, kube); err == nil && len(recs) == 1 {
		rec = recs[0]
	}
	if rec == nil {
		return a
	}
	return a.Merge(wz.FromRecord(rec))
}
