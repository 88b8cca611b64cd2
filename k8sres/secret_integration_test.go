package k8sres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func createSecret(t *testing.T, kc kubernetes.Interface, ns string) {
	t.Helper()
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt", Namespace: ns, Labels: map[string]string{"team": "a"},
			Annotations: map[string]string{"note": "keep me"}},
		Data: map[string][]byte{"Authorization": []byte("Bearer old"), "other": []byte("x")},
	}
	if _, err := kc.CoreV1().Secrets(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestUpdateSecretRetriesConflictAndKeepsOthers: another writer changes the Secret between our read and our
// update; the update conflicts, is retried on the fresh copy, and both changes survive.
func TestUpdateSecretRetriesConflictAndKeepsOthers(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "secret-upd")
	kc := c.Kube()
	ctx := context.Background()
	createSecret(t, kc, ns)

	calls := 0
	res, err := k8sres.UpdateSecret(ctx, kc, ns, "agentcore-jwt", 0, func(s *corev1.Secret) error {
		calls++
		if calls == 1 { // another process writes mid-rotation
			other, _ := kc.CoreV1().Secrets(ns).Get(ctx, "agentcore-jwt", metav1.GetOptions{})
			other.Data["added-by-other"] = []byte("y")
			other.Labels["other"] = "b"
			if _, err := kc.CoreV1().Secrets(ns).Update(ctx, other, metav1.UpdateOptions{}); err != nil {
				t.Errorf("concurrent writer: %v", err)
			}
		}
		k8sres.SetSecretValue(s, "Authorization", "Bearer new")
		k8sres.SetAnnotation(s, "agentcore.dev/rotated-at", "now")
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateSecret: %v", err)
	}
	if res.Conflicts != 1 || calls != 2 || !res.Written {
		t.Fatalf("conflicts %d calls %d written %v; want one retried conflict", res.Conflicts, calls, res.Written)
	}
	got, _ := kc.CoreV1().Secrets(ns).Get(ctx, "agentcore-jwt", metav1.GetOptions{})
	if string(got.Data["Authorization"]) != "Bearer new" || string(got.Data["other"]) != "x" || string(got.Data["added-by-other"]) != "y" {
		t.Fatalf("data lost: %v", got.Data)
	}
	if got.Labels["team"] != "a" || got.Labels["other"] != "b" || got.Annotations["note"] != "keep me" || got.Annotations["agentcore.dev/rotated-at"] != "now" {
		t.Fatalf("labels/annotations lost: %v %v", got.Labels, got.Annotations)
	}

	// ErrNoChange writes nothing.
	rv := got.ResourceVersion
	res, err = k8sres.UpdateSecret(ctx, kc, ns, "agentcore-jwt", 0, func(*corev1.Secret) error { return k8sres.ErrNoChange })
	if err != nil || res.Written {
		t.Fatalf("ErrNoChange: %v written=%v", err, res.Written)
	}
	again, _ := kc.CoreV1().Secrets(ns).Get(ctx, "agentcore-jwt", metav1.GetOptions{})
	if again.ResourceVersion != rv {
		t.Fatal("ErrNoChange must not write")
	}
}

func TestUpdateSecretErrorsNameVerbAndResource(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "secret-err")
	kc := c.Kube()
	ctx := context.Background()
	noop := func(s *corev1.Secret) error { k8sres.SetSecretValue(s, "Authorization", "Bearer n"); return nil }

	_, err := k8sres.UpdateSecret(ctx, kc, ns, "missing", 0, noop)
	if err == nil || !strings.Contains(err.Error(), "reading Secret "+ns+"/missing: not found") {
		t.Fatalf("missing Secret: %v", err)
	}

	createSecret(t, kc, ns)
	c.GrantLimited(t, ns, "get-only", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}})
	limited := kubernetes.NewForConfigOrDie(c.ConfigFor(testcluster.LimitedToken))
	_, err = k8sres.UpdateSecret(ctx, limited, ns, "agentcore-jwt", 0, noop)
	if err == nil || !strings.Contains(err.Error(), "updating Secret "+ns+"/agentcore-jwt: forbidden (cannot update resource secrets)") {
		t.Fatalf("RBAC without update: %v", err)
	}
	got, _ := kc.CoreV1().Secrets(ns).Get(ctx, "agentcore-jwt", metav1.GetOptions{})
	if string(got.Data["Authorization"]) != "Bearer old" {
		t.Fatal("the Secret changed although the update was forbidden")
	}
}
