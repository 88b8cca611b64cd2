package k8sres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

func backend(ns string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "agentgateway.dev/v1alpha1",
		"kind":       "AgentgatewayBackend",
		"metadata": map[string]any{
			"name": "agentcore", "namespace": ns,
			"labels": map[string]any{k8sres.LabelManagedBy: k8sres.ManagedByValue},
		},
		"spec": spec,
	}}
}

// TestHarnessAppliesAgentGatewayObjectsStrictly proves the real control plane: a namespace, a Secret, a
// server-side applied AgentgatewayBackend checked by the real CRD schema, and a misspelled field rejected by
// strict field validation (not silently dropped).
func TestHarnessAppliesAgentGatewayObjectsStrictly(t *testing.T) {
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	ctx := context.Background()
	ns := c.Namespace(t, "harness")

	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt", Namespace: ns},
		StringData: map[string]string{"Authorization": "Bearer placeholder"},
	}
	if _, err := c.Kube().CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Secret: %v", err)
	}

	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	good := backend(ns, map[string]any{"static": map[string]any{"host": "bedrock-agentcore.us-east-1.amazonaws.com", "port": int64(443)}})
	live, err := a.Apply(ctx, good, false)
	if err != nil {
		t.Fatalf("applying a valid backend: %v", err)
	}
	host, _, _ := unstructured.NestedString(live.Object, "spec", "static", "host")
	if host != "bedrock-agentcore.us-east-1.amazonaws.com" || live.GetResourceVersion() == "" {
		t.Fatalf("live object does not hold the applied spec: %v", live.Object["spec"])
	}
	mf := live.GetManagedFields()
	if len(mf) == 0 || mf[0].Manager != k8sres.FieldManager || mf[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Fatalf("want an Apply entry by %s, got %+v", k8sres.FieldManager, mf)
	}

	typo := backend(ns, map[string]any{"static": map[string]any{"hostt": "x.example.com", "port": int64(443)}})
	_, err = a.Apply(ctx, typo, false)
	if err == nil || !strings.Contains(err.Error(), "hostt") {
		t.Fatalf("want strict field validation to reject the unknown field hostt, got %v", err)
	}

	// The schema itself is enforced too: two backend kinds at once break the CRD's "exactly one" rule.
	both := backend(ns, map[string]any{
		"static": map[string]any{"host": "a.example.com", "port": int64(443)},
		"aws":    map[string]any{"agentCore": map[string]any{"agentRuntimeArn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/x-abcdefghij"}},
	})
	if _, err := a.Apply(ctx, both, false); err == nil {
		t.Fatal("want the CRD schema to reject a backend with both static and aws")
	}

	// The rejected applies changed nothing.
	again, err := c.Dynamic().Resource(live.GroupVersionKind().GroupVersion().WithResource("agentgatewaybackends")).Namespace(ns).Get(ctx, "agentcore", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.GetResourceVersion() != live.GetResourceVersion() {
		t.Fatalf("a rejected apply changed the object (resourceVersion %s → %s)", live.GetResourceVersion(), again.GetResourceVersion())
	}
}

// TestEnterpriseStandInsAreServed checks the derived Enterprise kinds accept entRateLimit and a RateLimitConfig.
func TestEnterpriseStandInsAreServed(t *testing.T) {
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	ctx := context.Background()
	ns := c.Namespace(t, "enterprise")
	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	rlc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "ratelimit.solo.io/v1alpha1", "kind": "RateLimitConfig",
		"metadata": map[string]any{"name": "agentcore", "namespace": ns},
		"spec": map[string]any{"raw": map[string]any{
			"descriptors": []any{map[string]any{"key": "generic_key", "value": "counter", "rateLimit": map[string]any{"requestsPerUnit": int64(3), "unit": "MINUTE"}}},
			"rateLimits":  []any{map[string]any{"actions": []any{map[string]any{"genericKey": map[string]any{"descriptorValue": "counter"}}}}},
		}},
	}}
	if _, err := a.Apply(ctx, rlc, false); err != nil {
		t.Fatalf("RateLimitConfig: %v", err)
	}
	pol := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "enterpriseagentgateway.solo.io/v1alpha1", "kind": "EnterpriseAgentgatewayPolicy",
		"metadata": map[string]any{"name": "agentcore", "namespace": ns},
		"spec": map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "agentcore"}},
			"traffic":    map[string]any{"entRateLimit": map[string]any{"global": map[string]any{"rateLimitConfigRefs": []any{map[string]any{"name": "agentcore"}}}}},
		},
	}}
	if _, err := a.Apply(ctx, pol, false); err != nil {
		t.Fatalf("EnterpriseAgentgatewayPolicy with entRateLimit: %v", err)
	}
	unstructured.SetNestedField(pol.Object, "x", "spec", "traffic", "entRateLimit", "global", "bogus")
	if _, err := a.Apply(ctx, pol, false); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("want an unknown entRateLimit field rejected, got %v", err)
	}
}
