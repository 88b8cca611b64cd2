package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Setup modes (as the wizard names them).
const (
	modeRewrite = "rewrite"
	modeNative  = "native"
	modeSigV4   = "sigv4"
)

// target is the setup under examination, resolved from flags, the setup record and the route.
type target struct {
	source string // where the setup came from, in words
	record *setup.Record

	routeRef Ref
	route    *unstructured.Unstructured

	gatewayRef Ref
	gateway    *unstructured.Unstructured
	gatewayErr error
	// gatewayInfo is where the Gateway can be reached (status address, else its Service's).
	gatewayInfo k8sres.GatewayInfo
	// routes are the HTTPRoutes that may attach to the Gateway (resources.route-precedence), read as soon as
	// the Gateway is (its listeners say where): nil without a Gateway.
	routes *lazy[gatewayRoutes]

	// backends referenced by the route (Agent Gateway kinds), with a lookup error per missing one.
	backendRefs []Ref
	backends    []*unstructured.Unstructured
	backendErrs []string

	policies  []*unstructured.Unstructured
	policyErr error
	// nsPolicies are all the policies in the route's namespace (policies keeps those that target the setup).
	nsPolicies []*unstructured.Unstructured

	// secretRef and secretKey are the token Secret and key; zero when the setup sends no token (sigv4).
	secretRef    Ref
	secretKey    string
	secretSource string

	arn       string
	arnSource string
	mode      string
}

// objects returns every fetched object, for the observedGeneration check.
func (t *target) objects() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	if t.gateway != nil {
		out = append(out, t.gateway)
	}
	if t.route != nil {
		out = append(out, t.route)
	}
	out = append(out, t.backends...)
	out = append(out, t.policies...)
	return out
}

func (st *state) resolveTarget(ctx context.Context) (*target, error) {
	d := st.d
	o := d.opts
	if o.Offline {
		if o.Rendered == nil {
			return nil, errors.New("offline: no manifests (--manifests-file) to read the setup from")
		}
		return o.Rendered.target()
	}
	t := &target{routeRef: o.Route, gatewayRef: o.Gateway, secretRef: o.Secret, arn: o.RuntimeARN}
	if !o.Secret.IsZero() {
		t.secretSource = "--secret"
	}
	if o.RuntimeARN != "" {
		t.arnSource = "--runtime-arn"
	}
	t.source = "flags"
	if o.Route.IsZero() {
		rec, err := st.record.get(ctx)
		if err != nil {
			if errors.Is(err, setup.ErrNotFound) {
				return nil, explain.Newf(err, "%s. Or name the objects: --route NS/NAME [--secret NS/NAME] [--runtime-arn ARN]", strings.TrimSuffix(err.Error(), "."))
			}
			return nil, err
		}
		rec2 := rec.WithDefaults()
		t.record = &rec2
		t.source = "setup record " + rec.Ref()
		t.routeRef = Ref{rec2.Namespace, rec2.RouteName}
		if t.gatewayRef.IsZero() {
			t.gatewayRef = Ref{rec2.GatewayNamespace, rec2.GatewayName}
		}
		if t.secretRef.IsZero() && rec2.Mode.UsesToken() && rec2.SecretName != "" {
			t.secretRef, t.secretSource = Ref{rec2.Namespace, rec2.SecretName}, "setup record"
		}
		if t.arn == "" {
			t.arn, t.arnSource = rec2.RuntimeARN, "setup record"
		}
		t.mode = string(rec2.Mode)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	// The Gateway (and its Service, and its routes), read at once when the record or --gateway names it, else
	// once the route's parentRef does: over a network each read waited for is a round trip.
	readGateway := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := t.gatewayRef
			var svc chan *corev1.Service // the Service, read beside the Gateway (doctor --all has it from a LIST)
			if d.deps.fleet == nil && d.deps.Kube != nil {
				svc = make(chan *corev1.Service, 1)
				go func() { svc <- k8sres.GatewayService(ctx, d.deps.Kube, ref.Namespace, ref.Name) }()
			}
			g, err := st.getObject(ctx, k8sres.GVRGateway, ref.Namespace, ref.Name)
			if err == nil {
				routes := st.readGatewayRoutes(k8sres.DescribeGateway(ctx, nil, g), t.routeRef.Namespace)
				go func() { _, _ = routes.get(ctx) }()
				mu.Lock()
				t.routes = routes
				mu.Unlock()
			}
			var info k8sres.GatewayInfo
			switch {
			case err != nil:
			case d.deps.fleet != nil:
				info = d.deps.fleet.describeGateway(ctx, d.deps, g)
			case svc != nil:
				info = k8sres.DescribeGatewayWith(g, <-svc)
			default: // no Kubernetes client for Services
				info = k8sres.DescribeGatewayWith(g, nil)
			}
			mu.Lock()
			defer mu.Unlock()
			t.gateway, t.gatewayErr, t.gatewayInfo = g, err, info
		}()
	}
	gatewayEarly := !t.gatewayRef.IsZero()
	if gatewayEarly {
		readGateway()
	}
	route, err := st.getObject(ctx, k8sres.GVRHTTPRoute, t.routeRef.Namespace, t.routeRef.Name)
	if err != nil {
		wg.Wait()
		return nil, k8sres.Explain("reading HTTPRoute "+t.routeRef.String(), err)
	}
	t.route = route
	if t.gatewayRef.IsZero() {
		if p := routeParents(route); len(p) > 0 {
			t.gatewayRef = p[0]
		}
	}
	if !gatewayEarly && !t.gatewayRef.IsZero() {
		readGateway()
	}
	t.backendRefs = routeBackends(route)

	early := st.readEarly(ctx, t)
	kinds, _ := st.kinds.get(ctx)
	for _, br := range t.backendRefs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := getBackend(br, kinds, func(gvr schema.GroupVersionResource) (*unstructured.Unstructured, error) {
				return early.object(ctx, gvr, br)
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.backendErrs = append(t.backendErrs, err.Error())
				return
			}
			t.backends = append(t.backends, b)
		}()
	}
	for _, gvr := range policyGVRs(kinds) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := early.list(ctx, gvr)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.policyErr = k8sres.Explain("listing "+gvr.Resource+" in "+t.routeRef.Namespace, err)
				return
			}
			t.policies = append(t.policies, l...)
		}()
	}
	wg.Wait()
	t.nsPolicies = t.policies
	t.policies = relevantPolicies(t)

	// The token Secret: flag, record, else the policy's or the backend's secretRef.
	if t.secretRef.IsZero() {
		for _, p := range t.policies {
			if ref, key, ok := secretRefAt(p, "spec", "backend", "auth", "secretRef"); ok {
				t.secretRef, t.secretKey, t.secretSource = ref, key, "policy "+p.GetNamespace()+"/"+p.GetName()
				break
			}
		}
	}
	if t.secretRef.IsZero() {
		for _, b := range t.backends {
			if ref, key, ok := secretRefAt(b, "spec", "policies", "auth", "secretRef"); ok {
				t.secretRef, t.secretKey, t.secretSource = ref, key, "backend "+b.GetNamespace()+"/"+b.GetName()
				break
			}
		}
	}
	if t.secretKey == "" {
		t.secretKey = setup.SecretKey
	}

	// The runtime ARN: flag, record, else the native backend's, else the route's rewrite path.
	if t.arn == "" {
		for _, b := range t.backends {
			if a, ok, _ := unstructured.NestedString(b.Object, "spec", "aws", "agentCore", "agentRuntimeArn"); ok && a != "" {
				t.arn, t.arnSource = a, "backend "+b.GetNamespace()+"/"+b.GetName()
				break
			}
		}
	}
	if t.arn == "" {
		for _, rw := range routeRewrites(route) {
			if a, ok := arnFromPath(rw.path); ok {
				t.arn, t.arnSource = a, "the route's rewrite path"
				break
			}
		}
	}
	if s := t.tokenSource(); t.mode == "" && s != tokencheck.SourceSecret {
		t.mode = s // passthrough or exchange, from the policies
	}
	if t.mode == "" {
		t.mode = modeRewrite
		for _, b := range t.backends {
			if _, ok, _ := unstructured.NestedMap(b.Object, "spec", "aws", "agentCore"); ok {
				t.mode = modeNative
				if t.secretRef.IsZero() {
					t.mode = modeSigV4
				}
			}
		}
	}
	return t, nil
}

// getObject is a GET of one object (from doctor --all's shared LIST of its kind when there is one).
func (st *state) getObject(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	if f := st.d.deps.fleet; f != nil {
		return f.object(ctx, st.d.deps, gvr, ns, name)
	}
	return st.d.deps.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
}

// listObjects is a LIST of gvr in ns (from doctor --all's shared LIST of the kind when there is one).
func (st *state) listObjects(ctx context.Context, gvr schema.GroupVersionResource, ns string) ([]*unstructured.Unstructured, error) {
	if f := st.d.deps.fleet; f != nil {
		return f.list(ctx, st.d.deps, gvr, ns)
	}
	return k8sres.ListObjects(ctx, st.d.deps.Dynamic, gvr, ns)
}

// earlyReads are a single setup's reads of its backends (every flavour) and of the policies in the route's
// namespace (both flavours), started together before discovery says which flavours are served: they waited for
// discovery's two round trips before (measured at 150 ms a call: the target took 4 round trips instead of 2). A
// flavour that is not served answers 404 and no check looks at it (backendGVRs, policyGVRs pick the served).
// doctor --all reads them from its shared LISTs instead, without these.
type earlyReads struct {
	st      *state
	ns      string
	objects map[earlyKey]*lazy[*unstructured.Unstructured]
	lists   map[schema.GroupVersionResource]*lazy[[]*unstructured.Unstructured]
}

type earlyKey struct {
	gvr schema.GroupVersionResource
	ref Ref
}

func (st *state) readEarly(ctx context.Context, t *target) *earlyReads {
	e := &earlyReads{st: st, ns: t.routeRef.Namespace}
	if st.d.deps.fleet != nil {
		return e
	}
	every := k8sres.Kinds{Policy: true, EnterprisePolicy: true, Backend: true, EnterpriseBackend: true}
	e.objects = map[earlyKey]*lazy[*unstructured.Unstructured]{}
	for _, br := range t.backendRefs {
		for _, gvr := range backendGVRs(every) {
			l := newLazy(func(ctx context.Context) (*unstructured.Unstructured, error) {
				return st.getObject(ctx, gvr, br.Namespace, br.Name)
			})
			e.objects[earlyKey{gvr, br}] = l
			go func() { _, _ = l.get(ctx) }()
		}
	}
	e.lists = map[schema.GroupVersionResource]*lazy[[]*unstructured.Unstructured]{}
	for _, gvr := range policyGVRs(every) {
		l := newLazy(func(ctx context.Context) ([]*unstructured.Unstructured, error) { return st.listObjects(ctx, gvr, e.ns) })
		e.lists[gvr] = l
		go func() { _, _ = l.get(ctx) }()
	}
	return e
}

// object is the read of backend br as gvr: the early one, else a read now.
func (e *earlyReads) object(ctx context.Context, gvr schema.GroupVersionResource, br Ref) (*unstructured.Unstructured, error) {
	if l, ok := e.objects[earlyKey{gvr, br}]; ok {
		return l.get(ctx)
	}
	return e.st.getObject(ctx, gvr, br.Namespace, br.Name)
}

// list is the LIST of gvr in the route's namespace: the early one, else a LIST now.
func (e *earlyReads) list(ctx context.Context, gvr schema.GroupVersionResource) ([]*unstructured.Unstructured, error) {
	if l, ok := e.lists[gvr]; ok {
		return l.get(ctx)
	}
	return e.st.listObjects(ctx, gvr, e.ns)
}

func getBackend(br Ref, kinds k8sres.Kinds, get func(schema.GroupVersionResource) (*unstructured.Unstructured, error)) (*unstructured.Unstructured, error) {
	var lastErr error
	for _, gvr := range backendGVRs(kinds) {
		b, err := get(gvr)
		if err == nil {
			return b, nil
		}
		lastErr = err
		if !apierrors.IsNotFound(err) {
			break
		}
	}
	if lastErr == nil || apierrors.IsNotFound(lastErr) {
		return nil, fmt.Errorf("backend %s not found", br)
	}
	return nil, k8sres.Explain("reading backend "+br.String(), lastErr)
}

func backendGVRs(k k8sres.Kinds) []schema.GroupVersionResource {
	return flavourGVRs(k.Backend, k.EnterpriseBackend, k8sres.GVRBackend, k8sres.GVREnterpriseBackend)
}

func policyGVRs(k k8sres.Kinds) []schema.GroupVersionResource {
	return flavourGVRs(k.Policy, k.EnterprisePolicy, k8sres.GVRPolicy, k8sres.GVREnterprisePolicy)
}

// flavourGVRs are where to look for an object of a kind with an OSS and an Enterprise flavour, in order: the OSS
// resource when served, or when the Enterprise one is not (its NotFound then names the object); then the
// Enterprise resource when served.
func flavourGVRs(ossServed, entServed bool, oss, ent schema.GroupVersionResource) []schema.GroupVersionResource {
	var out []schema.GroupVersionResource
	if ossServed || !entServed {
		out = append(out, oss)
	}
	if entServed {
		out = append(out, ent)
	}
	return out
}

// routeParents are the route's parentRefs that are Gateways.
func routeParents(route *unstructured.Unstructured) []Ref {
	var out []Ref
	for _, p := range k8sres.GatewayParents(route) {
		out = append(out, Ref{p.Namespace, p.Name})
	}
	return out
}

// routeBackends are the route's backendRefs of Agent Gateway backend kinds.
func routeBackends(route *unstructured.Unstructured) []Ref {
	rules := k8sres.SliceAt(route.Object, "spec", "rules")
	seen := map[Ref]bool{}
	var out []Ref
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		brs, _ := rm["backendRefs"].([]any)
		for _, b := range brs {
			bm, _ := b.(map[string]any)
			kind, _ := bm["kind"].(string)
			group, _ := bm["group"].(string)
			if !strings.HasSuffix(kind, "AgentgatewayBackend") && group != k8sres.GroupOSS && group != k8sres.GroupEnterprise {
				continue
			}
			ns, _ := bm["namespace"].(string)
			if ns == "" {
				ns = route.GetNamespace()
			}
			name, _ := bm["name"].(string)
			ref := Ref{ns, name}
			if !seen[ref] {
				seen[ref] = true
				out = append(out, ref)
			}
		}
	}
	return out
}

type rewrite struct {
	hostname string
	path     string
	pathType string
}

// routeRewrites are the URLRewrite filters of the route's rules.
func routeRewrites(route *unstructured.Unstructured) []rewrite {
	rules := k8sres.SliceAt(route.Object, "spec", "rules")
	var out []rewrite
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		fs, _ := rm["filters"].([]any)
		for _, f := range fs {
			fm, _ := f.(map[string]any)
			if fm["type"] != "URLRewrite" {
				continue
			}
			rw := rewrite{}
			rw.hostname, _, _ = unstructured.NestedString(fm, "urlRewrite", "hostname")
			rw.pathType, _, _ = unstructured.NestedString(fm, "urlRewrite", "path", "type")
			if rw.pathType == "ReplacePrefixMatch" {
				rw.path, _, _ = unstructured.NestedString(fm, "urlRewrite", "path", "replacePrefixMatch")
			} else {
				rw.path, _, _ = unstructured.NestedString(fm, "urlRewrite", "path", "replaceFullPath")
			}
			out = append(out, rw)
		}
	}
	return out
}

// arnFromPath decodes /runtimes/<encoded ARN>/invocations.
func arnFromPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/runtimes/")
	if !ok {
		return "", false
	}
	enc, _, _ := strings.Cut(rest, "/")
	a, err := url.PathUnescape(enc)
	if err != nil || !strings.HasPrefix(a, "arn:") {
		return "", false
	}
	return a, true
}

// relevantPolicies keeps the policies whose targetRefs name the route, one of its backends or its Gateway.
func relevantPolicies(t *target) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, p := range t.policies {
		refs := k8sres.SliceAt(p.Object, "spec", "targetRefs")
		for _, r := range refs {
			m, _ := r.(map[string]any)
			kind, _ := m["kind"].(string)
			name, _ := m["name"].(string)
			here := Ref{p.GetNamespace(), name}
			match := false
			switch {
			case kind == "HTTPRoute":
				match = here == t.routeRef
			case strings.HasSuffix(kind, "AgentgatewayBackend"):
				for _, b := range t.backendRefs {
					match = match || here == b
				}
			case kind == "Gateway":
				match = here == t.gatewayRef
			}
			if match {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func secretRefAt(obj *unstructured.Unstructured, path ...string) (Ref, string, bool) {
	m, ok, _ := unstructured.NestedMap(obj.Object, path...)
	if !ok {
		return Ref{}, "", false
	}
	name, _ := m["name"].(string)
	if name == "" {
		return Ref{}, "", false
	}
	key, _ := m["key"].(string)
	return Ref{obj.GetNamespace(), name}, key, true
}

// parseARN parses the target's ARN.
func (t *target) parsedARN() (awsops.RuntimeARN, error) {
	if t.arn == "" {
		return awsops.RuntimeARN{}, errors.New("no runtime ARN: the setup record, the backend and the route's rewrite path name none. Pass --runtime-arn")
	}
	return awsops.ParseRuntimeARN(t.arn)
}

func objRef(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + k8sres.Ref(o.GetNamespace(), o.GetName())
}

// tokenSource is where the token AgentCore sees comes from, read from the gateway's policies: the caller's own
// token passed on (backend.auth.passthrough), one exchanged for it (backend.auth.oauthTokenExchange), else the
// Secret's.
func (t *target) tokenSource() string {
	for _, p := range t.policies {
		if _, ok, _ := unstructured.NestedMap(p.Object, "spec", "backend", "auth", "passthrough"); ok {
			return tokencheck.SourcePassthrough
		}
		if _, ok, _ := unstructured.NestedMap(p.Object, "spec", "backend", "auth", "oauthTokenExchange"); ok {
			return tokencheck.SourceExchange
		}
	}
	return tokencheck.SourceSecret
}
