// Package testcluster runs a real Kubernetes control plane for tests: etcd and kube-apiserver built from Go
// modules by `make testbin` (tools/testbin), started on free loopback ports in a temporary folder with token
// auth, RBAC and service-account keys, with the Gateway API and Agent Gateway CRDs installed. There is no
// controller-manager or scheduler: tests create ServiceAccounts themselves. Statuses of the Agent Gateway kinds
// are written by the real Agent Gateway controller when it is started (controller.go), else by hand.
package testcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/proc"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Tokens accepted by the test apiserver (token auth file).
const (
	AdminToken   = "agentcore-test-admin-token"
	LimitedToken = "agentcore-test-limited-token" // user "limited", no groups: forbidden by RBAC unless granted
	LimitedUser  = "limited"
)

// Options change how the control plane starts.
type Options struct {
	// BinDir holds kube-apiserver and etcd; default: BinDir().
	BinDir string
	// ExtraAPIServerArgs are appended to kube-apiserver's flags (kwok needs the kubelet client flags).
	ExtraAPIServerArgs func(c *Cluster) []string
	// SkipCRDs leaves the cluster without the Gateway API and Agent Gateway CRDs.
	SkipCRDs bool
	// Controller also runs the real Agent Gateway controller (see StartController); needs the CRDs.
	Controller bool
	// OSSOnly serves the open-source Agent Gateway kinds only, without the Solo Enterprise stand-in CRDs, so
	// what the wizard writes (it prefers the Enterprise policy when served) is all of a kind the real
	// controller knows.
	OSSOnly bool
}

// Cluster is a running control plane.
type Cluster struct {
	Dir        string // everything lives here: data, certs, logs, kubeconfig
	URL        string // https://127.0.0.1:<port>
	Kubeconfig string // admin kubeconfig (context "agentcore-test")
	Config     *rest.Config
	CA         *CA
	// Notes says what was not installed and why (e.g. ../shared/crds missing).
	Notes []string

	procs []*proc.Process
}

// BinDir is where `make testbin` puts the binaries: $AGENTCORE_TESTBIN, else <repo>/.testbin/bin.
func BinDir() string {
	if d := os.Getenv("AGENTCORE_TESTBIN"); d != "" {
		return d
	}
	if root, err := RepoRoot(); err == nil {
		return filepath.Join(root, ".testbin", "bin")
	}
	return ".testbin/bin"
}

// RepoRoot finds the project's root (the folder whose go.mod declares the kubectl-agentcore module) from the
// working directory upwards.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/kubectl-agentcore/kubectl-agentcore\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("project root not found above the working directory")
		}
		dir = parent
	}
}

// Missing lists the binaries that are not built yet.
func Missing(binDir string) []string {
	var out []string
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			out = append(out, b)
		}
	}
	return out
}

// Start runs etcd and kube-apiserver in dir and waits until /readyz answers.
func Start(ctx context.Context, dir string, o Options) (*Cluster, error) {
	if o.BinDir == "" {
		o.BinDir = BinDir()
	}
	if m := Missing(o.BinDir); len(m) > 0 {
		return nil, fmt.Errorf("%s not built in %s: run `make testbin`", strings.Join(m, " and "), o.BinDir)
	}
	c := &Cluster{Dir: dir}
	ok := false
	defer func() {
		if !ok {
			c.Stop()
		}
	}()
	ca, err := newCA()
	if err != nil {
		return nil, err
	}
	c.CA = ca
	p := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(p("ca.crt"), ca.CertPEM, 0o600); err != nil {
		return nil, err
	}
	if err := ca.IssueCert("kube-apiserver", nil, []net.IP{net.ParseIP("127.0.0.1")},
		[]string{"localhost", "kubernetes", "kubernetes.default.svc"}, p("apiserver.crt"), p("apiserver.key")); err != nil {
		return nil, err
	}
	if err := writeRSAKey(p("sa.key")); err != nil {
		return nil, err
	}
	tokens := fmt.Sprintf("%s,admin,admin-uid,\"system:masters\"\n%s,%s,limited-uid\n", AdminToken, LimitedToken, LimitedUser)
	if err := os.WriteFile(p("tokens.csv"), []byte(tokens), 0o600); err != nil {
		return nil, err
	}

	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	if err := c.spawn(filepath.Join(o.BinDir, "etcd"), p("etcd.log"),
		"--name=default", "--data-dir="+p("etcd-data"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL, "--unsafe-no-fsync", "--log-level=error",
		"--quota-backend-bytes=1073741824"); err != nil {
		return nil, err
	}

	c.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--tls-cert-file=" + p("apiserver.crt"), "--tls-private-key-file=" + p("apiserver.key"),
		"--client-ca-file=" + p("ca.crt"),
		"--token-auth-file=" + p("tokens.csv"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + p("sa.key"), "--service-account-signing-key-file=" + p("sa.key"),
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + p("certs"),
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	}
	if o.ExtraAPIServerArgs != nil {
		args = append(args, o.ExtraAPIServerArgs(c)...)
	}
	if err := c.spawn(filepath.Join(o.BinDir, "kube-apiserver"), p("kube-apiserver.log"), args...); err != nil {
		return nil, err
	}
	c.Config = &rest.Config{
		Host:            c.URL,
		BearerToken:     AdminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca.CertPEM},
		QPS:             200, Burst: 400,
	}
	if err := c.waitReady(ctx, 90*time.Second); err != nil {
		return nil, err
	}
	c.Kubeconfig = p("kubeconfig")
	if err := c.WriteKubeconfig(c.Kubeconfig, AdminToken, ""); err != nil {
		return nil, err
	}
	if !o.SkipCRDs {
		notes, err := InstallCRDs(ctx, c.Config, o.OSSOnly)
		c.Notes = append(c.Notes, notes...)
		if err != nil {
			return nil, err
		}
	}
	if o.Controller {
		if err := c.StartController(ctx, o.BinDir); err != nil {
			return nil, err
		}
	}
	ok = true
	return c, nil
}

func (c *Cluster) spawn(bin, logFile string, args ...string) error {
	return c.spawnEnv(bin, logFile, nil, args...)
}

// spawnEnv is spawn with extra environment variables (kwok must not read the developer's ~/.kwok).
func (c *Cluster) spawnEnv(bin, logFile string, env []string, args ...string) error {
	lf, err := os.Create(logFile)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Dir = c.Dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	pr, err := proc.Start(cmd, func() { lf.Close() })
	if err != nil {
		lf.Close()
		return fmt.Errorf("starting %s: %w", filepath.Base(bin), err)
	}
	c.procs = append(c.procs, pr)
	return nil
}

func (c *Cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	pool := x509.NewCertPool()
	pool.AddCert(c.CA.Cert)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, p := range c.procs {
			select {
			case <-p.Done():
				name := filepath.Base(p.Cmd.Path)
				return fmt.Errorf("%s exited early: %s", name, c.LogTail(name))
			default:
			}
		}
		req, _ := http.NewRequest(http.MethodGet, c.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+AdminToken)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after %s (%s): %s", timeout, last, c.LogTail("kube-apiserver"))
}

// LogTail is the end of a process's log in the cluster's folder (etcd, kube-apiserver, kwok), for error messages.
func (c *Cluster) LogTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, name+".log"))
	s := strings.TrimSpace(string(b))
	if len(s) > 1500 {
		s = s[len(s)-1500:]
	}
	return s
}

// WriteKubeconfig writes a kubeconfig for this cluster authenticating with token, with namespace as the
// context's namespace (empty = default).
func (c *Cluster) WriteKubeconfig(path, token, namespace string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["agentcore-test"] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthorityData: c.CA.CertPEM}
	cfg.AuthInfos["agentcore-test"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["agentcore-test"] = &clientcmdapi.Context{Cluster: "agentcore-test", AuthInfo: "agentcore-test", Namespace: namespace}
	cfg.CurrentContext = "agentcore-test"
	return clientcmd.WriteToFile(*cfg, path)
}

// ConfigFor returns a rest.Config for this cluster authenticating with token.
func (c *Cluster) ConfigFor(token string) *rest.Config {
	cfg := rest.CopyConfig(c.Config)
	cfg.BearerToken = token
	return cfg
}

// Kube is a typed admin client.
func (c *Cluster) Kube() *kubernetes.Clientset { return kubernetes.NewForConfigOrDie(c.Config) }

// Dynamic is a dynamic admin client.
func (c *Cluster) Dynamic() *dynamic.DynamicClient { return dynamic.NewForConfigOrDie(c.Config) }

// PIDs are the process ids of the cluster's processes by binary name (etcd, kube-apiserver, and kwok and
// agentgateway-controller when started).
func (c *Cluster) PIDs() map[string]int {
	out := map[string]int{}
	for _, p := range c.procs {
		out[filepath.Base(p.Cmd.Path)] = p.PID()
	}
	return out
}

// Stop kills the processes (apiserver first) and waits for them.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].Stop()
	}
	c.procs = nil
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// Required reports whether a missing test binary (or missing CRDs) must fail the test instead of skipping it.
// `make test` and CI set AGENTCORE_REQUIRE_TESTBIN=1 so a broken testbin build can never pass as a skip.
func Required() bool { return os.Getenv("AGENTCORE_REQUIRE_TESTBIN") == "1" }
