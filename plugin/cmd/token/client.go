package token

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	tuitoken "github.com/kubectl-agentcore/kubectl-agentcore/tui/token"
)

// clientFlags are the flags `token mint` and `token exchange` share: the token endpoint, the OAuth client and its
// secret, what the token is asked for, and how it is printed. Each command embeds them, declares them with add and
// checks them with complete and validate.
type clientFlags struct {
	DiscoveryURL     string
	TokenURL         string
	ClientID         string
	ClientSecretFrom string
	Audience         string
	Scopes           []string
	AuthMethod       string
	ShowToken        bool
	Output           string
	Timeout          time.Duration

	// HTTP is the client for discovery, the token request and the JWKS (tests may replace it).
	HTTP *http.Client

	secret string
}

// clientHelp is the help of the shared flags whose words depend on the command.
type clientHelp struct {
	discoveryURL, clientID, audience, showToken string
}

// add declares the shared flags on cmd (with the completion of --auth-method and -o).
func (c *clientFlags) add(cmd *cobra.Command, help clientHelp) {
	fl := cmd.Flags()
	fl.StringVar(&c.DiscoveryURL, "discovery-url", "", help.discoveryURL)
	fl.StringVar(&c.TokenURL, "token-url", "", "the token endpoint, instead of --discovery-url")
	fl.StringVar(&c.ClientID, "client-id", "", help.clientID)
	cmdutil.SecretSourceFlag(cmd, &c.ClientSecretFrom, "client-secret-from", "the client secret", "")
	fl.StringVar(&c.Audience, "audience", "", help.audience)
	fl.StringArrayVar(&c.Scopes, "scope", nil, "a scope to ask for (repeatable)")
	fl.StringVar(&c.AuthMethod, "auth-method", "", "client authentication: basic (HTTP Basic) or post (form); default: what discovery accepts, basic first")
	fl.BoolVar(&c.ShowToken, "show-token", false, help.showToken)
	fl.DurationVar(&c.Timeout, "timeout", 30*time.Second, "give up after this long")
	cmdutil.AddOutputFlag(cmd, &c.Output, cmdutil.OutputText, cmdutil.OutputJSON, cmdutil.OutputYAML, OutputRaw)
	_ = cmd.RegisterFlagCompletionFunc("auth-method", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{clientcreds.AuthBasic, clientcreds.AuthPost}, cobra.ShellCompDirectiveNoFileComp
	})
}

// complete trims the scopes (nothing is read yet).
func (c *clientFlags) complete() {
	for i, s := range c.Scopes {
		c.Scopes[i] = strings.TrimSpace(s)
	}
}

// source is a --*-from flag that must be given: its name and value.
type source struct{ flag, value string }

// validate checks the shared flags, req (the command's request, built from them), --client-secret-from and then
// the command's other sources (usage errors, exit 2).
func (c *clientFlags) validate(req interface{ Validate() error }, more ...source) error {
	if err := cmdutil.ValidateOutput(c.Output, cmdutil.OutputText, cmdutil.OutputJSON, cmdutil.OutputYAML, OutputRaw); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return cmdutil.UsageErrorf("%s", err)
	}
	for _, s := range append([]source{{"client-secret-from", c.ClientSecretFrom}}, more...) {
		if s.value == "" {
			return cmdutil.UsageErrorf("%s", secretsource.Required(s.flag))
		}
		if err := secretsource.Validate(s.flag, s.value); err != nil {
			return cmdutil.UsageErrorf("%s", err)
		}
	}
	for _, s := range c.Scopes {
		if s == "" {
			return cmdutil.UsageErrorf("--scope is empty")
		}
	}
	if c.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	return nil
}

// request is the client-credentials part of the command's request (the secret once readSecret has read it).
func (c *clientFlags) request() clientcreds.Request {
	return clientcreds.Request{DiscoveryURL: c.DiscoveryURL, TokenURL: c.TokenURL, ClientID: c.ClientID,
		ClientSecret: c.secret, Audience: c.Audience, Scopes: c.Scopes, AuthMethod: c.AuthMethod, HTTP: c.HTTP}
}

// readSecret reads the client secret from --client-secret-from.
func (c *clientFlags) readSecret(ctx context.Context, f *cmdutil.Factory) error {
	secret, err := cmdutil.ReadSecretFrom(ctx, f, "client-secret-from", c.ClientSecretFrom, setup.KeyClientSecret, "client secret")
	if err != nil {
		return cmdutil.Fail("reading the client secret", err, "")
	}
	c.secret = secret
	return nil
}

// httpClient is HTTP, set to one that gives up after --timeout when the caller (a test) gave none.
func (c *clientFlags) httpClient() *http.Client {
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: c.Timeout}
	}
	return c.HTTP
}

// printIssued prints an obtained token: alone with -o raw, else as `token inspect` does (claims, expiry, the
// signature checked against the issuer's keys, the authorizer settings it fits) after head, the text line saying
// how it was obtained, or wrapped by structured for -o json|yaml; exit 3 when a check fails.
func (c *clientFlags) printIssued(ctx context.Context, f *cmdutil.Factory, token, head string, structured func(*tokencheck.Report) any) error {
	if c.Output == OutputRaw {
		_, err := fmt.Fprintln(f.IO.Out, token)
		return err
	}
	tok, err := tokencheck.Parse(token)
	if err != nil { // Mint and Exchange checked it already
		return cmdutil.Fail("decoding the token", err, "")
	}
	disc := c.DiscoveryURL
	if disc == "" {
		disc = tokencheck.DiscoveryURLFor(tok.Issuer)
	}
	v := tokencheck.Verify(ctx, tok, tokencheck.Sources{DiscoveryURL: disc, Client: c.httpClient()})
	rep := tokencheck.Inspect(tok, f.Now(), &v, c.ShowToken)
	switch c.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		if err := cmdutil.PrintStructured(f.IO.Out, c.Output, structured(rep)); err != nil {
			return err
		}
	default:
		theme := style.New(f.IO.ColorEnabled(), f.IO.ASCII())
		if _, err := fmt.Fprintln(f.IO.Out, theme.Symbol(style.Pass)+" "+head); err != nil {
			return err
		}
		if err := tuitoken.WriteText(f.IO.Out, rep, rep.At, theme); err != nil {
			return err
		}
	}
	if rep.Failed() {
		return cmdutil.ErrFindings
	}
	return nil
}
