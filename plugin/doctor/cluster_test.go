package doctor

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const testClient = "5pk1q2abcdefghijklmnop"

// env is one healthy rewrite-mode setup in a fresh namespace: Gateway, backend, policy, route and Secret with
// controller verdicts written through the status subresource, a fake AgentCore with the runtime and a JWKS.
type env struct {
	t       testing.TB
	c       *clustertest.Cluster
	ns      string
	fake    *fakeagentcore.Server
	rt      fakeagentcore.Runtime
	arn     awsops.RuntimeARN
	key     *tokentest.Key
	issuer  *tokentest.Issuer
	dyn     dynamic.Interface
	kube    kubernetes.Interface
	restCfg *rest.Config
	// byController: the real Agent Gateway controller writes the statuses; create ignores hand-written ones.
	byController bool
}

var (
	gvrGateway = k8sres.GVRGateway
	gvrRoute   = k8sres.GVRHTTPRoute
	gvrBackend = k8sres.GVRBackend
	gvrPolicy  = k8sres.GVRPolicy
)

func cond(typ, status, reason, msg string, gen int64) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg,
		"lastTransitionTime": "2026-05-04T12:00:00Z", "observedGeneration": gen}
}

func newEnv(t *testing.T) *env { return newBenchEnv(t) }

func newBenchEnv(t testing.TB) *env {
	t.Helper()
	e := newEnvOn(t, clustertest.Shared(t), false)
	e.apply(true)
	return e
}

// newEnvOn makes the fake AgentCore, runtime and issuer for a setup in a fresh namespace of c; apply creates
// the objects. byController: statuses come from the real controller running on c, none are written by hand.
func newEnvOn(t testing.TB, c *clustertest.Cluster, byController bool) *env {
	t.Helper()
	e := &env{t: t, c: c, ns: c.Namespace(t, "doctor"), dyn: c.Dynamic(), kube: c.Kube(), restCfg: c.Config, byController: byController}
	e.fake = agentcoretest.Start(t, fakeagentcore.Options{})
	e.key = tokentest.RSA(t, "k1")
	e.issuer = tokentest.NewIssuer(t, e.key)
	rt := agentcoretest.AddRuntime(t, e.fake, "payments_agent")
	e.rt = rt
	if err := e.fake.SetAuthorizerJSON(rt.ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"`+e.issuer.DiscoveryURL()+`","allowedAudience":["`+testClient+`"]}}`)); err != nil {
		t.Fatal(err)
	}
	var err error
	e.arn, err = awsops.ParseRuntimeARN(rt.ARN)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) create(gvr schema.GroupVersionResource, obj map[string]any, status map[string]any) {
	e.t.Helper()
	ctx := context.Background()
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace(e.ns)
	ri := e.dyn.Resource(gvr).Namespace(e.ns)
	live, err := ri.Create(ctx, u, metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		e.t.Fatalf("creating %s: %v", gvr.Resource, err)
	}
	if status != nil && !e.byController {
		e.setStatus(gvr, live.GetName(), status)
	}
}

func (e *env) setStatus(gvr schema.GroupVersionResource, name string, status map[string]any) {
	e.t.Helper()
	ctx := context.Background()
	ri := e.dyn.Resource(gvr).Namespace(e.ns)
	live, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	live.Object["status"] = status
	if _, err := ri.UpdateStatus(ctx, live, metav1.UpdateOptions{}); err != nil {
		e.t.Fatalf("writing status of %s %s: %v", gvr.Resource, name, err)
	}
}

func (e *env) routeObj(path string) map[string]any {
	return map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "agentcore"},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "agw"}},
			"rules": []any{map[string]any{
				"matches": []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/agentcore"}}},
				"filters": []any{map[string]any{"type": "URLRewrite", "urlRewrite": map[string]any{
					"hostname": e.arn.DataPlaneHost(),
					"path":     map[string]any{"type": "ReplaceFullPath", "replaceFullPath": path}}}},
				"backendRefs": []any{map[string]any{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "agentcore"}},
			}},
		},
	}
}

func (e *env) routeStatus(resolved map[string]any) map[string]any {
	if resolved == nil {
		resolved = cond("ResolvedRefs", "True", "ResolvedRefs", "", 1)
	}
	return map[string]any{"parents": []any{map[string]any{
		"parentRef":      map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "agw"},
		"controllerName": "agentgateway.dev/agentgateway",
		"conditions":     []any{cond("Accepted", "True", "Accepted", "", 1), resolved},
	}}}
}

func policyStatus(accepted map[string]any) map[string]any {
	if accepted == nil {
		accepted = cond("Accepted", "True", "Valid", "", 1)
	}
	return map[string]any{"ancestors": []any{map[string]any{
		"ancestorRef":    map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "agw"},
		"controllerName": "agentgateway.dev/agentgateway",
		"conditions":     []any{accepted, cond("Attached", "True", "Attached", "", 1)},
	}}}
}

// apply creates the Gateway, backend, policy and route (and the token Secret when withToken).
func (e *env) apply(withToken bool) {
	e.create(gvrGateway, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "agw"},
		"spec": map[string]any{"gatewayClassName": "agentgateway",
			"listeners": []any{map[string]any{"name": "http", "port": int64(8080), "protocol": "HTTP"}}},
	}, map[string]any{
		"addresses":  []any{map[string]any{"type": "IPAddress", "value": "127.0.0.1"}},
		"conditions": []any{cond("Accepted", "True", "Accepted", "", 1), cond("Programmed", "True", "Programmed", "", 1)},
	})
	e.create(gvrBackend, map[string]any{
		"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayBackend",
		"metadata": map[string]any{"name": "agentcore"},
		"spec":     map[string]any{"static": map[string]any{"host": e.arn.DataPlaneHost(), "port": int64(443)}},
	}, map[string]any{"conditions": []any{cond("Accepted", "True", "Accepted", "", 1)}})
	e.create(gvrPolicy, map[string]any{
		"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayPolicy",
		"metadata": map[string]any{"name": "agentcore"},
		"spec": map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "agentcore"}},
			"backend":    map[string]any{"tls": map[string]any{}, "auth": map[string]any{"secretRef": map[string]any{"name": "agentcore-jwt"}}},
		},
	}, policyStatus(nil))
	e.create(gvrRoute, e.routeObj(e.arn.InvocationPath()), e.routeStatus(nil))
	if !withToken {
		return
	}
	e.putToken("Bearer " + e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now(), time.Hour)))
}

func (e *env) putToken(v string) {
	e.t.Helper()
	e.putSecret("Authorization", v)
}

// wizardLabels are the labels the wizard puts on the Secrets it writes (doctor --all lists Secrets by them).
var wizardLabels = map[string]string{k8sres.LabelManagedBy: k8sres.ManagedByValue}

func (e *env) putSecret(key, v string) {
	e.t.Helper()
	ctx := context.Background()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt", Namespace: e.ns, Labels: wizardLabels}, Data: map[string][]byte{key: []byte(v)}}
	_ = e.kube.CoreV1().Secrets(e.ns).Delete(ctx, s.Name, metav1.DeleteOptions{})
	if _, err := e.kube.CoreV1().Secrets(e.ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) deps(cfg *rest.Config) Deps {
	d := Deps{Server: cfg.Host, HTTP: &http.Client{Timeout: 5 * time.Second}, Region: e.fake.Region()}
	d.Kube = kubernetes.NewForConfigOrDie(cfg)
	d.Dynamic = dynamic.NewForConfigOrDie(cfg)
	d.Discovery = discovery.NewDiscoveryClientForConfigOrDie(cfg)
	d.AgentCore = bedrockagentcorecontrol.NewFromConfig(e.fake.AWSConfig(e.fake.URL))
	d.CallerAccount = func(context.Context) (string, error) { return e.fake.Account(), nil }
	return d
}

func (e *env) run(o Options, cfg *rest.Config) (map[string]Result, Report) {
	e.t.Helper()
	if cfg == nil {
		cfg = e.restCfg
	}
	if o.Route.IsZero() && o.Namespace == "" {
		o.Route = Ref{e.ns, "agentcore"}
	}
	d := New(o, e.deps(cfg))
	cs := d.Checks()
	if err := Validate(cs); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep := Collect(cs, Run(ctx, cs), nil)
	out := map[string]Result{}
	for _, r := range rep.Checks {
		out[r.ID] = r
	}
	return out, rep
}

func failures(rep Report) []string {
	var out []string
	for _, r := range rep.Checks {
		if r.Status == Fail || r.Status == Warn {
			out = append(out, r.ID+": "+r.Detail)
		}
	}
	return out
}

func TestClusterHealthySetupPasses(t *testing.T) {
	e := newEnv(t)
	got, rep := e.run(Options{}, nil)
	if rep.Failed() || rep.Summary.Warn > 0 {
		t.Fatalf("a healthy setup must pass, got:\n%s", strings.Join(failures(rep), "\n"))
	}
	for _, id := range []string{IDClusterReachable, IDClusterPermissions, IDClusterKinds, IDResourcesSetup, IDResourcesGateway,
		IDResourcesRoute, IDResourcesBackend, IDResourcesPolicy, IDResourcesGeneration, IDResourcesRewrite, IDSecretPresent,
		IDSecretKey, IDSecretBearer, IDSecretJWT, IDTokenMalformed, IDTokenSignature, IDAuthorizerMode, IDAuthorizerIssuer,
		IDAuthorizerAudience, IDRuntimeARN, IDRuntimeReady} {
		if got[id].Status != Pass {
			t.Errorf("%s = %s %s", id, got[id].Status, got[id].Detail)
		}
	}
	if !strings.Contains(got[IDClusterReachable].Detail, "v1.") {
		t.Errorf("reachable should name the server version: %q", got[IDClusterReachable].Detail)
	}
	if !strings.Contains(got[IDResourcesRewrite].Detail, e.arn.InvocationPath()) {
		t.Errorf("rewrite detail: %q", got[IDResourcesRewrite].Detail)
	}
	if !strings.Contains(got[IDClusterKinds].Detail, "Enterprise") {
		t.Errorf("the test cluster serves the Enterprise stand-ins: %q", got[IDClusterKinds].Detail)
	}
	// The identity provider is on loopback and so is the local AgentCore, which reaches it (AWS's would not:
	// TestOfflineNewestAuthorizerSettings).
	if pe := got[IDAuthorizerPrivateEndpoint]; pe.Status != Pass || !strings.Contains(pe.Detail, "served from this machine") {
		t.Errorf("%s = %s %q, want a pass that says the local AgentCore reaches the loopback identity provider", IDAuthorizerPrivateEndpoint, pe.Status, pe.Detail)
	}
}

func TestClusterBrokenSetups(t *testing.T) {
	for _, tc := range []struct {
		name     string
		break_   func(e *env)
		opts     Options
		want     map[string]want
		warnOnly bool
	}{
		{name: "policy PartiallyValid with the Secret missing", break_: func(e *env) {
			_ = e.kube.CoreV1().Secrets(e.ns).Delete(context.Background(), "agentcore-jwt", metav1.DeleteOptions{})
			e.setStatus(gvrPolicy, "agentcore", policyStatus(cond("Accepted", "True", "PartiallyValid", "secret agentcore-jwt not found", 1)))
		}, want: map[string]want{
			IDResourcesPolicy: {Fail, "PartiallyValid: secret agentcore-jwt not found", "kubectl describe agentgatewaypolicy"},
			IDSecretPresent:   {Fail, "not found", "rotate"},
			IDSecretKey:       {Skip, "secret.present failed", ""},
			IDTokenMalformed:  {Skip, "secret.jwt was skipped", ""},
		}},
		{name: "route ResolvedRefs false BackendNotFound", break_: func(e *env) {
			e.setStatus(gvrRoute, "agentcore", e.routeStatus(cond("ResolvedRefs", "False", "BackendNotFound", "backend agentcore not found", 1)))
		}, want: map[string]want{IDResourcesRoute: {Fail, "ResolvedRefs=False (BackendNotFound: backend agentcore not found)", "kubectl describe httproute"}}},
		{name: "stale observedGeneration", break_: func(e *env) {
			ri := e.dyn.Resource(gvrBackend).Namespace(e.ns)
			b, _ := ri.Get(context.Background(), "agentcore", metav1.GetOptions{})
			_ = unstructured.SetNestedField(b.Object, int64(8443), "spec", "static", "port")
			if _, err := ri.Update(context.Background(), b, metav1.UpdateOptions{}); err != nil {
				e.t.Fatal(err)
			}
		}, want: map[string]want{IDResourcesGeneration: {Warn, "generation 2: Accepted (observed generation 1)", ""}}},
		{name: "route rewrites to another runtime", break_: func(e *env) {
			other := "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/other_agent-Zz99Yy88Xx"
			ri := e.dyn.Resource(gvrRoute).Namespace(e.ns)
			r, _ := ri.Get(context.Background(), "agentcore", metav1.GetOptions{})
			r.Object["spec"] = e.routeObj("/runtimes/" + awsops.EncodeARN(other) + "/invocations")["spec"]
			if _, err := ri.Update(context.Background(), r, metav1.UpdateOptions{}); err != nil {
				e.t.Fatal(err)
			}
		}, opts: Options{RuntimeARN: "ARN"}, want: map[string]want{IDResourcesRewrite: {Fail, "rewrites to runtime arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/other_agent-Zz99Yy88Xx", "kubectl patch httproute"}}},
		{name: "route hostname in another region", break_: func(e *env) {
			ri := e.dyn.Resource(gvrRoute).Namespace(e.ns)
			r, _ := ri.Get(context.Background(), "agentcore", metav1.GetOptions{})
			obj := e.routeObj(e.arn.InvocationPath())
			rules := obj["spec"].(map[string]any)["rules"].([]any)
			rules[0].(map[string]any)["filters"].([]any)[0].(map[string]any)["urlRewrite"].(map[string]any)["hostname"] = "bedrock-agentcore.eu-west-1.amazonaws.com"
			r.Object["spec"] = obj["spec"]
			if _, err := ri.Update(context.Background(), r, metav1.UpdateOptions{}); err != nil {
				e.t.Fatal(err)
			}
		}, want: map[string]want{IDResourcesRewrite: {Fail, "runtime is in us-east-1", `"value":"bedrock-agentcore.us-east-1.amazonaws.com"`}}},
		{name: "access token instead of ID token", break_: func(e *env) {
			e.putToken("Bearer " + e.key.Mint(e.t, tokentest.CognitoAccess(e.issuer.Issuer, testClient, time.Now(), time.Hour)))
		}, want: map[string]want{IDAuthorizerAudience: {Fail, "this is a Cognito access token", "rotate --token-use id"}}},
		{name: "token for another app client", break_: func(e *env) {
			e.putToken("Bearer " + e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, "another-client", time.Now(), time.Hour)))
		}, want: map[string]want{IDAuthorizerAudience: {Fail, "is for app client [another-client], not in allowedAudience", // the fix names the runtime read
			"update-agent-runtime --agent-runtime-id payments_agent-"}}},
		{name: "expired token", break_: func(e *env) {
			e.putToken("Bearer " + e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now().Add(-3*time.Hour), time.Hour)))
		}, want: map[string]want{IDTokenExpired: {Fail, "expired", "rotate"}}},
		{name: "token from another issuer", break_: func(e *env) {
			other := tokentest.NewIssuer(e.t, tokentest.NewRSA(e.t, "x"))
			e.putToken("Bearer " + other.Keys[0].Mint(e.t, tokentest.CognitoID(other.Issuer, testClient, time.Now(), time.Hour)))
		}, want: map[string]want{IDAuthorizerIssuer: {Fail, "≠ discovery issuer", ""}, IDTokenSignature: {Fail, `unknown kid "x"`, ""}}},
		{name: "secret with a trailing newline", break_: func(e *env) {
			e.putToken("Bearer " + e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now(), time.Hour)) + "\n")
		}, warnOnly: true, want: map[string]want{IDSecretBearer: {Warn, "the value ends with a newline (written with echo?)", ""}, IDTokenMalformed: {Pass, "Cognito ID token", ""}}},
		{name: "secret says Bearer twice", break_: func(e *env) {
			e.putToken("Bearer Bearer " + e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now(), time.Hour)))
		}, want: map[string]want{IDSecretBearer: {Fail, "the value says Bearer twice (`Bearer Bearer <jwt>`)", "rotate"}, IDSecretJWT: {Skip, "secret.bearer-form failed", ""}}},
		{name: "secret key in lower case", break_: func(e *env) {
			e.putSecret("authorization", "Bearer "+e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now(), time.Hour)))
		}, want: map[string]want{IDSecretPresent: {Pass, "keys authorization", ""},
			IDSecretKey: {Fail, `has the key "authorization", not "Authorization"`, `"op":"move","from":"/data/authorization","path":"/data/Authorization"`}}},
		{name: "secret token pasted with quotes", break_: func(e *env) {
			e.putToken(`Bearer "` + e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now(), time.Hour)) + `"`)
		}, want: map[string]want{IDSecretBearer: {Fail, "the token is wrapped in \" quotes (pasted with them?)", "rotate"}}},
		{name: "secret holds a bare token", break_: func(e *env) {
			e.putToken(e.key.Mint(e.t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now(), time.Hour)))
		}, warnOnly: true, want: map[string]want{IDSecretBearer: {Warn, "bare token without `Bearer `", ""}, IDSecretJWT: {Pass, "", ""}}},
		{name: "secret holds no JWT", break_: func(e *env) { e.putToken("Bearer not-a-token") },
			want: map[string]want{IDSecretJWT: {Fail, "not a JWT", ""}, IDTokenMalformed: {Skip, "secret.jwt failed", ""}}},
		{name: "runtime reset to IAM", break_: func(e *env) {
			if err := e.fake.SetAuthorizerJSON(e.rt.ID, []byte(`null`)); err != nil {
				e.t.Fatal(err)
			}
		}, want: map[string]want{IDAuthorizerMode: {Fail, "IAM (SigV4) only", "wizard"}, IDAuthorizerAudience: {Skip, "authorizer.mode failed", ""}}},
		{name: "route not found", opts: Options{Route: Ref{"nowhere", "nothing"}},
			want: map[string]want{IDResourcesSetup: {Fail, "reading HTTPRoute nowhere/nothing: not found", ""}, IDResourcesRoute: {Skip, "resources.setup failed", ""}}},
		{name: "runtime ARN of another account", opts: Options{RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:999999999999:runtime/payments_agent-Ab12Cd34Ef"},
			want: map[string]want{IDRuntimeARN: {Fail, "credentials are for account 123456789012", ""}, IDRuntimeReady: {Skip, "runtime.arn failed", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.break_ != nil {
				tc.break_(e)
			}
			o := tc.opts
			if o.RuntimeARN == "ARN" {
				o.RuntimeARN = e.rt.ARN
			}
			if o.Route.IsZero() {
				o.Route = Ref{e.ns, "agentcore"}
			}
			got, rep := e.run(o, nil)
			expect(t, got, tc.want)
			if tc.warnOnly && rep.Failed() {
				t.Errorf("only warnings expected:\n%s", strings.Join(failures(rep), "\n"))
			}
			if !rep.Failed() && !tc.warnOnly && tc.want[IDResourcesGeneration].status != Warn {
				t.Errorf("a broken setup must fail")
			}
		})
	}
}

func TestClusterLimitedUserGetsPermissionsFinding(t *testing.T) {
	e := newEnv(t)
	got, rep := e.run(Options{}, e.c.ConfigFor(testcluster.LimitedToken))
	r := got[IDClusterPermissions]
	if r.Status != Fail || !strings.HasPrefix(r.Detail, "user limited cannot ") || !strings.Contains(r.Detail, "cannot get secrets in "+e.ns) || !strings.Contains(r.Detail, "cannot get httproutes.gateway.networking.k8s.io") {
		t.Fatalf("permissions = %+v", r)
	}
	// the RBAC an admin would grant, where it was denied: a Role in the setup's namespace, no ClusterRole
	if !strings.Contains(r.Fix, "kubectl create role agentcore-doctor -n "+e.ns+" --verb=get,list --resource=") ||
		!strings.Contains(r.Fix, "kubectl create rolebinding agentcore-doctor -n "+e.ns+" --role=agentcore-doctor --user=limited") ||
		!strings.Contains(r.Fix, "secrets") || strings.Contains(r.Fix, "clusterrole") {
		t.Errorf("fix: %q", r.Fix)
	}
	if got[IDClusterReachable].Status != Pass {
		t.Errorf("reachable = %+v", got[IDClusterReachable])
	}
	if s := got[IDResourcesSetup]; s.Status != Skip || !strings.Contains(s.Detail, "cluster.permissions failed") {
		t.Errorf("resources.setup = %+v", s)
	}
	if !rep.Failed() {
		t.Error("want a failed report")
	}
}

func TestClusterSetupRecordAndNativeMode(t *testing.T) {
	e := newEnv(t)
	// native mode: an aws.agentCore backend with the ARN and the token from the backend's own auth policy.
	ri := e.dyn.Resource(gvrBackend).Namespace(e.ns)
	b, _ := ri.Get(context.Background(), "agentcore", metav1.GetOptions{})
	b.Object["spec"] = map[string]any{
		"aws":      map[string]any{"agentCore": map[string]any{"agentRuntimeArn": e.rt.ARN}},
		"policies": map[string]any{"auth": map[string]any{"secretRef": map[string]any{"name": "agentcore-jwt"}}},
	}
	if _, err := ri.Update(context.Background(), b, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.setStatus(gvrBackend, "agentcore", map[string]any{"conditions": []any{cond("Accepted", "True", "Accepted", "", 2)}})
	_ = e.dyn.Resource(gvrPolicy).Namespace(e.ns).Delete(context.Background(), "agentcore", metav1.DeleteOptions{})
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-setup", Namespace: e.ns,
		Labels: map[string]string{k8sres.LabelManagedBy: k8sres.ManagedByValue, "app.kubernetes.io/component": "setup-record"}},
		Data: map[string]string{"runtimeArn": e.rt.ARN, "mode": "native", "gatewayNamespace": e.ns, "gatewayName": "agw",
			"routeName": "agentcore", "backendName": "agentcore", "secretName": "agentcore-jwt"}}
	if _, err := e.kube.CoreV1().ConfigMaps(e.ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, rep := e.run(Options{Namespace: e.ns}, nil)
	if rep.Failed() {
		t.Fatalf("native setup from the record must pass:\n%s", strings.Join(failures(rep), "\n"))
	}
	expect(t, got, map[string]want{
		IDResourcesSetup:   {Pass, "native mode (from setup record " + e.ns + "/agentcore-setup)", ""},
		IDResourcesRewrite: {Pass, "native aws.agentCore backend", ""},
		IDResourcesPolicy:  {Pass, "backend's own policies.auth", ""},
	})
}

func TestClusterProbe(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	got, _ := e.run(Options{Probe: true, GatewayURL: closed, DataPlaneURL: e.fake.URL}, nil)
	expect(t, got, map[string]want{
		IDProbeGateway: {Fail, "connection refused", ""},
		IDProbeDirect:  {Pass, "answers 401", ""},
	})
	if h := got[IDProbeGateway].Hint; !strings.Contains(h, "See resources.gateway") {
		t.Errorf("probe must tie back to the check: %q", h)
	}
	// IAM-only runtime: the direct call gets 403 and says so.
	if err := e.fake.SetAuthorizerJSON(e.rt.ID, []byte(`null`)); err != nil {
		t.Fatal(err)
	}
	got, _ = e.run(Options{Probe: true, GatewayURL: closed, DataPlaneURL: e.fake.URL}, nil)
	expect(t, got, map[string]want{IDProbeDirect: {Fail, "403", ""}})
}

// TestClusterNamespaceUserWithRecord: a user who may read only the setup's namespace, where its record, route,
// Secret and Gateway all are, may read everything doctor checks: the access question about Gateways is asked
// where the record's Gateway is (or the route's parentRef's), not in the default gateway namespace. Alone and in
// doctor --all -n.
func TestClusterNamespaceUserWithRecord(t *testing.T) {
	e := newEnv(t)
	e.saveRecord()
	ctx := context.Background()
	e.c.GrantLimited(t, e.ns, "doctor-read",
		rbacv1.PolicyRule{APIGroups: []string{k8sres.GroupGatewayAPI}, Resources: []string{"httproutes", "gateways"}, Verbs: []string{"get", "list"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "services"}, Verbs: []string{"get", "list"}},
		rbacv1.PolicyRule{APIGroups: []string{k8sres.GroupOSS}, Resources: []string{"agentgatewaybackends", "agentgatewaypolicies"}, Verbs: []string{"get", "list"}},
		rbacv1.PolicyRule{APIGroups: []string{k8sres.GroupEnterprise}, Resources: []string{"enterpriseagentgatewaybackends", "enterpriseagentgatewaypolicies"}, Verbs: []string{"get", "list"}})
	cfg := e.c.ConfigFor(testcluster.LimitedToken)

	got, rep := e.run(Options{Namespace: e.ns}, cfg)
	if r := got[IDClusterPermissions]; r.Status != Pass {
		t.Errorf("doctor -n: permissions = %+v", r)
	}
	if rep.Failed() {
		t.Errorf("doctor -n as a namespace reader:\n%s", strings.Join(failures(rep), "\n"))
	}
	got, _ = e.run(Options{Route: Ref{e.ns, "agentcore"}}, cfg)
	if r := got[IDClusterPermissions]; r.Status != Pass {
		t.Errorf("doctor --route (the Gateway from its parentRef): permissions = %+v", r)
	}
	reps, err := RunFleet(ctx, FleetOptions{Namespace: e.ns}, e.deps(cfg))
	if err != nil || len(reps) != 1 {
		t.Fatalf("doctor --all -n: %d reports, %v", len(reps), err)
	}
	for _, r := range reps[0].Checks {
		if r.ID == IDClusterPermissions && r.Status != Pass {
			t.Errorf("doctor --all -n: permissions = %+v", r)
		}
	}
	if reps[0].Failed() {
		t.Errorf("doctor --all -n as a namespace reader:\n%s", strings.Join(failures(reps[0].Report), "\n"))
	}
}
