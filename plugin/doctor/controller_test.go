package doctor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The statuses the real open-source Agent Gateway controller (v1.4.1) writes, each shown as it writes it, with
// the doctor check that names it. The cluster is the test's own: the package's other tests write statuses by hand.

// eventually polls f until it returns true or the deadline passes; last describes what was seen.
func eventually(t *testing.T, what string, timeout time.Duration, f func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for time.Since(start) < timeout {
		ok, seen := f()
		if ok {
			return time.Since(start)
		}
		last = seen
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not seen within %s; last: %s", what, timeout, last)
	return 0
}

func (e *env) get(gvr schema.GroupVersionResource, name string) *unstructured.Unstructured {
	e.t.Helper()
	o, err := e.dyn.Resource(gvr).Namespace(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		e.t.Fatal(err)
	}
	return o
}

// gatewayAncestor is the policy's ancestor status for Gateway agw (not the controller's summary).
func (e *env) gatewayAncestor(name string) (k8sres.ParentStatus, bool) {
	p := e.get(gvrPolicy, name)
	if p == nil {
		return k8sres.ParentStatus{}, false
	}
	for _, a := range k8sres.PolicyAncestors(p) {
		if !a.Summary && strings.HasSuffix(a.Ref, "/agw") {
			return a, true
		}
	}
	return k8sres.ParentStatus{}, false
}

func (e *env) putSecretData(data map[string][]byte) {
	e.t.Helper()
	ctx := context.Background()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt", Namespace: e.ns}, Data: data}
	_ = e.kube.CoreV1().Secrets(e.ns).Delete(ctx, s.Name, metav1.DeleteOptions{})
	if _, err := e.kube.CoreV1().Secrets(e.ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func TestRealControllerStatusesAndDoctor(t *testing.T) {
	c := clustertest.Private(t, testcluster.Options{Controller: true})
	e := newEnvOn(t, c, true)
	created := time.Now()
	e.apply(false) // no Secret yet
	secretRef := e.ns + "/agentcore-jwt"

	// 1. Secret missing: Accepted=True reason PartiallyValid "secret <ns>/<name> not found", and no Attached.
	took := eventually(t, "policy PartiallyValid (secret not found)", 30*time.Second, func() (bool, string) {
		a, ok := e.gatewayAncestor("agentcore")
		acc, okA := a.Condition("Accepted")
		_, hasAttached := a.Condition("Attached")
		return ok && okA && acc.True() && acc.Reason == "PartiallyValid" && acc.Message == "secret "+secretRef+" not found" && !hasAttached, fmt.Sprintf("%+v", a)
	})
	t.Logf("first statuses after %s (objects created %s ago)", took.Round(10*time.Millisecond), time.Since(created).Round(10*time.Millisecond))
	// The route's parent conditions carry empty messages; the backend is Accepted; the Gateway has no address.
	eventually(t, "route Accepted, ResolvedRefs with empty messages", 30*time.Second, func() (bool, string) {
		ps := k8sres.RouteParents(e.get(gvrRoute, "agentcore"))
		for _, p := range ps {
			a, ok1 := p.Condition("Accepted")
			r, ok2 := p.Condition("ResolvedRefs")
			if ok1 && ok2 && a.True() && r.True() && a.Message == "" && r.Message == "" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", ps)
	})
	eventually(t, "Gateway Programmed without status.addresses", 30*time.Second, func() (bool, string) {
		g := e.get(gvrGateway, "agw")
		c, ok := k8sres.FindCondition(k8sres.ObjectConditions(g), "Programmed")
		addrs, _, _ := unstructured.NestedSlice(g.Object, "status", "addresses")
		return ok && c.True() && len(addrs) == 0, fmt.Sprintf("%v addresses %v", c, addrs)
	})
	eventually(t, "per-Gateway Service with a cluster IP", 30*time.Second, func() (bool, string) {
		s, err := e.kube.CoreV1().Services(e.ns).Get(context.Background(), "agw", metav1.GetOptions{})
		return err == nil && s.Spec.ClusterIP != "", fmt.Sprint(err)
	})
	got, _ := e.run(Options{}, nil)
	expect(t, got, map[string]want{
		IDResourcesPolicy:  {Fail, "is PartiallyValid: secret " + secretRef + " not found", "kubectl describe agentgatewaypolicy"},
		IDSecretPresent:    {Fail, "not found", "rotate"},
		IDResourcesRoute:   {Pass, "Accepted, ResolvedRefs", ""},
		IDResourcesBackend: {Pass, "Accepted", ""},
		IDResourcesGateway: {Pass, "no address in its status (its LoadBalancer Service agw has no external address)", ""},
	})
	if h := got[IDResourcesPolicy].Hint; !strings.Contains(h, "does not exist") || strings.Contains(h, "left over") {
		t.Errorf("policy hint for a missing Secret: %q", h)
	}
	if d := got[IDResourcesGateway].Detail; !strings.Contains(d, "kubectl port-forward -n "+e.ns+" svc/agw 8080:8080") {
		t.Errorf("gateway detail must give the port-forward: %q", d)
	}

	// 2. The key is missing (lower-case "authorization"): "secret <ns>/<name> missing Authorization value".
	tok := "Bearer " + e.key.Mint(t, tokentest.CognitoID(e.issuer.Issuer, testClient, time.Now(), time.Hour))
	e.putSecretData(map[string][]byte{"authorization": []byte(tok)})
	eventually(t, "policy PartiallyValid (key missing)", 30*time.Second, func() (bool, string) {
		a, ok := e.gatewayAncestor("agentcore")
		acc, _ := a.Condition("Accepted")
		return ok && acc.Reason == "PartiallyValid" && acc.Message == "secret "+secretRef+" missing Authorization value", fmt.Sprintf("%+v", a)
	})
	got, _ = e.run(Options{}, nil)
	expect(t, got, map[string]want{
		IDResourcesPolicy: {Fail, "is PartiallyValid: secret " + secretRef + " missing Authorization value", ""},
		IDSecretKey:       {Fail, `has the key "authorization", not "Authorization"`, ""},
	})
	if h := got[IDResourcesPolicy].Hint; !strings.Contains(h, "no Authorization key") {
		t.Errorf("policy hint for a missing key: %q", h)
	}

	// 3. A valid Secret: Accepted Valid "Policy accepted" + Attached True "Attached to all targets"; doctor passes.
	e.putToken(tok)
	took = eventually(t, "policy Valid and Attached", 30*time.Second, func() (bool, string) {
		a, ok := e.gatewayAncestor("agentcore")
		acc, _ := a.Condition("Accepted")
		att, okT := a.Condition("Attached")
		return ok && acc.Reason == "Valid" && acc.Message == "Policy accepted" && okT && att.True() && att.Message == "Attached to all targets", fmt.Sprintf("%+v", a)
	})
	t.Logf("policy Valid+Attached %s after the Secret was written", took.Round(10*time.Millisecond))
	got, rep := e.run(Options{}, nil)
	if rep.Failed() {
		t.Fatalf("a healthy setup under the real controller must pass:\n%s", strings.Join(failures(rep), "\n"))
	}
	expect(t, got, map[string]want{IDResourcesPolicy: {Pass, "Accepted, Attached", ""}})

	// 4. The Secret deleted again: PartiallyValid comes back, the old Attached=True stays (stale). The Secret
	// check is the truth.
	if err := e.kube.CoreV1().Secrets(e.ns).Delete(context.Background(), "agentcore-jwt", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "PartiallyValid with a stale Attached=True", 30*time.Second, func() (bool, string) {
		a, ok := e.gatewayAncestor("agentcore")
		acc, _ := a.Condition("Accepted")
		att, okT := a.Condition("Attached")
		return ok && acc.Reason == "PartiallyValid" && strings.HasSuffix(acc.Message, "not found") && okT && att.True(), fmt.Sprintf("%+v", a)
	})
	got, _ = e.run(Options{}, nil)
	expect(t, got, map[string]want{
		IDResourcesPolicy: {Fail, "is PartiallyValid: secret " + secretRef + " not found", ""},
		IDSecretPresent:   {Fail, "not found", "rotate"},
	})
	if h := got[IDResourcesPolicy].Hint; !strings.Contains(h, "left over") {
		t.Errorf("the hint must call the Attached=True stale: %q", h)
	}

	// 5. A policy whose target route does not exist: the StatusSummary ancestor, Attached=False reason Pending.
	e.putToken(tok)
	if err := e.dyn.Resource(gvrPolicy).Namespace(e.ns).Delete(context.Background(), "agentcore", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.create(gvrPolicy, map[string]any{
		"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayPolicy",
		"metadata": map[string]any{"name": "orphan"},
		"spec": map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "agentcore-typo"}},
			"backend":    map[string]any{"tls": map[string]any{}, "auth": map[string]any{"secretRef": map[string]any{"name": "agentcore-jwt"}}},
		},
	}, nil)
	pending := "Policy is not attached: HTTPRoute " + e.ns + "/agentcore-typo not found"
	eventually(t, "StatusSummary ancestor Attached=False Pending", 30*time.Second, func() (bool, string) {
		for _, a := range k8sres.PolicyAncestors(e.get(gvrPolicy, "orphan")) {
			att, ok := a.Condition("Attached")
			if a.Summary && ok && att.Status == "False" && att.Reason == "Pending" && att.Message == pending {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", k8sres.PolicyAncestors(e.get(gvrPolicy, "orphan")))
	})
	got, _ = e.run(Options{}, nil)
	expect(t, got, map[string]want{
		IDResourcesPolicy: {Fail, "not attached: AgentgatewayPolicy " + e.ns + "/orphan: " + pending, ""},
	})

	// 6. A native backend with a malformed AgentCore ARN is Accepted by the controller; doctor's ARN check is what
	// catches it.
	const badARN = "arn:aws:bedrock-agentcore:us-east-1:123:runtime/not-a-runtime"
	e.create(gvrBackend, map[string]any{
		"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayBackend",
		"metadata": map[string]any{"name": "native-bad"},
		"spec":     map[string]any{"aws": map[string]any{"agentCore": map[string]any{"agentRuntimeArn": badARN}}},
	}, nil)
	native := e.routeObj("/ignored")
	native["metadata"] = map[string]any{"name": "native"}
	rules := native["spec"].(map[string]any)["rules"].([]any)
	rules[0].(map[string]any)["filters"] = []any{}
	rules[0].(map[string]any)["backendRefs"] = []any{map[string]any{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "native-bad"}}
	e.create(gvrRoute, native, nil)
	eventually(t, "malformed-ARN backend Accepted", 30*time.Second, func() (bool, string) {
		c, ok := k8sres.FindCondition(k8sres.ObjectConditions(e.get(gvrBackend, "native-bad")), "Accepted")
		return ok && c.True() && c.Message == "Backend successfully accepted", c.String()
	})
	// The new route matches PathPrefix /agentcore on the same Gateway as the first: the controller accepts both,
	// and Gateway API gives the path to the older route, so calls to this one reach the other's backend.
	eventually(t, "the second route on /agentcore Accepted", 30*time.Second, func() (bool, string) {
		for _, p := range k8sres.RouteParents(e.get(gvrRoute, "native")) {
			if a, ok := p.Condition("Accepted"); ok && a.True() {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", k8sres.RouteParents(e.get(gvrRoute, "native")))
	})
	got, _ = e.run(Options{Route: Ref{e.ns, "native"}}, nil)
	expect(t, got, map[string]want{
		IDResourcesBackend: {Pass, "native-bad Accepted", ""},
		IDResourcesRewrite: {Fail, "not-a-runtime", ""},
		IDResourcesRoute:   {Pass, "Accepted", ""},
		IDResourcesPrecedence: {Fail, "HTTPRoute " + e.ns + "/agentcore takes PathPrefix /agentcore for any host before this route's PathPrefix /agentcore: " +
			"the same match, and the older route ranks first", ""},
	})
	if h := got[IDResourcesPrecedence].Hint; !strings.Contains(h, "reaches HTTPRoute "+e.ns+"/agentcore and its backend") {
		t.Errorf("precedence hint: %q", h)
	}
	got, _ = e.run(Options{}, nil)
	expect(t, got, map[string]want{
		IDResourcesPrecedence: {Pass, "it takes the same path from the newer " + e.ns + "/native, whose calls arrive here", ""},
	})

	// 7. What the controller creates per Gateway, in the Gateway's namespace (teardown must leave it: it carries
	// none of the wizard's labels).
	ctx := context.Background()
	eventually(t, "per-Gateway objects", 30*time.Second, func() (bool, string) {
		var missing []string
		if _, err := e.kube.AppsV1().Deployments(e.ns).Get(ctx, "agw", metav1.GetOptions{}); err != nil {
			missing = append(missing, "Deployment")
		}
		if _, err := e.kube.CoreV1().Services(e.ns).Get(ctx, "agw", metav1.GetOptions{}); err != nil {
			missing = append(missing, "Service")
		}
		if _, err := e.kube.CoreV1().ServiceAccounts(e.ns).Get(ctx, "agw", metav1.GetOptions{}); err != nil {
			missing = append(missing, "ServiceAccount")
		}
		if _, err := e.kube.CoreV1().ConfigMaps(e.ns).Get(ctx, "agw", metav1.GetOptions{}); err != nil {
			missing = append(missing, "ConfigMap")
		}
		if _, err := e.kube.CoreV1().Secrets(e.ns).Get(ctx, "agw-session-key", metav1.GetOptions{}); err != nil {
			missing = append(missing, "Secret agw-session-key")
		}
		return len(missing) == 0, strings.Join(missing, ", ")
	})
	sel := "agentcore.dev/setup"
	for _, l := range []func() (int, error){
		func() (int, error) {
			l, err := e.kube.AppsV1().Deployments(e.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
			return len(l.Items), err
		},
		func() (int, error) {
			l, err := e.kube.CoreV1().Secrets(e.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
			return len(l.Items), err
		},
		func() (int, error) {
			l, err := e.kube.CoreV1().ConfigMaps(e.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
			return len(l.Items), err
		},
	} {
		if n, err := l(); err != nil || n != 0 {
			t.Errorf("controller-made objects must not carry the wizard's setup label (teardown selects by it): %d, %v", n, err)
		}
	}
}
