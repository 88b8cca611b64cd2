package e2e

import (
	"encoding/json"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/proc"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/sandbox"
)

// `sandbox up` starts a daemon with its PIDs recorded, a second `up` reuses it, `env` prints the same environment,
// `down` stops every process it started.
func TestSandboxUpReuseDown(t *testing.T) {
	need(t)
	dir := filepath.Join(t.TempDir(), "sbx")
	if r := kac(t, "sandbox", "up", "--dir", dir, "-o", "xml"); r.code != 2 {
		t.Fatalf("bad -o: %s", r)
	}
	if r := kac(t, "sandbox", "env", "--dir", dir); r.code != 1 || !strings.Contains(r.stderr, "no sandbox is running") {
		t.Fatalf("env before up: %s", r)
	}
	t0 := time.Now()
	r := kac(t, "sandbox", "up", "--dir", dir, "-o", "json")
	if r.code != 0 {
		t.Fatalf("sandbox up: %s", r)
	}
	t.Logf("sandbox up took %s", time.Since(t0).Round(100*time.Millisecond))
	var st sandbox.State
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	defer kac(t, "sandbox", "down", "--dir", dir)
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
	if st.PID <= 0 || st.PIDs["cognito-local"] <= 0 || !proc.Alive(st.PID) {
		t.Fatalf("PIDs not recorded: %+v", st.PIDs)
	}
	if _, err := os.Stat(st.Kubeconfig); err != nil || !strings.HasPrefix(st.Kubeconfig, dir) {
		t.Fatalf("kubeconfig %s: %v", st.Kubeconfig, err)
	}

	r2 := kac(t, "sandbox", "up", "--dir", dir)
	if r2.code != 0 || !strings.Contains(r2.stderr, "reusing the sandbox") || !strings.Contains(r2.stdout, "export KUBECONFIG="+st.Kubeconfig) {
		t.Fatalf("second up: %s", r2)
	}
	r3 := kac(t, "sandbox", "env", "--dir", dir)
	if r3.code != 0 || r3.stdout != r2.stdout {
		t.Fatalf("env differs from up:\n%s\nvs\n%s", r3.stdout, r2.stdout)
	}

	r4 := kac(t, "sandbox", "down", "--dir", dir)
	if r4.code != 0 || !strings.Contains(r4.stderr, "sandbox stopped") {
		t.Fatalf("down: %s", r4)
	}
	for name, pid := range st.PIDs {
		if proc.Alive(pid) && !zombie(pid) {
			t.Errorf("%s (pid %d) still runs after down", name, pid)
		}
	}
	if r := kac(t, "sandbox", "env", "--dir", dir); r.code != 1 {
		t.Fatalf("env after down: %s", r)
	}
	if r := kac(t, "sandbox", "down", "--dir", dir); r.code != 0 || !strings.Contains(r.stderr, "no sandbox was running") {
		t.Fatalf("second down: %s", r)
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
