package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/proc"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// sbx runs the agentcore-sandbox binary with its state folder named by $AGENTCORE_SANDBOX_DIR. The test process
// is the owner ($AGENTCORE_SANDBOX_OWNER_PID): a sandbox it starts stops by itself when the test is killed.
func sbx(t *testing.T, dir string, args ...string) result {
	t.Helper()
	e := append(baseEnv(), goEnv...)
	e = append(e, "HOME="+homeDir, "NO_COLOR=1", sandbox.DirEnv+"="+dir, sandbox.OwnerEnv+"="+strconv.Itoa(os.Getpid()))
	return runBin(t, sandboxBin, e, args...)
}

// upJSON starts (or reuses) the sandbox in dir and returns its state.
func upJSON(t *testing.T, dir string, args ...string) sandbox.State {
	t.Helper()
	t0 := time.Now()
	r := sbx(t, dir, append([]string{"up", "-o", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("agentcore-sandbox up: %s", r)
	}
	t.Logf("agentcore-sandbox up in %s took %s", filepath.Base(dir), time.Since(t0).Round(100*time.Millisecond))
	var st sandbox.State
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("up -o json: %v\n%s", err, r)
	}
	return st
}

// serverVersion asks the sandbox's kube-apiserver for its version through its kubeconfig.
func serverVersion(kubeconfig string) (string, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return "", err
	}
	cfg.Timeout = 5 * time.Second
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	v, err := kc.Discovery().ServerVersion()
	if err != nil {
		return "", err
	}
	return v.GitVersion, nil
}

// `agentcore-sandbox up` starts a daemon with its PIDs recorded, a second `up` reuses it, `env` prints the same
// environment, a second folder ($AGENTCORE_SANDBOX_DIR) runs a second sandbox beside the first, owned by a
// process that is then killed (as a killed go test): it stops every process it started by itself, while the
// first keeps running; `down` stops the first.
func TestSandboxUpReuseDown(t *testing.T) {
	need(t)
	dirA, dirB := filepath.Join(t.TempDir(), "sbx-a"), filepath.Join(t.TempDir(), "sbx-b")
	if r := sbx(t, dirA, "up", "-o", "xml"); r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") {
		t.Fatalf("bad -o: %s", r)
	}
	if r := sbx(t, dirA, "env"); r.code != 1 || !strings.Contains(r.stderr, "no sandbox is running in "+dirA) {
		t.Fatalf("env before up: %s", r)
	}
	st := upJSON(t, dirA)
	defer sbx(t, dirA, "down")
	for _, k := range []string{"KUBECONFIG", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL",
		"AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"} {
		if st.Env[k] == "" {
			t.Errorf("env lacks %s", k)
		}
	}
	for k, v := range st.Env {
		if strings.HasPrefix(k, "AWS_ENDPOINT_URL") && !strings.HasPrefix(v, "http://127.0.0.1:") {
			t.Errorf("%s=%s is not on loopback", k, v)
		}
	}
	if g := st.AgentCoreGateways[sandbox.ToolsGateway]; g.ARN == "" || !strings.HasPrefix(g.MCPURL, st.Env["AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"]+"/") {
		t.Errorf("the AgentCore Gateway %s is not in the state: %+v", sandbox.ToolsGateway, st.AgentCoreGateways)
	}
	if st.OwnerPID != os.Getpid() {
		t.Errorf("the sandbox's owner is %d, want this test (%d, from $%s)", st.OwnerPID, os.Getpid(), sandbox.OwnerEnv)
	}
	if st.PID <= 0 || st.PIDs["cognito-local"] <= 0 || st.PIDs["agentgateway-controller"] <= 0 || st.PIDs["kube-apiserver"] <= 0 || !proc.Alive(st.PID) {
		t.Fatalf("PIDs not recorded: %+v", st.PIDs)
	}
	// The real controller accepted GatewayClass agentgateway: `kubectl get gatewayclass agentgateway` shows it.
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Logf("kubectl not on PATH: the GatewayClass is checked with client-go only")
	} else {
		out, err := exec.Command("kubectl", "--kubeconfig", st.Kubeconfig, "get", "gatewayclass", "agentgateway").CombinedOutput()
		if err != nil || !regexp.MustCompile(`(?m)^agentgateway\s+agentgateway\.dev/agentgateway\s+True\s`).Match(out) {
			t.Errorf("kubectl get gatewayclass agentgateway: %v\n%s", err, out)
		}
	}
	gc, err := dynamicFor(t, st.Kubeconfig).Resource(schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}).
		Get(context.Background(), "agentgateway", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	statusBy := ""
	for _, f := range gc.GetManagedFields() {
		if f.Subresource == "status" {
			statusBy = f.Manager
		}
	}
	if c, ok := k8sres.FindCondition(k8sres.ObjectConditions(gc), "Accepted"); !ok || !c.True() || statusBy != "agentgateway-controller" {
		t.Errorf("GatewayClass agentgateway: Accepted %+v, status written by %q; want the real controller's", c, statusBy)
	}
	if _, err := os.Stat(st.Kubeconfig); err != nil || !strings.HasPrefix(st.Kubeconfig, dirA) {
		t.Fatalf("kubeconfig %s: %v", st.Kubeconfig, err)
	}

	if r := sbx(t, dirA, "up", "--enterprise"); r.code != 1 || !strings.Contains(r.stderr, "started without --enterprise") {
		t.Fatalf("up --enterprise on a sandbox started without: %s", r)
	}
	r2 := sbx(t, dirA, "up")
	if r2.code != 0 || !strings.Contains(r2.stderr, "reusing the sandbox") || !strings.Contains(r2.stdout, "export KUBECONFIG="+st.Kubeconfig) ||
		!strings.Contains(r2.stdout, "# agentcore gateway "+sandbox.ToolsGateway+": "+st.AgentCoreGateways[sandbox.ToolsGateway].ARN) {
		t.Fatalf("second up: %s", r2)
	}
	r3 := sbx(t, dirA, "env")
	if r3.code != 0 || r3.stdout != r2.stdout {
		t.Fatalf("env differs from up:\n%s\nvs\n%s", r3.stdout, r2.stdout)
	}

	// A second sandbox beside the first: its own processes, ports and kubeconfig, owned by a child process.
	owner := exec.Command("sleep", "600")
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = owner.Process.Kill(); _ = owner.Wait() }()
	stB := upJSON(t, dirB, "--owner-pid", strconv.Itoa(owner.Process.Pid))
	defer sbx(t, dirB, "down")
	if stB.OwnerPID != owner.Process.Pid {
		t.Fatalf("owner of B: %d, want %d", stB.OwnerPID, owner.Process.Pid)
	}
	if stB.PID == st.PID || stB.GatewayURL == st.GatewayURL || stB.Env["AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"] == st.Env["AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"] ||
		!strings.HasPrefix(stB.Kubeconfig, dirB) {
		t.Fatalf("the second sandbox shares the first one's parts:\nA %+v\nB %+v", st, stB)
	}
	for _, kc := range []string{st.Kubeconfig, stB.Kubeconfig} {
		if v, err := serverVersion(kc); err != nil || v == "" {
			t.Fatalf("apiserver of %s with both sandboxes up: %q %v", kc, v, err)
		}
	}
	// The owner dies (not reaped: a zombie, as a killed go test whose parent has not waited yet): B stops
	// everything it started by itself.
	if err := owner.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	eventually(t, 60*time.Second, func() string {
		for name, pid := range stB.PIDs {
			if proc.Alive(pid) && !zombie(pid) {
				return fmt.Sprintf("%s (pid %d) still runs after its owner was killed", name, pid)
			}
		}
		return ""
	})
	t.Logf("sandbox B stopped %s after its owner was killed", time.Since(t0).Round(100*time.Millisecond))
	if r := sbx(t, dirB, "down"); r.code != 0 || !strings.Contains(r.stderr, "no sandbox was running") {
		t.Fatalf("down B after its owner died: %s", r)
	}
	// A is untouched by B's down.
	if r := sbx(t, dirA, "env"); r.code != 0 || r.stdout != r2.stdout {
		t.Fatalf("env A after down B: %s", r)
	}
	if v, err := serverVersion(st.Kubeconfig); err != nil || v == "" {
		t.Fatalf("apiserver of A after down B: %q %v", v, err)
	}

	r4 := sbx(t, dirA, "down")
	if r4.code != 0 || !strings.Contains(r4.stderr, "sandbox stopped") {
		t.Fatalf("down: %s", r4)
	}
	gone(t, st)
	if r := sbx(t, dirA, "env"); r.code != 1 {
		t.Fatalf("env after down: %s", r)
	}
	if r := sbx(t, dirA, "down"); r.code != 0 || !strings.Contains(r.stderr, "no sandbox was running") {
		t.Fatalf("second down: %s", r)
	}
}

func dynamicFor(t *testing.T, kubeconfig string) dynamic.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return dynamic.NewForConfigOrDie(cfg)
}

// gone fails when a process the sandbox recorded still runs after down.
func gone(t *testing.T, st sandbox.State) {
	t.Helper()
	for name, pid := range st.PIDs {
		if proc.Alive(pid) && !zombie(pid) {
			t.Errorf("%s (pid %d) still runs after down", name, pid)
		}
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}
