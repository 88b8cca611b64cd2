// Package e2e runs kubectl-agentcore end to end through the sandbox (internal/sandbox): a real apiserver with kwok,
// the real Agent Gateway controller (every status of the open-source kinds), cognito-local, the local AgentCore
// and the DEMO gateway stand-in (the data path), with the plugin as a built binary run as a user would run it. The sandbox binary (cmd/agentcore-sandbox) is built too and tested as a user runs it.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	sb         *sandbox.Sandbox
	bin        string // kubectl-agentcore
	sandboxBin string // agentcore-sandbox
	homeDir    string
	goEnv      []string
	startErr   string
)

func TestMain(m *testing.M) {
	code := run(m)
	os.Exit(code)
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		startErr = "e2e tests are skipped with -short"
		return m.Run()
	}
	if why := sandbox.Missing(); why != "" {
		startErr = "sandbox unavailable: " + why
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "agentcore-e2e-")
	if err != nil {
		panic(err)
	}
	ok := false
	defer func() {
		if ok {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintf(os.Stderr, "e2e: sandbox files kept in %s\n", dir)
		}
	}()
	root, err := testcluster.RepoRoot()
	if err != nil {
		panic(err)
	}
	bin, sandboxBin = filepath.Join(dir, "kubectl-agentcore"), filepath.Join(dir, "agentcore-sandbox")
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/kubectl-agentcore", "./cmd/agentcore-sandbox")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		startErr = fmt.Sprintf("building kubectl-agentcore and agentcore-sandbox: %v\n%s", err, out)
		return m.Run()
	}
	// The plugin's subprocesses get their own HOME; Go's caches must not move with it (the sandbox finds CRDs in
	// the module cache).
	if out, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output(); err == nil {
		v := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(v) == 3 {
			goEnv = []string{"GOPATH=" + v[0], "GOMODCACHE=" + v[1], "GOCACHE=" + v[2]}
		}
	}
	homeDir = filepath.Join(dir, "home")
	_ = os.MkdirAll(homeDir, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	t0 := time.Now()
	sb, err = sandbox.Start(ctx, sandbox.Options{Dir: filepath.Join(dir, "sandbox")})
	if err != nil {
		startErr = "starting the sandbox: " + err.Error()
		return m.Run()
	}
	fmt.Fprintf(os.Stderr, "e2e: sandbox up in %s\n", time.Since(t0).Round(time.Millisecond))
	code := m.Run()
	sb.Stop()
	ok = code == 0
	return code
}

// need skips (or, under make test, fails) when the sandbox is not there.
func need(t *testing.T) {
	t.Helper()
	if sb != nil {
		return
	}
	if (testcluster.Required() || cognitolocal.Required()) && !strings.Contains(startErr, "-short") {
		t.Fatal(startErr)
	}
	t.Skip(startErr)
}

// result of one plugin run.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// env is the plugin's environment: the sandbox's, a HOME of its own and no AWS configuration from the user.
func env() []string {
	out := append(baseEnv(), sb.State.EnvList()...)
	out = append(out, goEnv...)
	return append(out, "HOME="+homeDir, "NO_COLOR=1", "AWS_CONFIG_FILE="+filepath.Join(homeDir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(homeDir, "none"))
}

// baseEnv is this process's environment less what points at a cluster, AWS or a sandbox.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || k == "KUBECONFIG" || k == "HOME" || k == "NO_COLOR" || k == "GOPATH" || k == "GOMODCACHE" || k == "GOCACHE" || k == sandbox.DirEnv {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// kac runs the plugin binary with the sandbox's environment.
func kac(t *testing.T, args ...string) result {
	t.Helper()
	return runBin(t, bin, env(), args...)
}

// runBin runs a built binary with env and returns its exit code and output.
func runBin(t *testing.T, exe string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return result{code, out.String(), errOut.String()}
}

// check is one doctor check in -o json.
type check struct {
	ID, Status, Detail, Hint, Fix string
}

func doctorChecks(t *testing.T, args ...string) (map[string]check, result) {
	t.Helper()
	r := kac(t, append([]string{"doctor", "-o", "json"}, args...)...)
	var out struct {
		Checks []check `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, r)
	}
	m := map[string]check{}
	for _, c := range out.Checks {
		m[c.ID] = c
	}
	return m, r
}

func failed(m map[string]check) []string {
	var ids []string
	for id, c := range m {
		if c.Status == "fail" {
			ids = append(ids, id)
		}
	}
	return ids
}

// logLine is one `logs -o json` entry.
type logLine struct {
	Access bool   `json:"access"`
	Route  string `json:"route"`
	Status int    `json:"status"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
	Error  string `json:"error"`
	Time   string `json:"time"`
}

func logLines(t *testing.T, args ...string) []logLine {
	t.Helper()
	r := kac(t, append([]string{"logs", "-o", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("logs: %s", r)
	}
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Access {
			out = append(out, l)
		}
	}
	return out
}

// eventually retries f until it returns "" or the timeout passes, then fails with the last message.
func eventually(t *testing.T, timeout time.Duration, f func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// transcript keeps the output of every plugin run of a test, to be scanned at its end for every secret it used.
type transcript struct {
	t       *testing.T
	outputs []string
}

// run is kac, recorded.
func (tr *transcript) run(args ...string) result {
	tr.t.Helper()
	r := kac(tr.t, args...)
	tr.add(strings.Join(args, " "), r)
	return r
}

// add records a run made another way (doctorChecks).
func (tr *transcript) add(what string, r result) {
	tr.outputs = append(tr.outputs, what+"\n"+r.stdout+r.stderr)
}

// scan fails the test when an output holds one of secrets (client secrets, tokens) or, for a JWT, its signature.
func (tr *transcript) scan(secrets ...string) {
	tr.t.Helper()
	n := 0
	for i, s := range secrets {
		if s == "" {
			continue
		}
		n++
		probes := []string{s}
		if parts := strings.Split(s, "."); len(parts) == 3 && parts[2] != "" {
			probes = append(probes, parts[2])
		}
		for _, out := range tr.outputs {
			for _, p := range probes {
				if strings.Contains(out, p) {
					tr.t.Fatalf("secret %d of %d (or its signature) is in an output:\n%s", i+1, len(secrets), out)
				}
			}
		}
	}
	tr.t.Logf("%d outputs scanned for %d secrets and tokens", len(tr.outputs), n)
}

// gatewayToken is the JWT in the token Secret of the setup in ns.
func gatewayToken(t *testing.T, ns string) string {
	t.Helper()
	s, err := sb.Cluster.Kube().CoreV1().Secrets(ns).Get(context.Background(), setup.DefaultSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok := bearer.Token(string(s.Data["Authorization"]))
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("the gateway Secret in %s holds no JWT", ns)
	}
	return tok
}

// demoClientSecret is the sandbox OAuth server's demo client secret, read from the cluster.
func demoClientSecret(t *testing.T) string {
	t.Helper()
	src, err := sb.Cluster.Kube().CoreV1().Secrets(sandbox.DemoSecretNamespace).Get(context.Background(), sandbox.DemoSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret := string(src.Data["clientSecret"])
	if len(secret) < 20 {
		t.Fatal("the demo client's secret is not in the cluster")
	}
	return secret
}

// needOIDC is need, and the sandbox's OAuth server (oidc-provider) it brings.
func needOIDC(t *testing.T) *sandbox.OIDCDemo {
	t.Helper()
	need(t)
	if sb.State.OIDC == nil {
		t.Fatal("the sandbox has no OAuth server (oidc-provider not installed: make oidc-provider)")
	}
	return sb.State.OIDC
}
