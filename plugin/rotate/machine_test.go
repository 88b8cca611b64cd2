package rotate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// A Cognito machine client's setup record (identity (b)) makes rotate mint by client credentials at the recorded
// token URL with the client, its scopes, HTTP Basic and the secret from the credentials Secret, and check the token
// by client (no user, no password, no refresh token). The resolved request mints at the real OAuth server, which
// stands in for the pool domain's /oauth2/token (docs/client-credentials.md).
func TestResolveCognitoMachineRecord(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "rotate-m2m")
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{Resources: map[string]string{"urn:agentcore": "agentcore/invoke"},
		Clients: []oidcserver.Client{{ID: "m2mclient", Secret: secret}}})
	rec := &setup.Record{Namespace: ns, Name: setup.DefaultRecordName, RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-Ab12Cd34Ef",
		Mode: setup.ModeRewrite, IdentityProvider: setup.IdPCognitoMachine, UserPoolID: "us-east-1_Pool1", ClientID: "m2mclient",
		TokenSource: setup.TokenSourceClientCredentials, TokenURL: idp.TokenURL(), TokenScopes: []string{"agentcore/invoke"}, AuthMethod: "basic",
		ResourceServer: "agentcore", Domain: "pool1", GatewayNamespace: "gw", GatewayName: "agw", RouteName: "agentcore", BackendName: "agentcore",
		SecretName: setup.DefaultSecretName, DiscoveryURL: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1/.well-known/openid-configuration"}
	ctx := context.Background()
	if err := setup.Save(ctx, c.Kube(), rec, &setup.Credentials{ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	tg, err := rotate.Resolve(ctx, c.Kube(), rotate.Flags{Namespace: ns}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cc := tg.ClientCreds
	if cc == nil || cc.TokenURL != idp.TokenURL() || cc.ClientID != "m2mclient" || strings.Join(cc.Scopes, " ") != "agentcore/invoke" ||
		cc.AuthMethod != "basic" || tg.TokenUse != rotate.TokenUseAccess || strings.Join(tg.AllowedClients, ",") != "m2mclient" || tg.Creds.ClientSecret != secret {
		t.Fatalf("target %+v / %+v", tg, cc)
	}
	req := *cc
	req.ClientSecret = tg.Creds.ClientSecret
	res, err := clientcreds.Mint(ctx, req)
	if err != nil || res.Token == "" {
		t.Fatalf("minting with the resolved request: %v", err)
	}
	if ev := idp.WaitEvents(oidcserver.AtLeast(1)); len(ev) != 1 || ev[0].ClientID != "m2mclient" || ev[0].AuthMethod != oidcserver.Basic {
		t.Fatalf("token requests %+v", ev)
	}
}
