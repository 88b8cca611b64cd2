package tokencheck_test

import (
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// Without a private endpoint, AWS's AgentCore cannot reach an identity provider on a private host: a warning that
// names the host and why. An AgentCore served locally (the sandbox's) reaches it, and a public host passes.
func TestPrivateEndpointUnreachableHost(t *testing.T) {
	pe := func(discovery string, local bool) tokencheck.Finding {
		az := &tokencheck.Authorizer{DiscoveryURL: discovery, AllowedAudience: []string{"a"}}
		return find(t, tokencheck.CheckAuthorizerSettings(az, nil, tokencheck.SourceSecret, nil, local), "authorizer.private-endpoint")
	}
	inCluster := "http://keycloak.identity.svc.cluster.local:8080/realms/agents/.well-known/openid-configuration"
	f := pe(inCluster, false)
	if f.Status != tokencheck.StatusWarn || !strings.Contains(f.Detail, "keycloak.identity.svc.cluster.local:8080 is a name that only the cluster's DNS resolves") ||
		!strings.Contains(f.Detail, "401") || !strings.Contains(f.Hint, "privateEndpoint") {
		t.Errorf("in-cluster IdP: %s %q hint %q", f.Status, f.Detail, f.Hint)
	}
	if f := pe(inCluster, true); f.Status != tokencheck.StatusPass || !strings.Contains(f.Detail, "served from this machine") {
		t.Errorf("in-cluster IdP, local AgentCore: %s %q", f.Status, f.Detail)
	}
	if f := pe("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12/.well-known/openid-configuration", false); f.Status != tokencheck.StatusPass || !strings.Contains(f.Detail, "over the internet") {
		t.Errorf("Cognito: %s %q", f.Status, f.Detail)
	}
}
