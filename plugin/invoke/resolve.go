package invoke

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Kinds read to find the gateway's address.
var (
	GatewayGVR   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	HTTPRouteGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

// Default gateway (the Agent Gateway Helm chart's).
const (
	DefaultGatewayNamespace = "agentgateway-system"
	DefaultGatewayName      = "agentgateway-proxy"
)

// Target is where a request goes and how that was decided.
type Target struct {
	URL string `json:"url"`
	// Host overrides the Host header (the route's hostname), "" = from the URL.
	Host string `json:"host,omitempty"`
	// Source says where the address came from ("--gateway", "Gateway status", "Service", …).
	Source string `json:"source"`
	// PortForward is set when URL is a Service's cluster IP (the Gateway's status has no address): reachable only
	// from inside the cluster; the command reaches it from here.
	PortForward string `json:"portForward,omitempty"`
	// Shadowed says which other route on the Gateway takes this route's path first (Gateway API precedence), so
	// that the call reaches that route's backend: "" when none does (or the routes could not be listed).
	Shadowed string `json:"shadowed,omitempty"`
}

// Lookup names the objects that give the gateway's address.
type Lookup struct {
	GatewayNamespace, GatewayName string
	// RouteNamespace/RouteName pick the HTTPRoute whose path and hostname are used. RouteName empty: the only
	// route attached to the Gateway (the wizard's, labelled managed-by kubectl-agentcore, preferred), looked for in
	// RouteNamespace (the namespace the user named) or, when that is empty too, in every namespace.
	RouteNamespace, RouteName string
}

// GatewayTarget finds the gateway's address from the Gateway's status (else its Service) and the route's first
// path match and hostname.
func GatewayTarget(ctx context.Context, dyn dynamic.Interface, kube kubernetes.Interface, l Lookup) (Target, error) {
	if l.GatewayNamespace == "" {
		l.GatewayNamespace = DefaultGatewayNamespace
	}
	if l.GatewayName == "" {
		l.GatewayName = DefaultGatewayName
	}
	// The route is looked up while the Gateway is read (a round trip less over a network); a Gateway that
	// cannot be read is still the error said first.
	type found struct {
		route *unstructured.Unstructured
		all   []*unstructured.Unstructured
		err   error
	}
	routeCh := make(chan found, 1)
	go func() {
		r, all, err := findRoute(ctx, dyn, l)
		routeCh <- found{r, all, err}
	}()
	gw, err := k8sres.GetGateway(ctx, dyn, kube, l.GatewayNamespace, l.GatewayName)
	if err != nil {
		return Target{}, err
	}
	host := gw.Address()
	if host == "" {
		return Target{}, fmt.Errorf("gateway %s has no address (its status has none and no Service was found): run %s and pass --gateway-url http://127.0.0.1:%d", gw.Ref(), gw.PortForward(), portOr80(gw.Port()))
	}
	source := gw.AddressSource()
	pf := ""
	if len(gw.Addresses) == 0 && gw.ClusterIPOnly {
		pf = gw.PortForward()
	}
	scheme, port := "http", gw.Port()
	for _, li := range gw.Listeners {
		if li.Port == port && strings.EqualFold(li.Protocol, "HTTPS") {
			scheme = "https"
		}
	}
	if port == 0 {
		port = 80
	}
	f := <-routeCh
	if f.err != nil {
		return Target{}, f.err
	}
	path, hostname := routePath(f.route)
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.FormatInt(port, 10)), Path: path}
	return Target{URL: u.String(), Host: hostname, Source: source, PortForward: pf, Shadowed: shadowedBy(ctx, dyn, gw, f.route, f.all)}, nil
}

// shadowedBy names the route on the Gateway that takes every request of route's path first (doctor's
// resources.route-precedence, k8sres.RouteShadows), or "". all is every namespace's HTTPRoutes when findRoute
// listed them (nil: listed here). Best effort: a LIST that fails says nothing.
func shadowedBy(ctx context.Context, dyn dynamic.Interface, gw k8sres.GatewayInfo, route *unstructured.Unstructured, all []*unstructured.Unstructured) string {
	routes, _, err := k8sres.GatewayRoutes(ctx, gw, route.GetNamespace(), func(ctx context.Context, ns string) ([]*unstructured.Unstructured, error) {
		if all == nil {
			return k8sres.ListObjects(ctx, dyn, HTTPRouteGVR, ns)
		}
		var in []*unstructured.Unstructured
		for _, r := range all {
			if ns == metav1.NamespaceAll || r.GetNamespace() == ns {
				in = append(in, r)
			}
		}
		return in, nil
	})
	if err != nil {
		return ""
	}
	if s, ok := k8sres.RouteShadows(route, gw.Ref(), routes).Whole(); ok {
		return s.String()
	}
	return ""
}

// findRoute is the route Lookup names, else the only one attached to the Gateway (the wizard's preferred); all is
// every HTTPRoute when it had to list them (nil otherwise).
func findRoute(ctx context.Context, dyn dynamic.Interface, l Lookup) (route *unstructured.Unstructured, all []*unstructured.Unstructured, err error) {
	if l.RouteName != "" {
		route, err = dyn.Resource(HTTPRouteGVR).Namespace(l.RouteNamespace).Get(ctx, l.RouteName, metav1.GetOptions{})
		if err != nil {
			return nil, nil, explain.Newf(err, "reading HTTPRoute %s/%s: %s", l.RouteNamespace, l.RouteName, apiReason(err))
		}
	} else {
		list, err := dyn.Resource(HTTPRouteGVR).Namespace(l.RouteNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, nil, explain.Newf(err, "listing HTTPRoutes: %s", apiReason(err))
		}
		var attached, managed []*unstructured.Unstructured
		in := ""
		if l.RouteNamespace != "" {
			in = " in namespace " + l.RouteNamespace
		}
		for i := range list.Items {
			r := &list.Items[i]
			if l.RouteNamespace == metav1.NamespaceAll {
				all = append(all, r) // every namespace's routes: shadowedBy needs no LIST of its own
			}
			if !attachedTo(r, l.GatewayNamespace, l.GatewayName) {
				continue
			}
			attached = append(attached, r)
			if r.GetLabels()["app.kubernetes.io/managed-by"] == "kubectl-agentcore" {
				managed = append(managed, r)
			}
		}
		switch {
		case len(managed) == 1:
			route = managed[0]
		case len(attached) == 1:
			route = attached[0]
		case len(attached) == 0:
			return nil, nil, fmt.Errorf("no HTTPRoute%s is attached to gateway %s/%s: run kubectl agentcore wizard, or pass --gateway-url URL", in, l.GatewayNamespace, l.GatewayName)
		default:
			return nil, nil, fmt.Errorf("%d HTTPRoutes%s are attached to gateway %s/%s: pick one with --route NS/NAME", len(attached), in, l.GatewayNamespace, l.GatewayName)
		}
	}
	return route, all, nil
}

// routePath is the route's first path match (else /) and first non-wildcard hostname.
func routePath(route *unstructured.Unstructured) (path, hostname string) {
	path = "/"
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	if len(rules) > 0 {
		rm, _ := rules[0].(map[string]any)
		matches, _, _ := unstructured.NestedSlice(rm, "matches")
		if len(matches) > 0 {
			mm, _ := matches[0].(map[string]any)
			if v, _, _ := unstructured.NestedString(mm, "path", "value"); v != "" {
				path = v
			}
		}
	}
	hosts, _, _ := unstructured.NestedStringSlice(route.Object, "spec", "hostnames")
	for _, h := range hosts {
		if !strings.Contains(h, "*") {
			hostname = h
			break
		}
	}
	return path, hostname
}

func attachedTo(route *unstructured.Unstructured, gwNS, gwName string) bool {
	for _, p := range k8sres.GatewayParents(route) {
		if p.Namespace == gwNS && p.Name == gwName {
			return true
		}
	}
	return false
}

// DirectURL is the AgentCore data-plane invocation URL for arn: the endpoint from AWS_ENDPOINT_URL_BEDROCK_AGENTCORE
// (else AWS_ENDPOINT_URL, else https://bedrock-agentcore.<region>.amazonaws.com) + /runtimes/<encoded ARN>/invocations.
func DirectURL(arn, qualifier string) (string, error) {
	a, err := awsops.ParseRuntimeARN(arn)
	if err != nil {
		return "", err
	}
	base := os.Getenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE")
	if base == "" {
		base = os.Getenv("AWS_ENDPOINT_URL")
	}
	if base == "" {
		base = "https://" + a.DataPlaneHost()
	}
	u := strings.TrimRight(base, "/") + a.InvocationPath()
	if qualifier != "" {
		u += "?qualifier=" + url.QueryEscape(qualifier)
	}
	return u, nil
}

func apiReason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden (needs get/list on gateways and httproutes)"
	case apierrors.IsUnauthorized(err):
		return "unauthorized (the kubeconfig's credentials were refused)"
	}
	return err.Error()
}

func portOr80(p int64) int64 {
	if p == 0 {
		return 80
	}
	return p
}
