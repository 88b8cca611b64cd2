package rotate_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
)

func rbacRole(ns, name string) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}}
}

func rbacBinding(ns, name string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: testcluster.LimitedUser}}}
}

// TestPrintManifestsAcceptedByTheAPIServer: the printed ServiceAccount, Role, RoleBinding and Deployment are
// server-side applied with strict field validation to the real apiserver, and the Role grants exactly get+update
// on the two Secrets.
func TestPrintManifestsAcceptedByTheAPIServer(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "rotate-manifests")
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, ns); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, c: c, ns: ns}
	r := e.run(context.Background(), kc, nil, "rotate", "--print-manifests", "-n", ns, "--user-pool-id", "us-east-1_AbCdEf", "--client-id", "cid",
		"--username", "gw", "--credentials-secret", "gw-creds", "--image", "example.com/kubectl-agentcore:v1", "--min-validity", "2m")
	if r.code != 0 {
		t.Fatalf("print-manifests: %d\n%s", r.code, r.err)
	}
	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(r.out), 4096)
	var kinds []string
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding: %v\n%s", err, r.out)
		}
		if m == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if _, err := a.Apply(context.Background(), u, false); err != nil {
			t.Fatalf("the apiserver refused %s: %v", u.GetKind(), err)
		}
		kinds = append(kinds, u.GetKind())
	}
	if strings.Join(kinds, ",") != "ServiceAccount,Role,RoleBinding,Deployment" {
		t.Fatalf("kinds %v", kinds)
	}
	role, err := c.Kube().RbacV1().Roles(ns).Get(context.Background(), "agentcore-rotate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].ResourceNames, []string{"agentcore-jwt", "gw-creds"}) ||
		!slices.Equal(role.Rules[0].Verbs, []string{"get", "update"}) || !slices.Equal(role.Rules[0].Resources, []string{"secrets"}) {
		t.Fatalf("role rules: %+v", role.Rules)
	}
	dep, err := c.Kube().AppsV1().Deployments(ns).Get(context.Background(), "agentcore-rotate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ct := dep.Spec.Template.Spec.Containers[0]
	if ct.Image != "example.com/kubectl-agentcore:v1" || !slices.Contains(ct.Args, "--watch") || ct.Args[0] != "rotate" ||
		dep.Spec.Template.Spec.ServiceAccountName != "agentcore-rotate" || !slices.Contains(ct.Args, "--client-id=cid") ||
		!slices.Contains(ct.Args, "--min-validity=2m0s") {
		t.Fatalf("deployment: image %s args %v sa %s", ct.Image, ct.Args, dep.Spec.Template.Spec.ServiceAccountName)
	}
	if strings.Contains(r.out, "password") && !strings.Contains(r.out, "--password-from") {
		t.Log(r.out)
	}

	// Without a record and without a credentials Secret there is nothing the pod could mint with.
	r = e.run(context.Background(), kc, nil, "rotate", "--print-manifests", "-n", ns, "--user-pool-id", "p", "--client-id", "c", "--username", "u")
	if r.code != 1 || !strings.Contains(r.err, "--credentials-secret") {
		t.Fatalf("missing credentials Secret: %d %s", r.code, r.err)
	}
}
