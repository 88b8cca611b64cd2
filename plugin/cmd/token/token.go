// Package token is `kubectl agentcore token …`: `token inspect` decodes a JWT (argument, stdin, file or a Secret's
// Authorization key), says which provider shaped it and which authorizer settings it can satisfy, and with
// --verify checks its signature against the issuer's keys. On a terminal it opens the token screen (tui/token),
// which asks for a token when none was given; `token` alone on a terminal opens that screen too.
package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	tuitoken "github.com/kubectl-agentcore/kubectl-agentcore/tui/token"
	"github.com/spf13/cobra"
)

// AuthorizationKey is the Secret key the gateway's policy reads.
const AuthorizationKey = "Authorization"

// InspectOptions are the flags of `token inspect` (and of `token` alone on a terminal: no token, the screen).
type InspectOptions struct {
	f *cmdutil.Factory

	Arg           string // the positional argument: a token or "-"
	TokenFile     string
	FromSecret    string
	TokenFrom     string // env:VAR, file:PATH, secret:[NS/]NAME[/KEY] or prompt, as doctor --token-from takes it
	Verify        bool
	DiscoveryURL  string
	DiscoveryFile string
	JWKSFile      string
	ShowToken     bool
	NoTUI         bool
	Output        string
	Timeout       time.Duration

	// OutputSet is set by Complete: whether -o was given (a terminal then gets no screen).
	OutputSet bool
	// HTTP is the client for discovery and JWKS fetches (tests may replace it).
	HTTP *http.Client
}

// NewCmd builds the token command group; alone on a terminal it opens the token screen, which asks for a token.
// runF, when not nil, receives that screen's Options instead of Run (flag tests); the subcommands run theirs.
func NewCmd(f *cmdutil.Factory, runF func(*InspectOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Decode, verify and explain a JWT",
		Long: `Work with the bearer tokens the gateway sends to AgentCore.

On a terminal, "kubectl agentcore token" opens the token screen and asks you to paste a token.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !f.IO.CanPrompt() {
				return cmd.Help()
			}
			o := &InspectOptions{f: f, Output: cmdutil.OutputText, Timeout: 30 * time.Second}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.AddCommand(NewCmdInspect(f, nil))
	cmd.AddCommand(NewCmdMint(f, nil))
	cmd.AddCommand(NewCmdExchange(f, nil))
	return cmd
}

// NewCmdInspect builds `token inspect`. runF, when not nil, receives the completed and validated Options instead
// of Run (flag tests).
func NewCmdInspect(f *cmdutil.Factory, runF func(*InspectOptions) error) *cobra.Command {
	o := &InspectOptions{f: f}
	cmd := &cobra.Command{
		Use:   "inspect [TOKEN | -]",
		Short: "Decode a JWT, say which authorizer settings it satisfies, and verify its signature",
		Long: `Decode a JWT (raw or "Bearer <jwt>") from stdin, a file, a Secret's Authorization key or the argument, and
show its header and claims (times in local time and relative), its kind (cognito-id, cognito-access, auth0, okta,
entra, generic, decided from the claims) and which customJWTAuthorizer settings it can satisfy.

--verify fetches the issuer's discovery document (iss + /.well-known/openid-configuration, or --discovery-url),
then its jwks_uri, and checks the signature by kid and alg. Offline: --discovery-file and/or --jwks-file.

Prefer stdin (-), --token-file, --token-from or --from-secret over the argument: an argument lands in your shell
history. --token-from takes the token where doctor --token-from and invoke --bearer-from do (env:VAR for a
caller's token in a variable).
The token is never printed back unless --show-token.

On a terminal it opens the token screen with a live expiry countdown (without a token it asks for one);
-o text|json|yaml or --no-tui prints instead.

Exit codes: 0 ok · 1 the token is malformed or could not be read · 2 bad flags · 3 the token fails a check
(expired, expiring within a minute, not yet valid, signature not verified).`,
		Example: `  kubectl agentcore token inspect - < token.jwt
  kubectl agentcore token inspect --token-file token.jwt --verify
  kubectl agentcore token inspect --from-secret agentcore/agentcore-jwt --verify -o json
  kubectl agentcore token inspect --token-from env:CALLER_TOKEN --verify
  kubectl agentcore token inspect --token-file t.jwt --verify --discovery-file openid.json --jwks-file jwks.json`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"-"}, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.TokenFile, "token-file", "", "read the token from this file (- = stdin)")
	fl.StringVar(&o.FromSecret, "from-secret", "", "read the token from the Authorization key of this Secret, NAMESPACE/NAME (or NAME in -n)")
	cmdutil.SecretSourceFlag(cmd, &o.TokenFrom, "token-from", "read the token", "(a Secret's Authorization key by default)")
	fl.BoolVar(&o.Verify, "verify", false, "verify the signature: discovery document → jwks_uri → key by kid")
	fl.StringVar(&o.DiscoveryURL, "discovery-url", "", "discovery document URL for --verify (default: iss + /.well-known/openid-configuration)")
	fl.StringVar(&o.DiscoveryFile, "discovery-file", "", "read the discovery document from this file (offline; implies --verify)")
	fl.StringVar(&o.JWKSFile, "jwks-file", "", "read the JWKS from this file (offline; implies --verify)")
	fl.BoolVar(&o.ShowToken, "show-token", false, "print the token itself (it is masked otherwise)")
	fl.BoolVar(&o.NoTUI, "no-tui", false, "print text even on a terminal")
	fl.DurationVar(&o.Timeout, "timeout", 30*time.Second, "give up fetching discovery and keys after this long")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Complete takes the argument (a token or -) and whether -o was given.
func (o *InspectOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Arg = ""
	if len(args) == 1 {
		o.Arg = args[0]
	}
	o.OutputSet = cmd.Flags().Changed("output")
	return nil
}

// Validate checks the flags (usage errors, exit 2).
func (o *InspectOptions) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output); err != nil {
		return err
	}
	if err := secretsource.Validate("token-from", o.TokenFrom); err != nil {
		return err
	}
	n := 0
	for _, s := range []string{o.Arg, o.TokenFile, o.FromSecret, o.TokenFrom} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return cmdutil.UsageErrorf("give the token one way: an argument (or - for stdin), --token-file, --token-from or --from-secret")
	}
	if o.DiscoveryURL != "" && o.DiscoveryFile != "" {
		return cmdutil.UsageErrorf("--discovery-url and --discovery-file are two sources for the same document: give one")
	}
	if o.DiscoveryURL != "" && !strings.HasPrefix(o.DiscoveryURL, "https://") && !strings.HasPrefix(o.DiscoveryURL, "http://") {
		return cmdutil.UsageErrorf("--discovery-url %q must start with https:// or http://", o.DiscoveryURL)
	}
	if (o.Arg == "-" || o.TokenFile == "-") && (o.DiscoveryFile == "-" || o.JWKSFile == "-") {
		return cmdutil.UsageErrorf("only one input can come from stdin")
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	if o.DiscoveryFile != "" || o.JWKSFile != "" || o.DiscoveryURL != "" {
		o.Verify = true
	}
	return nil
}

func (o *InspectOptions) hasSource() bool {
	return o.Arg != "" || o.TokenFile != "" || o.FromSecret != "" || o.TokenFrom != ""
}

// Run reads the token, inspects it and renders the report (TUI on a terminal, else text or -o json|yaml).
func (o *InspectOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f := o.f
	theme := f.IO.Theme()
	tui := f.IO.CanPrompt() && !o.OutputSet && !o.NoTUI

	if !o.hasSource() && !tui {
		if f.IO.CanPrompt() {
			return cmdutil.UsageErrorf("no token given: pass - (stdin), --token-file, --token-from or --from-secret")
		}
		o.Arg = "-" // a pipe: read stdin
	}
	if tui && !o.hasSource() {
		return o.runTUI(ctx, f, theme, nil)
	}
	raw, what, err := o.readToken(ctx, f)
	if err != nil {
		return err
	}
	rep, err := o.inspect(ctx, f, raw)
	if err != nil {
		next := "Pass one JWT (header.payload.signature), raw or as Bearer <jwt>"
		if me := (*tokencheck.MalformedError)(nil); errors.As(err, &me) && me.Hint != "" {
			next = me.Hint // a slip named as doctor names it (Bearer twice, quotes)
		}
		return cmdutil.Fail("decoding the token from "+what, err, next)
	}
	if tui {
		return o.runTUI(ctx, f, theme, rep)
	}
	switch o.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		if err := cmdutil.PrintStructured(f.IO.Out, o.Output, rep); err != nil {
			return err
		}
	default:
		if err := tuitoken.WriteText(f.IO.Out, rep, rep.At, theme); err != nil {
			return err
		}
	}
	if rep.Failed() {
		return cmdutil.ErrFindings
	}
	return nil
}

// inspect parses raw and, with --verify, checks the signature. A malformed token is an error.
func (o *InspectOptions) inspect(ctx context.Context, f *cmdutil.Factory, raw string) (*tokencheck.Report, error) {
	tok, err := tokencheck.Parse(raw)
	if err != nil {
		return nil, err
	}
	var v *tokencheck.Verification
	if o.Verify {
		vctx, cancel := context.WithTimeout(ctx, o.Timeout)
		defer cancel()
		client := o.HTTP
		if client == nil {
			client = &http.Client{Timeout: tokencheck.FetchTimeout}
		}
		res := tokencheck.Verify(vctx, tok, tokencheck.Sources{DiscoveryURL: o.DiscoveryURL,
			DiscoveryFile: o.DiscoveryFile, JWKSFile: o.JWKSFile, Client: client})
		v = &res
	}
	return tokencheck.Inspect(tok, f.Now(), v, o.ShowToken), nil
}

func (o *InspectOptions) runTUI(ctx context.Context, f *cmdutil.Factory, theme style.Theme, rep *tokencheck.Report) error {
	opts := tuitoken.Options{Theme: theme, Now: f.Now, Report: rep, Verifying: o.Verify, Ctx: ctx,
		Inspect: func(ctx context.Context, raw string) (*tokencheck.Report, error) { return o.inspect(ctx, f, raw) }}
	if !o.Verify {
		withVerify := *o
		withVerify.Verify = true
		opts.Verify = func(ctx context.Context, raw string) (*tokencheck.Report, error) {
			return withVerify.inspect(ctx, f, raw)
		}
	}
	m := tuitoken.New(opts)
	_, err := cmdutil.RunScreen(ctx, f.IO, m)
	return err
}

// readToken returns the raw token and where it came from (for error lines; never the token itself).
func (o *InspectOptions) readToken(ctx context.Context, f *cmdutil.Factory) (string, string, error) {
	// --from-secret and --token-file are the short forms of --token-from secret: and file:; all three read
	// through the same two readers (a Secret's key, a file with a size cap).
	switch from := o.TokenFrom; {
	case o.FromSecret != "":
		ns, name, ok := strings.Cut(o.FromSecret, "/")
		if !ok {
			name = ns
			var err error
			if ns, err = f.Namespace(); err != nil {
				return "", "", err
			}
		}
		if ns == "" || name == "" || strings.Contains(name, "/") {
			return "", "", cmdutil.UsageErrorf("--from-secret %q: use NAMESPACE/NAME (or NAME with -n)", o.FromSecret)
		}
		return readSecretToken(ctx, f, secretsource.Ref{Namespace: ns, Name: name, Key: AuthorizationKey})
	case strings.HasPrefix(from, secretsource.Secret):
		ns, err := f.Namespace()
		if err != nil {
			return "", "", err
		}
		return readSecretToken(ctx, f, secretsource.ParseSecret(strings.TrimPrefix(from, secretsource.Secret), ns, AuthorizationKey))
	case strings.HasPrefix(from, secretsource.File):
		return readTokenFile(strings.TrimPrefix(from, secretsource.File), "--token-from "+from)
	case from != "": // env:, prompt
		v, err := cmdutil.ReadSecretFrom(ctx, f, "token-from", from, AuthorizationKey, "token")
		return v, "--token-from " + from, err
	case o.TokenFile != "" && o.TokenFile != "-":
		return readTokenFile(o.TokenFile, "--token-file "+o.TokenFile)
	case o.TokenFile == "-" || o.Arg == "-":
		b, err := io.ReadAll(io.LimitReader(f.IO.In, tokencheck.MaxTokenBytes+1024))
		if err != nil {
			return "", "", cmdutil.Fail("reading the token from stdin", err, "")
		}
		return string(b), "stdin", nil
	}
	return o.Arg, "the argument", nil
}

// readTokenFile reads a token file (what names it: "--token-file PATH"), at most a token's size.
func readTokenFile(path, what string) (string, string, error) {
	b, err := readLimited(path)
	if err != nil {
		return "", "", cmdutil.Fail("reading "+what, err, "Check the path")
	}
	return string(b), what, nil
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no such file")
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, errors.New("permission denied")
		}
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, tokencheck.MaxTokenBytes+1024))
}

// readSecretToken reads the token in key r.Key of Secret r: a missing key names the keys there are, an empty one
// says how to get a fresh token.
func readSecretToken(ctx context.Context, f *cmdutil.Factory, r secretsource.Ref) (string, string, error) {
	ref := k8sres.Ref(r.Namespace, r.Name)
	kc, err := f.KubeClient()
	if err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := k8sres.GetSecret(ctx, kc, r.Namespace, r.Name)
	if err != nil {
		if strings.Contains(err.Error(), "forbidden") {
			return "", "", explain.Newf(err, "%s or pass --token-file", strings.TrimRight(err.Error(), ". "))
		}
		return "", "", err
	}
	v, ok := k8sres.SecretValue(s, r.Key)
	if !ok {
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		slip, fix := bearer.MissingKey(ref, r.Key, slices.Sorted(slices.Values(keys)))
		return "", "", fmt.Errorf("%s. %s Fix: %s", slip.Detail, slip.Hint, fix)
	}
	if strings.TrimSpace(v) == "" {
		return "", "", fmt.Errorf("reading Secret %s: the %s key is empty. kubectl agentcore rotate writes a fresh token", ref, r.Key)
	}
	return v, "Secret " + ref, nil
}
