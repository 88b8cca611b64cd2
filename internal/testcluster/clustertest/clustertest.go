// Package clustertest is the test side of internal/testcluster: one shared real cluster per test binary (with or
// without kwok), a namespace per test, proxy pods whose logs are files. Its helpers take testing.TB or end the
// process (Main), so they live here, apart from the code the sandbox binary links; only tests import it.
//
// Use:
//
//	func TestMain(m *testing.M) { clustertest.Main(m) }
//
//	c := clustertest.Shared(t)                  // or k := clustertest.SharedWithKwok(t)
//	clustertest.NeedAgentGatewayCRDs(t)         // when the test applies Agent Gateway kinds
//	ns := c.Namespace(t, "wizard")
package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Cluster is the shared test cluster with the per-test helpers.
type Cluster struct{ *testcluster.Cluster }

// KwokCluster is the shared test cluster with kwok as the kubelet of testcluster.KwokNodeName.
type KwokCluster struct{ *testcluster.KwokCluster }

// The package's shared clusters, each started on first use and stopped by Main.
var (
	shared     = &sharedCluster[*Cluster]{what: "test cluster", dirPattern: "agentcore-cluster-", logs: "logs"}
	kwokShared = &sharedCluster[*KwokCluster]{what: "test cluster with kwok", dirPattern: "agentcore-kwok-cluster-", logs: "kwok cluster logs"}

	nsCounter atomic.Int64
)

// unavailable skips the test with msg, or fails it under AGENTCORE_REQUIRE_TESTBIN=1 (make test, CI).
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if testcluster.Required() {
		t.Fatal(msg + " (AGENTCORE_REQUIRE_TESTBIN=1: a missing part fails the test)")
	}
	t.Skip(msg)
}

// sharedCluster is one cluster per test binary: started by the first test that asks (in a temporary folder for
// its logs), then handed to every other test; Main stops it.
type sharedCluster[C interface{ Stop() }] struct {
	what, dirPattern, logs string

	once  sync.Once
	c     C
	notes []string
	err   error
	dir   string
	up    bool
}

// get returns the cluster, starting it with start on first use. Missing binaries skip the test (or fail it,
// under AGENTCORE_REQUIRE_TESTBIN=1); a cluster that does not start fails it.
func (s *sharedCluster[C]) get(t testing.TB, missing []string, start func(ctx context.Context, dir string) (C, []string, error)) C {
	t.Helper()
	if len(missing) > 0 {
		unavailable(t, fmt.Sprintf("real %s unavailable: %s not built in %s (run `make testbin`)", s.what, strings.Join(missing, ", "), testcluster.BinDir()))
	}
	s.once.Do(func() {
		if s.dir, s.err = os.MkdirTemp("", s.dirPattern); s.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if s.c, s.notes, s.err = start(ctx, s.dir); s.err == nil {
			s.up = true
			for _, n := range s.notes {
				fmt.Fprintln(os.Stderr, "testcluster: "+n)
			}
		}
	})
	if s.err != nil {
		t.Fatalf("starting the %s: %v", s.what, s.err)
	}
	for _, n := range s.notes {
		t.Log(n)
	}
	return s.c
}

// end stops the cluster and removes its folder, or keeps the folder and says where when the tests failed.
func (s *sharedCluster[C]) end(code int) {
	if s.up {
		s.c.Stop()
	}
	if s.dir == "" {
		return
	}
	if code == 0 {
		os.RemoveAll(s.dir)
	} else {
		fmt.Fprintf(os.Stderr, "testcluster: %s kept in %s\n", s.logs, s.dir)
	}
}

// Shared returns the package's one test cluster, starting it on first use. Use Main in TestMain so it is
// stopped when the package's tests end. When the binaries are not built the test is skipped with the reason
// (or fails, under AGENTCORE_REQUIRE_TESTBIN=1).
func Shared(t testing.TB) *Cluster {
	t.Helper()
	return shared.get(t, testcluster.Missing(testcluster.BinDir()), func(ctx context.Context, dir string) (*Cluster, []string, error) {
		c, err := testcluster.Start(ctx, dir, testcluster.Options{})
		if err != nil {
			return nil, nil, err
		}
		return &Cluster{c}, c.Notes, nil
	})
}

// SharedWithKwok returns the package's one kwok test cluster, starting it on first use (separate from Shared's
// cluster). Use Main in TestMain so it is stopped. Missing binaries skip the test (fail under
// AGENTCORE_REQUIRE_TESTBIN=1).
func SharedWithKwok(t testing.TB) *KwokCluster {
	t.Helper()
	return kwokShared.get(t, testcluster.MissingKwok(testcluster.BinDir()), func(ctx context.Context, dir string) (*KwokCluster, []string, error) {
		k, err := testcluster.StartWithKwok(ctx, dir, testcluster.Options{})
		if err != nil {
			return nil, nil, err
		}
		return &KwokCluster{k}, k.Notes, nil
	})
}

// Private starts a cluster of the test's own (stopped when the test ends; its logs are kept and named when the
// test fails), for tests that must not share statuses with the package's other tests, e.g. Options{Controller:
// true} (the real Agent Gateway controller) in a package whose other tests write statuses by hand. Missing
// binaries skip the test (or fail it, under AGENTCORE_REQUIRE_TESTBIN=1).
func Private(t testing.TB, o testcluster.Options) *Cluster {
	t.Helper()
	bin := o.BinDir
	if bin == "" {
		bin = testcluster.BinDir()
	}
	missing := testcluster.Missing(bin)
	if o.Controller && testcluster.MissingController(bin) {
		missing = append(missing, testcluster.ControllerBinary)
	}
	if len(missing) > 0 {
		unavailable(t, fmt.Sprintf("real test cluster unavailable: %s not built in %s (run `make testbin`)", strings.Join(missing, ", "), bin))
	}
	dir, err := os.MkdirTemp("", "agentcore-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := testcluster.Start(ctx, dir, o)
	if err != nil {
		t.Fatalf("starting a test cluster (logs in %s): %v", dir, err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("test cluster logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return &Cluster{c}
}

// NeedAgentGatewayCRDs skips a test that applies Agent Gateway kinds when their CRDs (../shared/crds, see
// testcluster.SharedCRDDir) are not there; under AGENTCORE_REQUIRE_TESTBIN=1 it fails instead, so a missing
// CRD folder can never pass as a skip.
func NeedAgentGatewayCRDs(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(testcluster.SharedCRDDir()); err != nil {
		unavailable(t, fmt.Sprintf("Agent Gateway CRDs not available at %s: %v", testcluster.SharedCRDDir(), err))
	}
}

// Main runs the package's tests, stops the shared clusters afterwards and exits with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	kwokShared.end(code)
	shared.end(code)
	os.Exit(code)
}

// Namespace creates a fresh namespace (with its default ServiceAccount, which no controller makes here) for
// one test and deletes it when the test ends.
func (c *Cluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	return namespace(t, c.Kube(), prefix)
}

// Namespace is Cluster.Namespace on the kwok cluster.
func (k *KwokCluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	return namespace(t, k.Kube(), prefix)
}

func namespace(t testing.TB, kc kubernetes.Interface, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid()%10000, nsCounter.Add(1))
	ctx := context.Background()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	if _, err := kc.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating default ServiceAccount in %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = kc.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// LogPodOptions describe a Pod on the kwok node whose containers' logs come from files.
type LogPodOptions struct {
	Namespace, Name string
	Labels          map[string]string
	// Containers default to one container "agentgateway".
	Containers []string
}

// LogPod is a Pod on the kwok node with one CRI log file per container.
type LogPod struct {
	Namespace, Name string
	// Files maps container name to its absolute log file.
	Files map[string]string

	mu sync.Mutex
}

// CreateLogPod creates the Pod (nodeName set to the kwok node, tolerating its taint) and a Logs object that
// points each container at an (empty) log file, then waits until the apiserver serves its logs through kwok.
// The Pod is deleted when the test ends (if still there).
func (k *KwokCluster) CreateLogPod(t testing.TB, o LogPodOptions) *LogPod {
	t.Helper()
	if len(o.Containers) == 0 {
		o.Containers = []string{"agentgateway"}
	}
	ctx := context.Background()
	lp := &LogPod{Namespace: o.Namespace, Name: o.Name, Files: map[string]string{}}
	dir := filepath.Join(k.LogDir, o.Namespace, o.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var containers []corev1.Container
	var logs []any
	for _, cn := range o.Containers {
		f := filepath.Join(dir, cn+".log")
		fh, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fh.Close()
		lp.Files[cn] = f
		containers = append(containers, corev1.Container{Name: cn, Image: "cr.agentgateway.dev/agentgateway:test"})
		logs = append(logs, map[string]any{"containers": []any{cn}, "logsFile": f, "follow": true})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, Name: o.Name, Labels: o.Labels},
		Spec: corev1.PodSpec{
			NodeName:    testcluster.KwokNodeName,
			Containers:  containers,
			Tolerations: []corev1.Toleration{{Key: testcluster.KwokNodeAnnotation, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		},
	}
	logsObj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"namespace": o.Namespace, "name": o.Name},
		"spec":     map[string]any{"logs": logs},
	}}
	if _, err := k.Dynamic().Resource(testcluster.LogsGVR).Namespace(o.Namespace).Create(ctx, logsObj, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating kwok Logs %s/%s: %v", o.Namespace, o.Name, err)
	}
	if _, err := k.Kube().CoreV1().Pods(o.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s/%s: %v", o.Namespace, o.Name, err)
	}
	t.Cleanup(func() {
		zero := int64(0)
		_ = k.Kube().CoreV1().Pods(o.Namespace).Delete(context.Background(), o.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	k.WaitLogsServed(t, lp)
	return lp
}

// GatewayProxyPod creates a Pod that looks like an Agent Gateway proxy pod of Gateway gw (labels
// app.kubernetes.io/name=gw and gateway.networking.k8s.io/gateway-name=gw) with one container "agentgateway".
func (k *KwokCluster) GatewayProxyPod(t testing.TB, ns, gw, name string) *LogPod {
	t.Helper()
	return k.CreateLogPod(t, LogPodOptions{Namespace: ns, Name: name,
		Labels: map[string]string{testcluster.AppNameLabel: gw, testcluster.GatewayNameLabel: gw}})
}

// WaitLogsServed waits until GET pods/<name>/log answers for every container (kwok has seen the Pod, its node
// and its Logs object).
func (k *KwokCluster) WaitLogsServed(t testing.TB, lp *LogPod) {
	t.Helper()
	kc := k.Kube()
	one := int64(1)
	for cn := range lp.Files {
		var last error
		err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			_, last = kc.CoreV1().Pods(lp.Namespace).GetLogs(lp.Name, &corev1.PodLogOptions{Container: cn, LimitBytes: &one}).DoRaw(ctx)
			return last == nil, nil
		})
		if err != nil {
			t.Fatalf("logs of %s/%s container %s not served by kwok: %v; kwok log: %s", lp.Namespace, lp.Name, cn, last, k.LogTail("kwok"))
		}
	}
}

// DeletePod deletes the Pod at once (grace period 0). Its log file stays.
func (k *KwokCluster) DeletePod(t testing.TB, lp *LogPod) {
	t.Helper()
	zero := int64(0)
	if err := k.Kube().CoreV1().Pods(lp.Namespace).Delete(context.Background(), lp.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatalf("deleting pod %s/%s: %v", lp.Namespace, lp.Name, err)
	}
}

// Append writes lines to the first container's log file, stamped now, in CRI format.
func (lp *LogPod) Append(t testing.TB, lines ...string) {
	t.Helper()
	lp.AppendAt(t, "", time.Now(), lines...)
}

// AppendAt writes lines to container's log file (empty = the only/first container) in CRI format
// (`<RFC3339Nano> stdout F <line>`), each stamped with ts (1µs apart so order is kept). The file is only ever
// appended to, never truncated.
func (lp *LogPod) AppendAt(t testing.TB, container string, ts time.Time, lines ...string) {
	t.Helper()
	lp.mu.Lock()
	defer lp.mu.Unlock()
	f := lp.Files[container]
	if container == "" && len(lp.Files) > 0 {
		names := make([]string, 0, len(lp.Files))
		for name := range lp.Files {
			names = append(names, name)
		}
		f = lp.Files[slices.Min(names)]
	}
	if f == "" {
		t.Fatalf("pod %s/%s has no container %q", lp.Namespace, lp.Name, container)
	}
	var b bytes.Buffer
	for i, l := range lines {
		b.WriteString(ts.Add(time.Duration(i) * time.Microsecond).UTC().Format(time.RFC3339Nano))
		b.WriteString(" stdout F ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatalf("appending to %s: %v", f, err)
	}
	defer fh.Close()
	if _, err := fh.Write(b.Bytes()); err != nil {
		t.Fatalf("appending to %s: %v", f, err)
	}
}

// WaitAllowed waits until the API server's authorizer lets the user of kc do what ra says (its RBAC cache follows
// Role and binding writes a moment later, longer under load): a test that has just bound a Role and expects the
// user to get past it waits here first. It fails the test after a minute.
func WaitAllowed(t testing.TB, kc kubernetes.Interface, ra authorizationv1.ResourceAttributes) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		r, err := kc.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = r.Status.Reason
		return r.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("%s %s in %q is still not allowed after a minute: %s", ra.Verb, ra.Resource, ra.Namespace, last)
	}
}

// GrantLimited gives the user testcluster.LimitedUser the rules: a Role and RoleBinding named name in namespace,
// or with namespace "" a ClusterRole and ClusterRoleBinding (deleted when the test ends). It returns once the API
// server's authorizer lets the user do what the first rule says (WaitAllowed).
func (c *Cluster) GrantLimited(t testing.TB, namespace, name string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	ctx := context.Background()
	kube := c.Kube()
	subjects := []rbacv1.Subject{{Kind: "User", Name: testcluster.LimitedUser}}
	var err error
	if namespace != "" {
		if _, err = kube.RbacV1().Roles(namespace).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Rules: rules}, metav1.CreateOptions{}); err == nil {
			_, err = kube.RbacV1().RoleBindings(namespace).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: subjects}, metav1.CreateOptions{})
		}
	} else {
		if _, err = kube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err == nil {
			_, err = kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subjects}, metav1.CreateOptions{})
		}
		t.Cleanup(func() {
			_ = kube.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
			_ = kube.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	if err != nil {
		t.Fatalf("granting %s the rules of %s: %v", testcluster.LimitedUser, name, err)
	}
	if len(rules) == 0 {
		return
	}
	r := rules[0]
	pick := func(vs []string, star string) string {
		if len(vs) == 0 || vs[0] == "*" {
			return star
		}
		return vs[0]
	}
	WaitAllowed(t, kubernetes.NewForConfigOrDie(c.ConfigFor(testcluster.LimitedToken)), authorizationv1.ResourceAttributes{
		Namespace: namespace, Verb: pick(r.Verbs, "get"), Group: pick(r.APIGroups, ""), Resource: pick(r.Resources, "configmaps")})
}
