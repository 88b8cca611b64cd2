package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The hints of a failing audience, scope or expiry fit how the setup record says the token is obtained: for an
// external IdP by client credentials a wrong audience names --audience; for a Cognito machine client a missing
// scope names the resource server; for a pasted token an expiry says how to renew it. Without a record the
// generic hint stays.
func TestClusterHintsFitTheIdentity(t *testing.T) {
	record := func(e *env, extra map[string]string) {
		t.Helper()
		d := map[string]string{"runtimeArn": e.rt.ARN, "mode": "rewrite", "gatewayNamespace": e.ns, "gatewayName": "agw",
			"routeName": "agentcore", "backendName": "agentcore", "secretName": "agentcore-jwt", "policyName": "agentcore",
			"discoveryUrl": e.issuer.DiscoveryURL()}
		for k, v := range extra {
			d[k] = v
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-setup", Namespace: e.ns,
			Labels: map[string]string{k8sres.LabelManagedBy: k8sres.ManagedByValue, "app.kubernetes.io/component": "setup-record"}}, Data: d}
		if _, err := e.kube.CoreV1().ConfigMaps(e.ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	authorizer := func(e *env, js string) {
		t.Helper()
		if err := e.fake.SetAuthorizerJSON(e.rt.ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"`+e.issuer.DiscoveryURL()+`",`+js+`}}`)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("external client credentials, wrong audience", func(t *testing.T) {
		e := newEnv(t)
		authorizer(e, `"allowedAudience":["https://right.example.test/"]`)
		e.putToken("Bearer " + e.key.Mint(t, tokentest.Auth0(e.issuer.Issuer, "https://wrong.example.test/", "m2m-client", time.Now(), time.Hour)))
		got, _ := e.run(Options{}, nil)
		if r := got[IDAuthorizerAudience]; r.Status != Fail || !strings.Contains(r.Hint, "--audience") || !strings.Contains(r.Hint, "Request the token") {
			t.Fatalf("without a record: %s %q %q", r.Status, r.Detail, r.Hint)
		}
		record(e, map[string]string{"identityProvider": "external", "tokenSource": "client-credentials", "clientId": "m2m-client",
			"tokenAudience": "https://wrong.example.test/"})
		got, _ = e.run(Options{Namespace: e.ns}, nil)
		r := got[IDAuthorizerAudience]
		// each command closes its clause (",", ";"): a wrapped hint keeps the command and only the command together
		if r.Status != Fail || !strings.Contains(r.Hint, "client m2m-client") || !strings.Contains(r.Hint, "audience https://wrong.example.test/, which the runtime does not allow") ||
			!strings.Contains(r.Hint, "kubectl agentcore wizard -n "+e.ns+" --audience <allowed audience>; it re-derives") ||
			!strings.Contains(r.Fix, "kubectl agentcore wizard -n "+e.ns+" --audience") {
			t.Fatalf("audience: %s %q hint %q fix %q", r.Status, r.Detail, r.Hint, r.Fix)
		}
	})

	t.Run("cognito machine client, missing scope", func(t *testing.T) {
		e := newEnv(t)
		authorizer(e, `"allowedClients":["m2m"],"allowedScopes":["agentcore/admin"]`)
		claims := tokentest.CognitoAccess(e.issuer.Issuer, "m2m", time.Now(), time.Hour)
		claims["scope"] = "agentcore/invoke"
		e.putToken("Bearer " + e.key.Mint(t, claims))
		record(e, map[string]string{"identityProvider": "cognito-machine", "tokenSource": "client-credentials", "clientId": "m2m",
			"resourceServer": "agentcore", "tokenScopes": "agentcore/invoke", "userPoolId": "us-east-1_Pool1"})
		got, _ := e.run(Options{Namespace: e.ns}, nil)
		r := got[IDAuthorizerScope]
		if r.Status != Fail || !strings.Contains(r.Hint, "resource server agentcore") ||
			!strings.Contains(r.Fix, "--identity cognito-machine --resource-server agentcore --scope invoke") {
			t.Fatalf("scope: %s %q hint %q fix %q", r.Status, r.Detail, r.Hint, r.Fix)
		}
		if got[IDAuthorizerClient].Status != Pass {
			t.Fatalf("client: %+v", got[IDAuthorizerClient])
		}
	})

	t.Run("pasted token, expired", func(t *testing.T) {
		e := newEnv(t)
		authorizer(e, `"allowedAudience":["https://api.example.test/"]`)
		e.putToken("Bearer " + e.key.Mint(t, tokentest.Okta(e.issuer.Issuer, "https://api.example.test/", "cli", time.Now().Add(-3*time.Hour), time.Hour)))
		record(e, map[string]string{"identityProvider": "external", "tokenSource": "pasted"})
		got, _ := e.run(Options{Namespace: e.ns}, nil)
		r := got[IDTokenExpired]
		if r.Status != Fail || !strings.Contains(r.Hint, "was pasted") || !strings.Contains(r.Hint, "--token-file") || !strings.Contains(r.Hint, "--client-secret-from") {
			t.Fatalf("expired pasted token: %s %q hint %q", r.Status, r.Detail, r.Hint)
		}
	})
}
