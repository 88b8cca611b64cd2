package k8sres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// API groups and versions the plugin works with. The Gateway API group comes from sigs.k8s.io/gateway-api, the
// module whose CRDs the test cluster installs (same version as go.mod).
const (
	GroupGatewayAPI = gatewayv1.GroupName
	GroupOSS        = "agentgateway.dev"
	GroupEnterprise = "enterpriseagentgateway.solo.io"
	GroupRateLimit  = "ratelimit.solo.io"
	VersionAlpha1   = "v1alpha1"
)

// Kinds of objects the plugin reads or writes.
var (
	GVKGateway           = schema.GroupVersionKind{Group: GroupGatewayAPI, Version: "v1", Kind: "Gateway"}
	GVKGatewayClass      = schema.GroupVersionKind{Group: GroupGatewayAPI, Version: "v1", Kind: "GatewayClass"}
	GVKHTTPRoute         = schema.GroupVersionKind{Group: GroupGatewayAPI, Version: "v1", Kind: "HTTPRoute"}
	GVKBackend           = schema.GroupVersionKind{Group: GroupOSS, Version: VersionAlpha1, Kind: "AgentgatewayBackend"}
	GVKPolicy            = schema.GroupVersionKind{Group: GroupOSS, Version: VersionAlpha1, Kind: "AgentgatewayPolicy"}
	GVKEnterpriseBackend = schema.GroupVersionKind{Group: GroupEnterprise, Version: VersionAlpha1, Kind: "EnterpriseAgentgatewayBackend"}
	GVKEnterprisePolicy  = schema.GroupVersionKind{Group: GroupEnterprise, Version: VersionAlpha1, Kind: "EnterpriseAgentgatewayPolicy"}
	GVKRateLimitConfig   = schema.GroupVersionKind{Group: GroupRateLimit, Version: VersionAlpha1, Kind: "RateLimitConfig"}
	// Each resource is its kind's group and version with the plural the CRD declares.
	GVRGateway                 = GVKGateway.GroupVersion().WithResource("gateways")
	GVRGatewayClass            = GVKGatewayClass.GroupVersion().WithResource("gatewayclasses")
	GVRHTTPRoute               = GVKHTTPRoute.GroupVersion().WithResource("httproutes")
	GVRBackend                 = GVKBackend.GroupVersion().WithResource("agentgatewaybackends")
	GVRPolicy                  = GVKPolicy.GroupVersion().WithResource("agentgatewaypolicies")
	GVREnterpriseBackend       = GVKEnterpriseBackend.GroupVersion().WithResource("enterpriseagentgatewaybackends")
	GVREnterprisePolicy        = GVKEnterprisePolicy.GroupVersion().WithResource("enterpriseagentgatewaypolicies")
	GVRRateLimitConfig         = GVKRateLimitConfig.GroupVersion().WithResource("ratelimitconfigs")
	gvrByKind                  = map[string]schema.GroupVersionResource{}
	agentGatewayControllerHint = "agentgateway"
)

func init() {
	for gvk, gvr := range map[schema.GroupVersionKind]schema.GroupVersionResource{
		GVKGateway: GVRGateway, GVKGatewayClass: GVRGatewayClass, GVKHTTPRoute: GVRHTTPRoute, GVKBackend: GVRBackend,
		GVKPolicy: GVRPolicy, GVKEnterpriseBackend: GVREnterpriseBackend, GVKEnterprisePolicy: GVREnterprisePolicy,
		GVKRateLimitConfig: GVRRateLimitConfig,
	} {
		gvrByKind[gvk.Kind] = gvr
	}
}

// GVRFor is the resource of one of the kinds above (by kind name), ok=false for others.
func GVRFor(kind string) (schema.GroupVersionResource, bool) {
	gvr, ok := gvrByKind[kind]
	return gvr, ok
}

// Kinds says which of the plugin's kinds the cluster serves.
type Kinds struct {
	Gateway           bool `json:"gateway"`
	HTTPRoute         bool `json:"httpRoute"`
	Backend           bool `json:"agentgatewayBackend"`
	Policy            bool `json:"agentgatewayPolicy"`
	EnterpriseBackend bool `json:"enterpriseAgentgatewayBackend"`
	EnterprisePolicy  bool `json:"enterpriseAgentgatewayPolicy"`
	RateLimitConfig   bool `json:"rateLimitConfig"`
}

// AllOSSKinds is what an open-source Agent Gateway cluster serves (offline rendering assumes it).
var AllOSSKinds = Kinds{Gateway: true, HTTPRoute: true, Backend: true, Policy: true}

// Enterprise reports whether the Solo Enterprise policy kind is served.
func (k Kinds) Enterprise() bool { return k.EnterprisePolicy }

// AgentGateway reports whether any Agent Gateway backend and policy kind is served.
func (k Kinds) AgentGateway() bool {
	return (k.Backend || k.EnterpriseBackend) && (k.Policy || k.EnterprisePolicy)
}

// Flavor is "enterprise", "oss" or "none".
func (k Kinds) Flavor() string {
	switch {
	case k.EnterprisePolicy:
		return "enterprise"
	case k.Backend || k.Policy:
		return "oss"
	}
	return "none"
}

// PolicyGVK is the policy kind to write: the Enterprise policy when served (it also carries entRateLimit),
// else the OSS one. ok=false when neither is served.
func (k Kinds) PolicyGVK() (schema.GroupVersionKind, bool) {
	switch {
	case k.EnterprisePolicy:
		return GVKEnterprisePolicy, true
	case k.Policy:
		return GVKPolicy, true
	}
	return schema.GroupVersionKind{}, false
}

// BackendGVK is the backend kind to write: the OSS AgentgatewayBackend when served (Enterprise serves it too),
// else EnterpriseAgentgatewayBackend.
func (k Kinds) BackendGVK() (schema.GroupVersionKind, bool) {
	switch {
	case k.Backend:
		return GVKBackend, true
	case k.EnterpriseBackend:
		return GVKEnterpriseBackend, true
	}
	return schema.GroupVersionKind{}, false
}

// Missing lists what the plugin needs and the cluster does not serve, as "Kind (group/version)".
func (k Kinds) Missing() []string {
	var m []string
	if !k.Gateway || !k.HTTPRoute {
		m = append(m, "Gateway API Gateway/HTTPRoute (gateway.networking.k8s.io/v1)")
	}
	if !k.Backend && !k.EnterpriseBackend {
		m = append(m, "AgentgatewayBackend (agentgateway.dev/v1alpha1)")
	}
	if !k.Policy && !k.EnterprisePolicy {
		m = append(m, "AgentgatewayPolicy (agentgateway.dev/v1alpha1) or EnterpriseAgentgatewayPolicy (enterpriseagentgateway.solo.io/v1alpha1)")
	}
	return m
}

// ErrMissingKinds is returned (wrapped) by Kinds.Require.
var ErrMissingKinds = errors.New("the cluster does not serve the Agent Gateway kinds")

// Require returns nil when everything the wizard writes is served, else one error naming what is missing and
// which Agent Gateway to install.
func (k Kinds) Require() error {
	m := k.Missing()
	if len(m) == 0 {
		return nil
	}
	next := "Install Agent Gateway v1.4 or newer (open source, agentgateway.dev CRDs) or Solo Enterprise Agent Gateway, then rerun"
	if len(m) == 1 && strings.HasPrefix(m[0], "Gateway API") {
		next = "Install the Gateway API v1 standard CRDs (they come with Agent Gateway), then rerun"
	}
	return fmt.Errorf("%w: missing %s. %s", ErrMissingKinds, strings.Join(m, ", "), next)
}

// DiscoverKinds asks the API server which of the plugin's kinds it serves. Groups the server does not know are
// simply absent; only a failure to reach the server is an error.
func DiscoverKinds(disc discovery.DiscoveryInterface) (Kinds, error) {
	// A client that asks the server each time (doctor's, the wizard's) reads one aggregated document of every
	// group and its kinds (GET /apis, Kubernetes 1.26+): client-go's discovery reads /api, then /apis, then each
	// group version, three round trips in a row. A cached client (a memory or disk cache) keeps its own way.
	if _, cached := disc.(discovery.CachedDiscoveryInterface); !cached {
		if rc := disc.RESTClient(); rc != nil {
			if k, ok, err := aggregatedKinds(rc); ok || err != nil {
				return k, err
			}
		}
	}
	var k Kinds
	served := func(gv string) map[string]bool {
		rl, err := disc.ServerResourcesForGroupVersion(gv)
		if err != nil {
			return nil
		}
		kinds := map[string]bool{}
		for _, r := range rl.APIResources {
			if !strings.Contains(r.Name, "/") {
				kinds[r.Kind] = true
			}
		}
		return kinds
	}
	// One cheap call first: the group list tells whether the server is reachable and which groups exist.
	groups, err := disc.ServerGroups()
	if err != nil {
		return k, Explain("discovering the cluster's API groups", err)
	}
	has := map[string]bool{}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			has[v.GroupVersion] = true
		}
	}
	// The per-group lookups are independent: ask them all at once (one round trip instead of four).
	gvs := kindGroupVersions
	res := make([]map[string]bool, len(gvs))
	var wg sync.WaitGroup
	for i, gv := range gvs {
		if !has[gv] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = served(gv)
		}()
	}
	wg.Wait()
	return kindsFrom(res), nil
}

// kindGroupVersions are the group versions whose kinds Kinds says are served, in kindsFrom's order.
var kindGroupVersions = []string{GroupGatewayAPI + "/v1", GroupOSS + "/" + VersionAlpha1, GroupEnterprise + "/" + VersionAlpha1, GroupRateLimit + "/" + VersionAlpha1}

// kindsFrom is Kinds from the kinds served in each of kindGroupVersions (nil: that group version is not served).
func kindsFrom(res []map[string]bool) Kinds {
	var k Kinds
	gw, oss, ent, rl := res[0], res[1], res[2], res[3]
	k.Gateway, k.HTTPRoute = gw["Gateway"] && gw["GatewayClass"], gw["HTTPRoute"]
	k.Backend, k.Policy = oss["AgentgatewayBackend"], oss["AgentgatewayPolicy"]
	k.EnterpriseBackend, k.EnterprisePolicy = ent["EnterpriseAgentgatewayBackend"], ent["EnterpriseAgentgatewayPolicy"]
	k.RateLimitConfig = rl["RateLimitConfig"]
	return k
}

// aggregatedAccept asks /apis for the aggregated discovery document (v2, else v2beta1), else the plain group list.
const aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," +
	"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

// aggregatedKinds reads Kinds from one aggregated discovery document. ok=false (and no error) when the server
// answered with something else (a server older than 1.26): the caller then asks the usual way.
func aggregatedKinds(rc rest.Interface) (k Kinds, ok bool, err error) {
	res := rc.Get().AbsPath("/apis").SetHeader("Accept", aggregatedAccept).Do(context.Background())
	raw, err := res.Raw()
	if err != nil {
		return k, false, Explain("discovering the cluster's API groups", err)
	}
	var ct string
	res.ContentType(&ct)
	if !strings.Contains(ct, "as=APIGroupDiscoveryList") {
		return k, false, nil
	}
	var doc apidiscoveryv2.APIGroupDiscoveryList // v2beta1 has the same fields
	if err := json.Unmarshal(raw, &doc); err != nil {
		return k, false, nil
	}
	served := map[string]map[string]bool{}
	for _, g := range doc.Items {
		for _, v := range g.Versions {
			kinds := map[string]bool{}
			for _, r := range v.Resources {
				if r.ResponseKind != nil {
					kinds[r.ResponseKind.Kind] = true
				}
			}
			served[g.Name+"/"+v.Version] = kinds
		}
	}
	res2 := make([]map[string]bool, len(kindGroupVersions))
	for i, gv := range kindGroupVersions {
		res2[i] = served[gv]
	}
	return kindsFrom(res2), true, nil
}

// Agent Gateway controller names (GatewayClass spec.controllerName).
const (
	ControllerOSS = "agentgateway.dev/agentgateway"
)

// IsAgentGatewayController reports whether a GatewayClass controllerName belongs to Agent Gateway: the OSS
// controller or a Solo Enterprise variant (any controller name mentioning agentgateway).
func IsAgentGatewayController(name string) bool {
	n := strings.ToLower(name)
	return n == ControllerOSS || strings.Contains(n, agentGatewayControllerHint)
}

// IsEnterpriseController reports whether the controller is a Solo Enterprise one.
func IsEnterpriseController(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "solo.io") || strings.Contains(n, "enterprise")
}

// Listener is one Gateway listener.
type Listener struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Port     int64  `json:"port"`
	Hostname string `json:"hostname,omitempty"`
	// AllowedRoutesFrom is allowedRoutes.namespaces.from: Same (the default), All or Selector.
	AllowedRoutesFrom string `json:"allowedRoutesFrom,omitempty"`
}

// AllowsRoutesFrom reports whether some listener accepts routes from namespace ns (Selector counts as maybe=true).
func (g GatewayInfo) AllowsRoutesFrom(ns string) bool {
	if len(g.Listeners) == 0 {
		return true
	}
	for _, l := range g.Listeners {
		switch l.AllowedRoutesFrom {
		case "All", "Selector":
			return true
		case "", "Same":
			if ns == g.Namespace {
				return true
			}
		}
	}
	return false
}

// ServicePort is one port of the Gateway's Service.
type ServicePort struct {
	Name     string `json:"name,omitempty"`
	Port     int32  `json:"port"`
	NodePort int32  `json:"nodePort,omitempty"`
}

// GatewayInfo is an Agent Gateway Gateway with where it can be reached.
type GatewayInfo struct {
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Class      string `json:"class"`
	Controller string `json:"controller"`
	Enterprise bool   `json:"enterprise"`
	// Addresses from Gateway status.addresses (values).
	Addresses []string   `json:"addresses,omitempty"`
	Listeners []Listener `json:"listeners,omitempty"`
	// Service is the Gateway's Service (namespace is the Gateway's) when found.
	Service          string   `json:"service,omitempty"`
	ServiceType      string   `json:"serviceType,omitempty"`
	ServiceAddresses []string `json:"serviceAddresses,omitempty"` // LoadBalancer ingress, else cluster IP
	// ClusterIPOnly: ServiceAddresses is the Service's cluster IP (no load-balancer ingress), which is reachable
	// only from inside the cluster.
	ClusterIPOnly bool          `json:"clusterIPOnly,omitempty"`
	ServicePorts  []ServicePort `json:"servicePorts,omitempty"`
	Programmed    bool          `json:"programmed"`
}

// Ref is namespace/name.
func (g GatewayInfo) Ref() string { return Ref(g.Namespace, g.Name) }

// Address is the best address to reach the gateway: status address, else the Service's, else "".
func (g GatewayInfo) Address() string {
	if len(g.Addresses) > 0 {
		return g.Addresses[0]
	}
	if len(g.ServiceAddresses) > 0 {
		return g.ServiceAddresses[0]
	}
	return ""
}

// AddressSource says where Address comes from, in words: the Gateway's status, its Service's load-balancer
// ingress, or its Service's cluster IP (the Agent Gateway controller publishes no status address while the
// LoadBalancer Service has no external IP, e.g. on a cluster without a load balancer).
func (g GatewayInfo) AddressSource() string {
	switch {
	case len(g.Addresses) > 0:
		return "Gateway " + g.Ref() + " status"
	case len(g.ServiceAddresses) > 0 && g.ClusterIPOnly:
		return "Service " + Ref(g.Namespace, g.Service) + " cluster IP (the Gateway's status has no address)"
	case len(g.ServiceAddresses) > 0:
		return "Service " + Ref(g.Namespace, g.Service) + " load-balancer address (the Gateway's status has no address)"
	}
	return ""
}

// PortForward is the command that reaches the gateway from this machine when its address is in-cluster only:
// `kubectl port-forward -n NS svc/NAME PORT:PORT` (the Gateway itself when its Service is unknown).
func (g GatewayInfo) PortForward() string {
	port := g.Port()
	if port == 0 {
		port = 80
	}
	target := "svc/" + g.Service
	if g.Service == "" {
		target = "svc/" + g.Name
	}
	return fmt.Sprintf("kubectl port-forward -n %s %s %d:%d", g.Namespace, target, port, port)
}

// Port is the first HTTP listener's port (else the first listener's, else the Service's first port).
func (g GatewayInfo) Port() int64 {
	for _, l := range g.Listeners {
		if strings.EqualFold(l.Protocol, "HTTP") {
			return l.Port
		}
	}
	if len(g.Listeners) > 0 {
		return g.Listeners[0].Port
	}
	if len(g.ServicePorts) > 0 {
		return int64(g.ServicePorts[0].Port)
	}
	return 0
}

// Endpoint is address:port, or "" when the address is unknown.
func (g GatewayInfo) Endpoint() string {
	a := g.Address()
	if a == "" {
		return ""
	}
	if p := g.Port(); p != 0 {
		return fmt.Sprintf("%s:%d", a, p)
	}
	return a
}

// Default gateways, in order of preference.
var DefaultGateways = [][2]string{{"agentgateway-system", "agentgateway-proxy"}, {"enterprise-agentgateway", "agentgateway"}}

// ListAgentGateways lists Gateways in every namespace whose GatewayClass is an Agent Gateway class, with their
// addresses, listeners and Service. kube may be nil (no Service lookup). When listing across namespaces is
// forbidden, the default gateways' namespaces are tried one by one.
func ListAgentGateways(ctx context.Context, dyn dynamic.Interface, kube kubernetes.Interface) ([]GatewayInfo, error) {
	classes := map[string]string{}
	cl, err := dyn.Resource(GVRGatewayClass).List(ctx, metav1.ListOptions{})
	if err != nil && !apierrors.IsForbidden(err) {
		return nil, Explain("listing GatewayClasses", err)
	}
	classesReadable := err == nil
	if cl != nil {
		for _, c := range cl.Items {
			ctrl, _, _ := unstructured.NestedString(c.Object, "spec", "controllerName")
			classes[c.GetName()] = ctrl
		}
	}
	var items []unstructured.Unstructured
	list, err := dyn.Resource(GVRGateway).Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	switch {
	case err == nil:
		items = list.Items
	case apierrors.IsForbidden(err):
		for _, d := range DefaultGateways {
			l, err := dyn.Resource(GVRGateway).Namespace(d[0]).List(ctx, metav1.ListOptions{})
			if err == nil {
				items = append(items, l.Items...)
			}
		}
	default:
		return nil, Explain("listing Gateways", err)
	}
	var out []GatewayInfo
	for i := range items {
		g := &items[i]
		class, _, _ := unstructured.NestedString(g.Object, "spec", "gatewayClassName")
		ctrl := classes[class]
		if classesReadable {
			if !IsAgentGatewayController(ctrl) {
				continue
			}
		} else if !isDefaultGateway(g.GetNamespace(), g.GetName()) && !strings.Contains(class, agentGatewayControllerHint) {
			continue // without GatewayClass access, go by the usual names
		}
		out = append(out, gatewayInfo(ctx, kube, g, class, ctrl))
	}
	sort.Slice(out, func(i, j int) bool {
		return rank(out[i]) < rank(out[j]) || rank(out[i]) == rank(out[j]) && out[i].Ref() < out[j].Ref()
	})
	return out, nil
}

func isDefaultGateway(ns, name string) bool {
	for _, d := range DefaultGateways {
		if d[0] == ns && d[1] == name {
			return true
		}
	}
	return false
}

func rank(g GatewayInfo) int {
	for i, d := range DefaultGateways {
		if d[0] == g.Namespace && d[1] == g.Name {
			return i
		}
	}
	return len(DefaultGateways)
}

// GetGateway reads one Gateway (any class) with its addresses and Service. A missing Gateway is an error that
// names it and says how to list the ones there are.
func GetGateway(ctx context.Context, dyn dynamic.Interface, kube kubernetes.Interface, namespace, name string) (GatewayInfo, error) {
	g, err := dyn.Resource(GVRGateway).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return GatewayInfo{}, fmt.Errorf("Gateway %s not found. List the Agent Gateway Gateways with kubectl get gateways -A, and pass --gateway NAMESPACE/NAME", Ref(namespace, name))
	}
	if err != nil {
		return GatewayInfo{}, Explain("reading Gateway "+Ref(namespace, name), err)
	}
	class, _, _ := unstructured.NestedString(g.Object, "spec", "gatewayClassName")
	ctrl := ""
	if c, err := dyn.Resource(GVRGatewayClass).Get(ctx, class, metav1.GetOptions{}); err == nil {
		ctrl, _, _ = unstructured.NestedString(c.Object, "spec", "controllerName")
	}
	return gatewayInfo(ctx, kube, g, class, ctrl), nil
}

// DefaultGateway picks the default among gws: agentgateway-system/agentgateway-proxy, then
// enterprise-agentgateway/agentgateway, then the only one. ok=false when there is no clear default.
func DefaultGateway(gws []GatewayInfo) (GatewayInfo, bool) {
	for _, d := range DefaultGateways {
		for _, g := range gws {
			if g.Namespace == d[0] && g.Name == d[1] {
				return g, true
			}
		}
	}
	if len(gws) == 1 {
		return gws[0], true
	}
	return GatewayInfo{}, false
}

// DescribeGateway is GetGateway for a Gateway already read (the controller name is left empty).
func DescribeGateway(ctx context.Context, kube kubernetes.Interface, g *unstructured.Unstructured) GatewayInfo {
	class, _, _ := unstructured.NestedString(g.Object, "spec", "gatewayClassName")
	return gatewayInfo(ctx, kube, g, class, "")
}

func gatewayInfo(ctx context.Context, kube kubernetes.Interface, g *unstructured.Unstructured, class, ctrl string) GatewayInfo {
	info := gatewayStatus(g, class, ctrl)
	if kube == nil {
		return info
	}
	if svc := GatewayService(ctx, kube, info.Namespace, info.Name); svc != nil {
		info.addService(svc)
	}
	return info
}

// GatewayService is the Service of Gateway ns/name: the one named as the Gateway in its namespace, else the first
// labelled with its name (nil when there is none or it cannot be read). It needs only the Gateway's name, so a
// caller may read it while it reads the Gateway (DescribeGatewayWith).
func GatewayService(ctx context.Context, kube kubernetes.Interface, ns, name string) *corev1.Service {
	svcs := kube.CoreV1().Services(ns)
	svc, err := svcs.Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		return svc
	}
	l, err := svcs.List(ctx, metav1.ListOptions{LabelSelector: LabelGatewayName + "=" + name})
	if err != nil || len(l.Items) == 0 {
		return nil
	}
	return &l.Items[0]
}

// DescribeGatewayWith is DescribeGateway with the Gateway's Service already read (GatewayService; nil: none).
func DescribeGatewayWith(g *unstructured.Unstructured, svc *corev1.Service) GatewayInfo {
	class, _, _ := unstructured.NestedString(g.Object, "spec", "gatewayClassName")
	info := gatewayStatus(g, class, "")
	if svc != nil {
		info.addService(svc)
	}
	return info
}

// DescribeGatewayFrom is DescribeGateway with the Gateway's Service picked from svcs (a LIST of Services) by the
// same rule: the Service named as the Gateway in its namespace, else the first labelled with its name.
func DescribeGatewayFrom(g *unstructured.Unstructured, svcs []corev1.Service) GatewayInfo {
	class, _, _ := unstructured.NestedString(g.Object, "spec", "gatewayClassName")
	info := gatewayStatus(g, class, "")
	var byLabel *corev1.Service
	for i := range svcs {
		s := &svcs[i]
		if s.Namespace != info.Namespace {
			continue
		}
		if s.Name == info.Name {
			info.addService(s)
			return info
		}
		if byLabel == nil && s.Labels[LabelGatewayName] == info.Name {
			byLabel = s
		}
	}
	if byLabel != nil {
		info.addService(byLabel)
	}
	return info
}

// gatewayStatus is what the Gateway object itself says: class, listeners, status addresses, Programmed.
func gatewayStatus(g *unstructured.Unstructured, class, ctrl string) GatewayInfo {
	info := GatewayInfo{
		Namespace: g.GetNamespace(), Name: g.GetName(), Class: class, Controller: ctrl,
		Enterprise: IsEnterpriseController(ctrl),
	}
	addrs := SliceAt(g.Object, "status", "addresses")
	for _, a := range addrs {
		if m, ok := a.(map[string]any); ok {
			if v, _ := m["value"].(string); v != "" {
				info.Addresses = append(info.Addresses, v)
			}
		}
	}
	ls := SliceAt(g.Object, "spec", "listeners")
	for _, l := range ls {
		m, ok := l.(map[string]any)
		if !ok {
			continue
		}
		var li Listener
		li.Name, _ = m["name"].(string)
		li.Protocol, _ = m["protocol"].(string)
		li.Hostname, _ = m["hostname"].(string)
		li.AllowedRoutesFrom, _, _ = unstructured.NestedString(m, "allowedRoutes", "namespaces", "from")
		switch p := m["port"].(type) {
		case int64:
			li.Port = p
		case float64:
			li.Port = int64(p)
		}
		info.Listeners = append(info.Listeners, li)
	}
	conds := SliceAt(g.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Programmed" && m["status"] == "True" {
			info.Programmed = true
		}
	}
	return info
}

func (info *GatewayInfo) addService(svc *corev1.Service) {
	info.Service = svc.Name
	info.ServiceType = string(svc.Spec.Type)
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.Hostname != "" {
			info.ServiceAddresses = append(info.ServiceAddresses, in.Hostname)
		} else if in.IP != "" {
			info.ServiceAddresses = append(info.ServiceAddresses, in.IP)
		}
	}
	if len(info.ServiceAddresses) == 0 && svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != "None" {
		info.ServiceAddresses = append(info.ServiceAddresses, svc.Spec.ClusterIP)
		info.ClusterIPOnly = true
	}
	for _, p := range svc.Spec.Ports {
		info.ServicePorts = append(info.ServicePorts, ServicePort{Name: p.Name, Port: p.Port, NodePort: p.NodePort})
	}
}

// ListObjects is a LIST of gvr in ns ("" = every namespace), as pointers into the list.
func ListObjects(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns string) ([]*unstructured.Unstructured, error) {
	l, err := dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, nil
}
