package wizard

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Policy ancestor statuses as the open-source Agent Gateway controller v1.4.1 writes them (docs/agentgateway-controller.md).
func policyWith(ancestors ...any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayPolicy",
		"metadata": map[string]any{"name": "p", "namespace": "ns", "generation": int64(1)},
		"status":   map[string]any{"ancestors": ancestors},
	}}
}

func ancestor(name, group string, conds ...any) map[string]any {
	return map[string]any{
		"ancestorRef":    map[string]any{"group": group, "kind": "Gateway", "name": name, "namespace": "ns"},
		"controllerName": "agentgateway.dev/agentgateway",
		"conditions":     conds,
	}
}

func c(typ, status, reason, msg string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg}
}

func TestPolicyAttachedRealControllerStatuses(t *testing.T) {
	const gw = "gateway.networking.k8s.io"
	for _, tc := range []struct {
		name   string
		policy *unstructured.Unstructured
		ok     bool
		detail string
	}{
		{"valid and attached", policyWith(ancestor("agw", gw, c("Accepted", "True", "Valid", "Policy accepted"), c("Attached", "True", "Attached", "Attached to all targets"))), true, "Accepted, Attached"},
		{"secret missing, no Attached", policyWith(ancestor("agw", gw, c("Accepted", "True", "PartiallyValid", "secret ns/jwt not found"))), false, "PartiallyValid: secret ns/jwt not found"},
		{"key missing", policyWith(ancestor("agw", gw, c("Accepted", "True", "PartiallyValid", "secret ns/jwt missing Authorization value"))), false, "missing Authorization value"},
		{"stale Attached=True after the Secret was deleted", policyWith(ancestor("agw", gw, c("Accepted", "True", "PartiallyValid", "secret ns/jwt not found"), c("Attached", "True", "Attached", "Attached to all targets"))), false, "PartiallyValid"},
		{"target route missing (StatusSummary)", policyWith(ancestor("StatusSummary", "agentgateway.dev", c("Attached", "False", "Pending", "Policy is not attached: HTTPRoute ns/r not found"))), false, "not attached: Policy is not attached: HTTPRoute ns/r not found"},
		{"summary beside a valid Gateway ancestor", policyWith(
			ancestor("agw", gw, c("Accepted", "True", "Valid", "Policy accepted"), c("Attached", "True", "Attached", "Attached to all targets")),
			ancestor("StatusSummary", "agentgateway.dev", c("Attached", "False", "Pending", "Policy is not attached: HTTPRoute ns/other not found"))), false, "HTTPRoute ns/other not found"},
		{"empty messages", policyWith(ancestor("agw", gw, c("Accepted", "False", "Invalid", ""))), false, "Accepted=False (Invalid)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, detail := policyAttached(tc.policy)
			if ok != tc.ok || !strings.Contains(detail, tc.detail) {
				t.Errorf("policyAttached = %v %q, want %v ~%q", ok, detail, tc.ok, tc.detail)
			}
		})
	}
}
