package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// fitIdentity rewrites the hint (and fix) of a failing token or authorizer check so it fits how the setup record
// says the token is obtained (docs/client-credentials.md): an external identity provider by client credentials
// renews with the audience it asks for; a Cognito machine client gets scopes from its resource server; a pasted
// token is renewed by hand. Without a record the generic hint stays.
func (st *state) fitIdentity(ctx context.Context, id string, o Outcome) Outcome {
	if o.Status != Fail && o.Status != Warn {
		return o
	}
	t, err := st.target.get(ctx)
	if err != nil || t == nil || t.record == nil {
		return o
	}
	r := t.record
	ns := r.Namespace
	switch {
	case r.IdentityProvider == setup.IdPExternal && r.ClientCredentials() && id == IDAuthorizerAudience:
		asked := r.TokenAudience
		if asked == "" {
			asked = "none"
		}
		// each command ends its clause (a comma, a semicolon), so a wrapped hint keeps the commands whole
		o.Hint = fmt.Sprintf("This setup mints its token by client credentials (client %s) with audience %s, which %s does not allow. Check that the identity provider issues the allowed one with kubectl agentcore token mint … --audience <allowed audience>, then rerun kubectl agentcore wizard -n %s --audience <allowed audience>; it re-derives the authorizer from the new token.",
			r.ClientID, asked, r.TargetNoun(), ns)
		o.Fix = fmt.Sprintf("kubectl agentcore wizard -n %s --audience <allowed audience>", ns)
	case r.IdentityProvider == setup.IdPCognitoMachine && id == IDAuthorizerScope:
		var names []string
		for _, sc := range r.TokenScopes {
			names = append(names, "--scope "+strings.TrimPrefix(sc, r.ResourceServer+"/"))
		}
		o.Hint = fmt.Sprintf("The Cognito app client %s gets its scopes from resource server %s (it asks for %s): the scope the runtime allows must be one of that resource server's scopes and allowed on the client. Rerun the wizard with the scope: it adds it to resource server %s and the client, and sets allowedScopes.",
			r.ClientID, r.ResourceServer, strings.Join(r.TokenScopes, " "), r.ResourceServer)
		o.Fix = fmt.Sprintf("kubectl agentcore wizard -n %s --identity cognito-machine --resource-server %s %s", ns, r.ResourceServer, strings.Join(names, " "))
	case r.IdentityProvider == setup.IdPCognitoMachine && id == IDAuthorizerClient:
		o.Hint = fmt.Sprintf("The token must come from app client %s by client credentials at %s (its client_id is checked against allowedClients). Rerun kubectl agentcore wizard -n %s, or rotate to mint a new one.", r.ClientID, r.TokenURL, ns)
	case r.IdentityProvider == setup.IdPExternal && !r.ClientCredentials() && (id == IDTokenExpired || id == IDTokenExpiring):
		o.Hint = fmt.Sprintf("This setup's token was pasted (--token-file): nothing renews it, rotate cannot. Put a new one in with kubectl agentcore wizard -n %s --identity external --discovery-url %s --token-file FILE, or let the plugin mint and rotate it by client credentials: --client-id ID --client-secret-from env:VAR|secret:NAME/KEY|prompt --audience API.",
			ns, r.DiscoveryURL)
		o.Fix = fmt.Sprintf("kubectl agentcore wizard -n %s --identity external --discovery-url %s --client-id ID --client-secret-from env:VAR --audience API", ns, r.DiscoveryURL)
	}
	return o
}
