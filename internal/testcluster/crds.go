package testcluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// SharedCRDDir is ../shared/crds/agentgateway-v1.4.1 beside the project root ($AGENTCORE_SHARED_CRDS overrides).
func SharedCRDDir() string {
	if d := os.Getenv("AGENTCORE_SHARED_CRDS"); d != "" {
		return d
	}
	root, err := RepoRoot()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(root), "shared", "crds", "agentgateway-v1.4.1")
}

// GatewayAPICRDDir is the standard-channel CRD folder of the sigs.k8s.io/gateway-api module version in go.mod,
// read from the module cache.
func GatewayAPICRDDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir, err := goListModuleDir(root, "sigs.k8s.io/gateway-api")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config", "crd", "standard"), nil
}

// CRDs gathers every CustomResourceDefinition the test cluster serves: the Gateway API standard channel, the
// real Agent Gateway v1.4.1 CRDs from ../shared/crds, and (unless ossOnly) the Solo Enterprise kinds derived
// from them (see enterpriseCRDs). notes say what was left out and why.
func CRDs(ossOnly bool) (crds []*unstructured.Unstructured, notes []string, err error) {
	gw, err := GatewayAPICRDDir()
	if err != nil {
		return nil, nil, err
	}
	gwCRDs, err := readCRDDir(gw)
	if err != nil {
		return nil, nil, err
	}
	crds = append(crds, gwCRDs...)
	shared := SharedCRDDir()
	if _, statErr := os.Stat(shared); statErr != nil {
		notes = append(notes, fmt.Sprintf("Agent Gateway CRDs not installed: %s not found", shared))
		return crds, notes, nil
	}
	ag, err := readCRDDir(shared)
	if err != nil {
		return nil, nil, err
	}
	crds = append(crds, ag...)
	if !ossOnly {
		crds = append(crds, enterpriseCRDs(ag)...)
	}
	return crds, notes, nil
}

func readCRDDir(dir string) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 64<<10)
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				if err == io.EOF {
					break
				}
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if obj == nil || obj["kind"] != "CustomResourceDefinition" {
				continue // e.g. the ValidatingAdmissionPolicy that ships beside Gateway API's CRDs
			}
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
	return out, nil
}

// InstallCRDs creates every CRD from CRDs(ossOnly) and waits until each is Established.
func InstallCRDs(ctx context.Context, cfg *rest.Config, ossOnly bool) ([]string, error) {
	crds, notes, err := CRDs(ossOnly)
	if err != nil {
		return notes, err
	}
	return notes, Install(ctx, cfg, crds)
}

// Install creates the given CRDs (existing ones are left as they are) and waits until they are Established.
func Install(ctx context.Context, cfg *rest.Config, crds []*unstructured.Unstructured) error {
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, crd := range crds {
		if _, err := dc.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("installing CRD %s: %w", crd.GetName(), err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, crd := range crds {
		for {
			got, err := dc.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
			if err == nil && established(got) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established after 60s", crd.GetName())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// enterpriseCRDs writes test stand-ins for the Solo Enterprise kinds from the field list in docs/facts.md#agent-gateway-resources:
// EnterpriseAgentgatewayPolicy = the OSS policy's schema plus traffic.entRateLimit.global.rateLimitConfigRefs[];
// EnterpriseAgentgatewayBackend = the OSS backend's schema; RateLimitConfig with spec.raw.descriptors[] and
// spec.raw.rateLimits[]. They are ours, not Solo's: they let tests apply what the plugin writes for an
// Enterprise cluster against a schema of the right shape.
func enterpriseCRDs(oss []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, c := range oss {
		kind, _, _ := unstructured.NestedString(c.Object, "spec", "names", "kind")
		switch kind {
		case "AgentgatewayPolicy":
			e := renamed(c, "EnterpriseAgentgatewayPolicy", "enterpriseagentgatewaypolicies", "enterpriseagentgatewaypolicy")
			versions, _, _ := unstructured.NestedSlice(e.Object, "spec", "versions")
			for _, v := range versions {
				vm := v.(map[string]any)
				path := []string{"schema", "openAPIV3Schema", "properties", "spec", "properties", "traffic", "properties"}
				props, found, _ := unstructured.NestedMap(vm, path...)
				if !found {
					continue
				}
				props["entRateLimit"] = entRateLimitSchema()
				_ = unstructured.SetNestedMap(vm, props, path...)
			}
			_ = unstructured.SetNestedSlice(e.Object, versions, "spec", "versions")
			out = append(out, e)
		case "AgentgatewayBackend":
			out = append(out, renamed(c, "EnterpriseAgentgatewayBackend", "enterpriseagentgatewaybackends", "enterpriseagentgatewaybackend"))
		}
	}
	return append(out, rateLimitConfigCRD())
}

func renamed(c *unstructured.Unstructured, kind, plural, singular string) *unstructured.Unstructured {
	e := c.DeepCopy()
	const group = "enterpriseagentgateway.solo.io"
	e.SetName(plural + "." + group)
	e.SetAnnotations(map[string]string{"agentcore.dev/test-stand-in": "derived from " + c.GetName() + " for tests"})
	_ = unstructured.SetNestedField(e.Object, group, "spec", "group")
	_ = unstructured.SetNestedMap(e.Object, map[string]any{
		"kind": kind, "listKind": kind + "List", "plural": plural, "singular": singular,
	}, "spec", "names")
	unstructured.RemoveNestedField(e.Object, "status")
	return e
}

func entRateLimitSchema() map[string]any {
	ref := map[string]any{
		"type":     "object",
		"required": []any{"name"},
		"properties": map[string]any{
			"name":      map[string]any{"type": "string", "minLength": int64(1)},
			"namespace": map[string]any{"type": "string"},
		},
	}
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"global": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"rateLimitConfigRefs": map[string]any{"type": "array", "minItems": int64(1), "items": ref},
				},
			},
		},
	}
}

func rateLimitConfigCRD() *unstructured.Unstructured {
	anyList := map[string]any{"type": "array", "items": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}
	schemaSpec := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"spec": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"raw": map[string]any{
						"type": "object",
						"properties": map[string]any{
							"descriptors":    anyList,
							"rateLimits":     anyList,
							"setDescriptors": anyList,
						},
					},
				},
			},
			"status": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true},
		},
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata": map[string]any{
			"name":        "ratelimitconfigs.ratelimit.solo.io",
			"annotations": map[string]any{"agentcore.dev/test-stand-in": "RateLimitConfig shape from docs/facts.md#agent-gateway-resources"},
		},
		"spec": map[string]any{
			"group": "ratelimit.solo.io",
			"scope": "Namespaced",
			"names": map[string]any{"kind": "RateLimitConfig", "listKind": "RateLimitConfigList", "plural": "ratelimitconfigs", "singular": "ratelimitconfig"},
			"versions": []any{map[string]any{
				"name": "v1alpha1", "served": true, "storage": true,
				"subresources": map[string]any{"status": map[string]any{}},
				"schema":       map[string]any{"openAPIV3Schema": schemaSpec},
			}},
		},
	}}
}
