package token

import (
	"context"
	"fmt"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/spf13/cobra"
)

// OutputRaw prints only the token (`token mint -o raw`).
const OutputRaw = "raw"

// MintOptions are the flags of `token mint`.
type MintOptions struct {
	clientFlags

	f *cmdutil.Factory
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
	o.add(cmd, clientHelp{
		discoveryURL: "the identity provider's discovery document (…/.well-known/openid-configuration)",
		clientID:     "the OAuth client (application) id",
		audience:     "the API the token is for (its aud): Auth0's API identifier, a resource indicator",
		showToken:    "print the token itself (it is masked otherwise)",
	})
	return cmd
}

// Complete fills defaults that need the command (none read the network).
func (o *MintOptions) Complete(*cobra.Command, []string) error {
	o.complete()
	return nil
}

// Validate checks the flags (usage errors, exit 2).
func (o *MintOptions) Validate() error {
	return o.validate(o.request())
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
	if err := o.readSecret(ctx, o.f); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	o.httpClient() // one client for discovery, the token request and the JWKS
	res, err := clientcreds.Mint(ctx, o.request())
	if err != nil {
		return cmdutil.Fail("minting a token for client "+o.ClientID, err, "")
	}
	info := MintInfo{TokenURL: res.TokenURL, DiscoveryURL: o.DiscoveryURL, ClientID: res.ClientID, AuthMethod: res.AuthMethod,
		Audience: res.Audience, SentResource: res.SentResource, Scopes: o.Scopes, GrantedScope: res.Scope,
		ExpiresInSeconds: int64(res.ExpiresIn / time.Second)}
	head := fmt.Sprintf("minted by client credentials at %s (client %s, %s", res.TokenURL, res.ClientID, res.AuthMethod)
	if res.Audience != "" {
		head += ", audience " + res.Audience
	}
	return o.printIssued(ctx, o.f, res.Token, head+")", func(rep *tokencheck.Report) any { return MintOutput{Mint: info, Report: rep} })
}
