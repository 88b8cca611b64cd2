package token

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// ExchangeOptions are the flags of `token exchange`.
type ExchangeOptions struct {
	clientFlags

	SubjectTokenFrom   string
	SubjectTokenType   string
	Resource           string
	RequestedTokenType string

	f       *cmdutil.Factory
	subject string
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
	o.add(cmd, clientHelp{
		discoveryURL: "the token service's discovery document (…/.well-known/openid-configuration)",
		clientID:     "the OAuth client that exchanges (the gateway's client at the token service)",
		audience:     "the audience the issued token is for (sent as audience)",
		showToken:    "print the issued token itself (it is masked otherwise)",
	})
	fl := cmd.Flags()
	cmdutil.SecretSourceFlag(cmd, &o.SubjectTokenFrom, "subject-token-from", "the caller's token", "")
	fl.StringVar(&o.SubjectTokenType, "subject-token-type", "access_token", "the caller token's type: access_token, jwt, id_token or a URN")
	fl.StringVar(&o.Resource, "resource", "", "a resource indicator the issued token is for (sent as resource)")
	fl.StringVar(&o.RequestedTokenType, "requested-token-type", "", "the token type to ask for: access_token, jwt or a URN (default: the server's choice)")
	_ = cmd.RegisterFlagCompletionFunc("subject-token-type", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"access_token", "jwt", "id_token"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete trims the scopes (nothing is read yet).
func (o *ExchangeOptions) Complete(*cobra.Command, []string) error {
	o.complete()
	return nil
}

// Validate checks the flags (usage errors, exit 2).
func (o *ExchangeOptions) Validate() error {
	return o.validate(o.request(), source{"subject-token-from", o.SubjectTokenFrom})
}

func (o *ExchangeOptions) request() clientcreds.ExchangeRequest {
	return clientcreds.ExchangeRequest{Request: o.clientFlags.request(),
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
	if err := o.readSecret(ctx, o.f); err != nil {
		return err
	}
	var err error
	if o.subject, err = cmdutil.ReadSecretFrom(ctx, o.f, "subject-token-from", o.SubjectTokenFrom, "token", "caller's token"); err != nil {
		return cmdutil.Fail("reading the caller's token", err, "")
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	o.httpClient() // one client for discovery, the token request and the JWKS
	res, err := clientcreds.Exchange(ctx, o.request())
	if err != nil {
		return cmdutil.Fail("exchanging the caller's token with client "+o.ClientID, err, "")
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
	return o.printIssued(ctx, o.f, res.Token, head, func(rep *tokencheck.Report) any { return ExchangeOutput{Exchange: info, Report: rep} })
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
