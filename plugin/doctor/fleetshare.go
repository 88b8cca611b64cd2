package doctor

import (
	"context"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// fleetShare is what every setup's run of doctor --all shares, so that a hundred setups cost about as many
// requests as one: one LIST per kind per namespace (one across namespaces with -A) instead of a GET per object
// and setup, one access review per question, one GetAgentRuntime / GetGateway per ARN, one discovery document
// and JWKS per URL, and the cluster's version and kinds once. A single setup's doctor has none (nil) and reads
// each object with its own GET, as before.
type fleetShare struct {
	// scope is the namespace the setups were listed in ("" = every namespace): the LISTs cover it.
	scope string

	version *lazy[*version.Info]
	kinds   *lazy[k8sres.Kinds]
	user    *lazy[string]

	objects memo[listKey, map[string]*unstructured.Unstructured]
	// grouped are the objects of a LIST by namespace, each namespace's by name (for list: once, not per setup).
	grouped memo[listKey, map[string][]*unstructured.Unstructured]
	secrets memo[string, map[string]*corev1.Secret]
	// secretNames are the namespace/names of every Secret, read only when a Secret is not in secrets.
	secretNames memo[string, map[string]bool]
	services    memo[string, []corev1.Service]
	access      memo[accessKey, bool]
	// routeSets are a Gateway's routes parsed for precedence, once for every setup on it.
	routeSets memo[routeSetKey, *k8sres.RouteSet]

	runtimes memo[string, *bedrockagentcorecontrol.GetAgentRuntimeOutput]
	gateways memo[string, *bedrockagentcorecontrol.GetGatewayOutput]
	// authorizers are read from each runtime's or gateway's output (keyed by the output) once.
	authorizers memo[any, *tokencheck.Authorizer]
	discovery   memo[string, *tokencheck.Discovery]
	jwks        memo[string, []byte]
}

type accessKey struct{ verb, group, resource, namespace string }

// routeSetKey is a Gateway ("namespace/name") and the namespaces its routes were listed in (comma-separated, in
// the order listed): the LISTs are shared, so the same namespaces are the same routes.
type routeSetKey struct{ gateway, namespaces string }

type listKey struct {
	gvr schema.GroupVersionResource
	ns  string
}

func newFleetShare(scope string, deps Deps) *fleetShare {
	f := &fleetShare{scope: scope}
	f.version = newLazy(func(context.Context) (*version.Info, error) { return deps.Discovery.ServerVersion() })
	f.kinds = newLazy(func(context.Context) (k8sres.Kinds, error) { return k8sres.DiscoverKinds(deps.Discovery) })
	f.user = newLazy(func(ctx context.Context) (string, error) {
		r, err := deps.Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return "", err
		}
		return r.Status.UserInfo.Username, nil
	})
	return f
}

// prefetch starts, all at once, the LISTs the records' runs will need (routes and policies in the records'
// namespaces, Gateways and their Services where the records' Gateways are, backends, Secrets) and the cluster's
// kinds, so the first setups do not wait for them one after another. Failures are left for the runs to meet
// (and explain) as they would. Called before the records are read (recs nil), it starts what the scope alone
// names; called again with them, only what is left (each LIST is made once).
func (f *fleetShare) prefetch(ctx context.Context, deps Deps, recs []*setup.Record) {
	if deps.Kube == nil || deps.Dynamic == nil || deps.Discovery == nil {
		return
	}
	// The scope alone names where the records' objects are, except Gateways in other namespaces than a
	// namespaced scope's: those LISTs need the records.
	nss, gwNSs := map[string]bool{f.listNS(f.scope): true}, map[string]bool{}
	if f.scope == "" {
		gwNSs[""] = true
	}
	for _, r := range recs {
		r := r.WithDefaults()
		nss[f.listNS(r.Namespace)] = true
		gwNSs[f.listNS(r.GatewayNamespace)] = true
	}
	go func() { _, _ = f.version.get(ctx) }()
	go func() { _, _ = f.user.get(ctx) }()
	for ns := range nss {
		go func() { _, _ = f.index(ctx, deps, k8sres.GVRHTTPRoute, ns) }()
		go func() { _, _ = f.secretIndex(ctx, deps, ns) }()
	}
	for ns := range gwNSs {
		go func() { _, _ = f.index(ctx, deps, k8sres.GVRGateway, ns) }()
		go func() { _, _ = f.serviceList(ctx, deps, ns) }()
	}
	go func() { _, _ = f.kinds.get(ctx) }()
	// Both flavours of policies and backends, without waiting for discovery to say which are served: discovery
	// was on the path of every setup's first policy check (measured: these LISTs began ~40 ms into a 100-setup
	// run). A flavour that is not served answers 404 and no run asks for it (policyGVRs, backendGVRs).
	every := k8sres.Kinds{Policy: true, EnterprisePolicy: true, Backend: true, EnterpriseBackend: true}
	for ns := range nss {
		for _, gvr := range append(policyGVRs(every), backendGVRs(every)...) {
			go func() { _, _ = f.index(ctx, deps, gvr, ns) }()
		}
	}
}

// askAhead asks the access questions the setups' permission checks ask (accessWanted), alongside the LISTs: in
// a 100-setup run the first setups met them after the LISTs, and the whole run waited on those reviews (the last
// API answers of the run, ~4 ms). Each question across namespaces is asked first, as allowed asks it; a
// namespace's own question only when that one is denied. Called before the records are read (recs nil), it asks
// the questions across namespaces of a setup in the scope; called again with them, what is left.
func (f *fleetShare) askAhead(ctx context.Context, deps Deps, base Options, recs []*setup.Record) {
	if deps.Kube == nil {
		return
	}
	type question struct{ verb, group, resource string }
	where := map[question]map[string]bool{}
	add := func(o Options) {
		for _, a := range accessWanted(o, nil) {
			q := question{a.verb, a.group, a.resource}
			if where[q] == nil {
				where[q] = map[string]bool{}
			}
			where[q][a.namespace] = true
		}
	}
	if recs == nil {
		o := base
		o.Namespace = f.scope
		add(o)
	}
	for _, r := range recs {
		add(base.ForRecord(r))
	}
	for q, nss := range where {
		go func() {
			if ok, err, _ := f.allowed(ctx, deps, access{verb: q.verb, group: q.group, resource: q.resource}, false); err != nil || ok || recs == nil {
				return
			}
			for ns := range nss {
				go func() {
					_, _, _ = f.allowed(ctx, deps, access{verb: q.verb, group: q.group, resource: q.resource, namespace: ns}, false)
				}()
			}
		}()
	}
}

// listNS is the namespace a LIST covering namespace ns is made in: every namespace with -A, else ns itself.
func (f *fleetShare) listNS(ns string) string {
	if f.scope == "" {
		return ""
	}
	return ns
}

// index is the one LIST of gvr covering namespace ns, by namespace/name.
func (f *fleetShare) index(ctx context.Context, deps Deps, gvr schema.GroupVersionResource, ns string) (map[string]*unstructured.Unstructured, error) {
	key := listKey{gvr, f.listNS(ns)}
	return f.objects.get(ctx, key, func(ctx context.Context) (map[string]*unstructured.Unstructured, error) {
		items, err := listCustom(ctx, deps, gvr, key.ns)
		if err != nil {
			return nil, err
		}
		return leanIndex(items), nil
	})
}

// object is a GET of gvr ns/name answered from one LIST of its kind. When the LIST fails (e.g. the user may get
// but not list) it falls back to the GET, so the answer and its error are a single setup's.
func (f *fleetShare) object(ctx context.Context, deps Deps, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	idx, err := f.index(ctx, deps, gvr, ns)
	if err != nil {
		return deps.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	}
	if o, ok := idx[k8sres.Ref(ns, name)]; ok {
		return o, nil // shared: doctor only reads objects
	}
	return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
}

// list is a LIST of gvr in ns ("" = every namespace), answered from the one LIST of its kind (filtered to ns with
// -A), in a LIST's order (by namespace, then name).
func (f *fleetShare) list(ctx context.Context, deps Deps, gvr schema.GroupVersionResource, ns string) ([]*unstructured.Unstructured, error) {
	idx, err := f.index(ctx, deps, gvr, ns)
	if err != nil {
		return k8sres.ListObjects(ctx, deps.Dynamic, gvr, ns)
	}
	key := listKey{gvr, f.listNS(ns)}
	byNS, _ := f.grouped.get(ctx, key, func(context.Context) (map[string][]*unstructured.Unstructured, error) {
		m := map[string][]*unstructured.Unstructured{}
		for _, o := range idx {
			m[o.GetNamespace()] = append(m[o.GetNamespace()], o)
			if key.ns == metav1.NamespaceAll { // a LIST across namespaces also answers for all of them
				m[key.ns] = append(m[key.ns], o)
			}
		}
		for _, l := range m {
			sort.Slice(l, func(i, j int) bool {
				if l[i].GetNamespace() != l[j].GetNamespace() {
					return l[i].GetNamespace() < l[j].GetNamespace()
				}
				return l[i].GetName() < l[j].GetName()
			})
		}
		return m, nil
	})
	return byNS[ns], nil // shared: read only
}

// secret is k8sres.GetSecret answered from one LIST of the Secrets kubectl-agentcore labels (the wizard writes
// k8sres.LabelManagedBy on the token and exchange Secrets) covering ns. A Secret not in it — made by hand, or
// missing — is looked up in one LIST of the Secrets' metadata (names, no data): missing is the GET's NotFound,
// one that exists is read with its own GET. With -A the LIST spans every namespace, so without the label it
// read every Secret's data in the cluster (measured: 300 unrelated 16 KiB Secrets took doctor --all from 83 to
// 141 ms, docs/rotation-service.md). When a LIST fails (e.g. the user may get but not list) it is the GET.
func (f *fleetShare) secret(ctx context.Context, deps Deps, ns, name string) (*corev1.Secret, error) {
	idx, err := f.secretIndex(ctx, deps, ns)
	if err != nil {
		return k8sres.GetSecret(ctx, deps.Kube, ns, name)
	}
	if s, ok := idx[k8sres.Ref(ns, name)]; ok {
		return s, nil
	}
	if names, err := f.secretNameIndex(ctx, deps, ns); err == nil && !names[k8sres.Ref(ns, name)] {
		return nil, k8sres.SecretReadError(ns, name, apierrors.NewNotFound(corev1.Resource("secrets"), name))
	}
	return k8sres.GetSecret(ctx, deps.Kube, ns, name)
}

// secretIndex is the one LIST of the Secrets labelled k8sres.LabelManagedBy covering ns, by namespace/name.
func (f *fleetShare) secretIndex(ctx context.Context, deps Deps, ns string) (map[string]*corev1.Secret, error) {
	lns := f.listNS(ns)
	return f.secrets.get(ctx, lns, func(ctx context.Context) (map[string]*corev1.Secret, error) {
		l, err := deps.Kube.CoreV1().Secrets(lns).List(ctx, metav1.ListOptions{LabelSelector: k8sres.LabelManagedBy + "=" + k8sres.ManagedByValue})
		if err != nil {
			return nil, err
		}
		m := make(map[string]*corev1.Secret, len(l.Items))
		for i := range l.Items {
			m[k8sres.Ref(l.Items[i].Namespace, l.Items[i].Name)] = &l.Items[i]
		}
		return m, nil
	})
}

// secretNameIndex is the one LIST of every Secret's metadata covering ns (namespace/name of each).
func (f *fleetShare) secretNameIndex(ctx context.Context, deps Deps, ns string) (map[string]bool, error) {
	lns := f.listNS(ns)
	return f.secretNames.get(ctx, lns, func(ctx context.Context) (map[string]bool, error) {
		l, err := listMetadata(ctx, deps, corev1.SchemeGroupVersion.WithResource("secrets"), lns)
		if err != nil {
			return nil, err
		}
		m := make(map[string]bool, len(l.Items))
		for i := range l.Items {
			m[k8sres.Ref(l.Items[i].Namespace, l.Items[i].Name)] = true
		}
		return m, nil
	})
}

// describeGateway is k8sres.DescribeGateway with the Gateway's Service from one LIST of Services.
func (f *fleetShare) describeGateway(ctx context.Context, deps Deps, g *unstructured.Unstructured) k8sres.GatewayInfo {
	svcs, err := f.serviceList(ctx, deps, g.GetNamespace())
	if err != nil {
		return k8sres.DescribeGateway(ctx, deps.Kube, g)
	}
	return k8sres.DescribeGatewayFrom(g, svcs)
}

// serviceList is the one LIST of Services covering namespace ns.
func (f *fleetShare) serviceList(ctx context.Context, deps Deps, ns string) ([]corev1.Service, error) {
	lns := f.listNS(ns)
	return f.services.get(ctx, lns, func(ctx context.Context) ([]corev1.Service, error) {
		l, err := deps.Kube.CoreV1().Services(lns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	})
}

// allowed is one SelfSubjectAccessReview per question for all setups. Access to every namespace (asked once
// per verb and resource) answers for each namespace without asking again. With onlyKnown it asks nothing and
// answers only from what is already known (known false otherwise), so a setup whose questions were all answered
// for the setups before it needs no goroutine to ask them.
func (f *fleetShare) allowed(ctx context.Context, deps Deps, a access, onlyKnown bool) (ok bool, err error, known bool) {
	ask := func(a accessKey) (bool, error, bool) {
		if onlyKnown {
			return f.access.known(a)
		}
		ok, err := f.access.get(ctx, a, func(ctx context.Context) (bool, error) {
			r, err := deps.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
				Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
					Verb: a.verb, Group: a.group, Resource: a.resource, Namespace: a.namespace}},
			}, metav1.CreateOptions{})
			return err == nil && r.Status.Allowed, err
		})
		return ok, err, true
	}
	k := accessKey{a.verb, a.group, a.resource, a.namespace}
	if k.namespace != "" {
		all := k
		all.namespace = ""
		if ok, err, known := ask(all); known && err == nil && ok {
			return true, nil, true
		}
	}
	return ask(k)
}

// memo is lazy per key: the first get of a key computes it, every later one (concurrent or not) shares it.
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*lazy[V]
}

func (m *memo[K, V]) get(ctx context.Context, k K, f func(ctx context.Context) (V, error)) (V, error) {
	m.mu.Lock()
	l, ok := m.m[k]
	if !ok {
		if m.m == nil {
			m.m = map[K]*lazy[V]{}
		}
		l = newLazy(f)
		m.m[k] = l
	}
	m.mu.Unlock()
	return l.get(ctx)
}

// known is k's value when it has been computed (ok true), without waiting or computing it.
func (m *memo[K, V]) known(k K) (v V, err error, ok bool) {
	m.mu.Lock()
	l := m.m[k]
	m.mu.Unlock()
	if l == nil {
		return v, nil, false
	}
	return l.known()
}
