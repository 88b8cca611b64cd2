package k8sres

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Condition is one status condition (metav1.Condition shape) read from an unstructured object.
type Condition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
}

// True reports whether the condition's status is "True".
func (c Condition) True() bool { return c.Status == "True" }

// Text is the condition's message (one line), else its String: the Agent Gateway controller leaves many
// messages empty.
func (c Condition) Text() string {
	if m := statusOneLine(c.Message); m != "" {
		return m
	}
	return c.String()
}

// String is `Type=Status (Reason: message)`, the message cut to one line.
func (c Condition) String() string {
	s := c.Type + "=" + c.Status
	if c.Reason != "" || c.Message != "" {
		s += " (" + c.Reason
		if c.Message != "" {
			if c.Reason != "" {
				s += ": "
			}
			s += statusOneLine(c.Message)
		}
		s += ")"
	}
	return s
}

// ParentStatus is the status an object holds for one parent (HTTPRoute .status.parents[]) or ancestor
// (policy .status.ancestors[]).
type ParentStatus struct {
	// Ref is the parent as `Kind namespace/name[:section]`.
	Ref            string      `json:"ref"`
	ControllerName string      `json:"controllerName,omitempty"`
	Conditions     []Condition `json:"conditions"`
	// Summary marks the Agent Gateway controller's summary ancestor (group agentgateway.dev, kind Gateway, name
	// StatusSummary): not a real Gateway but where it reports targets it could not attach to (e.g. a missing route).
	Summary bool `json:"summary,omitempty"`
}

// StatusSummaryName is the name of the Agent Gateway controller's summary ancestor (see ParentStatus.Summary).
const StatusSummaryName = "StatusSummary"

// Condition returns the condition of the given type.
func (p ParentStatus) Condition(t string) (Condition, bool) { return FindCondition(p.Conditions, t) }

// Conditions reads a conditions list at path (e.g. "status", "conditions").
func Conditions(obj map[string]any, path ...string) []Condition {
	raw := SliceAt(obj, path...)
	out := make([]Condition, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		c := Condition{}
		c.Type, _ = m["type"].(string)
		c.Status, _ = m["status"].(string)
		c.Reason, _ = m["reason"].(string)
		c.Message, _ = m["message"].(string)
		c.ObservedGeneration = statusInt64(m["observedGeneration"])
		out = append(out, c)
	}
	return out
}

// FindCondition returns the condition of type t.
func FindCondition(conds []Condition, t string) (Condition, bool) {
	for _, c := range conds {
		if c.Type == t {
			return c, true
		}
	}
	return Condition{}, false
}

// ObjectConditions is .status.conditions of an object (Gateway, AgentgatewayBackend).
func ObjectConditions(obj *unstructured.Unstructured) []Condition {
	return Conditions(obj.Object, "status", "conditions")
}

// RouteParents is an HTTPRoute's .status.parents[] (one entry per parent and controller).
func RouteParents(route *unstructured.Unstructured) []ParentStatus {
	return parentStatuses(route, "parents", "parentRef")
}

// PolicyAncestors is a policy's .status.ancestors[] (one entry per ancestor, usually the Gateway).
func PolicyAncestors(policy *unstructured.Unstructured) []ParentStatus {
	return parentStatuses(policy, "ancestors", "ancestorRef")
}

func parentStatuses(obj *unstructured.Unstructured, list, refKey string) []ParentStatus {
	raw := SliceAt(obj.Object, "status", list)
	out := make([]ParentStatus, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		ps := ParentStatus{Conditions: Conditions(m, "conditions")}
		ps.ControllerName, _ = m["controllerName"].(string)
		ref, _ := m[refKey].(map[string]any)
		ps.Ref = formatRef(ref, obj.GetNamespace())
		if g, _ := ref["group"].(string); g == GroupOSS && ref["name"] == StatusSummaryName {
			ps.Summary = true
			ps.Ref = "controller summary"
		}
		out = append(out, ps)
	}
	return out
}

func formatRef(ref map[string]any, defaultNS string) string {
	p := parentRefFrom(ref, defaultNS)
	kind := p.Kind
	if kind == "" {
		kind = "Gateway"
	}
	s := kind + " " + p.Ref()
	if p.SectionName != "" {
		s += ":" + p.SectionName
	}
	return s
}

// ParentRef is a route's parentRef (in its spec, or a status parent's), its namespace defaulted to the route's.
type ParentRef struct {
	Group, Kind, Namespace, Name, SectionName string
	Port                                      int64
}

// Ref is namespace/name.
func (p ParentRef) Ref() string { return Ref(p.Namespace, p.Name) }

// IsGateway: the parent is a Gateway API Gateway (group and kind default to it).
func (p ParentRef) IsGateway() bool {
	return (p.Kind == "" || p.Kind == "Gateway") && (p.Group == "" || p.Group == GroupGatewayAPI)
}

func parentRefFrom(m map[string]any, defaultNS string) ParentRef {
	p := ParentRef{Port: statusInt64(m["port"])}
	p.Group, _ = m["group"].(string)
	p.Kind, _ = m["kind"].(string)
	p.Namespace, _ = m["namespace"].(string)
	p.Name, _ = m["name"].(string)
	p.SectionName, _ = m["sectionName"].(string)
	if p.Namespace == "" {
		p.Namespace = defaultNS
	}
	return p
}

// GatewayParents are the route's spec.parentRefs that are Gateways.
func GatewayParents(route *unstructured.Unstructured) []ParentRef {
	var out []ParentRef
	for _, raw := range SliceAt(route.Object, "spec", "parentRefs") {
		m, _ := raw.(map[string]any)
		if p := parentRefFrom(m, route.GetNamespace()); p.IsGateway() {
			out = append(out, p)
		}
	}
	return out
}

// StaleConditions lists the conditions (anywhere in .status: top-level, parents, ancestors) whose
// observedGeneration is set and older than metadata.generation, as `Type (observed N)`. A non-empty result
// means the controller has not processed the latest spec yet, so the statuses may describe an older version.
func StaleConditions(obj *unstructured.Unstructured) []string {
	gen := obj.GetGeneration()
	var out []string
	add := func(prefix string, cs []Condition) {
		for _, c := range cs {
			if c.ObservedGeneration != 0 && c.ObservedGeneration < gen {
				out = append(out, fmt.Sprintf("%s%s (observed generation %d)", prefix, c.Type, c.ObservedGeneration))
			}
		}
	}
	add("", ObjectConditions(obj))
	for _, p := range RouteParents(obj) {
		add(p.Ref+" ", p.Conditions)
	}
	for _, p := range PolicyAncestors(obj) {
		add(p.Ref+" ", p.Conditions)
	}
	if og := statusInt64(statusNested(obj.Object, "status", "observedGeneration")); og != 0 && og < gen {
		out = append(out, fmt.Sprintf("status (observed generation %d)", og))
	}
	return out
}

// HasStatus reports whether a controller has written any status to obj.
func HasStatus(obj *unstructured.Unstructured) bool {
	return len(ObjectConditions(obj)) > 0 || len(RouteParents(obj)) > 0 || len(PolicyAncestors(obj)) > 0
}

// SliceAt is the list at path in obj (nil when there is none or it is not a list), without the deep copy
// unstructured.NestedSlice makes: for reading only. doctor --all's setups share the objects they read.
func SliceAt(obj map[string]any, path ...string) []any {
	v, _, _ := unstructured.NestedFieldNoCopy(obj, path...)
	s, _ := v.([]any)
	return s
}

func statusNested(m map[string]any, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(m, path...)
	return v
}

func statusInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

func statusOneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
