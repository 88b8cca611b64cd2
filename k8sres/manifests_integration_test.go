package k8sres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
)

const testARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

func spec(ns, mode string, enterprise bool) k8sres.ManifestSpec {
	s := k8sres.ManifestSpec{
		Mode: mode, Namespace: ns, RuntimeARN: testARN,
		DataPlaneHost:    "bedrock-agentcore.us-east-1.amazonaws.com",
		InvocationPath:   "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fpayments_agent-Ab12Cd34Ef/invocations",
		GatewayNamespace: "agentgateway-system", GatewayName: "agentgateway-proxy", PathPrefix: "/agentcore",
		SecretName: "agentcore-jwt", BackendName: "agentcore", PolicyName: "agentcore", TrafficPolicyName: "agentcore-traffic",
		RouteName: "agentcore", RateLimitConfigName: "agentcore",
		BackendGVK: k8sres.GVKBackend, PolicyGVK: k8sres.GVKPolicy,
		RateLimit: &k8sres.RateLimit{Requests: 3, Unit: "Minutes"},
		CORS:      &k8sres.CORS{Origins: []string{"https://app.example.com"}, Methods: []string{"POST", "OPTIONS"}, Headers: []string{"content-type"}, MaxAge: 600},
		Labels:    map[string]string{k8sres.LabelManagedBy: k8sres.ManagedByValue},
	}
	if enterprise {
		// What Kinds.PolicyGVK/BackendGVK pick on an Enterprise cluster: the Enterprise policy, the OSS backend.
		s.PolicyGVK, s.GlobalRateLimit = k8sres.GVKEnterprisePolicy, true
	}
	return s
}

// TestManifestsAcceptedByRealCRDs applies every mode's manifests (OSS and Enterprise kinds, with rate limit and
// CORS) to the real API server with strict field validation: the real Agent Gateway v1.4.1 CRDs and Gateway API
// v1.5.0 schemas (and their CEL rules) must accept them.
func TestManifestsAcceptedByRealCRDs(t *testing.T) {
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	ctx := context.Background()
	for _, mode := range []string{k8sres.ModeRewrite, k8sres.ModeNative, k8sres.ModeSigV4} {
		for _, ent := range []bool{false, true} {
			name := mode
			if ent {
				name += "-enterprise"
			}
			t.Run(name, func(t *testing.T) {
				ns := c.Namespace(t, "mf")
				objs, err := k8sres.BuildManifests(spec(ns, mode, ent))
				if err != nil {
					t.Fatal(err)
				}
				kinds := map[string]bool{}
				for _, o := range objs {
					if _, err := a.Apply(ctx, o, false); err != nil {
						t.Fatalf("%s %s rejected: %v", o.GetKind(), o.GetName(), err)
					}
					kinds[o.GetKind()] = true
				}
				wantSecret := mode != k8sres.ModeSigV4
				if kinds["Secret"] != wantSecret || !kinds["HTTPRoute"] {
					t.Fatalf("kinds %v", kinds)
				}
				if ent && !kinds["RateLimitConfig"] {
					t.Fatalf("enterprise global rate limit needs a RateLimitConfig: %v", kinds)
				}
			})
		}
	}
}

func TestRewriteRouteAndPolicyShape(t *testing.T) {
	objs, err := k8sres.BuildManifests(spec("agentcore", k8sres.ModeRewrite, false))
	if err != nil {
		t.Fatal(err)
	}
	var route, policy *unstructured.Unstructured
	for _, o := range objs {
		switch {
		case o.GetKind() == "HTTPRoute":
			route = o
		case o.GetKind() == "AgentgatewayPolicy" && o.GetName() == "agentcore":
			policy = o
		}
	}
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	f := rules[0].(map[string]any)["filters"].([]any)[0].(map[string]any)
	rw := f["urlRewrite"].(map[string]any)
	if rw["hostname"] != "bedrock-agentcore.us-east-1.amazonaws.com" || !strings.HasSuffix(rw["path"].(map[string]any)["replaceFullPath"].(string), "%2Fpayments_agent-Ab12Cd34Ef/invocations") {
		t.Fatalf("rewrite: %v", rw)
	}
	sec, _, _ := unstructured.NestedString(policy.Object, "spec", "backend", "auth", "secretRef", "name")
	if sec != "agentcore-jwt" {
		t.Fatalf("policy secretRef: %v", policy.Object)
	}
	if _, ok, _ := unstructured.NestedMap(policy.Object, "spec", "backend", "tls"); !ok {
		t.Fatal("rewrite policy needs backend.tls")
	}
}

func TestParseRateLimit(t *testing.T) {
	for in, want := range map[string]string{"3/minute": "3/minute", "10/s": "10/second", " 1000 / hours ": "1000/hour"} {
		r, err := k8sres.ParseRateLimit(in)
		if err != nil || r.String() != want {
			t.Fatalf("%q: %v %v", in, r, err)
		}
	}
	for _, bad := range []string{"3", "0/minute", "x/minute", "3/day", "-1/s"} {
		if _, err := k8sres.ParseRateLimit(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	if r, err := k8sres.ParseRateLimit(""); r != nil || err != nil {
		t.Fatal("empty is no rate limit")
	}
}
