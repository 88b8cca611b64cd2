package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	segjson "github.com/segmentio/encoding/json"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listCustom is the LIST of the custom resource gvr in ns ("" = every namespace) that doctor --all shares, as
// the objects the checks read. The dynamic client decodes a LIST of custom resources as unstructured JSON four
// times over (the kind, the items as raw messages, the whole list into maps, then each item again) and keeps each
// object's metadata.managedFields, most of an object's JSON; for 100 setups that was a third of doctor --all's
// CPU (docs/rotation-service.md). Here the same response is read once (decodeLeanList), without managedFields.
// Without a REST client to send the raw request (a fake clientset) it is the dynamic client's LIST.
func listCustom(ctx context.Context, deps Deps, gvr schema.GroupVersionResource, ns string) ([]unstructured.Unstructured, error) {
	rc := deps.Kube.Discovery().RESTClient()
	if rc == nil {
		l, err := deps.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	}
	raw, err := rc.Get().AbsPath(listPath(gvr, ns)...).SetHeader("Accept", "application/json").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	return decodeLeanList(raw)
}

// listMetadata is a LIST of gvr in ns ("" = every namespace) as metadata only (names, labels; no data or spec),
// for doctor --all to know which objects exist without reading them. It needs the raw REST client (it is an
// error without one, e.g. with a fake clientset).
func listMetadata(ctx context.Context, deps Deps, gvr schema.GroupVersionResource, ns string) (*metav1.PartialObjectMetadataList, error) {
	rc := deps.Kube.Discovery().RESTClient()
	if rc == nil {
		return nil, errors.New("no REST client for a metadata LIST")
	}
	raw, err := rc.Get().AbsPath(listPath(gvr, ns)...).
		SetHeader("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	var l metav1.PartialObjectMetadataList
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// listPath are the path segments of a LIST of gvr in ns ("" = every namespace).
func listPath(gvr schema.GroupVersionResource, ns string) []string {
	segs := []string{"/apis", gvr.Group, gvr.Version}
	if gvr.Group == "" {
		segs = []string{"/api", gvr.Version}
	}
	if ns != "" {
		segs = append(segs, "namespaces", ns)
	}
	return append(segs, gvr.Resource)
}

// leanList is a LIST response as doctor reads it: the list's kind and its items.
type leanList struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Items      []leanItem `json:"items"`
}

// leanItem is one custom resource: its kind, metadata without managedFields, spec and status (the only
// top-level fields of the Gateway API and Agent Gateway kinds doctor reads). Values keep their JSON form as the
// unstructured decoding makes it (integers as int64).
type leanItem struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   leanMeta `json:"metadata"`
	Spec       any      `json:"spec"`
	Status     any      `json:"status"`
}

// leanMeta is ObjectMeta less managedFields.
type leanMeta struct {
	Name                       any `json:"name"`
	GenerateName               any `json:"generateName"`
	Namespace                  any `json:"namespace"`
	SelfLink                   any `json:"selfLink"`
	UID                        any `json:"uid"`
	ResourceVersion            any `json:"resourceVersion"`
	Generation                 any `json:"generation"`
	CreationTimestamp          any `json:"creationTimestamp"`
	DeletionTimestamp          any `json:"deletionTimestamp"`
	DeletionGracePeriodSeconds any `json:"deletionGracePeriodSeconds"`
	Labels                     any `json:"labels"`
	Annotations                any `json:"annotations"`
	OwnerReferences            any `json:"ownerReferences"`
	Finalizers                 any `json:"finalizers"`
}

func (m *leanMeta) object() map[string]any {
	out := make(map[string]any, 8)
	for _, f := range []struct {
		k string
		v any
	}{
		{"name", m.Name}, {"generateName", m.GenerateName}, {"namespace", m.Namespace}, {"selfLink", m.SelfLink},
		{"uid", m.UID}, {"resourceVersion", m.ResourceVersion}, {"generation", m.Generation},
		{"creationTimestamp", m.CreationTimestamp}, {"deletionTimestamp", m.DeletionTimestamp},
		{"deletionGracePeriodSeconds", m.DeletionGracePeriodSeconds}, {"labels", m.Labels},
		{"annotations", m.Annotations}, {"ownerReferences", m.OwnerReferences}, {"finalizers", m.Finalizers},
	} {
		if f.v != nil {
			out[f.k] = f.v
		}
	}
	return out
}

// decodeLeanList decodes a LIST response in one pass into the objects the unstructured decoding would make,
// less metadata.managedFields. Items without a kind get the list's (as the unstructured decoding does).
func decodeLeanList(raw []byte) ([]unstructured.Unstructured, error) {
	var l leanList
	if err := unmarshalUnstructured(raw, &l); err != nil {
		return nil, err
	}
	out := make([]unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		it := &l.Items[i]
		if it.Kind == "" && it.APIVersion == "" {
			it.Kind, it.APIVersion = strings.TrimSuffix(l.Kind, "List"), l.APIVersion
		}
		o := make(map[string]any, 5)
		if it.APIVersion != "" {
			o["apiVersion"] = it.APIVersion
		}
		if it.Kind != "" {
			o["kind"] = it.Kind
		}
		o["metadata"] = it.Metadata.object()
		if it.Spec != nil {
			o["spec"] = it.Spec
		}
		if it.Status != nil {
			o["status"] = it.Status
		}
		out[i].Object = o
	}
	return out, nil
}

// unmarshalUnstructured decodes raw into v as apimachinery's JSON decoding for unstructured objects does
// (k8s.io/apimachinery/pkg/util/json: field names matched case-sensitively, integers into an interface as int64,
// other numbers and integers out of int64's range as float64), with segmentio/encoding's decoder (linked already,
// by the MCP SDK): on doctor --all's LISTs of 100 setups' objects it took 4.5 ms where apimachinery's took 7.3 ms.
// TestUnmarshalUnstructuredMatchesApimachinery and its fuzz target hold the two to the same results.
func unmarshalUnstructured(raw []byte, v any) error {
	rest, err := segjson.Parse(raw, v, segjson.DontMatchCaseInsensitiveStructFields|segjson.UseInt64)
	if err != nil {
		return err
	}
	if len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		return errors.New("invalid JSON: data after the top-level value")
	}
	return nil
}

// leanIndex is items by namespace/name.
func leanIndex(items []unstructured.Unstructured) map[string]*unstructured.Unstructured {
	m := make(map[string]*unstructured.Unstructured, len(items))
	for i := range items {
		m[k8sres.Ref(items[i].GetNamespace(), items[i].GetName())] = &items[i]
	}
	return m
}
