package token

import (
	"context"
	"encoding/json"
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
)

// ExchangeOptions are the flags of `token exchange`.
type ExchangeOptions struct {
	DiscoveryURL       string
	TokenURL           string
	ClientID           string
	ClientSecretFrom   string
	SubjectTokenFrom   string
	SubjectTokenType   string
	Audience           string
	Resource           string
	Scopes             []string
	RequestedTokenType string
	AuthMethod         string
	ShowToken          bool
	Output             string
	Timeout            time.Duration

	// HTTP is the client for discovery, the token request and the JWKS (tests may replace it).
	HTTP *http.Client

	f               *cmdutil.Factory
	secret, subject string
}

// NewCmdExchange builds `token exchange`. runF, when not nil, receives the completed and validated Options instead
// of Run (flag tests).
func NewCmdExchange(f *cmdutil.Factory, runF func(*ExchangeOptions) error) *cobra.Command {
	o := &ExchangeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "exchange --client-id ID --client-secret-from SOURCE --subject-token-from SOURCE (--discovery-url URL | --token-url URL)",
		Short: "Exchange a caller's token for another (OAuth 2.0 token exchange, on behalf of) and inspect it",
		Long: `Perform one OAuth 2.0 token exchange (RFC 8693): the client trades a caller's token (the subject) for a token
for --audience, as Agent Gateway's backend.auth.oauthTokenExchange does for every request in the exchange mode.
Then show the same inspection as "token inspect" for the issued token: kind, claims (sub stays the caller's; act
names the client acting for it), expiry, the signature checked against the token service's keys, and which
authorizer settings it fits.

The token endpoint and the client authentication methods come from --discovery-url (or give --token-url), as for
"token mint". --audience is sent as audience, --resource as resource; --scope may repeat.

The client secret comes from --client-secret-from and the caller's token from --subject-token-from: env:VAR,
file:PATH, secret:NAMESPACE/NAME/KEY (or secret:NAME/KEY in -n) or prompt — never from the command line. Tokens
are masked unless --show-token or -o raw.

Exit codes: 0 ok · 1 the token could not be exchanged · 2 bad flags · 3 the token fails a check (signature, expiry).`,
		Example: `  kubectl agentcore token exchange --discovery-url https://sts.example.com/.well-known/openid-configuration \
      --client-id gateway --client-secret-from env:EXCHANGE_SECRET --subject-token-from file:caller.jwt \
      --audience https://agents.example.com
  kubectl agentcore token exchange ... --subject-token-from prompt -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.DiscoveryURL, "discovery-url", "", "the token service's discovery document (…/.well-known/openid-configuration)")
	fl.StringVar(&o.TokenURL, "token-url", "", "the token endpoint, instead of --discovery-url")
	fl.StringVar(&o.ClientID, "client-id", "", "the OAuth client that exchanges (the gateway's client at the token service)")
	cmdutil.SecretSourceFlag(cmd, &o.ClientSecretFrom, "client-secret-from", "the client secret", "")
	cmdutil.SecretSourceFlag(cmd, &o.SubjectTokenFrom, "subject-token-from", "the caller's token", "")
	fl.StringVar(&o.SubjectTokenType, "subject-token-type", "access_token", "the caller token's type: access_token, jwt, id_token or a URN")
	fl.StringVar(&o.Audience, "audience", "", "the audience the issued token is for (sent as audience)")
	fl.StringVar(&o.Resource, "resource", "", "a resource indicator the issued token is for (sent as resource)")
	fl.StringArrayVar(&o.Scopes, "scope", nil, "a scope to ask for (repeatable)")
	fl.StringVar(&o.RequestedTokenType, "requested-token-type", "", "the token type to ask for: access_token, jwt or a URN (default: the server's choice)")
	fl.StringVar(&o.AuthMethod, "auth-method", "", "client authentication: basic (HTTP Basic) or post (form); default: what discovery accepts, basic first")
	fl.BoolVar(&o.ShowToken, "show-token", false, "print the issued token itself (it is masked otherwise)")
	fl.DurationVar(&o.Timeout, "timeout", 30*time.Second, "give up after this long")
	cmdutil.AddOutputFlag(cmd, &o.Output, cmdutil.OutputText, cmdutil.OutputJSON, cmdutil.OutputYAML, OutputRaw)
	_ = cmd.RegisterFlagCompletionFunc("auth-method", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{clientcreds.AuthBasic, clientcreds.AuthPost}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("subject-token-type", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"access_token", "jwt", "id_token"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete trims the scopes (nothing is read yet).
func (o *ExchangeOptions) Complete(*cobra.Command, []string) error {
	for i, s := range o.Scopes {
		o.Scopes[i] = strings.TrimSpace(s)
	}
	return nil
}

// Validate checks the flags (usage errors, exit 2).
func (o *ExchangeOptions) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output, cmdutil.OutputText, cmdutil.OutputJSON, cmdutil.OutputYAML, OutputRaw); err != nil {
		return err
	}
	if err := o.request().Validate(); err != nil {
		return cmdutil.UsageErrorf("%s", err)
	}
	for _, fv := range [][2]string{{"client-secret-from", o.ClientSecretFrom}, {"subject-token-from", o.SubjectTokenFrom}} {
		flag, v := fv[0], fv[1]
		if v == "" {
			return cmdutil.UsageErrorf("--%s is required: env:VAR, file:PATH, secret:[NAMESPACE/]NAME/KEY or prompt (a secret is never an argument)", flag)
		}
		if err := secretsource.Validate(flag, v); err != nil {
			return cmdutil.UsageErrorf("%s", err)
		}
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

func (o *ExchangeOptions) request() clientcreds.ExchangeRequest {
	return clientcreds.ExchangeRequest{Request: clientcreds.Request{DiscoveryURL: o.DiscoveryURL, TokenURL: o.TokenURL,
		ClientID: o.ClientID, ClientSecret: o.secret, Audience: o.Audience, Scopes: o.Scopes, AuthMethod: o.AuthMethod, HTTP: o.HTTP},
		SubjectToken: o.subject, SubjectTokenType: o.SubjectTokenType, Resource: o.Resource, RequestedTokenType: o.RequestedTokenType}
}

// ExchangeOutput is `token exchange -o json|yaml`: how the token was obtained, then the inspection of `token inspect`.
type ExchangeOutput struct {
	Exchange ExchangeInfo `json:"exchange"`
	*tokencheck.Report
}

// ExchangeInfo says how the token was obtained (never the secret or the subject token).
type ExchangeInfo struct {
	TokenURL         string          `json:"tokenUrl"`
	DiscoveryURL     string          `json:"discoveryUrl,omitempty"`
	ClientID         string          `json:"clientId"`
	AuthMethod       string          `json:"authMethod"`
	Audience         string          `json:"audience,omitempty"`
	Resource         string          `json:"resource,omitempty"`
	Scopes           []string        `json:"requestedScopes,omitempty"`
	GrantedScope     string          `json:"grantedScope,omitempty"`
	SubjectTokenType string          `json:"subjectTokenType"`
	IssuedTokenType  string          `json:"issuedTokenType,omitempty"`
	ExpiresInSeconds int64           `json:"expiresInSeconds,omitempty"`
	Subject          string          `json:"subject,omitempty"`
	Actor            json.RawMessage `json:"act,omitempty"`
}

// Run reads the client secret and the subject token, exchanges, verifies and prints.
func (o *ExchangeOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f := o.f
	var err error
	if o.secret, err = cmdutil.ReadSecretFrom(ctx, f, "client-secret-from", o.ClientSecretFrom, setup.KeyClientSecret, "client secret"); err != nil {
		return cmdutil.Fail("reading the client secret", err, "")
	}
	if o.subject, err = cmdutil.ReadSecretFrom(ctx, f, "subject-token-from", o.SubjectTokenFrom, "token", "caller's token"); err != nil {
		return cmdutil.Fail("reading the caller's token", err, "")
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	client := o.HTTP
	if client == nil {
		client = &http.Client{Timeout: o.Timeout}
		o.HTTP = client
	}
	res, err := clientcreds.Exchange(ctx, o.request())
	if err != nil {
		return cmdutil.Fail("exchanging the caller's token with client "+o.ClientID, err, "")
	}
	if o.Output == OutputRaw {
		_, err := fmt.Fprintln(f.IO.Out, res.Token)
		return err
	}
	info := ExchangeInfo{TokenURL: res.TokenURL, DiscoveryURL: o.DiscoveryURL, ClientID: res.ClientID, AuthMethod: res.AuthMethod,
		Audience: res.Audience, Resource: res.Resource, Scopes: o.Scopes, GrantedScope: res.Scope, SubjectTokenType: res.SubjectTokenType,
		IssuedTokenType: res.IssuedTokenType, ExpiresInSeconds: int64(res.ExpiresIn / time.Second)}
	head := fmt.Sprintf("exchanged at %s (client %s, %s", res.TokenURL, res.ClientID, res.AuthMethod)
	if aud := strings.Join(nonEmpty(res.Audience, res.Resource), ", "); aud != "" {
		head += ", for " + aud
	}
	head += ")"
	if tok, perr := tokencheck.Parse(res.Token); perr == nil { // Exchange checked it already
		info.Subject = tok.Subject
		if act, ok := tok.Claims["act"]; ok {
			info.Actor, _ = json.Marshal(act)
		}
		head += ": on behalf of " + orNone(tok.Subject)
		if info.Actor != nil {
			head += ", act " + string(info.Actor)
		} else {
			head += ", no act claim (the token service does not record the delegation)"
		}
	}
	return printIssued(ctx, f, issued{token: res.Token, discoveryURL: o.DiscoveryURL, client: client, output: o.Output,
		showToken: o.ShowToken, head: head, structured: func(rep *tokencheck.Report) any { return ExchangeOutput{Exchange: info, Report: rep} }})
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(no sub)"
	}
	return s
}
