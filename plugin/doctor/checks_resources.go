package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Resource check ids.
const (
	IDResourcesSetup      = "resources.setup"
	IDResourcesGateway    = "resources.gateway"
	IDResourcesRoute      = "resources.route"
	IDResourcesPrecedence = "resources.route-precedence"
	IDResourcesBackend    = "resources.backend"
	IDResourcesPolicy     = "resources.policy"
	IDResourcesGeneration = "resources.observed-generation"
	IDResourcesRewrite    = "resources.rewrite"
)

func (d *Doctor) resourceChecks() []Check {
	st := d.st
	after := []string{IDResourcesSetup}
	withTarget := func(f func(t *target) Outcome) func(ctx context.Context) Outcome {
		return func(ctx context.Context) Outcome {
			t, err := st.target.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			return f(t)
		}
	}
	return []Check{
		{ID: IDResourcesSetup, Category: CatResources, Title: "setup found", Deps: []string{IDClusterPermissions, IDClusterKinds},
			Run: func(ctx context.Context) Outcome {
				t, err := st.target.get(ctx)
				if err != nil {
					hint := "doctor checks one setup: the one the wizard recorded, or the objects named by flags."
					return fail(err.Error(), hint, "")
				}
				arn := t.arn
				switch {
				case d.gatewayTarget():
					arn = "AgentCore Gateway " + d.opts.AgentCoreGateway
				case arn == "":
					arn = "no runtime ARN"
				}
				return pass("route %s → %s, %s mode (from %s)", t.routeRef, arn, t.mode, t.source)
			}},
		{ID: IDResourcesGateway, Category: CatResources, Title: "Gateway Programmed", Deps: after, Run: withTarget(checkGateway)},
		{ID: IDResourcesRoute, Category: CatResources, Title: "route Accepted, ResolvedRefs", Deps: after, Run: withTarget(checkRoute)},
		{ID: IDResourcesPrecedence, Category: CatResources, Title: "no other route on its path", Deps: []string{IDResourcesSetup, IDResourcesGateway},
			Run: func(ctx context.Context) Outcome {
				t, err := st.target.get(ctx)
				if err != nil {
					return fail(err.Error(), "", "")
				}
				if t.routes == nil {
					return fail(fmt.Sprintf("Gateway %s not read", t.gatewayRef), "", "")
				}
				r, err := t.routes.get(ctx)
				if err != nil {
					return fail(err.Error(), "", "")
				}
				return checkPrecedence(t, r)
			}},
		{ID: IDResourcesBackend, Category: CatResources, Title: "backend Accepted", Deps: after, Run: withTarget(checkBackend)},
		{ID: IDResourcesPolicy, Category: CatResources, Title: "policy Accepted, Attached", Deps: after, Run: withTarget(checkPolicy)},
		{ID: IDResourcesGeneration, Category: CatResources, Title: "statuses current", Deps: after, Run: withTarget(checkGenerations)},
		{ID: IDResourcesRewrite, Category: CatResources, Title: "path to the runtime", Deps: after, Run: func(ctx context.Context) Outcome {
			t, err := st.target.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			if d.gatewayTarget() {
				u, err := st.mcpURL(ctx)
				if err != nil {
					return fail(err.Error(), "", "")
				}
				return checkMCPRewrite(t, u)
			}
			return checkRewrite(t)
		}},
	}
}

func checkGateway(t *target) Outcome {
	if t.gatewayRef.IsZero() {
		return fail(fmt.Sprintf("HTTPRoute %s has no Gateway parentRef", t.routeRef), "Add spec.parentRefs naming the Agent Gateway Gateway, or pass --gateway NS/NAME.", "")
	}
	if t.gatewayErr != nil {
		if apierrors.IsNotFound(t.gatewayErr) {
			return fail(fmt.Sprintf("Gateway %s not found", t.gatewayRef),
				"The route attaches to a Gateway that does not exist. List them with kubectl get gateways -A and fix the route's parentRefs (or --gateway).",
				"kubectl get gateways -A")
		}
		return fail(k8sres.Explain("reading Gateway "+t.gatewayRef.String(), t.gatewayErr).Error(), "", "")
	}
	c, ok := k8sres.FindCondition(k8sres.ObjectConditions(t.gateway), "Programmed")
	switch {
	case !ok:
		return warn(fmt.Sprintf("Gateway %s has no Programmed condition yet", t.gatewayRef),
			"No controller has reported on this Gateway: is the Agent Gateway controller running, and is its GatewayClass an Agent Gateway class?", "")
	case !c.True():
		return fail(fmt.Sprintf("Gateway %s: %s", t.gatewayRef, c), "The gateway has no working proxy: check the controller's logs and the proxy Deployment/Service.",
			fmt.Sprintf("kubectl describe gateway -n %s %s", t.gatewayRef.Namespace, t.gatewayRef.Name))
	}
	return pass("Gateway %s Programmed, %s", t.gatewayRef, gatewayWhere(t.gatewayInfo))
}

// gatewayWhere says where the Gateway can be reached. The Agent Gateway controller publishes no status.addresses
// while its LoadBalancer Service has no external address (a cluster without a load balancer): then the Service's
// cluster IP is reachable only in the cluster, and kubectl port-forward reaches it from here.
func gatewayWhere(g k8sres.GatewayInfo) string {
	switch {
	case len(g.Addresses) > 0:
		return "at " + g.Endpoint()
	case len(g.ServiceAddresses) > 0 && !g.ClusterIPOnly:
		return fmt.Sprintf("at %s (no address in its status; its Service %s has that load-balancer address)", g.Endpoint(), g.Service)
	case len(g.ServiceAddresses) > 0:
		return fmt.Sprintf("no address in its status (its %s Service %s has no external address): in the cluster at %s; from here: %s", g.ServiceType, g.Service, g.Endpoint(), g.PortForward())
	}
	return "no address in its status and no Service found: pass --gateway-url to calls from here"
}

var routeReasonHints = map[string]string{
	"BackendNotFound":            "The route's backendRef names a backend that does not exist (check its name, namespace and kind).",
	"InvalidKind":                "The backendRef's group/kind is not one the controller knows: use group agentgateway.dev, kind AgentgatewayBackend.",
	"RefNotPermitted":            "The backend is in another namespace: add a ReferenceGrant there, or move the backend next to the route.",
	"NoMatchingParent":           "The parentRef's sectionName/port matches no listener of the Gateway.",
	"NotAllowedByListeners":      "The Gateway's listeners do not allow routes from this namespace (listeners[].allowedRoutes.namespaces).",
	"NoMatchingListenerHostname": "The route's hostnames match no listener hostname of the Gateway.",
}

func checkRoute(t *target) Outcome {
	parents := k8sres.RouteParents(t.route)
	ref := t.routeRef.String()
	if len(parents) == 0 {
		return fail(fmt.Sprintf("HTTPRoute %s has no status from any controller", ref),
			"No Agent Gateway controller has accepted the route: check that its parentRefs name an Agent Gateway Gateway and that the controller runs.",
			fmt.Sprintf("kubectl describe httproute -n %s %s", t.routeRef.Namespace, t.routeRef.Name))
	}
	var bad, good, hints []string
	for _, p := range parents {
		for _, typ := range []string{"Accepted", "ResolvedRefs"} {
			c, ok := p.Condition(typ)
			switch {
			case !ok:
				bad = append(bad, fmt.Sprintf("%s: no %s condition", p.Ref, typ))
			case !c.True():
				bad = append(bad, fmt.Sprintf("%s: %s", p.Ref, c))
				if h := routeReasonHints[c.Reason]; h != "" {
					hints = append(hints, h)
				}
			}
		}
		good = append(good, p.Ref)
	}
	if len(bad) > 0 {
		hint := strings.Join(uniq(hints), " ")
		if hint == "" {
			hint = "The controller rejected the route for this parent; its message says why."
		}
		return fail("HTTPRoute "+ref+": "+strings.Join(bad, "; "), hint,
			fmt.Sprintf("kubectl describe httproute -n %s %s", t.routeRef.Namespace, t.routeRef.Name))
	}
	return pass("HTTPRoute %s Accepted, ResolvedRefs by %s", ref, strings.Join(good, ", "))
}

func checkBackend(t *target) Outcome {
	if len(t.backendRefs) == 0 {
		return fail(fmt.Sprintf("HTTPRoute %s sends to no Agent Gateway backend", t.routeRef),
			"Its backendRefs must name an AgentgatewayBackend (group agentgateway.dev): that is what reaches AgentCore.", "")
	}
	var bad, good []string
	for _, e := range t.backendErrs {
		bad = append(bad, e)
	}
	for _, b := range t.backends {
		c, ok := k8sres.FindCondition(k8sres.ObjectConditions(b), "Accepted")
		switch {
		case !ok:
			bad = append(bad, objRef(b)+" has no Accepted condition yet (is the controller running?)")
		case !c.True():
			bad = append(bad, objRef(b)+": "+c.String())
		default:
			good = append(good, objRef(b))
		}
	}
	if len(bad) > 0 {
		return fail(strings.Join(bad, "; "), "A backend that is not Accepted is not programmed into the proxy: fix what the message names (an AgentCore backend needs a valid ARN; a static one host and port).", "")
	}
	return pass("%s Accepted", strings.Join(good, ", "))
}

func checkPolicy(t *target) Outcome {
	var authFromBackend bool
	for _, b := range t.backends {
		if _, _, ok := secretRefAt(b, "spec", "policies", "auth", "secretRef"); ok {
			authFromBackend = true
		}
	}
	if t.policyErr != nil {
		return fail(t.policyErr.Error(), "", "")
	}
	if len(t.policies) == 0 {
		switch {
		case t.mode == modeSigV4:
			return pass("no policy (sigv4 mode: the proxy signs with its AWS credentials)")
		case authFromBackend:
			return pass("no policy targets the route; the backend's own policies.auth sends the token")
		}
		detail := fmt.Sprintf("no AgentgatewayPolicy targets HTTPRoute %s or its backend", t.routeRef)
		if pend := pendingPolicies(t); len(pend) > 0 {
			detail += "; not attached: " + strings.Join(pend, "; ")
			return fail(detail, "A policy here targets something that does not exist (a misspelt route name?): point its spec.targetRefs at HTTPRoute "+t.routeRef.Name+".", "kubectl agentcore wizard")
		}
		return fail(detail,
			"Without a policy with backend.auth.secretRef the gateway sends no token and AgentCore answers 401; rewrite mode also needs backend.tls.",
			"kubectl agentcore wizard")
	}
	var bad, good, hints []string
	for _, p := range t.policies {
		anc := k8sres.PolicyAncestors(p)
		if len(anc) == 0 {
			bad = append(bad, objRef(p)+" has no status from any controller")
			continue
		}
		for _, a := range anc {
			acc, okA := a.Condition("Accepted")
			att, okT := a.Condition("Attached")
			switch {
			case a.Summary && okT && !att.True():
				// The controller's summary ancestor: a target it could not attach to (e.g. a missing route).
				bad = append(bad, fmt.Sprintf("%s is not attached to every target: %s", objRef(p), att.Text()))
				hints = append(hints, "A targetRef names an object the controller cannot find: fix spec.targetRefs (kind, name, same namespace as the policy) or create the target.")
			case a.Summary:
				// a summary without a failed Attached says nothing about this setup
			case !okA:
				bad = append(bad, fmt.Sprintf("%s (%s): no Accepted condition", objRef(p), a.Ref))
			case acc.Reason == "PartiallyValid":
				bad = append(bad, fmt.Sprintf("%s is PartiallyValid: %s", objRef(p), acc.Text()))
				hints = append(hints, partiallyValidHint(acc.Message, okT && att.True()))
			case !acc.True():
				bad = append(bad, fmt.Sprintf("%s (%s): %s", objRef(p), a.Ref, acc))
			case okT && !att.True():
				bad = append(bad, fmt.Sprintf("%s (%s): %s", objRef(p), a.Ref, att))
				hints = append(hints, "The policy is valid but attached to nothing: its targetRefs must name the route, backend or Gateway in the policy's namespace.")
			default:
				good = append(good, objRef(p))
			}
		}
	}
	if len(bad) > 0 {
		hint := strings.Join(uniq(hints), " ")
		if hint == "" {
			hint = "The controller rejected (part of) the policy; its message says why."
		}
		p := t.policies[0]
		return fail(strings.Join(bad, "; "), hint, fmt.Sprintf("kubectl describe %s -n %s %s", strings.ToLower(p.GetKind()), p.GetNamespace(), p.GetName()))
	}
	return pass("%s Accepted, Attached", strings.Join(uniq(good), ", "))
}

// partiallyValidHint explains the Agent Gateway controller's PartiallyValid messages for backend.auth:
// "secret <ns>/<name> not found" and "secret <ns>/<name> missing Authorization value". staleAttached: an
// Attached=True left from when the policy was valid (the controller does not clear it).
func partiallyValidHint(msg string, staleAttached bool) string {
	var h string
	switch {
	case strings.Contains(msg, "not found") && strings.Contains(msg, "secret"):
		h = "The Secret backend.auth.secretRef names does not exist, so the gateway sends no token and AgentCore answers 401: create it with `Authorization: Bearer <jwt>` (kubectl agentcore rotate writes it)."
	case strings.Contains(msg, "missing Authorization value"):
		h = "The Secret exists but has no Authorization key (the key is case-sensitive), so the gateway sends no token and AgentCore answers 401: write the token under Authorization (kubectl agentcore rotate)."
	default:
		h = "Part of the policy was dropped. A missing Secret or key makes backend.auth PartiallyValid: the gateway then sends no token and AgentCore answers 401."
	}
	if staleAttached {
		h += " Its Attached=True is left over from when the policy was valid: trust the Secret checks, not that condition."
	}
	return h
}

// pendingPolicies describes the namespace's policies whose summary ancestor says a target is not attached
// (e.g. "Policy is not attached: HTTPRoute ns/name not found").
func pendingPolicies(t *target) []string {
	var out []string
	for _, p := range t.nsPolicies {
		for _, a := range k8sres.PolicyAncestors(p) {
			if att, ok := a.Condition("Attached"); a.Summary && ok && !att.True() {
				out = append(out, fmt.Sprintf("%s: %s", objRef(p), att.Text()))
			}
		}
	}
	return out
}

func checkGenerations(t *target) Outcome {
	var stale []string
	for _, o := range t.objects() {
		if s := k8sres.StaleConditions(o); len(s) > 0 {
			stale = append(stale, fmt.Sprintf("%s generation %d: %s", objRef(o), o.GetGeneration(), strings.Join(s, ", ")))
		}
	}
	if len(stale) > 0 {
		return warn(strings.Join(stale, "; "),
			"The controller has not processed the latest spec, so the statuses above may describe the previous version. Wait a few seconds and re-run; if it stays, check the controller's logs.", "")
	}
	return pass("%d objects, every status is for the current generation", len(t.objects()))
}

func checkRewrite(t *target) Outcome {
	arn, err := t.parsedARN()
	if err != nil {
		return fail(err.Error(), "The controller accepts a malformed ARN; the proxy rejects it later. Use the runtime's ARN exactly as AWS prints it.", "")
	}
	if t.mode == modeNative || t.mode == modeSigV4 {
		for _, b := range t.backends {
			a, ok, _ := unstructured.NestedString(b.Object, "spec", "aws", "agentCore", "agentRuntimeArn")
			if !ok {
				continue
			}
			if a != arn.String() {
				return fail(fmt.Sprintf("%s targets runtime %s, not %s (from %s)", objRef(b), a, arn, t.arnSource),
					"The native aws.agentCore backend calls the runtime named in spec.aws.agentCore.agentRuntimeArn.",
					fmt.Sprintf(`kubectl patch %s -n %s %s --type=merge -p '{"spec":{"aws":{"agentCore":{"agentRuntimeArn":"%s"}}}}'`,
						strings.ToLower(b.GetKind()), b.GetNamespace(), b.GetName(), arn))
			}
			if _, err := awsops.ParseRuntimeARN(a); err != nil {
				return fail(err.Error(), "", "")
			}
			return pass("native aws.agentCore backend %s calls %s", k8sres.Ref(b.GetNamespace(), b.GetName()), arn)
		}
		return fail("no aws.agentCore backend found for the native setup", "", "")
	}
	// rewrite mode: URLRewrite with hostname and ReplaceFullPath /runtimes/<encoded ARN>/invocations.
	wantPath, wantHost := arn.InvocationPath(), arn.DataPlaneHost()
	rules := k8sres.SliceAt(t.route.Object, "spec", "rules")
	var problems []string
	fix := ""
	found := false
	for ri, r := range rules {
		rm, _ := r.(map[string]any)
		fs, _ := rm["filters"].([]any)
		for fi, f := range fs {
			fm, _ := f.(map[string]any)
			if fm["type"] != "URLRewrite" {
				continue
			}
			found = true
			host, _, _ := unstructured.NestedString(fm, "urlRewrite", "hostname")
			ptype, _, _ := unstructured.NestedString(fm, "urlRewrite", "path", "type")
			path, _, _ := unstructured.NestedString(fm, "urlRewrite", "path", "replaceFullPath")
			patch := func(p, v string) string {
				b, _ := json.Marshal([]map[string]any{{"op": "replace", "path": fmt.Sprintf("/spec/rules/%d/filters/%d/urlRewrite/%s", ri, fi, p), "value": v}})
				return fmt.Sprintf("kubectl patch httproute -n %s %s --type=json -p '%s'", t.routeRef.Namespace, t.routeRef.Name, b)
			}
			switch {
			case ptype != "ReplaceFullPath":
				problems = append(problems, fmt.Sprintf("rule %d rewrites the path with %q, not ReplaceFullPath %s", ri, ptype, wantPath))
			case path != wantPath:
				if other, ok := arnFromPath(path); ok && other != arn.String() {
					problems = append(problems, fmt.Sprintf("rule %d rewrites to runtime %s, not %s (from %s)", ri, other, arn, t.arnSource))
				} else if ok {
					problems = append(problems, fmt.Sprintf("rule %d rewrites to %q: the ARN must be fully URL-encoded (%s)", ri, path, wantPath))
				} else {
					problems = append(problems, fmt.Sprintf("rule %d rewrites to %q, not %s (AgentCore answers 403 Missing Authentication Token to other paths)", ri, path, wantPath))
				}
				if fix == "" {
					fix = patch("path/replaceFullPath", wantPath)
				}
			}
			if host != wantHost {
				h := host
				if h == "" {
					h = "(unchanged)"
				}
				problems = append(problems, fmt.Sprintf("rule %d rewrites the hostname to %s, but the runtime is in %s (%s)", ri, h, arn.Region, wantHost))
				if fix == "" {
					fix = patch("hostname", wantHost)
				}
			}
		}
	}
	for _, b := range t.backends {
		if h, ok, _ := unstructured.NestedString(b.Object, "spec", "static", "host"); ok && h != wantHost {
			problems = append(problems, fmt.Sprintf("%s sends to %s, not %s (the runtime's region %s)", objRef(b), h, wantHost, arn.Region))
			if fix == "" {
				fix = fmt.Sprintf(`kubectl patch %s -n %s %s --type=merge -p '{"spec":{"static":{"host":"%s"}}}'`, strings.ToLower(b.GetKind()), b.GetNamespace(), b.GetName(), wantHost)
			}
		}
	}
	if !found {
		return fail(fmt.Sprintf("HTTPRoute %s has no URLRewrite filter", t.routeRef),
			"In rewrite mode the route must rewrite the hostname to "+wantHost+" and the path to "+wantPath+"; otherwise AgentCore answers 403 Missing Authentication Token.",
			"kubectl agentcore wizard --runtime-arn "+arn.String())
	}
	if len(problems) > 0 {
		return fail(strings.Join(problems, "; "), "The route must send every request to "+wantHost+wantPath+".", fix)
	}
	return pass("rewrites to %s%s", wantHost, wantPath)
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// gatewayRoutes are the HTTPRoutes that may attach to the setup's Gateway, parsed for precedence, and what was left
// out of them (k8sres.GatewayRoutes).
type gatewayRoutes struct {
	routes []*unstructured.Unstructured
	set    *k8sres.RouteSet
	note   string
}

// readGatewayRoutes lists the HTTPRoutes that may attach to Gateway gw (from doctor --all's shared LISTs when
// there are), once, and parses them: once per Gateway for all of doctor --all's setups.
func (st *state) readGatewayRoutes(gw k8sres.GatewayInfo, routeNS string) *lazy[gatewayRoutes] {
	return newLazy(func(ctx context.Context) (gatewayRoutes, error) {
		var read []string // the namespaces whose routes these are
		routes, note, err := k8sres.GatewayRoutes(ctx, gw, routeNS, func(ctx context.Context, ns string) ([]*unstructured.Unstructured, error) {
			l, err := st.listObjects(ctx, k8sres.GVRHTTPRoute, ns)
			if err == nil {
				read = append(read, ns)
			}
			return l, err
		})
		if err != nil {
			return gatewayRoutes{}, err
		}
		parse := func(context.Context) (*k8sres.RouteSet, error) { return k8sres.NewRouteSet(gw.Ref(), routes), nil }
		var set *k8sres.RouteSet
		if f := st.d.deps.fleet; f != nil {
			// A setup that may not list every namespace's routes lists its own namespace's as well: keyed by the
			// namespaces listed, it does not share the set of a setup in another namespace.
			set, err = f.routeSets.get(ctx, routeSetKey{gw.Ref(), strings.Join(read, ",")}, parse)
		} else {
			set, err = parse(ctx)
		}
		return gatewayRoutes{routes, set, note}, err
	})
}

// checkPrecedence: no other route the Gateway accepted takes the requests the setup's route was written for
// (Gateway API precedence: hostname, path, method, headers, query, then the older route). Two setups with the
// same path prefix on one Gateway are both Accepted, and the newer one's calls reach the older one's backend.
func checkPrecedence(t *target, r gatewayRoutes) Outcome {
	gw := t.gatewayRef.String()
	p := r.set.Rank(t.route)
	withNote := func(s string) string {
		if r.note != "" {
			return s + " (" + r.note + ")"
		}
		return s
	}
	if s, ok := p.Whole(); ok {
		hint := fmt.Sprintf("Every call to %s through Gateway %s reaches HTTPRoute %s and its backend, not this setup's: both routes are Accepted, and Gateway API gives the path to one. Give one of the setups a path of its own.", s.Match, gw, s.Route)
		fix := ""
		if t.record != nil {
			if free := r.set.FreePathPrefix(t.route); free != "" {
				fix = fmt.Sprintf("kubectl agentcore wizard -n %s --path-prefix %s", t.routeRef.Namespace, free)
			}
		}
		return fail(withNote(s.String()), hint, fix)
	}
	if len(r.routes) == 0 && r.note != "" {
		return warn("not compared with the Gateway's other routes: "+r.note,
			"Another route on the Gateway with the same path would take this setup's calls unnoticed. Ask for list on httproutes (gateway.networking.k8s.io) across namespaces, or in the Gateway's namespace.", "")
	}
	if len(p.Shadows) > 0 {
		var ss []string
		for _, s := range p.Shadows {
			ss = append(ss, s.String())
		}
		return warn(withNote(strings.Join(ss, "; ")),
			"Those requests reach the other route's backend, not this setup's. If that is not meant, give the setup a path of its own or narrow the other route.", "")
	}
	others := fmt.Sprintf("%d other routes", p.Compared)
	if p.Compared == 1 {
		others = "1 other route"
	}
	msg := fmt.Sprintf("HTTPRoute %s is first for its path on Gateway %s (compared with %s)", t.routeRef, gw, others)
	if len(p.Hides) > 0 {
		msg += fmt.Sprintf("; it takes the same path from the newer %s, whose calls arrive here", strings.Join(p.Hides, ", "))
	}
	return pass("%s", withNote(msg))
}
