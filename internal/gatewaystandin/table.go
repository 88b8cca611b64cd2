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
	authMode                  string // authSecret, authPassthrough, authExchange ("" = none)
	exchange                  *exchangeSpec

	jwt *jwtSpec // the caller's token check (nil = none)

	rate    *rateSpec
	rateKey string
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

// rebuild recomputes the table. It writes the statuses of the Enterprise kinds only, in the words of the real
// open-source controller (docs/agentgateway-controller.md): the real controller writes those of the open-source
// kinds and does not know the Enterprise ones.
func (s *StandIn) rebuild(ctx context.Context) {
	gwNS, gwName := s.o.GatewayNamespace, s.o.GatewayName

	// Backends: the controller accepts every one, even a malformed ARN (the proxy fails later).
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
			if gvr == GVREnterpriseBackend {
				old, _, _ := unstructured.NestedSlice(b.Object, "status", "conditions")
				s.writeConditions(ctx, gvr, b, mergeConditions(old, b.GetGeneration(), cond{"Accepted", "True", "Accepted", "Backend successfully accepted"}))
			}
		}
	}

	// Routes attached to the Gateway.
	var entries []*routeEntry
	attachedRoutes := map[string]bool{}
	routeBackends := map[string]bool{} // kind/ns/name referenced by an attached route
	for _, r := range s.list(GVRHTTPRoute) {
		if len(attachedParents(r, gwNS, gwName)) == 0 {
			continue
		}
		key := r.GetNamespace() + "/" + r.GetName()
		attachedRoutes[key] = true
		hostnames, _, _ := unstructured.NestedStringSlice(r.Object, "spec", "hostnames")
		rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
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
				case ns != r.GetNamespace():
					base.backendErr = fmt.Sprintf("backendRef %s/%s is in another namespace", ns, name)
				default:
					be := backends[kind+"/"+ns+"/"+name]
					routeBackends[kind+"/"+ns+"/"+name] = true
					if be == nil {
						base.backendErr = fmt.Sprintf("backend %s %s/%s not found", kind, ns, name)
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
	}

	// Policies: attach auth and rate limits; write the Enterprise policies' ancestors.
	type authPick struct {
		ns, name, key, source string
		prio                  int
		mode                  string
		exchange              *exchangeSpec
	}
	authFor := map[string]authPick{} // route key or "kind/ns/name" of backend or "gateway"
	jwtFor := map[string]*jwtSpec{}  // route key or "gateway" (a route's wins)
	prioOf := func(a string) int {
		switch {
		case strings.Contains(a, "Backend/"):
			return 3
		case a != "gateway":
			return 2
		}
		return 1
	}
	rateFor := map[string]*rateSpec{}
	rateKeyFor := map[string]string{}
	for _, gvr := range []schema.GroupVersionResource{GVRPolicy, GVREnterprisePolicy} {
		for _, p := range s.list(gvr) {
			targets, _, _ := unstructured.NestedSlice(p.Object, "spec", "targetRefs")
			var attached, missing []string
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
				case kind == "HTTPRoute" && s.get(GVRHTTPRoute, p.GetNamespace(), name) == nil:
					missing = append(missing, fmt.Sprintf("Policy is not attached: %s %s/%s not found", kind, p.GetNamespace(), name))
				}
			}
			if len(attached) == 0 && len(missing) == 0 {
				continue
			}
			var secretErr error
			source := "policy " + p.GetNamespace() + "/" + p.GetName()
			pick := func(ap authPick) {
				for _, a := range attached {
					ap.prio = prioOf(a)
					if cur, ok := authFor[a]; !ok || cur.prio < ap.prio {
						authFor[a] = ap
					}
				}
			}
			if sname, ok, _ := unstructured.NestedString(p.Object, "spec", "backend", "auth", "secretRef", "name"); ok && sname != "" {
				skey, _, _ := unstructured.NestedString(p.Object, "spec", "backend", "auth", "secretRef", "key")
				if skey == "" {
					skey = "Authorization"
				}
				if _, secretErr = s.secretValue(p.GetNamespace(), sname, skey); secretErr == nil {
					pick(authPick{ns: p.GetNamespace(), name: sname, key: skey, source: source, mode: authSecret})
				}
			}
			if _, ok, _ := unstructured.NestedMap(p.Object, "spec", "backend", "auth", "passthrough"); ok {
				pick(authPick{source: source, mode: authPassthrough})
			}
			if ex := s.parseExchange(p); ex != nil {
				pick(authPick{source: source, mode: authExchange, exchange: ex})
			}
			if js := s.parseJWT(p); js != nil {
				for _, a := range attached {
					if !strings.Contains(a, "Backend/") {
						jwtFor[a] = js
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
			if rs != nil {
				for _, a := range attached {
					rateFor[a] = rs
					rateKeyFor[a] = fmt.Sprintf("%s/%s@%d", p.GetNamespace(), p.GetName(), p.GetGeneration())
				}
			}
			if gvr == GVREnterprisePolicy {
				s.writePolicyAncestors(ctx, gvr, p, len(attached) > 0, secretErr, missing)
			}
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
			e.authNS, e.authName, e.authKey, e.authSource, e.authMode, e.exchange = pick.ns, pick.name, pick.key, pick.source, pick.mode, pick.exchange
		} else if e.backend != nil && e.backend.authName != "" {
			ns, _, _ := strings.Cut(e.backend.key, "/")
			e.authNS, e.authName, e.authKey, e.authSource, e.authMode = ns, e.backend.authName, e.backend.authKey, "backend "+e.backend.key+" policies.auth", authSecret
			if e.authKey == "" {
				e.authKey = "Authorization"
			}
		}
		if js, ok := jwtFor[e.key]; ok {
			e.jwt = js
		} else if js, ok := jwtFor["gateway"]; ok {
			e.jwt = js
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

// cond is one condition to set (metav1.Condition's type, status, reason, message).
type cond struct{ typ, status, reason, msg string }

// mergeConditions sets each of conds in old (a status' conditions) as the controller's
// kstatus.UpdateConditionIfChanged does: a condition of the same type is replaced (its lastTransitionTime kept
// while its status does not change), other types stay as they were (so an Attached=True left from before
// stays while the policy is PartiallyValid, as the controller leaves it), new types are appended.
func mergeConditions(old []any, generation int64, conds ...cond) []any {
	now := time.Now().UTC().Format(time.RFC3339)
	out := make([]any, 0, len(old)+len(conds))
	for _, o := range old {
		out = append(out, o)
	}
	for _, c := range conds {
		m := map[string]any{"type": c.typ, "status": c.status, "reason": c.reason, "message": c.msg,
			"observedGeneration": generation, "lastTransitionTime": now}
		replaced := false
		for i, o := range out {
			om, _ := o.(map[string]any)
			if om["type"] != c.typ {
				continue
			}
			if t, ok := om["lastTransitionTime"].(string); ok && om["status"] == c.status {
				m["lastTransitionTime"] = t
			}
			out[i], replaced = m, true
		}
		if !replaced {
			out = append(out, m)
		}
	}
	return out
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

// writePolicyAncestors writes an Enterprise policy's ancestors as the open-source controller writes its own
// policy's: for the Gateway (when a target is attached to it) Accepted Valid "Policy accepted" + Attached
// "Attached to all targets", or Accepted PartiallyValid with the Secret's error and no new Attached; for targets
// that do not exist, the summary ancestor {agentgateway.dev, StatusSummary} with Attached False Pending.
func (s *StandIn) writePolicyAncestors(ctx context.Context, gvr schema.GroupVersionResource, p *unstructured.Unstructured, attached bool, secretErr error, missing []string) {
	old, _, _ := unstructured.NestedSlice(p.Object, "status", "ancestors")
	var keep []any
	prev := map[string][]any{} // ancestor name → its conditions (ours)
	for _, a := range old {
		am, _ := a.(map[string]any)
		if am["controllerName"] != ControllerName {
			keep = append(keep, a)
			continue
		}
		ref, _ := am["ancestorRef"].(map[string]any)
		prev[fmt.Sprint(ref["name"])], _ = am["conditions"].([]any)
	}
	base := []cond{{"Accepted", "True", "Valid", "Policy accepted"}, {"Attached", "True", "Attached", "Attached to all targets"}}
	if secretErr != nil {
		base = []cond{{"Accepted", "True", "PartiallyValid", secretErr.Error()}}
	}
	if attached {
		keep = append(keep, map[string]any{
			"ancestorRef":    map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": s.o.GatewayName, "namespace": s.o.GatewayNamespace},
			"controllerName": ControllerName,
			"conditions":     mergeConditions(prev[s.o.GatewayName], p.GetGeneration(), base...),
		})
	}
	if len(missing) > 0 {
		keep = append(keep, map[string]any{
			"ancestorRef":    map[string]any{"group": "agentgateway.dev", "kind": "Gateway", "name": "StatusSummary"}, // kind: the CRD's default
			"controllerName": ControllerName,
			"conditions":     mergeConditions(prev["StatusSummary"], p.GetGeneration(), base[0], cond{"Attached", "False", "Pending", strings.Join(missing, "\n")}),
		})
	}
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
