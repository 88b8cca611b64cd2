package k8sres

import (
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const testGateway = "gw-system/proxy"

// testRoute is an HTTPRoute on testGateway, created at minute min (negative: not created yet), with one rule of
// the given matches, accepted by the Gateway unless a mod says otherwise.
func testRoute(ns, name string, minute int, matches []any, mods ...func(map[string]any)) *unstructured.Unstructured {
	spec := map[string]any{
		"parentRefs": []any{map[string]any{"group": GroupGatewayAPI, "kind": "Gateway", "namespace": "gw-system", "name": "proxy"}},
		"rules":      []any{map[string]any{"matches": matches}},
	}
	o := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"spec": spec,
		"status": map[string]any{"parents": []any{map[string]any{
			"parentRef":  map[string]any{"group": GroupGatewayAPI, "kind": "Gateway", "namespace": "gw-system", "name": "proxy"},
			"conditions": []any{map[string]any{"type": "Accepted", "status": "True"}},
		}}},
	}}
	o.SetNamespace(ns)
	o.SetName(name)
	if minute >= 0 {
		o.SetCreationTimestamp(metav1.NewTime(time.Date(2026, 12, 3, 6, minute, 0, 0, time.UTC)))
	}
	for _, m := range mods {
		m(o.Object)
	}
	return o
}

func prefix(p string) map[string]any {
	return map[string]any{"path": map[string]any{"type": "PathPrefix", "value": p}}
}

func exact(p string) map[string]any {
	return map[string]any{"path": map[string]any{"type": "Exact", "value": p}}
}

func hostnames(hs ...any) func(map[string]any) {
	return func(o map[string]any) { o["spec"].(map[string]any)["hostnames"] = hs }
}

func section(s string) func(map[string]any) {
	return func(o map[string]any) {
		o["spec"].(map[string]any)["parentRefs"].([]any)[0].(map[string]any)["sectionName"] = s
	}
}

func TestRouteShadows(t *testing.T) {
	withHeader := prefix("/agentcore")
	withHeader["headers"] = []any{map[string]any{"name": "x-team", "value": "a"}}
	withMethod := prefix("/agentcore")
	withMethod["method"] = "POST"
	notAccepted := func(o map[string]any) {
		o["status"].(map[string]any)["parents"].([]any)[0].(map[string]any)["conditions"] = []any{map[string]any{"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners"}}
	}
	otherGateway := func(o map[string]any) {
		o["spec"].(map[string]any)["parentRefs"].([]any)[0].(map[string]any)["name"] = "other"
		o["status"].(map[string]any)["parents"].([]any)[0].(map[string]any)["parentRef"].(map[string]any)["name"] = "other"
	}
	mine := func(mods ...func(map[string]any)) *unstructured.Unstructured {
		return testRoute("team-a", "agentcore", 30, []any{prefix("/agentcore")}, mods...)
	}
	cases := []struct {
		name     string
		route    *unstructured.Unstructured
		other    *unstructured.Unstructured
		whole    bool     // the first shadow takes every request
		shadow   []string // substrings of the shadows' text; none: no shadow
		hides    bool
		compared int
	}{
		{name: "same prefix, the other older", route: mine(), other: testRoute("agentcore", "agentcore", 10, []any{prefix("/agentcore")}),
			whole: true, shadow: []string{"HTTPRoute agentcore/agentcore takes PathPrefix /agentcore for any host", "older route ranks first (created 2026-12-03T06:10:00Z; this route 2026-12-03T06:30:00Z)"}, compared: 1},
		{name: "same prefix, the other newer", route: mine(), other: testRoute("team-b", "agentcore", 40, []any{prefix("/agentcore")}), hides: true, compared: 1},
		{name: "same time: by namespace/name", route: mine(), other: testRoute("a-team", "x", 30, []any{prefix("/agentcore/")}), whole: true, shadow: []string{"a-team/x"}, compared: 1},
		{name: "same time, after by name", route: mine(), other: testRoute("team-b", "x", 30, []any{prefix("/agentcore")}), hides: true, compared: 1},
		{name: "route not created yet", route: testRoute("team-a", "agentcore", -1, []any{prefix("/agentcore")}), other: testRoute("team-b", "agentcore", 59, []any{prefix("/agentcore")}),
			whole: true, shadow: []string{"this route not yet created)"}, compared: 1},
		{name: "itself (a rerun)", route: mine(), other: testRoute("team-a", "agentcore", 1, []any{prefix("/agentcore")})},
		{name: "not accepted by the Gateway", route: mine(), other: testRoute("b", "r", 1, []any{prefix("/agentcore")}, notAccepted)},
		{name: "another Gateway", route: mine(), other: testRoute("b", "r", 1, []any{prefix("/agentcore")}, otherGateway)},
		{name: "another listener", route: mine(section("https")), other: testRoute("b", "r", 1, []any{prefix("/agentcore")}, section("http"))},
		{name: "the same listener", route: mine(section("http")), other: testRoute("b", "r", 1, []any{prefix("/agentcore")}, section("http")), whole: true, shadow: []string{"b/r"}, compared: 1},
		{name: "Exact on its path, even newer", route: mine(), other: testRoute("b", "r", 50, []any{exact("/agentcore")}),
			whole: true, shadow: []string{"takes Exact /agentcore", "an Exact path match ranks before a PathPrefix"}, compared: 1},
		{name: "a longer prefix under it", route: mine(), other: testRoute("b", "r", 50, []any{prefix("/agentcore/admin")}),
			shadow: []string{"PathPrefix /agentcore/admin", "a longer PathPrefix ranks first"}, compared: 1},
		{name: "a shorter prefix", route: mine(), other: testRoute("b", "r", 1, []any{prefix("/")}), compared: 1},
		{name: "a rule without matches", route: mine(), other: testRoute("b", "r", 1, nil), compared: 1},
		{name: "a sibling path", route: mine(), other: testRoute("b", "r", 1, []any{prefix("/agentcore-b")}), compared: 1},
		{name: "a header match", route: mine(), other: testRoute("b", "r", 50, []any{withHeader}),
			shadow: []string{"PathPrefix /agentcore with 1 header", "more header matches"}, compared: 1},
		{name: "a method match", route: mine(), other: testRoute("b", "r", 50, []any{withMethod}), shadow: []string{"with method POST", "a method match"}, compared: 1},
		{name: "a more specific hostname", route: mine(), other: testRoute("b", "r", 50, []any{prefix("/")}, hostnames("api.example.com")),
			shadow: []string{"takes PathPrefix / for Host api.example.com", "hostname api.example.com is more specific than this route's (none)"}, compared: 1},
		{name: "an exact hostname over a wildcard of its length", route: mine(hostnames("*.example.com")), other: testRoute("b", "r", 50, []any{prefix("/agentcore")}, hostnames("a.example.com")),
			shadow: []string{"for Host a.example.com", "than this route's (*.example.com)"}, compared: 1},
		{name: "its hostname more specific", route: mine(hostnames("api.example.com")), other: testRoute("b", "r", 1, []any{prefix("/agentcore")}, hostnames("*.example.com")), compared: 1},
		{name: "disjoint hostnames", route: mine(hostnames("a.example.com")), other: testRoute("b", "r", 1, []any{prefix("/agentcore")}, hostnames("b.example.com")), compared: 1},
		{name: "the same hostname, older", route: mine(hostnames("A.example.com")), other: testRoute("b", "r", 1, []any{prefix("/agentcore")}, hostnames("a.example.com")),
			whole: true, shadow: []string{"for Host a.example.com"}, compared: 1},
		{name: "a regular expression", route: mine(), other: testRoute("b", "r", 1, []any{map[string]any{"path": map[string]any{"type": "RegularExpression", "value": "/agent.*"}}}), compared: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := RouteShadows(c.route, testGateway, []*unstructured.Unstructured{c.other})
			if p.Compared != c.compared {
				t.Errorf("compared %d routes, want %d", p.Compared, c.compared)
			}
			if len(c.shadow) == 0 && len(p.Shadows) > 0 {
				t.Fatalf("no shadow expected, got %v", p.Shadows)
			}
			if len(c.shadow) > 0 {
				if len(p.Shadows) != 1 {
					t.Fatalf("want one shadow, got %v", p.Shadows)
				}
				s := p.Shadows[0]
				for _, w := range c.shadow {
					if !strings.Contains(s.String(), w) {
						t.Errorf("shadow %q lacks %q", s, w)
					}
				}
				if s.Whole != c.whole {
					t.Errorf("whole = %v, want %v (%s)", s.Whole, c.whole, s)
				}
				if _, ok := p.Whole(); ok != c.whole {
					t.Errorf("Whole() = %v, want %v", ok, c.whole)
				}
			}
			if hides := len(p.Hides) == 1 && p.Hides[0] == Ref(c.other.GetNamespace(), c.other.GetName()); hides != c.hides {
				t.Errorf("hides %v, want %v", p.Hides, c.hides)
			}
		})
	}
}

// A route with no parentRef to the Gateway is ranked against nothing.
func TestRouteShadowsNotOnGateway(t *testing.T) {
	r := testRoute("team-a", "agentcore", 30, []any{prefix("/agentcore")})
	o := testRoute("b", "r", 1, []any{prefix("/agentcore")})
	if p := RouteShadows(r, "elsewhere/proxy", []*unstructured.Unstructured{o}); p.Compared != 0 || len(p.Shadows) != 0 {
		t.Fatalf("got %+v", p)
	}
}

// A RouteSet built once ranks every route as the routes one by one do (one set per pair: the shadows of each, the
// hides of each, one comparison each), whether the route is in the set or not, and setups share it concurrently
// (doctor --all).
func TestRouteSetRank(t *testing.T) {
	withHeader := prefix("/agentcore")
	withHeader["headers"] = []any{map[string]any{"name": "x-team", "value": "a"}}
	withMethod := prefix("/agentcore")
	withMethod["method"] = "POST"
	notAccepted := func(o map[string]any) {
		o["status"].(map[string]any)["parents"].([]any)[0].(map[string]any)["conditions"] = []any{map[string]any{"type": "Accepted", "status": "False"}}
	}
	otherGateway := func(o map[string]any) {
		o["spec"].(map[string]any)["parentRefs"].([]any)[0].(map[string]any)["name"] = "other"
		o["status"].(map[string]any)["parents"].([]any)[0].(map[string]any)["parentRef"].(map[string]any)["name"] = "other"
	}
	regex := map[string]any{"path": map[string]any{"type": "RegularExpression", "value": "/agent.*"}}
	routes := []*unstructured.Unstructured{
		testRoute("team-a", "agentcore", 30, []any{prefix("/agentcore")}),
		testRoute("agentcore", "agentcore", 10, []any{prefix("/agentcore")}),
		testRoute("team-b", "agentcore", 40, []any{prefix("/agentcore")}),
		testRoute("a-team", "x", 30, []any{prefix("/agentcore/")}),
		testRoute("team-b", "x", 30, []any{prefix("/agentcore"), exact("/x")}),
		testRoute("b", "exact", 50, []any{exact("/agentcore")}),
		testRoute("b", "admin", 50, []any{prefix("/agentcore/admin")}),
		testRoute("b", "root", 1, []any{prefix("/")}),
		testRoute("b", "all", 2, nil),
		testRoute("b", "sibling", 1, []any{prefix("/agentcore-b")}),
		testRoute("b", "header", 50, []any{withHeader}),
		testRoute("b", "method", 50, []any{withMethod, prefix("/other")}),
		testRoute("b", "api", 50, []any{prefix("/")}, hostnames("api.example.com")),
		testRoute("b", "hosts", 20, []any{prefix("/agentcore")}, hostnames("*.example.com", "A.example.com")),
		testRoute("b", "regex", 1, []any{regex}),
		testRoute("b", "http", 1, []any{prefix("/agentcore")}, section("http")),
		testRoute("b", "https", 5, []any{prefix("/agentcore")}, section("https")),
		testRoute("b", "rejected", 1, []any{prefix("/agentcore")}, notAccepted),
		testRoute("b", "elsewhere", 1, []any{prefix("/agentcore")}, otherGateway),
	}
	// Not in the set: new routes, one replacing a route of the set, and one on another Gateway.
	ranked := append(routes[:len(routes):len(routes)],
		testRoute("team-z", "new", -1, []any{prefix("/agentcore")}),
		testRoute("team-z", "https", -1, []any{prefix("/agentcore")}, section("https"), hostnames("a.example.com")),
		testRoute("team-a", "agentcore", -1, []any{prefix("/agentcore"), exact("/x")}),
		testRoute("team-z", "elsewhere", -1, []any{prefix("/agentcore")}, otherGateway),
	)
	set := NewRouteSet(testGateway, routes)
	got := make([]Precedence, len(ranked))
	var wg sync.WaitGroup
	for i, r := range ranked {
		wg.Go(func() { got[i] = set.Rank(r) })
	}
	wg.Wait()
	var several, hides bool
	for i, r := range ranked {
		var want Precedence
		for _, o := range routes {
			p := RouteShadows(r, testGateway, []*unstructured.Unstructured{o})
			want.Shadows = append(want.Shadows, p.Shadows...)
			want.Hides = append(want.Hides, p.Hides...)
			want.Compared += p.Compared
		}
		sort.SliceStable(want.Shadows, func(i, j int) bool { return want.Shadows[i].Route < want.Shadows[j].Route })
		sort.Strings(want.Hides)
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("%s/%s: ranked against the set\n%+v\none route at a time\n%+v", r.GetNamespace(), r.GetName(), got[i], want)
		}
		several = several || len(want.Shadows) > 0 && want.Shadows[0].Route != want.Shadows[len(want.Shadows)-1].Route
		hides = hides || len(want.Hides) > 0
	}
	if !several || !hides {
		t.Errorf("the routes should include one shadowed by several routes (%v) and one that hides another (%v)", several, hides)
	}
}

// FreePathPrefix proposes /<namespace><prefix>, else /<namespace>-<name><prefix> when another route takes any
// request of the first, else nothing; a route without a PathPrefix match gets nothing.
func TestFreePathPrefix(t *testing.T) {
	route := testRoute("team-a", "agentcore", -1, []any{prefix("/agentcore")})
	older := testRoute("team-b", "agentcore", 1, []any{prefix("/agentcore")})
	cases := []struct {
		name  string
		route *unstructured.Unstructured
		set   []*unstructured.Unstructured
		want  string
	}{
		{"namespace prefix", route, []*unstructured.Unstructured{older}, "/team-a/agentcore"},
		{"namespace prefix taken by a sub-path", route, []*unstructured.Unstructured{older, testRoute("x", "sub", 2, []any{prefix("/team-a/agentcore/v2")})}, "/team-a-agentcore/agentcore"},
		{"a shorter older prefix takes none of it", route, []*unstructured.Unstructured{older, testRoute("x", "ns", 2, []any{prefix("/team-a")})}, "/team-a/agentcore"},
		{"both taken", route, []*unstructured.Unstructured{older, testRoute("x", "ns", 2, []any{prefix("/team-a/agentcore")}), testRoute("x", "nsname", 3, []any{prefix("/team-a-agentcore/agentcore/x")})}, ""},
		{"a root prefix", testRoute("team-a", "agentcore", -1, []any{prefix("/")}), []*unstructured.Unstructured{testRoute("x", "root", 1, []any{prefix("/")})}, "/team-a"},
		{"an exact path", testRoute("team-a", "agentcore", -1, []any{exact("/agentcore")}), []*unstructured.Unstructured{older}, ""},
	}
	for _, c := range cases {
		if got := NewRouteSet(testGateway, c.set).FreePathPrefix(c.route); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if p := route.Object["spec"].(map[string]any)["rules"].([]any)[0].(map[string]any)["matches"].([]any)[0].(map[string]any)["path"].(map[string]any)["value"]; p != "/agentcore" {
		t.Fatalf("the route itself was changed: %v", p)
	}
}
