package k8sres

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager for everything the plugin writes.
const FieldManager = "kubectl-agentcore"

// Labels every object the plugin creates carries.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedByValue = "kubectl-agentcore"
)

// Applier server-side applies objects with strict field validation, so a field the schema does not know is an
// error instead of being silently dropped.
type Applier struct {
	Dynamic dynamic.Interface
	Mapper  meta.RESTMapper
	// FieldManager defaults to FieldManager.
	FieldManager string
}

// NewApplier builds an Applier whose REST mapper is backed by (cached) discovery.
func NewApplier(dyn dynamic.Interface, disc discovery.DiscoveryInterface) *Applier {
	return &Applier{Dynamic: dyn, Mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
}

// Resource returns the dynamic client for obj's kind, namespaced when the kind is.
func (a *Applier) Resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	m, err := a.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil, fmt.Errorf("the cluster does not serve %s (%s): install its CRDs", gvk.Kind, gvk.GroupVersion())
		}
		return nil, nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return a.Dynamic.Resource(m.Resource).Namespace(namespace), m, nil
	}
	return a.Dynamic.Resource(m.Resource), m, nil
}

// Apply server-side applies obj (force-taking ownership of the fields it sets) and returns the live object.
// dryRun asks the server to validate and default without persisting.
func (a *Applier) Apply(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	ri, _, err := a.Resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, err
	}
	fm := a.FieldManager
	if fm == "" {
		fm = FieldManager
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: fm, Force: &force, FieldValidation: metav1.FieldValidationStrict}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	out, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
	if err != nil {
		return nil, Explain(fmt.Sprintf("applying %s %s", obj.GetKind(), Ref(obj.GetNamespace(), obj.GetName())), err)
	}
	return out, nil
}

// Ref formats namespace/name (or just name for cluster-scoped objects).
func Ref(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
