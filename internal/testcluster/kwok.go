package testcluster

// kwok as the kubelet of one fake node, so tests can read pod logs through the real apiserver.
//
// How it fits together: kube-apiserver proxies GET pods/<name>/log to the node's InternalIP and kubelet port
// (--kubelet-preferred-address-types=InternalIP) with a client certificate from the cluster's CA and checks
// the kubelet's serving certificate against the same CA. kwok (sigs.k8s.io/kwok v0.7.0, built into
// .testbin/bin/kwok by tools/kwok) manages every Node, reports 127.0.0.1:<port> as the node's address and
// serves /containerLogs from files named by kwok.x-k8s.io/v1alpha1 Logs objects (one per pod, found by name and
// namespace). Log files are in CRI format (`<RFC3339Nano> stdout F <line>`); they are only ever appended to, so
// a followed stream keeps reading them. A followed stream does not end when its pod is deleted: a log
// follower learns about deleted pods from a watch.
//
// Use:
//
//	func TestMain(m *testing.M) { testcluster.Main(m) }
//
//	k := testcluster.SharedWithKwok(t)
//	ns := k.Namespace(t, "logs")
//	p := k.GatewayProxyPod(t, ns, "agentgateway-proxy", "agentgateway-proxy-7c9d")
//	p.Append(t, "2025-…\tinfo\trequest gateway=… http.status=401 …")

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Kwok-related names used by the helpers.
const (
	// KwokNodeName is the fake node kwok acts as the kubelet for.
	KwokNodeName = "kwok-node-0"
	// KwokNodeAnnotation (value "fake") marks kwok's nodes; the node carries the same key as a NoSchedule taint.
	KwokNodeAnnotation = "kwok.x-k8s.io/node"
	// GatewayNameLabel is the label Agent Gateway puts on a Gateway's proxy pods (field-facts §5).
	GatewayNameLabel = "gateway.networking.k8s.io/gateway-name"
	// AppNameLabel is the app.kubernetes.io/name label, also set to the Gateway's name on proxy pods.
	AppNameLabel = "app.kubernetes.io/name"
)

// LogsGVR is kwok's namespaced Logs resource (one object per pod, named like the pod).
var LogsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}

// KwokCluster is a test cluster with kwok running as the kubelet of KwokNodeName.
type KwokCluster struct {
	*Cluster
	// Port is the kubelet port kwok listens on (127.0.0.1).
	Port int
	// LogDir holds the pods' CRI log files.
	LogDir string
}

// MissingKwok lists kwok among the missing binaries when it is not built.
func MissingKwok(binDir string) []string {
	m := Missing(binDir)
	if _, err := os.Stat(filepath.Join(binDir, "kwok")); err != nil {
		m = append(m, "kwok")
	}
	return m
}

// KwokCRDDir is the kwok module's kustomize/crd/bases folder, located with `go list -m` in tools/kwok (the
// module that builds the kwok binary) — the same way GatewayAPICRDDir finds Gateway API's CRDs.
func KwokCRDDir() (string, error) {
	if d := os.Getenv("AGENTCORE_KWOK_CRDS"); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir, err := goListModuleDir(filepath.Join(root, "tools", "kwok"), "sigs.k8s.io/kwok")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "kustomize", "crd", "bases"), nil
}

// KwokCRDs reads the Logs and ClusterLogs CRDs kwok serves logs from.
func KwokCRDs() ([]*unstructured.Unstructured, error) {
	dir, err := KwokCRDDir()
	if err != nil {
		return nil, err
	}
	all, err := readCRDDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, c := range all {
		switch c.GetName() {
		case "logs.kwok.x-k8s.io", "clusterlogs.kwok.x-k8s.io":
			out = append(out, c)
		}
	}
	if len(out) != 2 {
		return nil, fmt.Errorf("kwok Logs/ClusterLogs CRDs not found in %s", dir)
	}
	return out, nil
}

// StartWithKwok starts a cluster like Start (o.ExtraAPIServerArgs is kept and extended) and then kwok as the
// kubelet of the node KwokNodeName, and waits until that node is Ready.
func StartWithKwok(ctx context.Context, dir string, o Options) (*KwokCluster, error) {
	if o.BinDir == "" {
		o.BinDir = BinDir()
	}
	if m := MissingKwok(o.BinDir); len(m) > 0 {
		return nil, fmt.Errorf("%s not built in %s: run `make testbin`", strings.Join(m, " and "), o.BinDir)
	}
	crds, err := KwokCRDs()
	if err != nil {
		return nil, err
	}
	ports, err := FreePorts(1)
	if err != nil {
		return nil, err
	}
	k := &KwokCluster{Port: ports[0], LogDir: filepath.Join(dir, "pod-logs")}
	p := func(name string) string { return filepath.Join(dir, name) }
	extra := o.ExtraAPIServerArgs
	var certErr error
	o.ExtraAPIServerArgs = func(c *Cluster) []string {
		certErr = c.CA.IssueCert("kube-apiserver-kubelet-client", []string{"system:masters"}, nil, nil,
			p("kubelet-client.crt"), p("kubelet-client.key"))
		if certErr == nil {
			certErr = c.CA.IssueCert("kwok-kubelet", nil, []net.IP{net.ParseIP("127.0.0.1")}, []string{"localhost"},
				p("kwok.crt"), p("kwok.key"))
		}
		args := []string{
			"--kubelet-preferred-address-types=InternalIP",
			"--kubelet-certificate-authority=" + p("ca.crt"),
			"--kubelet-client-certificate=" + p("kubelet-client.crt"),
			"--kubelet-client-key=" + p("kubelet-client.key"),
		}
		if extra != nil {
			args = append(args, extra(c)...)
		}
		return args
	}
	c, err := Start(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	k.Cluster = c
	ok := false
	defer func() {
		if !ok {
			c.Stop()
		}
	}()
	if certErr != nil {
		return nil, fmt.Errorf("issuing kubelet certificates: %w", certErr)
	}
	if err := Install(ctx, c.Config, crds); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(k.LogDir, 0o755); err != nil {
		return nil, err
	}
	// kwok reads ~/.kwok/kwok.yaml unless KWOK_WORKDIR points elsewhere; give it an empty work dir and its own
	// config so a developer's kwok setup never changes the tests.
	if err := os.MkdirAll(p("kwok-home"), 0o755); err != nil {
		return nil, err
	}
	conf := "apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions:\n  nodeLeaseDurationSeconds: 40\n"
	if err := os.WriteFile(p("kwok.yaml"), []byte(conf), 0o600); err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(k.Port)
	if err := c.spawnEnv(filepath.Join(o.BinDir, "kwok"), p("kwok.log"),
		[]string{"KWOK_WORKDIR=" + p("kwok-home"), "HOME=" + p("kwok-home")},
		"--config="+p("kwok.yaml"),
		"--kubeconfig="+c.Kubeconfig,
		"--manage-all-nodes=true",
		"--node-ip=127.0.0.1",
		"--node-port="+strconv.Itoa(k.Port),
		"--server-address="+addr,
		"--tls-cert-file="+p("kwok.crt"),
		"--tls-private-key-file="+p("kwok.key"),
		"--enable-crds=Logs,ClusterLogs",
	); err != nil {
		return nil, err
	}
	if err := k.createNode(ctx); err != nil {
		return nil, err
	}
	ok = true
	return k, nil
}

// goListModuleDir is `go list -m -f {{.Dir}} module` run in dir (downloading the module when needed).
func goListModuleDir(dir, module string) (string, error) {
	list := func() ([]byte, error) {
		cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module)
		cmd.Dir = dir
		return cmd.Output()
	}
	out, err := list()
	if err == nil && strings.TrimSpace(string(out)) == "" {
		// Required but not in the module cache yet (a fresh machine): fetch it, then ask again.
		dl := exec.Command("go", "mod", "download", module)
		dl.Dir = dir
		_ = dl.Run()
		out, err = list()
	}
	if err == nil && strings.TrimSpace(string(out)) == "" {
		err = fmt.Errorf("not in the module cache")
	}
	if err != nil {
		return "", fmt.Errorf("locating %s from %s: %w (run go mod download there)", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (c *Cluster) createNode(ctx context.Context) error {
	kc := c.Kube()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        KwokNodeName,
			Annotations: map[string]string{KwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels:      map[string]string{"type": "kwok", "kubernetes.io/hostname": KwokNodeName, "kubernetes.io/os": "linux"},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: KwokNodeAnnotation, Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
	}
	if _, err := kc.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating node %s: %w", KwokNodeName, err)
	}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, p := range c.procs {
			select {
			case <-p.done:
				return false, fmt.Errorf("%s exited early: %s", filepath.Base(p.cmd.Path), c.logTail(filepath.Base(p.cmd.Path)))
			default:
			}
		}
		n, err := kc.CoreV1().Nodes().Get(ctx, KwokNodeName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		ready := false
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		last = fmt.Sprintf("ready=%v port=%d", ready, n.Status.DaemonEndpoints.KubeletEndpoint.Port)
		return ready && n.Status.DaemonEndpoints.KubeletEndpoint.Port > 0, nil
	})
	if err != nil {
		return fmt.Errorf("kwok node %s not ready (%s): %w; kwok log: %s", KwokNodeName, last, err, c.logTail("kwok"))
	}
	return nil
}

var (
	kwokOnce   sync.Once
	kwokShared *KwokCluster
	kwokErr    error
	kwokDir    string
)

// SharedWithKwok returns the package's one kwok test cluster, starting it on first use (separate from Shared's
// cluster). Use Main in TestMain so it is stopped. Missing binaries skip the test (fail under
// AGENTCORE_REQUIRE_TESTBIN=1).
func SharedWithKwok(t testing.TB) *KwokCluster {
	t.Helper()
	if m := MissingKwok(BinDir()); len(m) > 0 {
		msg := fmt.Sprintf("real test cluster with kwok unavailable: %s not built in %s (run `make testbin`)", strings.Join(m, ", "), BinDir())
		if Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	kwokOnce.Do(func() {
		kwokDir, kwokErr = os.MkdirTemp("", "agentcore-kwok-cluster-")
		if kwokErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		kwokShared, kwokErr = StartWithKwok(ctx, kwokDir, Options{})
		if kwokErr == nil {
			for _, n := range kwokShared.Notes {
				fmt.Fprintln(os.Stderr, "testcluster: "+n)
			}
		}
	})
	if kwokErr != nil {
		t.Fatalf("starting the test cluster with kwok: %v", kwokErr)
	}
	return kwokShared
}

// stopKwokShared is called by Main.
func stopKwokShared(code int) {
	if kwokShared != nil {
		kwokShared.Stop()
	}
	if kwokDir != "" && code == 0 {
		os.RemoveAll(kwokDir)
	} else if kwokDir != "" {
		fmt.Fprintf(os.Stderr, "testcluster: kwok cluster logs kept in %s\n", kwokDir)
	}
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
			NodeName:    KwokNodeName,
			Containers:  containers,
			Tolerations: []corev1.Toleration{{Key: KwokNodeAnnotation, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		},
	}
	logsObj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"namespace": o.Namespace, "name": o.Name},
		"spec":     map[string]any{"logs": logs},
	}}
	if _, err := k.Dynamic().Resource(LogsGVR).Namespace(o.Namespace).Create(ctx, logsObj, metav1.CreateOptions{}); err != nil {
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
		Labels: map[string]string{AppNameLabel: gw, GatewayNameLabel: gw}})
}

// WaitLogsServed waits until GET pods/<name>/log answers for every container (kwok has seen the Pod, its node
// and its Logs object).
func (k *KwokCluster) WaitLogsServed(t testing.TB, lp *LogPod) {
	t.Helper()
	kc := k.Kube()
	for cn := range lp.Files {
		var last error
		err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			_, last = kc.CoreV1().Pods(lp.Namespace).GetLogs(lp.Name, &corev1.PodLogOptions{Container: cn, LimitBytes: ptr(int64(1))}).DoRaw(ctx)
			return last == nil, nil
		})
		if err != nil {
			t.Fatalf("logs of %s/%s container %s not served by kwok: %v; kwok log: %s", lp.Namespace, lp.Name, cn, last, k.logTail("kwok"))
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
	if container == "" {
		for _, name := range sortedKeys(lp.Files) {
			f = lp.Files[name]
			break
		}
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

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
