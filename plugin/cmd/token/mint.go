package token

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	tuitoken "github.com/kubectl-agentcore/kubectl-agentcore/tui/token"
	"github.com/spf13/cobra"
)

// OutputRaw prints only the token (`token mint -o raw`).
const OutputRaw = "raw"

// MintOptions are the flags of `token mint`.
type MintOptions struct {
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

	f      *cmdutil.Factory
	secret string
}

// NewCmdMint builds `token mint`. runF, when not nil, receives the completed and validated Options instead of
// Run (flag tests).
func NewCmdMint(f *cmdutil.Factory, runF func(*MintOptions) error) *cobra.Command {
	o := &MintOptions{f: f}
	cmd := &cobra.Command{
		Use:   "mint --client-id ID --client-secret-from SOURCE (--discovery-url URL | --token-url URL)",
		Short: "Get a token by OAuth 2.0 client credentials and inspect it",
		Long: `Get an access token for a machine identity by the OAuth 2.0 client-credentials grant (Auth0, Okta, Entra ID, a
Cognito app client with a domain, any OpenID provider), then show the same inspection as "token inspect": kind,
claims, expiry, the signature checked against the issuer's keys, and which authorizer settings it fits.

The token endpoint and the client authentication methods it accepts come from --discovery-url (or give
--token-url). --auth-method basic|post overrides the choice (default: what the discovery document accepts, basic
first). --audience is sent as audience (Auth0) and, when the discovery document advertises resource indicators,
as resource (RFC 8707). --scope may repeat (Okta needs one unless its server has default scopes; Entra wants
<application id URI>/.default).

The client secret is read from --client-secret-from env:VAR, file:PATH, secret:NAMESPACE/NAME/KEY (or secret:NAME/KEY
in -n) or prompt — never from the command line. The token is masked unless --show-token or -o raw.

Exit codes: 0 ok · 1 the token could not be minted · 2 bad flags · 3 the token fails a check (signature, expiry).`,
		Example: `  kubectl agentcore token mint --discovery-url https://tenant.auth0.com/.well-known/openid-configuration \
      --client-id abc --client-secret-from env:CLIENT_SECRET --audience https://agents.example.com
  kubectl agentcore token mint --token-url https://org.okta.com/oauth2/default/v1/token --client-id 0oa1 \
      --client-secret-from secret:agentcore/okta-client/client-secret --scope agents.invoke -o json
  TOKEN=$(kubectl agentcore token mint ... -o raw)`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.DiscoveryURL, "discovery-url", "", "the identity provider's discovery document (…/.well-known/openid-configuration)")
	fl.StringVar(&o.TokenURL, "token-url", "", "the token endpoint, instead of --discovery-url")
	fl.StringVar(&o.ClientID, "client-id", "", "the OAuth client (application) id")
	cmdutil.SecretSourceFlag(cmd, &o.ClientSecretFrom, "client-secret-from", "the client secret", "")
	fl.StringVar(&o.Audience, "audience", "", "the API the token is for (its aud): Auth0's API identifier, a resource indicator")
	fl.StringArrayVar(&o.Scopes, "scope", nil, "a scope to ask for (repeatable)")
	fl.StringVar(&o.AuthMethod, "auth-method", "", "client authentication: basic (HTTP Basic) or post (form); default: what discovery accepts, basic first")
	fl.BoolVar(&o.ShowToken, "show-token", false, "print the token itself (it is masked otherwise)")
	fl.DurationVar(&o.Timeout, "timeout", 30*time.Second, "give up after this long")
	cmdutil.AddOutputFlag(cmd, &o.Output, cmdutil.OutputText, cmdutil.OutputJSON, cmdutil.OutputYAML, OutputRaw)
	_ = cmd.RegisterFlagCompletionFunc("auth-method", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{clientcreds.AuthBasic, clientcreds.AuthPost}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete fills defaults that need the command (none read the network).
func (o *MintOptions) Complete(*cobra.Command, []string) error {
	for i, s := range o.Scopes {
		o.Scopes[i] = strings.TrimSpace(s)
	}
	return nil
}

// Validate checks the flags (usage errors, exit 2).
func (o *MintOptions) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output, cmdutil.OutputText, cmdutil.OutputJSON, cmdutil.OutputYAML, OutputRaw); err != nil {
		return err
	}
	if err := o.request().Validate(); err != nil {
		return cmdutil.UsageErrorf("%s", err)
	}
	if o.ClientSecretFrom == "" {
		return cmdutil.UsageErrorf("--client-secret-from is required: " + secretsource.Forms + " (a secret is never an argument)")
	}
	if err := secretsource.Validate("client-secret-from", o.ClientSecretFrom); err != nil {
		return cmdutil.UsageErrorf("%s", err)
	}
	for _, s := range o.Scopes {
		if s == "" {
			return cmdutil.UsageErrorf("--scope is empty")
		}
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	return nil
}

func (o *MintOptions) request() clientcreds.Request {
	return clientcreds.Request{DiscoveryURL: o.DiscoveryURL, TokenURL: o.TokenURL, ClientID: o.ClientID,
		ClientSecret: o.secret, Audience: o.Audience, Scopes: o.Scopes, AuthMethod: o.AuthMethod, HTTP: o.HTTP}
}

// MintOutput is `token mint -o json|yaml`: how the token was obtained, then the inspection of `token inspect`.
type MintOutput struct {
	Mint MintInfo `json:"mint"`
	*tokencheck.Report
}

// MintInfo says how the token was obtained (never the secret).
type MintInfo struct {
	TokenURL         string   `json:"tokenUrl"`
	DiscoveryURL     string   `json:"discoveryUrl,omitempty"`
	ClientID         string   `json:"clientId"`
	AuthMethod       string   `json:"authMethod"`
	Audience         string   `json:"audience,omitempty"`
	SentResource     bool     `json:"sentResource,omitempty"`
	Scopes           []string `json:"requestedScopes,omitempty"`
	GrantedScope     string   `json:"grantedScope,omitempty"`
	ExpiresInSeconds int64    `json:"expiresInSeconds,omitempty"`
}

// Run reads the secret, mints, verifies and prints.
func (o *MintOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f := o.f
	secret, err := o.readSecret(ctx)
	if err != nil {
		return cmdutil.Fail("reading the client secret", err, "")
	}
	o.secret = secret
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	client := o.HTTP
	if client == nil {
		client = &http.Client{Timeout: o.Timeout}
		o.HTTP = client
	}
	res, err := clientcreds.Mint(ctx, o.request())
	if err != nil {
		return cmdutil.Fail("minting a token for client "+o.ClientID, err, "")
	}
	if o.Output == OutputRaw {
		_, err := fmt.Fprintln(f.IO.Out, res.Token)
		return err
	}
	info := MintInfo{TokenURL: res.TokenURL, DiscoveryURL: o.DiscoveryURL, ClientID: res.ClientID, AuthMethod: res.AuthMethod,
		Audience: res.Audience, SentResource: res.SentResource, Scopes: o.Scopes, GrantedScope: res.Scope,
		ExpiresInSeconds: int64(res.ExpiresIn / time.Second)}
	head := fmt.Sprintf("minted by client credentials at %s (client %s, %s", res.TokenURL, res.ClientID, res.AuthMethod)
	if res.Audience != "" {
		head += ", audience " + res.Audience
	}
	return printIssued(ctx, f, issued{token: res.Token, discoveryURL: o.DiscoveryURL, client: client, output: o.Output,
		showToken: o.ShowToken, head: head + ")", structured: func(rep *tokencheck.Report) any { return MintOutput{Mint: info, Report: rep} }})
}

// issued is a token a command obtained (minted or exchanged) and how to print it.
type issued struct {
	token, discoveryURL string
	client              *http.Client
	output              string
	showToken           bool
	// head is the text output's first line after the status symbol; structured wraps the report for -o json|yaml.
	head       string
	structured func(*tokencheck.Report) any
}

// printIssued prints an obtained token as `token inspect` does (claims, expiry, the signature checked against the
// issuer's keys, the authorizer settings it fits) after a line saying how it was obtained; exit 3 when a check
// fails.
func printIssued(ctx context.Context, f *cmdutil.Factory, is issued) error {
	tok, err := tokencheck.Parse(is.token)
	if err != nil { // Mint and Exchange checked it already
		return cmdutil.Fail("decoding the token", err, "")
	}
	disc := is.discoveryURL
	if disc == "" {
		disc = tokencheck.DiscoveryURLFor(tok.Issuer)
	}
	v := tokencheck.Verify(ctx, tok, tokencheck.Sources{DiscoveryURL: disc, Client: is.client})
	rep := tokencheck.Inspect(tok, f.Now(), &v, is.showToken)
	switch is.output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		if err := cmdutil.PrintStructured(f.IO.Out, is.output, is.structured(rep)); err != nil {
			return err
		}
	default:
		theme := style.New(f.IO.ColorEnabled(), f.IO.ASCII())
		if _, err := fmt.Fprintln(f.IO.Out, theme.Symbol(style.Pass)+" "+is.head); err != nil {
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

func (o *MintOptions) readSecret(ctx context.Context) (string, error) {
	return cmdutil.ReadSecretFrom(ctx, o.f, "client-secret-from", o.ClientSecretFrom, setup.KeyClientSecret, "client secret")
}
