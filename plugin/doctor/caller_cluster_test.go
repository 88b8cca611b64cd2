package doctor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	callerAPI   = "https://agents.example.test/"
	callerOther = "https://other-api.example.test/"
	// agentcoreAPI is the audience the token service issues exchanged tokens for (exchange mode).
	agentcoreAPI = "https://agentcore.example.test/"
)

// callerEnv is a passthrough setup on the real apiserver: the route, backend and Gateway of env, the auth policy
// with backend.auth.passthrough, a traffic.jwtAuthentication policy for the caller's identity provider (the real
// oidc-provider), the setup record, and the fake AgentCore runtime whose authorizer trusts the same provider.
type callerEnv struct {
	*env
	idp       *oidcserver.Server
	appSecret string
	// gwSecret is the gateway's client secret at the token service (exchange mode; the same oidc-provider).
	gwSecret string
}

func newCallerEnv(t *testing.T, mode setup.Mode) *callerEnv {
	t.Helper()
	ce := &callerEnv{env: newEnvOn(t, clustertest.Shared(t), false), appSecret: oidcserver.NewSecret(), gwSecret: oidcserver.NewSecret()}
	ce.idp = oidcservertest.Start(t, oidcserver.Options{
		Resources: map[string]string{callerAPI: "agents.invoke", callerOther: "other.read", agentcoreAPI: "invoke"},
		Clients: []oidcserver.Client{{ID: "web-app", Secret: ce.appSecret, AuthMethod: oidcserver.Basic},
			{ID: "gateway", Secret: ce.gwSecret, AuthMethod: oidcserver.Basic, GrantTypes: []string{oidcserver.TokenExchange}}},
	})
	ce.apply(false)
	ctx := context.Background()
	ri := ce.dyn.Resource(gvrPolicy).Namespace(ce.ns)
	p, err := ri.Get(ctx, "agentcore", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	auth := map[string]any{"passthrough": map[string]any{}}
	if mode == setup.ModeExchange {
		auth = map[string]any{"oauthTokenExchange": map[string]any{
			"backendRef": map[string]any{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "agentcore-token-service"},
			"path":       "/token", "grantType": "TokenExchange", "audiences": []any{agentcoreAPI},
			"clientAuth": map[string]any{"clientId": "gateway", "method": "ClientSecretBasic",
				"secretRef": map[string]any{"name": "agentcore-token-service", "key": "client_secret"}},
		}}
		ce.putExchangeSecret(ce.gwSecret)
	}
	p.Object["spec"].(map[string]any)["backend"] = map[string]any{"tls": map[string]any{}, "auth": auth}
	if _, err := ri.Update(ctx, p, metav1.UpdateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatal(err)
	}
	ce.putJWTPolicy(ce.idp.Issuer, []string{callerAPI})
	runtimeAud := callerAPI
	if mode == setup.ModeExchange {
		runtimeAud = agentcoreAPI // the runtime trusts the exchanged token
	}
	ce.setAuthorizer(ce.idp.DiscoveryURL(), runtimeAud)
	rec := setup.Record{Namespace: ce.ns, Mode: mode, RuntimeARN: ce.rt.ARN, GatewayNamespace: ce.ns, GatewayName: "agw",
		RouteName: "agentcore", BackendName: "agentcore", PolicyName: "agentcore", JWTPolicyName: "agentcore-jwt-auth",
		CallerDiscoveryURL: ce.idp.DiscoveryURL(), CallerIssuer: ce.idp.Issuer, CallerAudiences: []string{callerAPI},
		DiscoveryURL: ce.idp.DiscoveryURL(), Audience: []string{runtimeAud}}
	if mode == setup.ModeExchange {
		rec.ExchangeDiscoveryURL, rec.ExchangeTokenURL, rec.ExchangeClientID, rec.ExchangeAuthMethod = ce.idp.DiscoveryURL(), ce.idp.TokenURL(), "gateway", "basic"
		rec.ExchangeAudience, rec.ExchangeSecretName, rec.ExchangeBackendName = agentcoreAPI, "agentcore-token-service", "agentcore-token-service"
	}
	rec = rec.WithDefaults()
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

// putExchangeSecret (re)writes the gateway's client secret at the token service.
func (ce *callerEnv) putExchangeSecret(v string) {
	ce.t.Helper()
	ctx := context.Background()
	_ = ce.kube.CoreV1().Secrets(ce.ns).Delete(ctx, "agentcore-token-service", metav1.DeleteOptions{})
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-token-service", Namespace: ce.ns, Labels: wizardLabels}, Data: map[string][]byte{"client_secret": []byte(v)}}
	if _, err := ce.kube.CoreV1().Secrets(ce.ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
		ce.t.Fatal(err)
	}
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

// TestClusterPassthroughProbe: doctor --probe on a passthrough setup sends the caller's token it was given through
// the gateway (and nowhere else: the direct probe goes without one); without a token, the gateway's refusal is
// the policy working, a warning, not resources.policy failing. The gateway's data path is a stand-in answering
// as Agent Gateway's jwtAuthentication does (401 text/plain "authentication failure: no bearer token found").
func TestClusterPassthroughProbe(t *testing.T) {
	ce := newCallerEnv(t, setup.ModePassthrough)
	tok := ce.callerToken(callerAPI)
	var mu sync.Mutex
	var sent []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		mu.Lock()
		sent = append(sent, auth)
		mu.Unlock()
		if auth != "Bearer "+tok {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "authentication failure: no bearer token found")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"content":[{"text":"ok"}]}`)
	}))
	t.Cleanup(gw.Close)
	for _, c := range []struct {
		token  string
		status Status
		detail string
	}{
		{tok, Pass, "with the caller's token"},
		{"", Warn, "the call carried no token"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		o := RecordTarget(ctx, ce.kube, Options{Namespace: ce.ns, Token: c.token})
		cancel()
		o.Probe, o.GatewayURL, o.DataPlaneURL = true, gw.URL, ce.fake.URL
		mu.Lock()
		sent = nil
		mu.Unlock()
		got, _ := ce.run(o, nil)
		expect(t, got, map[string]want{IDProbeGateway: {c.status, c.detail, ""}, IDProbeDirect: {Pass, "the caller's token, which the gateway passes on", ""}})
		mu.Lock()
		want := ""
		if c.token != "" {
			want = "Bearer " + c.token
		}
		if len(sent) != 1 || sent[0] != want {
			t.Errorf("token given %v: the gateway got %d calls (want 1, with Authorization %v)", c.token != "", len(sent), c.token != "")
		}
		mu.Unlock()
		if r := got[IDProbeGateway]; strings.Contains(r.Detail+r.Hint, tok) {
			t.Errorf("the probe's result shows the token: %+v", r)
		}
	}
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

func TestClusterExchange(t *testing.T) {
	t.Run("healthy: one exchange with the configured client, the result fits the runtime", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModeExchange)
		got, rep := ce.runRecord(ce.callerToken(callerAPI))
		if rep.Failed() {
			t.Fatalf("a healthy exchange setup must pass:\n%s", strings.Join(failures(rep), "\n"))
		}
		expect(t, got, map[string]want{
			IDSecretPresent:      {Skip, "exchange: the gateway sends a token exchanged for the caller's", ""},
			IDCallerIssuer:       {Pass, "the runtime trusts the token service's issuer", ""},
			IDCallerAudience:     {Pass, "the gateway asks for audience [" + agentcoreAPI + "]", ""},
			IDCallerToken:        {Pass, "the gateway accepts it", ""},
			IDTokenSignature:     {Pass, "verified", ""},
			IDAuthorizerAudience: {Skip, "exchange: AgentCore sees the token exchanged for the caller's", ""},
			IDExchangeDiscovery:  {Pass, "offers token exchange at " + ce.idp.TokenURL(), ""},
			IDExchangeClientAuth: {Pass, "client gateway authenticates with the secret in " + ce.ns + "/agentcore-token-service", ""},
			IDExchangeToken:      {Pass, "aud [" + agentcoreAPI + "], client_id gateway, act.sub gateway: the runtime's authorizer accepts it", ""},
		})
		// Doctor performed exactly one exchange of the caller's token (sub web-app) with the gateway's client; the
		// client-auth probe's subject never verified, so the server logged no exchange for it.
		var subjects []string
		for _, ev := range ce.idp.WaitEvents(oidcserver.Exchanged("web-app")) {
			if ev.Kind == oidcserver.EventExchange {
				subjects = append(subjects, ev.ClientID+":"+ev.Subject)
			}
		}
		if len(subjects) != 1 || subjects[0] != "gateway:web-app" {
			t.Errorf("want one exchange by client gateway for subject web-app, got %v", subjects)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModeExchange)
		ce.putExchangeSecret("not-the-secret")
		got, rep := ce.runRecord(ce.callerToken(callerAPI))
		expect(t, got, map[string]want{
			IDExchangeDiscovery:  {Pass, "", ""},
			IDExchangeClientAuth: {Fail, "the token service refused client gateway (invalid_client): the client id or the secret in " + ce.ns + "/agentcore-token-service is wrong", "kubectl create secret generic -n " + ce.ns + " agentcore-token-service"},
			IDExchangeToken:      {Skip, "exchange.client-auth failed", ""},
		})
		for _, r := range rep.Checks {
			if strings.Contains(r.Detail+r.Hint+r.Fix, "not-the-secret") || strings.Contains(r.Detail+r.Hint+r.Fix, ce.gwSecret) {
				t.Errorf("%s shows a client secret", r.ID)
			}
		}
	})
	t.Run("runtime accepts another audience than the exchange asks for", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModeExchange)
		ce.setAuthorizer(ce.idp.DiscoveryURL(), callerOther)
		got, _ := ce.runRecord(ce.callerToken(callerAPI))
		expect(t, got, map[string]want{
			IDCallerAudience: {Fail, "the gateway asks the token service for audience [" + agentcoreAPI + "], but the runtime's allowedAudience is [" + callerOther + "]", ""},
			IDExchangeToken:  {Fail, "AgentCore refuses it", ""},
		})
	})
	t.Run("without a caller token the client is still checked", func(t *testing.T) {
		ce := newCallerEnv(t, setup.ModeExchange)
		got, _ := ce.runRecord("")
		expect(t, got, map[string]want{IDExchangeClientAuth: {Pass, "invalid_grant", ""}, IDExchangeToken: {Skip, "caller.token was skipped", ""}})
	})
}

// doctor --all (RunFleet) over passthrough and exchange records: they are planned from the record like a single
// run (no Secret, the caller and exchange checks), and pass without a caller token.
func TestRunFleetCallerTokenSetups(t *testing.T) {
	for _, mode := range []setup.Mode{setup.ModePassthrough, setup.ModeExchange} {
		t.Run(string(mode), func(t *testing.T) {
			ce := newCallerEnv(t, mode)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			reps, err := RunFleet(ctx, FleetOptions{}, ce.deps(ce.restCfg))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reps {
				if r.Namespace != ce.ns {
					continue
				}
				if r.Failed() || r.Mode != string(mode) {
					t.Fatalf("mode %q, failures:\n%s", r.Mode, strings.Join(failures(r.Report), "\n"))
				}
				got := map[string]Result{}
				for _, c := range r.Checks {
					got[c.ID] = c
				}
				w := map[string]want{
					IDSecretPresent:   {Skip, callerReason(string(mode)), ""},
					IDCallerJWTPolicy: {Pass, "validates the caller", ""},
					IDCallerIssuer:    {Pass, "", ""},
					IDCallerAudience:  {Pass, "", ""},
					IDTokenMalformed:  {Skip, "no caller token given", ""},
				}
				if mode == setup.ModeExchange {
					w[IDExchangeDiscovery] = want{Pass, "offers token exchange", ""}
					w[IDExchangeClientAuth] = want{Pass, "client gateway authenticates", ""}
				}
				expect(t, got, w)
				sameAsSingle(t, ce.deps(ce.restCfg), Options{}, r)
				return
			}
			t.Fatalf("no report for %s", ce.ns)
		})
	}
}
