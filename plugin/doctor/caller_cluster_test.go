package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	callerAPI   = "https://agents.example.test/"
	callerOther = "https://other-api.example.test/"
)

// callerEnv is a passthrough setup on the real apiserver: the route, backend and Gateway of env, the auth policy
// with backend.auth.passthrough, a traffic.jwtAuthentication policy for the caller's identity provider (the real
// oidc-provider), the setup record, and the fake AgentCore runtime whose authorizer trusts the same provider.
type callerEnv struct {
	*env
	idp       *oidcserver.Server
	appSecret string
}

func newCallerEnv(t *testing.T, mode setup.Mode) *callerEnv {
	t.Helper()
	ce := &callerEnv{env: newEnvOn(t, clustertest.Shared(t), false), appSecret: oidcserver.NewSecret()}
	ce.idp = oidcservertest.Start(t, oidcserver.Options{
		Resources: map[string]string{callerAPI: "agents.invoke", callerOther: "other.read"},
		Clients:   []oidcserver.Client{{ID: "web-app", Secret: ce.appSecret, AuthMethod: oidcserver.Basic}},
	})
	ce.apply(false)
	ctx := context.Background()
	ri := ce.dyn.Resource(gvrPolicy).Namespace(ce.ns)
	p, err := ri.Get(ctx, "agentcore", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Object["spec"].(map[string]any)["backend"] = map[string]any{"tls": map[string]any{}, "auth": map[string]any{"passthrough": map[string]any{}}}
	if _, err := ri.Update(ctx, p, metav1.UpdateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatal(err)
	}
	ce.putJWTPolicy(ce.idp.Issuer, []string{callerAPI})
	ce.setAuthorizer(ce.idp.DiscoveryURL(), callerAPI)
	rec := setup.Record{Namespace: ce.ns, Mode: mode, RuntimeARN: ce.rt.ARN, GatewayNamespace: ce.ns, GatewayName: "agw",
		RouteName: "agentcore", BackendName: "agentcore", PolicyName: "agentcore", JWTPolicyName: "agentcore-jwt-auth",
		CallerDiscoveryURL: ce.idp.DiscoveryURL(), CallerIssuer: ce.idp.Issuer, CallerAudiences: []string{callerAPI},
		DiscoveryURL: ce.idp.DiscoveryURL(), Audience: []string{callerAPI}}.WithDefaults()
	if err := setup.Save(ctx, ce.kube, &rec, nil); err != nil {
		t.Fatal(err)
	}
	return ce
}

// putJWTPolicy (re)creates the jwtAuthentication policy on the route, accepted by the (hand-written) controller
// status.
func (ce *callerEnv) putJWTPolicy(issuer string, audiences []string) {
	ce.t.Helper()
	_ = ce.dyn.Resource(gvrPolicy).Namespace(ce.ns).Delete(context.Background(), "agentcore-jwt-auth", metav1.DeleteOptions{})
	prov := map[string]any{"issuer": issuer, "audiences": toAny(audiences), "jwks": map[string]any{"remote": map[string]any{
		"backendRef": map[string]any{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "agentcore-idp"}, "jwksPath": "/jwks"}}}
	ce.create(gvrPolicy, map[string]any{
		"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayPolicy",
		"metadata": map[string]any{"name": "agentcore-jwt-auth"},
		"spec": map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "agentcore"}},
			"traffic":    map[string]any{"jwtAuthentication": map[string]any{"providers": []any{prov}}},
		},
	}, policyStatus(nil))
}

func (ce *callerEnv) setAuthorizer(discoveryURL, audience string) {
	ce.t.Helper()
	if err := ce.fake.SetAuthorizerJSON(ce.rt.ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"`+discoveryURL+`","allowedAudience":["`+audience+`"]}}`)); err != nil {
		ce.t.Fatal(err)
	}
}

// callerToken is a token the web app gets from its identity provider for audience.
func (ce *callerEnv) callerToken(audience string) string {
	ce.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := clientcreds.Mint(ctx, clientcreds.Request{DiscoveryURL: ce.idp.DiscoveryURL(), ClientID: "web-app", ClientSecret: ce.appSecret, Audience: audience})
	if err != nil {
		ce.t.Fatal(err)
	}
	return res.Token
}

// runRecord runs doctor as `kubectl agentcore doctor -n NS [--token-file]` does: the record first (RecordTarget).
func (ce *callerEnv) runRecord(token string) (map[string]Result, Report) {
	ce.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o := RecordTarget(ctx, ce.kube, Options{Namespace: ce.ns, Token: token})
	if o.Record == nil || o.Record.Mode != setup.ModePassthrough && o.Record.Mode != setup.ModeExchange {
		ce.t.Fatalf("RecordTarget did not keep the caller-token record: %+v", o.Record)
	}
	return ce.run(o, nil)
}

func TestClusterPassthroughHealthy(t *testing.T) {
	ce := newCallerEnv(t, setup.ModePassthrough)
	got, rep := ce.runRecord(ce.callerToken(callerAPI))
	if rep.Failed() {
		t.Fatalf("a healthy passthrough setup must pass:\n%s", strings.Join(failures(rep), "\n"))
	}
	expect(t, got, map[string]want{
		IDSecretPresent:      {Skip, "passthrough: the caller's token is sent", ""},
		IDSecretJWT:          {Skip, "passthrough: the caller's token is sent", ""},
		IDResourcesPolicy:    {Pass, "", ""},
		IDCallerJWTPolicy:    {Pass, "agentcore-jwt-auth (Strict) validates the caller", ""},
		IDCallerIssuer:       {Pass, "the gateway and the runtime both trust \"" + ce.idp.Issuer + "\"", ""},
		IDCallerAudience:     {Pass, callerAPI, ""},
		IDCallerToken:        {Pass, "the gateway accepts it", ""},
		IDTokenSignature:     {Pass, "verified", ""},
		IDAuthorizerAudience: {Pass, callerAPI, ""},
		IDRuntimeReady:       {Pass, "", ""},
	})
	// Without a caller token the configuration is still checked.
	got, _ = ce.runRecord("")
	expect(t, got, map[string]want{
		IDTokenMalformed: {Skip, "no caller token given", ""},
		IDCallerIssuer:   {Pass, "", ""},
		IDCallerAudience: {Pass, "", ""},
	})
}

func TestClusterPassthroughMismatches(t *testing.T) {
	t.Run("runtime trusts another issuer: the token passes the gateway, AgentCore refuses it", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModePassthrough)
		other := tokentest.NewIssuer(t, tokentest.NewRSA(t, "other"))
		ce.setAuthorizer(other.DiscoveryURL(), callerAPI)
		got, _ := ce.runRecord(ce.callerToken(callerAPI))
		expect(t, got, map[string]want{
			IDCallerIssuer: {Fail, "the gateway accepts issuer \"" + ce.idp.Issuer + "\", but the runtime's authorizer trusts \"" + other.Issuer + "\"", "providers/0/issuer"},
			IDCallerToken:  {Fail, "the gateway accepts it", ""},
		})
		if d := got[IDCallerToken].Detail; !strings.Contains(d, "but AgentCore refuses it") {
			t.Errorf("caller.token: %q", d)
		}
	})
	t.Run("runtime accepts another audience", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModePassthrough)
		ce.setAuthorizer(ce.idp.DiscoveryURL(), callerOther)
		got, _ := ce.runRecord(ce.callerToken(callerAPI))
		expect(t, got, map[string]want{
			IDCallerAudience: {Fail, "the gateway accepts audiences [" + callerAPI + "], the runtime's allowedAudience is [" + callerOther + "]: no token passes both", callerOther},
			IDCallerToken:    {Fail, "but AgentCore refuses it", ""},
		})
	})
	t.Run("caller token for the wrong audience: refused at the gateway", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModePassthrough)
		got, _ := ce.runRecord(ce.callerToken(callerOther))
		expect(t, got, map[string]want{
			IDCallerToken: {Fail, "the gateway refuses this token (401 JwtAuth): aud [" + callerOther + "] is not in the gateway's audiences [" + callerAPI + "]", ""},
		})
	})
	t.Run("jwtAuthentication policy removed", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModePassthrough)
		if err := ce.dyn.Resource(gvrPolicy).Namespace(ce.ns).Delete(context.Background(), "agentcore-jwt-auth", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		got, _ := ce.runRecord("")
		expect(t, got, map[string]want{
			IDCallerJWTPolicy: {Fail, "no traffic.jwtAuthentication policy targets HTTPRoute " + ce.ns + "/agentcore", "wizard --mode passthrough"},
		})
	})
}
