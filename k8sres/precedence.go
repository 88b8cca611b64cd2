package k8sres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Gateway API's precedence between HTTPRoutes attached to one Gateway (HTTPRouteSpec.hostnames and
// HTTPRouteRule.matches in the standard CRDs):
//
//  1. for intersecting hostnames, the route with the most characters in a matching non-wildcard hostname, then in
//     a matching hostname;
//  2. then the match with an Exact path, then the longest PathPrefix, then a method, then the most header
//     matches, then the most query-parameter matches;
//  3. then the oldest route by creation timestamp, then the first by "namespace/name".
//
// Two setups given the same path prefix on one Gateway are both Accepted by the controller, and every call to
// the newer one reaches the older one's backend. RouteShadows finds that before a call does.

// Shadow is another HTTPRoute on the same Gateway that takes requests one of a route's matches was written for.
type Shadow struct {
	// Route is the other route, namespace/name.
	Route string
	// Match is the route's own match, By the other route's, in words ("PathPrefix /agentcore").
	Match, By string
	// Host is where it happens: "" for every host the route serves, else the host.
	Host string
	// Whole: it takes every request of the match there (the match's own path, no method, header or query
	// condition of its own). Otherwise only some: a sub-path, one host, or requests that meet its conditions.
	Whole bool
	// Why is the precedence rule that decides, in words.
	Why string
}

func (s Shadow) String() string {
	where := "for any host"
	if s.Host != "" {
		where = "for Host " + s.Host
	}
	return fmt.Sprintf("HTTPRoute %s takes %s %s before this route's %s: %s", s.Route, s.By, where, s.Match, s.Why)
}

// Precedence is how a route ranks among the other HTTPRoutes the same Gateway accepted.
type Precedence struct {
	// Shadows are the routes that take some of its requests.
	Shadows []Shadow
	// Hides are the routes whose identical match it takes first (namespace/name, sorted): their setups are the
	// ones shadowed.
	Hides []string
	// Compared is how many other routes attached to the Gateway were compared.
	Compared int
}

// Whole is the first shadow that takes all of a match's requests.
func (p Precedence) Whole() (Shadow, bool) {
	for _, s := range p.Shadows {
		if s.Whole {
			return s, true
		}
	}
	return Shadow{}, false
}

// RouteShadows ranks route against others on the Gateway gateway ("namespace/name"): RouteSet.Rank of a set built
// for this one route. Ranking many routes against the same others, build the set once (NewRouteSet).
func RouteShadows(route *unstructured.Unstructured, gateway string, others []*unstructured.Unstructured) Precedence {
	return NewRouteSet(gateway, others).Rank(route)
}

// RouteSet is the HTTPRoutes on one Gateway, each parsed once for precedence: doctor --all ranks every setup's
// route against the same Gateway's routes, and parsing each of them again for every setup made that quadratic.
// It is only read after NewRouteSet, so concurrent setups may share it.
type RouteSet struct {
	gateway string
	routes  []parsedRoute
}

// parsedRoute is a route of a RouteSet as precedence reads it.
type parsedRoute struct {
	obj           *unstructured.Unstructured // its creation timestamp is parsed only on a tie
	ns, name, ref string
	listener      listener
	hosts         []string
	matches       []routeMatch
}

// NewRouteSet parses routes for ranking on the Gateway gateway ("namespace/name"). Only the routes that the
// Gateway accepted (their status says Accepted for it) count, so only those are kept.
func NewRouteSet(gateway string, routes []*unstructured.Unstructured) *RouteSet {
	rs := &RouteSet{gateway: gateway}
	for _, o := range routes {
		if !acceptedBy(o, gateway) {
			continue
		}
		sect, ok := parentSection(o, gateway)
		if !ok {
			continue
		}
		ns, name := o.GetNamespace(), o.GetName()
		rs.routes = append(rs.routes, parsedRoute{obj: o, ns: ns, name: name, ref: Ref(ns, name), listener: sect,
			hosts: routeHosts(o), matches: routeMatches(o)})
	}
	return rs
}

// Rank ranks route against the routes of the set that share a listener with it. Route need not be in the set (the
// wizard ranks a route it has yet to create); a route of the set with its namespace/name is skipped, so a route
// about to be replaced can be ranked against the live list. A route not yet created has no creation timestamp:
// it is newer than every route that exists.
func (rs *RouteSet) Rank(route *unstructured.Unstructured) Precedence {
	var p Precedence
	sect, hasParent := parentSection(route, rs.gateway)
	if !hasParent {
		return p
	}
	ns, name := route.GetNamespace(), route.GetName()
	mine, myHosts := routeMatches(route), routeHosts(route)
	hides := map[string]bool{}
	for i := range rs.routes {
		o := &rs.routes[i]
		if (o.ns == ns && o.name == name) || !sect.overlaps(o.listener) {
			continue
		}
		p.Compared++
		older := func() bool { return olderThan(o.obj, route) } // creation timestamps are parsed: only on a tie
		for _, m := range mine {
			for _, h := range myHosts {
				for _, oh := range o.hosts {
					at, ok := intersectHost(h, oh)
					if !ok {
						continue
					}
					for _, om := range o.matches {
						if !m.overlaps(om) {
							continue
						}
						s := Shadow{Route: o.ref, Match: m.String(), By: om.String(), Host: at}
						switch c := compareHost(oh, h); {
						case c > 0:
							mh := h
							if mh == "" {
								mh = "none"
							}
							s.Why = fmt.Sprintf("its hostname %s is more specific than this route's (%s)", oh, mh)
							p.Shadows = append(p.Shadows, s)
							continue
						case c < 0:
							continue
						}
						why, wins := om.ranksBefore(m, older, o.obj, route)
						switch {
						case wins:
							s.Why = why
							s.Whole = at == h && om.conditions() == 0 && om.path == m.path
							p.Shadows = append(p.Shadows, s)
						case m.identical(om) && oh == h:
							hides[o.ref] = true
						}
					}
				}
			}
		}
	}
	p.Shadows = uniqShadows(p.Shadows)
	sort.SliceStable(p.Shadows, func(i, j int) bool { return p.Shadows[i].Route < p.Shadows[j].Route })
	for r := range hides {
		p.Hides = append(p.Hides, r)
	}
	sort.Strings(p.Hides)
	return p
}

// routeMatch is one HTTPRouteMatch, as far as precedence reads it.
type routeMatch struct {
	pathType, path   string // Exact, PathPrefix (normalized: no trailing slash but "/") or RegularExpression
	method           string
	headers, queries int
}

func (m routeMatch) String() string {
	s := m.pathType + " " + m.path
	var and []string
	if m.method != "" {
		and = append(and, "method "+m.method)
	}
	if m.headers > 0 {
		and = append(and, words.Count(m.headers, "header"))
	}
	if m.queries > 0 {
		and = append(and, words.Count(m.queries, "query parameter"))
	}
	if len(and) > 0 {
		s += " with " + strings.Join(and, ", ")
	}
	return s
}

func (m routeMatch) conditions() int { return m.headers + m.queries + boolInt(m.method != "") }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// overlaps: some request meets both matches (paths only, and methods when both name one; header and query
// values are not compared).
func (m routeMatch) overlaps(o routeMatch) bool {
	if m.pathType == "RegularExpression" || o.pathType == "RegularExpression" {
		return false // its precedence is implementation-specific
	}
	if m.method != "" && o.method != "" && m.method != o.method {
		return false
	}
	switch {
	case m.pathType == "Exact" && o.pathType == "Exact":
		return m.path == o.path
	case m.pathType == "Exact":
		return pathWithin(m.path, o.path)
	case o.pathType == "Exact":
		return pathWithin(o.path, m.path)
	}
	return pathWithin(m.path, o.path) || pathWithin(o.path, m.path)
}

// identical: the same path and neither has a condition.
func (m routeMatch) identical(o routeMatch) bool {
	return m.pathType == o.pathType && m.path == o.path && m.conditions() == 0 && o.conditions() == 0
}

// ranksBefore says whether m, of route mine, takes the requests it shares with o, of route theirs, first (older:
// mine is the older route), and why.
func (m routeMatch) ranksBefore(o routeMatch, older func() bool, mine, theirs *unstructured.Unstructured) (string, bool) {
	switch {
	case m.pathType == "Exact" && o.pathType != "Exact":
		return "an Exact path match ranks before a PathPrefix", true
	case o.pathType == "Exact" && m.pathType != "Exact":
		return "", false
	case m.pathType == "PathPrefix" && len(m.path) != len(o.path):
		if len(m.path) > len(o.path) {
			return "a longer PathPrefix ranks first", true
		}
		return "", false
	}
	for _, c := range []struct {
		a, b int
		what string
	}{
		{boolInt(m.method != ""), boolInt(o.method != ""), "a method match"},
		{m.headers, o.headers, "more header matches"},
		{m.queries, o.queries, "more query-parameter matches"},
	} {
		if c.a != c.b {
			if c.a > c.b {
				return "it has " + c.what + " (for the requests that meet them)", true
			}
			return "", false
		}
	}
	if older() {
		return fmt.Sprintf("the same match, and the older route ranks first (created %s; this route %s)", created(mine), created(theirs)), true
	}
	return "", false
}

func created(o *unstructured.Unstructured) string {
	t := o.GetCreationTimestamp()
	if t.IsZero() {
		return "not yet created"
	}
	return t.UTC().Format(time.RFC3339)
}

// olderThan: a ranks before b among routes of equal matches (the older one, then the first by namespace/name).
func olderThan(a, b *unstructured.Unstructured) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	switch {
	case tb.IsZero() && !ta.IsZero():
		return true // b does not exist yet
	case ta.IsZero() && !tb.IsZero():
		return false
	case !ta.Equal(&tb):
		return ta.Before(&tb)
	}
	return Ref(a.GetNamespace(), a.GetName()) < Ref(b.GetNamespace(), b.GetName())
}

// pathWithin: every path under p is under q (path-element prefixes: /a/b is within /a, /ab is not).
func pathWithin(p, q string) bool {
	return q == "/" || p == q || len(p) > len(q) && p[len(q)] == '/' && strings.HasPrefix(p, q)
}

func routeMatches(route *unstructured.Unstructured) []routeMatch {
	var out []routeMatch
	for _, r := range SliceAt(route.Object, "spec", "rules") {
		rm, _ := r.(map[string]any)
		ms, _ := rm["matches"].([]any)
		if len(ms) == 0 {
			out = append(out, routeMatch{pathType: "PathPrefix", path: "/"}) // a rule without matches matches everything
			continue
		}
		for _, raw := range ms {
			mm, _ := raw.(map[string]any)
			m := routeMatch{pathType: "PathPrefix", path: "/"}
			if pm, ok := mm["path"].(map[string]any); ok {
				if t, _ := pm["type"].(string); t != "" {
					m.pathType = t
				}
				if v, _ := pm["value"].(string); v != "" {
					m.path = v
				}
			}
			if m.pathType == "PathPrefix" && len(m.path) > 1 {
				m.path = strings.TrimRight(m.path, "/")
				if m.path == "" {
					m.path = "/"
				}
			}
			m.method, _ = mm["method"].(string)
			hs, _ := mm["headers"].([]any)
			qs, _ := mm["queryParams"].([]any)
			m.headers, m.queries = len(hs), len(qs)
			out = append(out, m)
		}
	}
	return out
}

// anyHost is a route's hosts when it names none (read only).
var anyHost = []string{""}

// routeHosts is spec.hostnames, or one "" (any host) when it has none.
func routeHosts(route *unstructured.Unstructured) []string {
	var out []string
	for _, h := range SliceAt(route.Object, "spec", "hostnames") {
		if s, _ := h.(string); s != "" {
			out = append(out, strings.ToLower(s))
		}
	}
	if len(out) == 0 {
		return anyHost
	}
	return out
}

// intersectHost is the hosts a and b both match ("" = any host), as the more specific of the two.
func intersectHost(a, b string) (string, bool) {
	switch {
	case a == "":
		return b, true
	case b == "" || a == b:
		return a, true
	}
	wa, wb := strings.HasPrefix(a, "*."), strings.HasPrefix(b, "*.")
	switch {
	case wa && strings.HasSuffix(b, a[1:]):
		return b, true
	case wb && strings.HasSuffix(a, b[1:]):
		return a, true
	}
	return "", false
}

// compareHost ranks two route hostnames for the requests they share: characters in a non-wildcard hostname
// first, then characters ("" = none, the least).
func compareHost(a, b string) int {
	exact := func(h string) int {
		if h == "" || strings.HasPrefix(h, "*.") {
			return 0
		}
		return len(h)
	}
	if c := exact(a) - exact(b); c != 0 {
		return c
	}
	return len(a) - len(b)
}

// listener is a parentRef's sectionName and port (empty: every listener).
type listener struct {
	section string
	port    int64
}

func (l listener) overlaps(o listener) bool {
	return (l.section == "" || o.section == "" || l.section == o.section) && (l.port == 0 || o.port == 0 || l.port == o.port)
}

// parentSection finds route's parentRef to gateway ("namespace/name").
func parentSection(route *unstructured.Unstructured, gateway string) (listener, bool) {
	for _, p := range GatewayParents(route) {
		if p.Ref() == gateway {
			return listener{p.SectionName, p.Port}, true
		}
	}
	return listener{}, false
}

// acceptedBy: the route's status has Accepted=True for gateway.
func acceptedBy(route *unstructured.Unstructured, gateway string) bool {
	for _, raw := range SliceAt(route.Object, "status", "parents") {
		m, _ := raw.(map[string]any)
		ref, _ := m["parentRef"].(map[string]any)
		if p := parentRefFrom(ref, route.GetNamespace()); !p.IsGateway() || !isRef(gateway, p.Namespace, p.Name) {
			continue
		}
		for _, c := range SliceAt(m, "conditions") {
			if cm, _ := c.(map[string]any); cm["type"] == "Accepted" && cm["status"] == "True" {
				return true
			}
		}
	}
	return false
}

// isRef: ref is "namespace/name" (without building the string).
func isRef(ref, namespace, name string) bool {
	return len(ref) == len(namespace)+1+len(name) && strings.HasPrefix(ref, namespace) && ref[len(namespace)] == '/' && strings.HasSuffix(ref, name)
}

func uniqShadows(ss []Shadow) []Shadow {
	seen := map[Shadow]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// FreePathPrefix is a path prefix for route that no other route of the set takes any request of:
// "/<namespace><its prefix>" (/team-a/agentcore), else "/<namespace>-<name><its prefix>"; "" when both are taken
// or the route has no PathPrefix match.
func (rs *RouteSet) FreePathPrefix(route *unstructured.Unstructured) string {
	ms := routeMatches(route)
	if len(ms) == 0 || ms[0].pathType != "PathPrefix" {
		return ""
	}
	base := ms[0].path
	if base == "/" {
		base = ""
	}
	for _, cand := range []string{"/" + route.GetNamespace() + base, "/" + route.GetNamespace() + "-" + route.GetName() + base} {
		c := route.DeepCopy()
		for _, r := range SliceAt(c.Object, "spec", "rules") {
			rm, _ := r.(map[string]any)
			ms, _ := rm["matches"].([]any)
			for _, raw := range ms {
				mm, _ := raw.(map[string]any)
				if pm, ok := mm["path"].(map[string]any); ok && (pm["type"] == nil || pm["type"] == "PathPrefix") {
					pm["value"] = cand
				}
			}
		}
		if len(rs.Rank(c).Shadows) == 0 {
			return cand
		}
	}
	return ""
}

// GatewayRoutes lists the HTTPRoutes that may attach to Gateway gw, with list (namespace "" = every namespace):
// those of its namespace when every listener takes routes from its own namespace only (Gateway API's default),
// else every namespace's. Without the right to list HTTPRoutes across namespaces it lists those of routeNS and
// the Gateway's namespace; a namespace it may not list is left out. note then says what was compared and why
// not more ("" when nothing was left out).
func GatewayRoutes(ctx context.Context, gw GatewayInfo, routeNS string, list func(ctx context.Context, ns string) ([]*unstructured.Unstructured, error)) (routes []*unstructured.Unstructured, note string, err error) {
	nss, where := []string{gw.Namespace}, ""
	if !onlyOwnNamespace(gw) {
		all, err := list(ctx, metav1.NamespaceAll)
		if err == nil {
			return all, "", nil
		}
		if !apierrors.IsForbidden(err) {
			return nil, "", Explain("listing HTTPRoutes in every namespace", err)
		}
		if routeNS != gw.Namespace {
			nss = append(nss, routeNS)
		}
		where = " across namespaces"
	}
	var read, unread []string
	for _, ns := range nss {
		l, err := list(ctx, ns)
		switch {
		case apierrors.IsForbidden(err):
			unread = append(unread, ns)
			continue
		case err != nil:
			return nil, "", Explain("listing HTTPRoutes in "+ns, err)
		}
		read = append(read, ns)
		routes = append(routes, l...)
	}
	switch {
	case len(unread) > 0 && len(read) == 0:
		note = "no routes were compared: you may not list HTTPRoutes in " + strings.Join(unread, " or ")
	case len(unread) > 0:
		note = fmt.Sprintf("only the routes in %s were compared: you may not list HTTPRoutes in %s", strings.Join(read, " and "), strings.Join(unread, " or "))
	case where != "":
		note = fmt.Sprintf("only the routes in %s were compared: you may not list HTTPRoutes%s", strings.Join(read, " and "), where)
	}
	return routes, note, nil
}

// onlyOwnNamespace: every listener of the Gateway takes routes from its own namespace only, so no route elsewhere
// attaches. Unknown listeners (none read) count as open.
func onlyOwnNamespace(g GatewayInfo) bool {
	if len(g.Listeners) == 0 {
		return false
	}
	for _, l := range g.Listeners {
		if l.AllowedRoutesFrom != "" && l.AllowedRoutesFrom != "Same" {
			return false
		}
	}
	return true
}
