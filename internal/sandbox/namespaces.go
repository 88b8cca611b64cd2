package sandbox

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// finalizeNamespaces does the namespace controller's job, which this control plane has no controller-manager
// for: a namespace being deleted has its contents deleted, then its "kubernetes" finalizer removed, so it goes
// away (and the wizard can create it again after a teardown).
func finalizeNamespaces(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, disc discovery.DiscoveryInterface) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var resources []schema.GroupVersionResource
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		list, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for i := range list.Items {
			ns := &list.Items[i]
			if ns.DeletionTimestamp == nil {
				continue
			}
			if resources == nil {
				resources = namespacedResources(disc)
			}
			for _, gvr := range resources {
				_ = dyn.Resource(gvr).Namespace(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
			}
			var keep []corev1.FinalizerName
			for _, f := range ns.Spec.Finalizers {
				if f != corev1.FinalizerKubernetes {
					keep = append(keep, f)
				}
			}
			ns.Spec.Finalizers = keep
			if _, err := kube.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				resources = nil // discovery may have changed (CRDs added): look again next time
			}
		}
	}
}

// namespacedResources lists every namespaced kind that can be listed and deleted.
func namespacedResources(disc discovery.DiscoveryInterface) []schema.GroupVersionResource {
	lists, _ := disc.ServerPreferredNamespacedResources()
	var out []schema.GroupVersionResource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !has(r.Verbs, "deletecollection") || !has(r.Verbs, "list") {
				continue
			}
			if gv.Group == "" && r.Name == "events" {
				continue
			}
			out = append(out, gv.WithResource(r.Name))
		}
	}
	return out
}

func has(verbs metav1.Verbs, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}
