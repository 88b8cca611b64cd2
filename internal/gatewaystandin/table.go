package gatewaystandin

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// table is the routing state built from the cluster.
type table struct {
	routes []*routeEntry
}

type routeEntry struct {
	key       string // ns/name of the HTTPRoute
	hostnames []string
	pathType  string // PathPrefix | Exact
	path      string

	rewriteHost   string
	rewriteFull   *string
	rewritePrefix *string

	backend    *backendEntry
	backendErr string

	authNS, authName, authKey string // Secret holding the Authorization value ("" = none)
	authSource                string

	rate       *rateSpec
	rateKey    string
	resolveErr string
}

type backendEntry struct {
	key       string // ns/name
	static    bool
	host      string
	port      int64
	arn       string
	qualifier string
	// inline auth from the backend's own policies.auth.secretRef
	authName, authKey string
}

type rateSpec struct {
	perSecond float64
	burst     float64
}

var backendKinds = map[string]schema.GroupVersionResource{
	"AgentgatewayBackend":           GVRBackend,
	"EnterpriseAgentgatewayBackend": GVREnterpriseBackend,
}

// rebuild recomputes the table and writes the statuses that changed.
func (s *StandIn) rebuild(ctx context.Context) {
	gwNS, gwName := s.o.GatewayNamespace, s.o.GatewayName
	if s.o.WriteGatewayStatus {
		if gw := s.get(GVRGateway, gwNS, gwName); gw != nil {
			s.writeGatewayStatus(ctx, gw)
		}
	}

	// Backends: every one is Accepted (the real controller accepts even a malformed ARN; the proxy fails later).
	backends := map[string]*backendEntry{} // kind/ns/name
	for kind, gvr := range backendKinds {
		for _, b := range s.list(gvr) {
			be := &backendEntry{key: b.GetNamespace() + "/" + b.GetName()}
			if st, ok, _ := unstructured.NestedMap(b.Object, "spec", "static"); ok {
				be.static = true
				be.host, _ = st["host"].(string)
				be.port = toInt64(st["port"])
			}
			be.arn, _, _ = unstructured.NestedString(b.Object, "spec", "aws", "agentCore", "agentRuntimeArn")
			be.qualifier, _, _ = unstructured.NestedString(b.Object, "spec", "aws", "agentCore", "qualifier")
			be.authName, _, _ = unstructured.NestedString(b.Object, "spec", "policies", "auth", "secretRef", "name")
			if be.authName != "" {
				be.authKey, _, _ = unstructured.NestedString(b.Object, "spec", "policies", "auth", "secretRef", "key")
			}
			backends[kind+"/"+be.key] = be
			s.writeConditions(ctx, gvr, b, []any{condition(b, "Accepted", "True", "Accepted", "Backend accepted by the demo gateway stand-in")})
		}
	}

	// Routes attached to the Gateway.
	var entries []*routeEntry
	attachedRoutes := map[string]bool{}
	routeBackends := map[string]bool{} // kind/ns/name referenced by an attached route
	for _, r := range s.list(GVRHTTPRoute) {
		parents := attachedParents(r, gwNS, gwName)
		if len(parents) == 0 {
			continue
		}
		key := r.GetNamespace() + "/" + r.GetName()
		attachedRoutes[key] = true
		hostnames, _, _ := unstructured.NestedStringSlice(r.Object, "spec", "hostnames")
		rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
		resolved, resolvedReason, resolvedMsg := "True", "ResolvedRefs", "All references resolved"
		if len(rules) == 0 {
			rules = []any{map[string]any{}}
		}
		for _, ru := range rules {
			rm, _ := ru.(map[string]any)
			var base routeEntry
			base.key, base.hostnames = key, hostnames
			filters, _, _ := unstructured.NestedSlice(rm, "filters")
			for _, f := range filters {
				fm, _ := f.(map[string]any)
				if fm["type"] != "URLRewrite" {
					continue
				}
				base.rewriteHost, _, _ = unstructured.NestedString(fm, "urlRewrite", "hostname")
				if v, ok, _ := unstructured.NestedString(fm, "urlRewrite", "path", "replaceFullPath"); ok {
					base.rewriteFull = &v
				}
				if v, ok, _ := unstructured.NestedString(fm, "urlRewrite", "path", "replacePrefixMatch"); ok {
					base.rewritePrefix = &v
				}
			}
			refs, _, _ := unstructured.NestedSlice(rm, "backendRefs")
			if len(refs) == 0 {
				base.backendErr = "the rule has no backendRefs"
			} else {
				ref, _ := refs[0].(map[string]any)
				group, _ := ref["group"].(string)
				kind, _ := ref["kind"].(string)
				name, _ := ref["name"].(string)
				ns, _ := ref["namespace"].(string)
				if ns == "" {
					ns = r.GetNamespace()
				}
				_, known := backendKinds[kind]
				switch {
				case !known || (group != "agentgateway.dev" && group != "enterpriseagentgateway.solo.io"):
					base.backendErr = fmt.Sprintf("backendRef %s/%s %s: the demo stand-in only routes to AgentgatewayBackends", group, kind, name)
					resolved, resolvedReason, resolvedMsg = "False", "InvalidKind", base.backendErr
				case ns != r.GetNamespace():
					base.backendErr = fmt.Sprintf("backendRef %s/%s is in another namespace", ns, name)
					resolved, resolvedReason, resolvedMsg = "False", "RefNotPermitted", base.backendErr
				default:
					be := backends[kind+"/"+ns+"/"+name]
					routeBackends[kind+"/"+ns+"/"+name] = true
					if be == nil {
						base.backendErr = fmt.Sprintf("backend %s %s/%s not found", kind, ns, name)
						resolved, resolvedReason, resolvedMsg = "False", "BackendNotFound", base.backendErr
					} else {
						base.backend = be
					}
				}
			}
			matches, _, _ := unstructured.NestedSlice(rm, "matches")
			if len(matches) == 0 {
				matches = []any{map[string]any{}}
			}
			for _, m := range matches {
				mm, _ := m.(map[string]any)
				e := base
				e.pathType, _, _ = unstructured.NestedString(mm, "path", "type")
				e.path, _, _ = unstructured.NestedString(mm, "path", "value")
				if e.pathType == "" {
					e.pathType = "PathPrefix"
				}
				if e.path == "" {
					e.path = "/"
				}
				entries = append(entries, &e)
			}
		}
		s.writeRouteStatus(ctx, r, parents, resolved, resolvedReason, resolvedMsg)
	}

	// Policies: attach auth and rate limits; write ancestors' Accepted/Attached.
	type authPick struct {
		ns, name, key, source string
		prio                  int
	}
	authFor := map[string]authPick{} // route key or "kind/ns/name" of backend or "gateway"
	rateFor := map[string]*rateSpec{}
	rateKeyFor := map[string]string{}
	for _, gvr := range []schema.GroupVersionResource{GVRPolicy, GVREnterprisePolicy} {
		for _, p := range s.list(gvr) {
			targets, _, _ := unstructured.NestedSlice(p.Object, "spec", "targetRefs")
			var attached []string
			for _, t := range targets {
				tm, _ := t.(map[string]any)
				kind, _ := tm["kind"].(string)
				name, _ := tm["name"].(string)
				switch {
				case kind == "Gateway" && name == gwName && p.GetNamespace() == gwNS:
					attached = append(attached, "gateway")
				case kind == "HTTPRoute" && attachedRoutes[p.GetNamespace()+"/"+name]:
					attached = append(attached, p.GetNamespace()+"/"+name)
				case backendKinds[kind] != (schema.GroupVersionResource{}) && routeBackends[kind+"/"+p.GetNamespace()+"/"+name]:
					attached = append(attached, kind+"/"+p.GetNamespace()+"/"+name)
				}
			}
			if len(attached) == 0 {
				continue
			}
			accepted, reason, msg := "True", "Valid", "Policy accepted by the demo gateway stand-in"
			if sname, ok, _ := unstructured.NestedString(p.Object, "spec", "backend", "auth", "secretRef", "name"); ok && sname != "" {
				skey, _, _ := unstructured.NestedString(p.Object, "spec", "backend", "auth", "secretRef", "key")
				if skey == "" {
					skey = "Authorization"
				}
				if _, err := s.secretValue(p.GetNamespace(), sname, skey); err != nil {
					reason, msg = "PartiallyValid", "Policy is partially valid: backend.auth: "+err.Error()
				} else {
					for _, a := range attached {
						prio := 1
						if strings.Contains(a, "Backend/") {
							prio = 3
						} else if a != "gateway" {
							prio = 2
						}
						if cur, ok := authFor[a]; !ok || cur.prio < prio {
							authFor[a] = authPick{p.GetNamespace(), sname, skey, "policy " + p.GetNamespace() + "/" + p.GetName(), prio}
						}
					}
				}
			}
			var rs *rateSpec
			if local, ok, _ := unstructured.NestedSlice(p.Object, "spec", "traffic", "rateLimit", "local"); ok && len(local) > 0 {
				lm, _ := local[0].(map[string]any)
				rs = parseRate(lm)
			}
			// Enterprise global rate limit: the first descriptor of the first RateLimitConfig, applied locally here.
			if refs, ok, _ := unstructured.NestedSlice(p.Object, "spec", "traffic", "entRateLimit", "global", "rateLimitConfigRefs"); ok && rs == nil && len(refs) > 0 {
				rm, _ := refs[0].(map[string]any)
				name, _ := rm["name"].(string)
				ns, _ := rm["namespace"].(string)
				if ns == "" {
					ns = p.GetNamespace()
				}
				if rlc := s.get(GVRRateLimitConfig, ns, name); rlc != nil {
					descs, _, _ := unstructured.NestedSlice(rlc.Object, "spec", "raw", "descriptors")
					if len(descs) > 0 {
						dm, _ := descs[0].(map[string]any)
						n, _, _ := unstructured.NestedFieldNoCopy(dm, "rateLimit", "requestsPerUnit")
						unit, _, _ := unstructured.NestedString(dm, "rateLimit", "unit")
						per := map[string]string{"SECOND": "Seconds", "MINUTE": "Minutes", "HOUR": "Hours", "DAY": "Days"}[unit]
						if per == "Days" {
							rs = parseRate(map[string]any{"requests": toInt64(n), "unit": "Hours"})
							if rs != nil {
								rs.perSecond /= 24
							}
						} else {
							rs = parseRate(map[string]any{"requests": toInt64(n), "unit": per})
						}
					}
				}
			}
			{
				if rs != nil {
					for _, a := range attached {
						rateFor[a] = rs
						rateKeyFor[a] = fmt.Sprintf("%s/%s@%d", p.GetNamespace(), p.GetName(), p.GetGeneration())
					}
				}
			}
			s.writePolicyStatus(ctx, gvr, p, accepted, reason, msg)
		}
	}

	for _, e := range entries {
		var pick authPick
		found := false
		if e.backend != nil {
			for kind := range backendKinds {
				if a, ok := authFor[kind+"/"+e.backend.key]; ok {
					pick, found = a, true
				}
			}
		}
		if !found {
			if a, ok := authFor[e.key]; ok {
				pick, found = a, true
			} else if a, ok := authFor["gateway"]; ok {
				pick, found = a, true
			}
		}
		if found {
			e.authNS, e.authName, e.authKey, e.authSource = pick.ns, pick.name, pick.key, pick.source
		} else if e.backend != nil && e.backend.authName != "" {
			ns, _, _ := strings.Cut(e.backend.key, "/")
			e.authNS, e.authName, e.authKey, e.authSource = ns, e.backend.authName, e.backend.authKey, "backend "+e.backend.key+" policies.auth"
			if e.authKey == "" {
				e.authKey = "Authorization"
			}
		}
		if rs, ok := rateFor[e.key]; ok {
			e.rate, e.rateKey = rs, e.key+"#"+rateKeyFor[e.key]
		} else if rs, ok := rateFor["gateway"]; ok {
			e.rate, e.rateKey = rs, "gateway#"+rateKeyFor["gateway"]
		}
	}
	// Longest path first; Exact before PathPrefix of the same length.
	sort.SliceStable(entries, func(i, j int) bool {
		if len(entries[i].path) != len(entries[j].path) {
			return len(entries[i].path) > len(entries[j].path)
		}
		return entries[i].pathType == "Exact" && entries[j].pathType != "Exact"
	})
	s.mu.Lock()
	s.table = &table{routes: entries}
	s.mu.Unlock()
}

func parseRate(m map[string]any) *rateSpec {
	n := toInt64(m["requests"])
	if n <= 0 {
		return nil
	}
	unit, _ := m["unit"].(string)
	per := map[string]float64{"Seconds": 1, "Minutes": 60, "Hours": 3600}[unit]
	if per == 0 {
		per = 1
	}
	burst := toInt64(m["burst"])
	if burst <= 0 {
		burst = n
	}
	return &rateSpec{perSecond: float64(n) / per, burst: float64(burst)}
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

// attachedParents returns the route's parentRefs that point at the Gateway.
func attachedParents(r *unstructured.Unstructured, gwNS, gwName string) []map[string]any {
	var out []map[string]any
	parents, _, _ := unstructured.NestedSlice(r.Object, "spec", "parentRefs")
	for _, p := range parents {
		m, _ := p.(map[string]any)
		name, _ := m["name"].(string)
		ns, _ := m["namespace"].(string)
		kind, _ := m["kind"].(string)
		if ns == "" {
			ns = r.GetNamespace()
		}
		if name == gwName && ns == gwNS && (kind == "" || kind == "Gateway") {
			out = append(out, m)
		}
	}
	return out
}

// condition builds a metav1.Condition-shaped map, keeping lastTransitionTime when the status did not change.
func condition(obj *unstructured.Unstructured, typ, status, reason, msg string, existing ...[]any) map[string]any {
	now := time.Now().UTC().Format(time.RFC3339)
	var old []any
	if len(existing) > 0 {
		old = existing[0]
	} else {
		old, _, _ = unstructured.NestedSlice(obj.Object, "status", "conditions")
	}
	for _, c := range old {
		cm, _ := c.(map[string]any)
		if cm["type"] == typ && cm["status"] == status {
			if t, ok := cm["lastTransitionTime"].(string); ok {
				now = t
			}
		}
	}
	return map[string]any{
		"type": typ, "status": status, "reason": reason, "message": msg,
		"observedGeneration": obj.GetGeneration(), "lastTransitionTime": now,
	}
}

func (s *StandIn) writeConditions(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured, conds []any) {
	old, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	if reflect.DeepEqual(normalize(old), normalize(conds)) {
		return
	}
	cp := obj.DeepCopy()
	_ = unstructured.SetNestedSlice(cp.Object, conds, "status", "conditions")
	s.updateStatus(ctx, gvr, cp)
}

func (s *StandIn) writeGatewayStatus(ctx context.Context, gw *unstructured.Unstructured) {
	cp := gw.DeepCopy()
	old, _, _ := unstructured.NestedSlice(gw.Object, "status", "conditions")
	conds := []any{
		condition(gw, "Accepted", "True", "Accepted", "Gateway accepted by the demo gateway stand-in"),
		condition(gw, "Programmed", "True", "Programmed", "Served by the demo gateway stand-in on "+s.Addr()),
	}
	host, _, _ := strings.Cut(s.Addr(), ":")
	addrs := []any{map[string]any{"type": "IPAddress", "value": host}}
	oldAddrs, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
	if reflect.DeepEqual(normalize(old), normalize(conds)) && reflect.DeepEqual(oldAddrs, addrs) {
		return
	}
	_ = unstructured.SetNestedSlice(cp.Object, conds, "status", "conditions")
	_ = unstructured.SetNestedSlice(cp.Object, addrs, "status", "addresses")
	s.updateStatus(ctx, GVRGateway, cp)
}

func (s *StandIn) writeRouteStatus(ctx context.Context, r *unstructured.Unstructured, parents []map[string]any, resolved, reason, msg string) {
	old, _, _ := unstructured.NestedSlice(r.Object, "status", "parents")
	var keep []any
	oldOurs := map[string][]any{}
	for _, p := range old {
		pm, _ := p.(map[string]any)
		if pm["controllerName"] == ControllerName {
			ref, _ := pm["parentRef"].(map[string]any)
			c, _ := pm["conditions"].([]any)
			oldOurs[fmt.Sprint(ref["namespace"], "/", ref["name"], "/", ref["sectionName"])] = c
			continue
		}
		keep = append(keep, p)
	}
	for _, pr := range parents {
		ref := map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": pr["name"], "namespace": s.o.GatewayNamespace}
		if sn, ok := pr["sectionName"]; ok {
			ref["sectionName"] = sn
		}
		prev := oldOurs[fmt.Sprint(ref["namespace"], "/", ref["name"], "/", ref["sectionName"])]
		keep = append(keep, map[string]any{
			"parentRef":      ref,
			"controllerName": ControllerName,
			"conditions": []any{
				condition(r, "Accepted", "True", "Accepted", "Route accepted by the demo gateway stand-in", prev),
				condition(r, "ResolvedRefs", resolved, reason, msg, prev),
			},
		})
	}
	if reflect.DeepEqual(normalize(old), normalize(keep)) {
		return
	}
	cp := r.DeepCopy()
	_ = unstructured.SetNestedSlice(cp.Object, keep, "status", "parents")
	s.updateStatus(ctx, GVRHTTPRoute, cp)
}

func (s *StandIn) writePolicyStatus(ctx context.Context, gvr schema.GroupVersionResource, p *unstructured.Unstructured, accepted, reason, msg string) {
	old, _, _ := unstructured.NestedSlice(p.Object, "status", "ancestors")
	var keep []any
	var prev []any
	for _, a := range old {
		am, _ := a.(map[string]any)
		if am["controllerName"] == ControllerName {
			prev, _ = am["conditions"].([]any)
			continue
		}
		keep = append(keep, a)
	}
	keep = append(keep, map[string]any{
		"ancestorRef":    map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": s.o.GatewayName, "namespace": s.o.GatewayNamespace},
		"controllerName": ControllerName,
		"conditions": []any{
			condition(p, "Accepted", accepted, reason, msg, prev),
			condition(p, "Attached", "True", "Attached", "Attached to the Gateway's routes by the demo gateway stand-in", prev),
		},
	})
	if reflect.DeepEqual(normalize(old), normalize(keep)) {
		return
	}
	cp := p.DeepCopy()
	_ = unstructured.SetNestedSlice(cp.Object, keep, "status", "ancestors")
	s.updateStatus(ctx, gvr, cp)
}

func (s *StandIn) updateStatus(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) {
	ri := s.dyn.Resource(gvr).Namespace(obj.GetNamespace())
	_, err := ri.UpdateStatus(ctx, obj, metav1.UpdateOptions{FieldManager: "agentgateway-demo-standin"})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		s.o.Logger.Warn("writing status", "resource", gvr.Resource, "object", obj.GetNamespace()+"/"+obj.GetName(), "err", err)
	}
}

// normalize drops fields that must not cause a rewrite by themselves (the JSON number types differ between the
// informer's objects and ours).
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, vv := range x {
			out[k] = normalize(vv)
		}
		return out
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return v
}
