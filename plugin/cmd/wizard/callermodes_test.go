package wizard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	wizardcmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fixedIdPs answers discovery documents for two made-up hosts (no network): the callers' IdP idp.example.com,
// whose issuer ends with "/" like Auth0's (the render must copy it byte for byte), and a token service
// sts.example.com that accepts client_secret_post only. A stand-in for the documents only, so the golden files
// have stable https URLs; the live tests use the real oidc-provider.
type fixedIdPs struct{}

func (fixedIdPs) RoundTrip(r *http.Request) (*http.Response, error) {
	docs := map[string]string{
		"https://idp.example.com/.well-known/openid-configuration":                    `{"issuer":"https://idp.example.com/","jwks_uri":"https://idp.example.com/.well-known/jwks.json","token_endpoint":"https://idp.example.com/oauth/token"}`,
		"https://sts.example.com:8443/realms/agents/.well-known/openid-configuration": `{"issuer":"https://sts.example.com:8443/realms/agents","jwks_uri":"https://sts.example.com:8443/realms/agents/certs","token_endpoint":"https://sts.example.com:8443/realms/agents/protocol/openid-connect/token","token_endpoint_auth_methods_supported":["client_secret_post"],"grant_types_supported":["urn:ietf:params:oauth:grant-type:token-exchange"]}`,
	}
	body, ok := docs[r.URL.String()]
	code := http.StatusOK
	if !ok {
		code, body = http.StatusNotFound, `{"error":"not found"}`
	}
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

const (
	callerDiscovery = "https://idp.example.com/.well-known/openid-configuration"
	stsDiscovery    = "https://sts.example.com:8443/realms/agents/.well-known/openid-configuration"
)

// TestCallerModesOfflineRenderGolden renders passthrough and exchange with no cluster and no AWS (golden files),
// checks what the Agent Gateway API needs in them, and has the real API server accept every document with strict
// field validation and the real CRDs (server-side apply).
func TestCallerModesOfflineRenderGolden(t *testing.T) {
	hook := &wizardcmd.Options{HTTP: &http.Client{Transport: fixedIdPs{}}}
	cases := map[string]struct {
		args []string
		want []string
	}{
		"passthrough": {[]string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--audience", "agents-api", "--audience", "web"},
			[]string{"passthrough: {}", "issuer: https://idp.example.com/\n", "- agents-api\n", "jwksPath: .well-known/jwks.json",
				"host: idp.example.com", "kind: HTTPRoute", "replaceFullPath: /runtimes/", "mode: passthrough", "callerIssuer: https://idp.example.com/",
				"discoveryUrl: " + callerDiscovery}},
		"exchange": {[]string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "web", "--exchange-discovery-url", stsDiscovery,
			"--exchange-client-id", "agentgateway", "--exchange-audience", "agentcore", "--exchange-scope", "invoke", "--rate-limit", "3/minute"},
			[]string{"oauthTokenExchange:", "grantType: TokenExchange", "path: /realms/agents/protocol/openid-connect/token", "clientId: agentgateway",
				"method: ClientSecretPost", "key: client_secret", "expression: jwt.rawToken.unredacted()", "host: sts.example.com", "port: 8443",
				"- agentcore\n", "- invoke\n", "issuer: https://idp.example.com/\n", "exchangeTokenUrl: https://sts.example.com:8443/realms/agents/protocol/openid-connect/token",
				"discoveryUrl: " + stsDiscovery, "client_secret: " + k8sres.ExchangeSecretPlaceholder, "# PLACEHOLDER: the token service client's secret"}},
		"exchange-no-client": {[]string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "agentcore"},
			[]string{"clientId: " + k8sres.ExchangeClientIDPlaceholder, "# PLACEHOLDER: no --exchange-client-id", "method: ClientSecretBasic",
				"path: /oauth/token", "audiences:\n", "exchangeAudience: agentcore"}},
	}
	var c *clustertest.Cluster
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kc := noNetwork(t)
			args := append([]string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--runtime-arn", offlineARN,
				"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "agentcore-offline-" + name}, tc.args...)
			r := run(t, kc, hook, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			matchGolden(t, name, r.out)
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Fatalf("render lacks %q:\n%s", w, r.out)
				}
			}
			if strings.Contains(r.out, "Authorization") || strings.Contains(r.out, "secretRef:\n      name: agentcore-jwt") {
				t.Fatalf("a caller-token mode has no bearer token Secret:\n%s", r.out)
			}
			if c == nil {
				c = clustertest.Shared(t)
			}
			applyAll(t, c, r.out)
		})
	}
}

// TestCallerModesBadInput: every bad answer is one line and exit 2 before any cluster, AWS or identity provider is
// asked (the kubeconfig and AWS endpoint lead nowhere); an identity provider that cannot be read is exit 1, named.
func TestCallerModesBadInput(t *testing.T) {
	kc := noNetwork(t)
	hook := &wizardcmd.Options{HTTP: &http.Client{Transport: fixedIdPs{}}}
	base := []string{"wizard", "--non-interactive", "--runtime-arn", offlineARN}
	t.Setenv("EXCHANGE_SECRET", "s3cret-value")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"passthrough without a discovery URL", []string{"--mode", "passthrough", "--audience", "a", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--discovery-url (the callers' identity provider)"},
		{"passthrough without an audience", []string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--audience (what the callers' tokens carry in aud)"},
		{"invalid discovery URL", []string{"--mode", "exchange", "--discovery-url", "idp.example.com", "--audience", "a", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, `invalid --discovery-url "idp.example.com"`},
		{"invalid exchange discovery URL", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-discovery-url", "https://sts.example.com/token", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "invalid --exchange-discovery-url"},
		{"exchange applied without a secret source", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-client-id", "gw", "--yes"}, cmdutil.ExitUsage, "--exchange-client-secret-from"},
		{"exchange applied without a client", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--yes"}, cmdutil.ExitUsage, "--exchange-client-id"},
		{"a literal secret", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-client-id", "gw", "--exchange-client-secret-from", "s3cret-value", "--yes"}, cmdutil.ExitUsage, "never accepted as arguments"},
		{"exchange flags in passthrough", []string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-scope", "x", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--exchange-* flags go with --mode exchange"},
		{"exchange flags in rewrite", []string{"--exchange-client-id", "gw", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--exchange-* flags go with --mode exchange"},
		{"a token of the gateway's own", []string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--audience", "a", "--token-file", "t.jwt", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "holds no token of its own"},
		{"several audiences, no exchange audience", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a,b", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--exchange-audience"},
		{"bad auth method", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-auth-method", "jwt", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, `invalid --exchange-auth-method "jwt"`},
		{"test call", []string{"--mode", "passthrough", "--test-call", "--yes"}, cmdutil.ExitUsage, "kubectl agentcore invoke"},
		{"identity provider not found", []string{"--mode", "passthrough", "--discovery-url", "https://idp.example.com/nope/.well-known/openid-configuration", "--audience", "a", "--dry-run", "-o", "yaml", "--offline"}, 1, "reading the callers' identity provider"},
		{"token service without a token endpoint", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-discovery-url", "https://idp.example.com/none/.well-known/openid-configuration", "--dry-run", "-o", "yaml", "--offline"}, 1, "reading the token service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, kc, hook, append(base, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 || r.out != "" {
				t.Fatalf("want exit %d and one line saying %q, got %d %q (out %q)", tc.code, tc.want, r.code, r.err, r.out)
			}
			if strings.Contains(r.err, "s3cret-value") {
				t.Fatal("the error echoes the secret")
			}
		})
	}
}

// TestCallerModesLive runs both modes for real against the test cluster (real CRDs), the AgentCore fake and a real
// oidc-provider as the callers' identity provider and the token service: the runtime's authorizer trusts the right
// party, the policies hold the provider's issuer byte for byte and its JWKS location, the exchange client's secret
// is in its Secret; a second run changes nothing; teardown removes exactly the setup's objects and restores the
// authorizer (IAM only).
func TestCallerModesLive(t *testing.T) {
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	liveCallerModes(t, c, "agentgateway", false)
}

// TestCallerModesWithRealController: the open-source Agent Gateway controller (v1.4.1) accepts and attaches what
// the exchange mode writes (the backend policy with oauthTokenExchange and its client Secret, the route's
// jwtAuthentication whose JWKS it fetches itself from the provider through the static backend).
func TestCallerModesWithRealController(t *testing.T) {
	c := clustertest.Private(t, testcluster.Options{Controller: true, OSSOnly: true})
	liveCallerModes(t, c, testcluster.GatewayClassName, true)
}

func liveCallerModes(t *testing.T, c *clustertest.Cluster, gwClass string, controller bool) {
	ctx := context.Background()
	idp := oidcservertest.Start(t, oidcserver.Options{
		Resources: map[string]string{"agents-api": "invoke", "agentcore": "invoke"},
		Clients:   []oidcserver.Client{{ID: "agentgateway", Secret: "exchange-s3cret", GrantTypes: []string{oidcserver.TokenExchange}}},
	})
	fake := agentcoretest.StartForAWS(t, fakeagentcore.Options{UpdateDelay: 20 * time.Millisecond})
	t.Setenv("EXCHANGE_SECRET", "exchange-s3cret")

	gwNS, kc, hook := liveGateway(t, c, "callergw", gwClass, 8080)
	dyn := c.Dynamic()
	verifyTimeout := "100ms"
	if controller {
		verifyTimeout = "60s"
	}
	modes := []string{"passthrough", "exchange"}
	if controller {
		modes = []string{"exchange"}
	}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			rt := agentcoretest.AddRuntime(t, fake, mode+"_agent")
			ns := "caller-" + mode + "-" + gwNS
			args := []string{"wizard", "--non-interactive", "--mode", mode, "--runtime-arn", rt.ARN, "--gateway", gwNS + "/agentgateway-proxy",
				"--route-namespace", ns, "--discovery-url", idp.DiscoveryURL(), "--audience", "agents-api", "--verify-timeout", verifyTimeout}
			wantDiscovery, wantAudience := idp.DiscoveryURL(), "agents-api"
			if mode == "exchange" {
				args = append(args, "--exchange-client-id", "agentgateway", "--exchange-client-secret-from", "env:EXCHANGE_SECRET",
					"--exchange-audience", "agentcore", "--exchange-scope", "invoke")
				wantAudience = "agentcore"
			}

			r := run(t, kc, hook, append(args, "--dry-run")...)
			if r.code != 0 || !strings.Contains(r.out, "callers' identity provider "+idp.Issuer) || !strings.Contains(r.out, "④ Authorizer") {
				t.Fatalf("plan: %d\n%s\n%s", r.code, r.out, r.err)
			}
			if mode == "exchange" && !strings.Contains(r.out, "token service "+idp.Issuer) {
				t.Fatalf("the exchange plan names the token service and what it must accept:\n%s", r.out)
			}
			// the JWT policy's item says passthrough re-sends only what it validated; not a warning on every plan
			if mode == "passthrough" && (!regexp.MustCompile(`create +\S*AgentgatewayPolicy \S+/agentcore-jwt +validates the callers' tokens; backend.auth.passthrough re-sends only`).MatchString(r.out) || strings.Contains(r.out, "‼")) {
				t.Fatalf("the passthrough plan:\n%s", r.out)
			}
			r = run(t, kc, hook, append(args, "--yes")...)
			if r.code != 0 || !strings.Contains(r.out, " applied; setup recorded in ConfigMap") {
				t.Fatalf("first run: %d\n%s\n%s", r.code, r.out, r.err)
			}
			if strings.Contains(r.out+r.err, "exchange-s3cret") {
				t.Fatal("the client secret was printed")
			}
			// the next step is a caller's token (the gateway has none of its own), and verify does not list the
			// token checks skipped after the first skip
			if !strings.Contains(r.out, "invoke -n "+ns+" --bearer-from") || strings.Contains(r.out, "skipped: secret.present was skipped") {
				t.Fatalf("first run's next step or verify list:\n%s", r.out)
			}

			// The runtime's authorizer trusts the right party.
			var az struct {
				JWT struct {
					DiscoveryURL    string   `json:"discoveryUrl"`
					AllowedAudience []string `json:"allowedAudience"`
				} `json:"customJWTAuthorizer"`
			}
			if err := json.Unmarshal(fake.Spec(rt.ID)["authorizerConfiguration"], &az); err != nil {
				t.Fatalf("authorizer: %v (%s)", err, fake.Spec(rt.ID)["authorizerConfiguration"])
			}
			if az.JWT.DiscoveryURL != wantDiscovery || strings.Join(az.JWT.AllowedAudience, ",") != wantAudience {
				t.Fatalf("authorizer %+v, want discovery %s audience %s", az.JWT, wantDiscovery, wantAudience)
			}
			if _, ok := fake.Spec(rt.ID)["roleArn"]; !ok {
				t.Fatal("the authorizer update dropped the runtime's other fields")
			}

			// The policies (of the kind the cluster serves): the caller's issuer byte for byte, its JWKS through the
			// static backend.
			rec, err := setup.Load(ctx, c.Kube(), ns)
			if err != nil {
				t.Fatal(err)
			}
			polGVR := k8sres.GVRPolicy
			if rec.PolicyKind == k8sres.GVKEnterprisePolicy.Kind {
				polGVR = k8sres.GVREnterprisePolicy
			}
			jwtPol, err := dyn.Resource(polGVR).Namespace(ns).Get(ctx, setup.DefaultJWTPolicyName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			providers, _, _ := unstructured.NestedSlice(jwtPol.Object, "spec", "traffic", "jwtAuthentication", "providers")
			if len(providers) != 1 {
				t.Fatalf("providers: %v", providers)
			}
			p := providers[0].(map[string]any)
			jwksPath, _, _ := unstructured.NestedString(p, "jwks", "remote", "jwksPath")
			if p["issuer"] != idp.Issuer || fmt.Sprint(p["audiences"]) != "[agents-api]" || jwksPath == "" {
				t.Fatalf("jwt provider %v, want issuer %s", p, idp.Issuer)
			}
			jwksBackend, err := dyn.Resource(k8sres.GVRBackend).Namespace(ns).Get(ctx, setup.DefaultCallerJWKSBackend, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			host, _, _ := unstructured.NestedString(jwksBackend.Object, "spec", "static", "host")
			port, _, _ := unstructured.NestedInt64(jwksBackend.Object, "spec", "static", "port")
			if got := fmt.Sprintf("http://%s:%d/%s", host, port, jwksPath); !strings.HasPrefix(got, strings.TrimSuffix(idp.Issuer, "/")) {
				t.Fatalf("the JWKS backend and path lead to %s, not the provider %s", got, idp.Issuer)
			}
			pol, err := dyn.Resource(polGVR).Namespace(ns).Get(ctx, setup.DefaultPolicyName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			auth, _, _ := unstructured.NestedMap(pol.Object, "spec", "backend", "auth")
			if mode == "passthrough" {
				if _, ok := auth["passthrough"]; !ok || len(auth) != 1 {
					t.Fatalf("backend auth %v, want passthrough", auth)
				}
			} else {
				te, _ := auth["oauthTokenExchange"].(map[string]any)
				clientID, _, _ := unstructured.NestedString(te, "clientAuth", "clientId")
				path, _ := te["path"].(string)
				if clientID != "agentgateway" || path != "/token" || fmt.Sprint(te["audiences"]) != "[agentcore]" || fmt.Sprint(te["scopes"]) != "[invoke]" {
					t.Fatalf("oauthTokenExchange %v", te)
				}
				s, err := c.Kube().CoreV1().Secrets(ns).Get(ctx, setup.DefaultExchangeSecretName, metav1.GetOptions{})
				if err != nil || string(s.Data[setup.ExchangeSecretKey]) != "exchange-s3cret" {
					t.Fatalf("exchange client Secret: %v %v", s, err)
				}
			}
			if _, err := c.Kube().CoreV1().Secrets(ns).Get(ctx, setup.DefaultSecretName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("no bearer token Secret in mode %s: %v", mode, err)
			}
			if rec.Mode != setup.Mode(mode) || rec.CallerIssuer != idp.Issuer || rec.CallerDiscoveryURL != idp.DiscoveryURL() || rec.PreviousAuthorizer != "null" ||
				mode == "exchange" && (rec.ExchangeTokenURL != idp.TokenURL() || rec.ExchangeClientID != "agentgateway" || rec.ExchangeAuthMethod == "") {
				t.Fatalf("record: %+v", rec)
			}

			if controller {
				// The controller accepted and attached both policies (it fetched the JWKS itself).
				for _, name := range []string{setup.DefaultPolicyName, setup.DefaultJWTPolicyName} {
					if !strings.Contains(r.out, "AgentgatewayPolicy "+ns+"/"+name+": ") {
						t.Errorf("verify did not report policy %s:\n%s", name, r.out)
					}
				}
				for _, line := range strings.Split(r.out, "\n") {
					if strings.Contains(line, ns+"/") && (strings.Contains(line, "Policy") || strings.Contains(line, "Backend") || strings.Contains(line, "HTTPRoute")) &&
						(strings.Contains(line, "✖") || strings.Contains(line, "‼")) {
						t.Errorf("verify found a problem with the real controller: %s\n%s", line, r.out)
					}
				}
				for _, name := range []string{setup.DefaultPolicyName, setup.DefaultJWTPolicyName} {
					live, err := dyn.Resource(polGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					anc := k8sres.PolicyAncestors(live)
					if len(anc) == 0 {
						t.Fatalf("policy %s has no ancestor status", name)
					}
					acc, _ := anc[0].Condition("Accepted")
					att, _ := anc[0].Condition("Attached")
					if !acc.True() || acc.Reason != "Valid" || !att.True() {
						t.Errorf("policy %s: Accepted %+v Attached %+v", name, acc, att)
					}
				}
				return
			}

			r = run(t, kc, hook, append(args, "--yes")...)
			if r.code != 0 || !strings.Contains(r.out, "Nothing to change") || !strings.Contains(r.out, "No changes") {
				t.Fatalf("second run must change nothing: %d\n%s\n%s", r.code, r.out, r.err)
			}

			r = run(t, kc, hook, "teardown", "-n", ns, "--yes")
			if r.code != 0 {
				t.Fatalf("teardown: %d\n%s\n%s", r.code, r.out, r.err)
			}
			if _, ok := fake.Spec(rt.ID)["authorizerConfiguration"]; ok {
				t.Fatal("authorizer not restored to IAM only")
			}
			for _, gvr := range []schema.GroupVersionResource{polGVR, k8sres.GVRBackend, k8sres.GVRHTTPRoute} {
				if l, err := dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{}); err == nil && len(l.Items) > 0 {
					t.Fatalf("teardown left %s %s", gvr.Resource, l.Items[0].GetName())
				}
			}
			if s, err := c.Kube().CoreV1().Secrets(ns).Get(ctx, setup.DefaultExchangeSecretName, metav1.GetOptions{}); err == nil && s.DeletionTimestamp == nil {
				t.Fatal("teardown left the exchange client Secret")
			}
		})
	}
}
