package doctor

import (
	"context"
	"sync/atomic"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// doctor --all's access answers: asked once per question for every setup; a setup asking only for what is known
// (no goroutine, no request) gets nothing while the question is in flight, the answer once it is in, and the
// all-namespaces answer for any namespace when it allows. A narrow unit test: the fake clientset stands in for
// the API server's SelfSubjectAccessReviews (the real-cluster fleet tests count them too).
func TestFleetShareAllowedKnown(t *testing.T) {
	var asked atomic.Int32
	inFlight, release := make(chan struct{}, 8), make(chan struct{})
	kube := fake.NewClientset()
	kube.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		asked.Add(1)
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
		inFlight <- struct{}{}
		<-release
		// Secrets may be read in every namespace; HTTPRoutes only in "team-a".
		attrs := r.Spec.ResourceAttributes
		r.Status.Allowed = attrs.Resource == "secrets" || attrs.Namespace == "team-a"
		return true, r, nil
	})
	deps := Deps{Kube: kube}
	f := newFleetShare("", deps)
	ctx := context.Background()
	routes := access{verb: "get", group: "gateway.networking.k8s.io", resource: "httproutes", namespace: "team-a"}

	if _, _, known := f.allowed(ctx, deps, routes, true); known {
		t.Fatal("nothing asked yet, but the answer is known")
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("onlyKnown asked the API server %d times", n)
	}
	done := make(chan bool)
	go func() { ok, _, _ := f.allowed(ctx, deps, routes, false); done <- ok }()
	<-inFlight // the all-namespaces question
	if _, _, known := f.allowed(ctx, deps, routes, true); known {
		t.Fatal("the question is in flight, but its answer is known")
	}
	release <- struct{}{}
	<-inFlight // denied in every namespace: the namespace's own question
	if _, _, known := f.allowed(ctx, deps, routes, true); known {
		t.Fatal("the namespace's question is in flight, but its answer is known")
	}
	release <- struct{}{}
	if ok := <-done; !ok {
		t.Fatal("httproutes in team-a: want allowed")
	}
	ok, err, known := f.allowed(ctx, deps, routes, true)
	if !known || err != nil || !ok {
		t.Fatalf("after the answer: ok=%v err=%v known=%v, want allowed and known", ok, err, known)
	}
	other := routes
	other.namespace = "team-b"
	if _, _, known := f.allowed(ctx, deps, other, true); known {
		t.Fatal("team-b was never asked and every-namespace access was denied, but its answer is known")
	}

	secrets := access{verb: "get", resource: "secrets", namespace: "team-a"}
	go func() { ok, _, _ := f.allowed(ctx, deps, secrets, false); done <- ok }()
	<-inFlight
	release <- struct{}{}
	if ok := <-done; !ok {
		t.Fatal("secrets: want allowed")
	}
	secrets.namespace = "team-c"
	if ok, err, known := f.allowed(ctx, deps, secrets, true); !known || err != nil || !ok {
		t.Fatalf("secrets in team-c from the all-namespaces answer: ok=%v err=%v known=%v", ok, err, known)
	}
	if n := asked.Load(); n != 3 {
		t.Fatalf("asked %d questions, want 3 (routes everywhere, routes in team-a, secrets everywhere)", n)
	}
}
