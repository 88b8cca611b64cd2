package rotate_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// applyAll server-side applies a printed YAML stream with strict field validation and returns the objects.
func applyAll(t *testing.T, c *clustertest.Cluster, stream string) []*unstructured.Unstructured {
	t.Helper()
	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(stream), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding: %v\n%s", err, stream)
		}
		if m == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if _, err := a.Apply(context.Background(), u, false); err != nil {
			t.Fatalf("the apiserver refused %s: %v", u.GetKind(), err)
		}
		objs = append(objs, u)
	}
	return objs
}

// TestPrintFleetManifests: `rotate --print-manifests --all` is accepted by the real apiserver (server-side apply,
// strict field validation), grants no wildcard and nothing beyond what the service uses (a ClusterRole only with
// --all-namespaces), and its Deployment's own arguments, run in-process as its ServiceAccount (impersonated, so
// exactly the printed RBAC applies), lead the Lease, rotate a setup, write its Event and status, and release the
// Lease on SIGTERM.
func TestPrintFleetManifests(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "fleet-manifests")
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, ns); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, c: c, ns: ns, kube: kubernetes.NewForConfigOrDie(rest.CopyConfig(c.Config))}
	ctx := context.Background()

	r := e.run(ctx, kc, nil, "rotate", "--print-manifests", "--all", "-n", ns, "--image", "example.com/kubectl-agentcore:v1",
		"--min-validity", "90s", "--renew-before", "40%")
	if r.code != 0 {
		t.Fatalf("print-manifests --all: %d\n%s", r.code, r.err)
	}
	if strings.Contains(r.out, "'*'") || strings.Contains(r.out, `"*"`) || strings.Contains(r.out, "- '*'") {
		t.Fatalf("a wildcard in the manifests:\n%s", r.out)
	}
	var kinds []string
	for _, u := range applyAll(t, c, r.out) {
		kinds = append(kinds, u.GetKind())
	}
	if want := "ServiceAccount,Role,RoleBinding,Role,RoleBinding,Deployment,PodDisruptionBudget,Service"; strings.Join(kinds, ",") != want {
		t.Fatalf("kinds %v, want %s", kinds, want)
	}
	role, err := e.kube.RbacV1().Roles(ns).Get(ctx, "agentcore-rotate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	verbs := map[string][]string{}
	for _, rule := range role.Rules {
		for _, res := range rule.Resources {
			verbs[res] = rule.Verbs
		}
	}
	if !slices.Equal(verbs["secrets"], []string{"get", "update"}) || !slices.Equal(verbs["configmaps"], []string{"list", "watch", "patch"}) ||
		!slices.Equal(verbs["events"], []string{"create", "patch"}) || len(verbs) != 3 {
		t.Fatalf("role rules: %+v", role.Rules)
	}
	dep, err := e.kube.AppsV1().Deployments(ns).Get(ctx, "agentcore-rotate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ct := dep.Spec.Template.Spec.Containers[0]
	if *dep.Spec.Replicas != 2 || ct.LivenessProbe == nil || ct.ReadinessProbe == nil || ct.Resources.Requests.Memory().IsZero() ||
		!slices.Contains(ct.Args, "--renew-before=40%") || !slices.Contains(ct.Args, "--namespace="+ns) {
		t.Fatalf("deployment: replicas %d args %v", *dep.Spec.Replicas, ct.Args)
	}
	pdb, err := e.kube.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "agentcore-rotate", metav1.GetOptions{})
	if err != nil || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Fatalf("pdb: %v %+v", err, pdb)
	}

	// --all-namespaces: the setup rules become a ClusterRole; the Lease stays namespaced.
	ra := e.run(ctx, kc, nil, "rotate", "--print-manifests", "--all", "-A", "--lease-namespace", ns)
	if ra.code == 0 {
		t.Fatalf("--lease-namespace with --print-manifests was accepted")
	}
	ra = e.run(ctx, kc, nil, "rotate", "--print-manifests", "--all", "-A")
	if ra.code != 0 {
		t.Fatalf("print-manifests --all -A: %d\n%s", ra.code, ra.err)
	}
	var akinds []string
	for _, u := range applyAll(t, c, ra.out) {
		akinds = append(akinds, u.GetKind())
		if u.GetKind() == "ClusterRoleBinding" || u.GetKind() == "ClusterRole" {
			name := u.GetName()
			t.Cleanup(func() {
				_ = e.kube.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
				_ = e.kube.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
			})
		}
	}
	if !slices.Contains(akinds, "ClusterRole") || slices.Index(akinds, "Role") < 0 || strings.Count(strings.Join(akinds, ","), "Role,") != 2 {
		t.Fatalf("-A kinds %v", akinds)
	}

	// Run the Deployment's arguments as its ServiceAccount against one client-credentials setup.
	const api = "https://agents.example.test/"
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{AccessTokenTTL: 10 * time.Minute, Resources: map[string]string{api: "agents.invoke"},
		Clients: []oidcserver.Client{{ID: "gateway-m2m", Secret: secret}}})
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", "http://127.0.0.1:1") // no runtime to read: the record's authorizer
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	t.Setenv("POD_NAME", "agentcore-rotate-7d9f-abcde")
	rec := &setup.Record{Namespace: ns, Name: setup.DefaultRecordName, Region: "us-east-1",
		RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/m2m_agent-Ab12Cd34Ef", Mode: setup.ModeRewrite,
		IdentityProvider: setup.IdPExternal, Issuer: idp.Issuer, DiscoveryURL: idp.DiscoveryURL(), Audience: []string{api},
		ClientID: "gateway-m2m", TokenSource: setup.TokenSourceClientCredentials, TokenAudience: api,
		TokenUse: setup.TokenUseAccess, GatewayNamespace: "agentgateway-system", GatewayName: "agentgateway-proxy", SecretName: "agentcore-jwt"}
	if err := setup.Save(ctx, e.kube, rec, &setup.Credentials{ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	e.createSecret("agentcore-jwt", map[string]string{"Authorization": "Bearer placeholder"}, nil, nil)

	args := append(slices.Clone(ct.Args), "--listen=127.0.0.1:0", "--as=system:serviceaccount:"+ns+":agentcore-rotate")
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan result, 1)
	go func() { done <- e.run(rctx, kc, nil, args...) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := e.secret("agentcore-jwt")
		if strings.Contains(s.Annotations[rotate.AnnotationRotatedBy], "agentcore-rotate-7d9f-abcde") {
			if _, err := rotate.Peek(string(s.Data["Authorization"])); err != nil {
				t.Fatalf("the service wrote %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			cancel()
			res := <-done
			t.Fatalf("the service did not rotate within 60s: code %d\n%s%s", res.code, res.out, res.err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	lease, err := e.kube.CoordinationV1().Leases(ns).Get(ctx, rotate.DefaultLeaseName, metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != "agentcore-rotate-7d9f-abcde" {
		t.Fatalf("lease: %v %+v", err, lease)
	}
	var st rotate.RecordStatus
	for time.Now().Before(deadline) {
		cm, err := e.kube.CoreV1().ConfigMaps(ns).Get(ctx, rec.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st = rotate.ReadStatus(cm); !st.LastRotation.IsZero() {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.LastRotation.IsZero() || st.Next.IsZero() || st.By != "agentcore-rotate-7d9f-abcde" || st.LastError != "" {
		t.Fatalf("record status %+v", st)
	}
	evs, err := e.kube.EventsV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs.Items {
		found = found || (ev.Reason == rotate.EventReasonRotated && ev.Regarding.Name == rec.Name)
	}
	if !found {
		t.Fatalf("no Rotated event on the record: %d events", len(evs.Items))
	}
	cancel() // SIGTERM
	res := <-done
	if res.code != 0 || strings.Contains(res.out+res.err, secret) || wholeJWT.MatchString(res.out+res.err) || strings.Contains(res.err, "forbidden") {
		t.Fatalf("service: code %d\n%s%s", res.code, res.out, res.err)
	}
	lease, err = e.kube.CoordinationV1().Leases(ns).Get(ctx, rotate.DefaultLeaseName, metav1.GetOptions{})
	if err != nil || (lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "") {
		t.Fatalf("the Lease was not released on SIGTERM: %v %+v", err, lease.Spec)
	}
}
