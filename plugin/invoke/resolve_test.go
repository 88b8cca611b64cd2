package invoke

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

type routeLists struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (c routeLists) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/httproutes") {
		c.n.Add(1)
	}
	return c.rt.RoundTrip(r)
}

// TestGatewayTargetListsRoutesOnce: with no route named, the route is found in one LIST of HTTPRoutes, and the
// same LIST says which other route takes its path first: no second LIST (real API server; statuses written here).
func TestGatewayTargetListsRoutesOnce(t *testing.T) {
	c := clustertest.Shared(t)
	ctx := context.Background()
	gwNS, ns, other := c.Namespace(t, "gw"), c.Namespace(t, "setup"), c.Namespace(t, "other")
	dyn := c.Dynamic()
	create := func(o *unstructured.Unstructured, status map[string]any) {
		t.Helper()
		gvr := HTTPRouteGVR
		if o.GetKind() == "Gateway" {
			gvr = GatewayGVR
		}
		live, err := dyn.Resource(gvr).Namespace(o.GetNamespace()).Create(ctx, o, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		live.Object["status"] = status
		if _, err := dyn.Resource(gvr).Namespace(o.GetNamespace()).UpdateStatus(ctx, live, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "proxy", "namespace": gwNS},
		"spec": map[string]any{"gatewayClassName": "agentgateway", "listeners": []any{map[string]any{"name": "http", "protocol": "HTTP", "port": int64(8080),
			"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}},
	}}, map[string]any{"addresses": []any{map[string]any{"type": "IPAddress", "value": "10.0.0.9"}}})
	accepted := map[string]any{"parents": []any{map[string]any{
		"parentRef": map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "proxy", "namespace": gwNS}, "controllerName": "agentgateway.dev/agentgateway",
		"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-12-03T00:00:00Z"}},
	}}}
	route := func(ns, name, pathType string, managed bool) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{
				"parentRefs": []any{map[string]any{"name": "proxy", "namespace": gwNS}},
				"rules":      []any{map[string]any{"matches": []any{map[string]any{"path": map[string]any{"type": pathType, "value": "/agentcore"}}}}},
			},
		}}
		if managed {
			u.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "kubectl-agentcore"})
		}
		return u
	}
	create(route(ns, "agentcore", "PathPrefix", true), accepted)
	create(route(other, "exact", "Exact", false), accepted)

	var lists atomic.Int64
	cfg := rest.CopyConfig(c.Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return routeLists{rt, &lists} }
	tg, err := GatewayTarget(ctx, dynamic.NewForConfigOrDie(cfg), kubernetes.NewForConfigOrDie(cfg), Lookup{GatewayNamespace: gwNS, GatewayName: "proxy"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.URL != "http://10.0.0.9:8080/agentcore" || !strings.HasPrefix(tg.Shadowed, "HTTPRoute "+other+"/exact takes Exact /agentcore") {
		t.Fatalf("target %+v", tg)
	}
	if n := lists.Load(); n != 1 {
		t.Fatalf("%d LISTs of HTTPRoutes, want 1", n)
	}

	// A namespace named (-n without a setup record there): the route is that namespace's, never another's. The
	// Exact route in it is the one that ranks first, so nothing shadows it (the managed route elsewhere would be).
	l := Lookup{GatewayNamespace: gwNS, GatewayName: "proxy", RouteNamespace: other}
	if tg, err := GatewayTarget(ctx, dyn, c.Kube(), l); err != nil || tg.URL != "http://10.0.0.9:8080/agentcore" || tg.Shadowed != "" {
		t.Fatalf("-n %s: %+v, %v", other, tg, err)
	}
	empty := c.Namespace(t, "empty")
	l.RouteNamespace = empty
	if tg, err := GatewayTarget(ctx, dyn, c.Kube(), l); err == nil || !strings.Contains(err.Error(), "no HTTPRoute in namespace "+empty+" is attached to gateway "+gwNS+"/proxy") {
		t.Fatalf("-n %s, a namespace without routes: %+v, %v", empty, tg, err)
	}
}
