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
// Use (internal/testcluster/clustertest):
//
//	func TestMain(m *testing.M) { clustertest.Main(m) }
//
//	k := clustertest.SharedWithKwok(t)
//	ns := k.Namespace(t, "logs")
//	p := k.GatewayProxyPod(t, ns, "agentgateway-proxy", "agentgateway-proxy-7c9d")
//	p.Append(t, "2025-…\tinfo\trequest gateway=… http.status=401 …")

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	// GatewayNameLabel is the label Agent Gateway puts on a Gateway's proxy pods (docs/facts.md#agent-gateway-resources).
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
			case <-p.Done():
				return false, fmt.Errorf("%s exited early: %s", filepath.Base(p.Cmd.Path), c.LogTail(filepath.Base(p.Cmd.Path)))
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
		return fmt.Errorf("kwok node %s not ready (%s): %w; kwok log: %s", KwokNodeName, last, err, c.LogTail("kwok"))
	}
	return nil
}
