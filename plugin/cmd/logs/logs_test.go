package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// syncBuf is a goroutine-safe buffer (the command writes while the test reads).
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run executes `logs args…` with the given kubeconfig (may be "") and stdin; returns stdout, stderr, exit code.
func run(t *testing.T, ctx context.Context, kubeconfig, ns string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	out, errOut := &syncBuf{}, &syncBuf{}
	code := runTo(ctx, kubeconfig, ns, stdin, out, errOut, args...)
	return out.String(), errOut.String(), code
}

func runTo(ctx context.Context, kubeconfig, ns, stdin string, out, errOut *syncBuf, args ...string) int {
	io, in, _, _ := cmdutil.Test()
	in.WriteString(stdin)
	io.Out, io.ErrOut = out, errOut
	f := cmdutil.New(io)
	if kubeconfig != "" {
		f.KubeFlags.KubeConfig = &kubeconfig
	}
	if ns != "" {
		f.KubeFlags.Namespace = &ns
	}
	root := &cobra.Command{Use: "kubectl-agentcore", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(NewCmd(f, nil))
	root.SetArgs(append([]string{"logs"}, args...))
	root.SetOut(out)
	root.SetErr(errOut)
	return cmdutil.ExitCode(root.ExecuteContext(ctx))
}

const (
	l401 = "2025-11-20T10:41:08.123Z\tinfo\trequest gateway=gwns/gw listener=http route=agentcore/agentcore " +
		"endpoint=rt.example:443 http.method=POST http.host=gw.example http.path=/invocations http.status=401 " +
		"error=\"authentication failure: no bearer token found\" reason=JwtAuth duration=0ms"
	l200 = "2025-11-20T10:41:07Z\tinfo\trequest gateway=gwns/gw route=agentcore/agentcore http.method=POST " +
		"http.path=/invocations http.status=200 duration=437ms jwt.sub=alice"
	l429 = "2025-11-20T10:41:09Z\tinfo\trequest gateway=gwns/gw route=other/orders http.method=GET http.path=/o " +
		"http.status=429 reason=RateLimit duration=0ms"
	lJSON503 = `{"level":"info","time":"2025-11-20T10:41:10Z","scope":"request","route":"agentcore/agentcore",` +
		`"http.method":"POST","http.path":"/invocations","http.status":503,"reason":"UpstreamFailure","error":"connect error","duration":"3s"}`
	lJSON401 = `{"level":"info","time":"2025-11-20T10:41:11Z","scope":"request","route":"agentcore/agentcore",` +
		`"http.method":"POST","http.path":"/invocations","http.status":401,"error":"Claim 'aud' value mismatch","duration":"112ms"}`
	lStartup   = "agentgateway 1.4.1 starting, admin on 127.0.0.1:15000"
	lMalformed = "2025-11-20T10:41:12Z\tinfo\trequest http.status=\"oops route=broken"
	lBinary    = "\x00\x01\x02\xff\xfe\x1b[31mred"
)

func agentGateway(t *testing.T, k *clustertest.KwokCluster, ns, name string) {
	t.Helper()
	ctx := context.Background()
	dyn := k.Dynamic()
	gc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": "logs-agentgateway"}, "spec": map[string]any{"controllerName": k8sres.ControllerOSS},
	}}
	if _, err := dyn.Resource(k8sres.GVRGatewayClass).Create(ctx, gc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = dyn.Resource(k8sres.GVRGatewayClass).Delete(context.Background(), "logs-agentgateway", metav1.DeleteOptions{})
	})
	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"gatewayClassName": "logs-agentgateway",
			"listeners": []any{map[string]any{"name": "http", "protocol": "HTTP", "port": int64(8080)}}},
	}}
	if _, err := dyn.Resource(k8sres.GVRGateway).Namespace(ns).Create(ctx, gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestLogsFromClusterEveryFilterAndFormat(t *testing.T) {
	k := clustertest.SharedWithKwok(t)
	ns := k.Namespace(t, "logscmd")
	agentGateway(t, k, ns, "gw") // the only Agent Gateway: found without --gateway
	a := k.GatewayProxyPod(t, ns, "gw", "gw-7c9d-x")
	b := k.GatewayProxyPod(t, ns, "gw", "gw-5f2a-q")
	long := strings.Replace(l200, "jwt.sub=alice", "jwt.sub="+strings.Repeat("L", 64<<10), 1)
	base := time.Now().Add(-time.Minute)
	a.AppendAt(t, "", base, lStartup)
	a.AppendAt(t, "", base.Add(1*time.Second), l200)
	b.AppendAt(t, "", base.Add(2*time.Second), l401)
	a.AppendAt(t, "", base.Add(3*time.Second), l429)
	b.AppendAt(t, "", base.Add(4*time.Second), lJSON503)
	a.AppendAt(t, "", base.Add(5*time.Second), lJSON401)
	b.AppendAt(t, "", base.Add(6*time.Second), lMalformed)
	a.AppendAt(t, "", base.Add(7*time.Second), lBinary)
	b.AppendAt(t, "", base.Add(8*time.Second), long)
	ctx := context.Background()
	kc := k.Kubeconfig

	// raw: every line, merged in time order across the two pods, nothing dropped or changed
	out, errOut, code := run(t, ctx, kc, "", "", "-o", "raw")
	want := []string{lStartup, l200, l401, l429, lJSON503, lJSON401, lMalformed, lBinary, long}
	if code != 0 || strings.Join(lines(out), "\n") != strings.Join(want, "\n") {
		t.Fatalf("raw: code %d stderr %q\n got %d lines %.300q\nwant %d lines", code, errOut, len(lines(out)), out, len(want))
	}

	// json: parsed fields, one object per line
	out, _, code = run(t, ctx, kc, "", "", "-o", "json", "--gateway", ns+"/gw", "--status", "401")
	var got []map[string]any
	for _, l := range lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("json line %q: %v", l, err)
		}
		got = append(got, m)
	}
	if code != 0 || len(got) != 2 || got[0]["pod"] != "gw-5f2a-q" || got[0]["reason"] != "JwtAuth" || got[0]["status"] != 401.0 ||
		got[0]["error"] != "authentication failure: no bearer token found" || got[1]["error"] != "Claim 'aud' value mismatch" ||
		got[1]["pod"] != "gw-7c9d-x" || got[0]["container"] != "agentgateway" || got[0]["route"] != "agentcore/agentcore" {
		t.Fatalf("json --status 401: code %d\n%s", code, out)
	}

	filters := []struct {
		args []string
		want []string // substrings, one per expected line, in order
	}{
		{[]string{"--status", "4xx"}, []string{"401", "429", "401"}},
		{[]string{"--status", "5xx,200"}, []string{"200", "503", "200"}},
		{[]string{"--route", "other/orders"}, []string{"429"}},
		{[]string{"--route", "orders,nope"}, []string{"429"}},
		{[]string{"--reason", "JwtAuth,UpstreamFailure"}, []string{"JwtAuth", "UpstreamFailure"}},
		{[]string{"--grep", "aud|starting"}, []string{"starting", "aud"}},
		{[]string{"--status", "401", "--reason", "JwtAuth"}, []string{"no bearer token"}},
		{[]string{"--status", "4xx", "--route", "agentcore/agentcore", "--grep", "mismatch"}, []string{"mismatch"}},
		{[]string{"--tail", "1"}, []string{"red", "437ms"}}, // the last line of each pod, merged by time
	}
	for _, c := range filters {
		out, errOut, code := run(t, ctx, kc, ns, "", append([]string{"-o", "text"}, c.args...)...)
		ls := lines(out)
		ok := code == 0 && len(ls) == len(c.want)
		for i := 0; ok && i < len(ls); i++ {
			ok = strings.Contains(ls[i], c.want[i])
		}
		if !ok {
			t.Errorf("%v: code %d stderr %q, got %d lines:\n%.2000s", c.args, code, errOut, len(ls), out)
		}
	}

	// text columns: time, short pod, status, method, route, reason, duration, error
	out, _, _ = run(t, ctx, kc, "", "", "--status", "429")
	if f := strings.Fields(out); len(f) < 7 || f[1] != "7c9d-x" || f[2] != "429" || f[3] != "GET" || f[4] != "other/orders" || f[5] != "RateLimit" || f[6] != "0ms" {
		t.Fatalf("text line = %q", out)
	}
	// control characters never reach the terminal in text mode
	out, _, _ = run(t, ctx, kc, "", "", "--grep", "red$")
	if strings.ContainsAny(out, "\x00\x1b") || !strings.Contains(out, "red") {
		t.Fatalf("binary line in text mode = %q", out)
	}

	// --since: only the lines of the last 10s are left
	a.Append(t, "fresh line")
	out, _, _ = run(t, ctx, kc, "", "", "-o", "raw", "--since", "20s")
	if strings.Join(lines(out), "|") != "fresh line" {
		t.Fatalf("--since 20s = %q", out)
	}

	// --stats at the end
	out, _, _ = run(t, ctx, kc, "", "", "-o", "raw", "--status", "4xx", "--stats")
	if !strings.Contains(out, "3 lines · 3 access · 0 other") || !strings.Contains(out, "status   401 2 · 429 1") ||
		!strings.Contains(out, "reason   (none) 1 · JwtAuth 1 · RateLimit 1") {
		t.Fatalf("--stats:\n%s", out)
	}

	// the home screen's hint: the two 401s of the last minute (the only Agent Gateway, no setup record)
	if h, ok := HintFor(ctx, k.Kube(), k.Dynamic(), "", time.Now()); !ok || h.Text != "2 × 401 in the last 5m" {
		t.Fatalf("hint = %+v %v", h, ok)
	}

	// a Gateway that does not exist has no pods: a warning, no lines, exit 0
	out, errOut, code = run(t, ctx, kc, "", "", "--gateway", ns+"/nope")
	if code != 0 || out != "" || !strings.Contains(errOut, "has no proxy pods") {
		t.Fatalf("no pods: code %d out %q err %q", code, out, errOut)
	}
}

func TestLogsFollowFlushesPerLineAndStatsOnStop(t *testing.T) {
	k := clustertest.SharedWithKwok(t)
	ns := k.Namespace(t, "logsfollow")
	a := k.GatewayProxyPod(t, ns, "gw", "gw-a")
	a.Append(t, l200)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &syncBuf{}, &syncBuf{}
	done := make(chan int, 1)
	go func() {
		done <- runTo(ctx, k.Kubeconfig, "", "", out, errOut, "-f", "--gateway", ns+"/gw", "-o", "raw", "--stats", "--status", "2xx,401")
	}()
	waitOut := func(what string, cond func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond(out.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; out %q err %q", what, out.String(), errOut.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitOut("the first line", func(s string) bool { return s == l200+"\n" })
	a.Append(t, l429, l401) // 429 filtered out; 401 printed and flushed at once
	waitOut("the appended 401", func(s string) bool { return s == l200+"\n"+l401+"\n" })
	b := k.GatewayProxyPod(t, ns, "gw", "gw-b")
	b.Append(t, lJSON401)
	waitOut("the new pod's line", func(s string) bool { return strings.HasSuffix(s, lJSON401+"\n") })
	cancel() // ctrl+c
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("logs -f did not stop")
	}
	if s := out.String(); !strings.Contains(s, "3 lines · 3 access") || !strings.Contains(s, "status   401 2 · 200 1") {
		t.Fatalf("stats on stop:\n%s", s)
	}
}

func TestLogsFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "saved.log")
	long := strings.Replace(l200, "jwt.sub=alice", "jwt.sub="+strings.Repeat("L", 64<<10), 1)
	content := strings.Join([]string{lStartup, l200, l401, "2025-11-20T10:41:08.5Z stdout F " + l429, lJSON503, lMalformed, lBinary, long}, "\n")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.log")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out, _, code := run(t, ctx, "", "", "", "--file", p, "-o", "raw")
	if code != 0 || len(lines(out)) != 8 || !strings.Contains(out, l429+"\n") || strings.Contains(out, "stdout F") {
		t.Fatalf("raw: code %d, %d lines", code, len(lines(out)))
	}
	out, _, _ = run(t, ctx, "", "", "", "--file", p, "--status", "4xx,5xx", "-o", "json")
	if ls := lines(out); len(ls) != 3 || !strings.Contains(ls[0], `"status":401`) || !strings.Contains(ls[1], `"status":429`) ||
		!strings.Contains(ls[2], `"status":503`) || strings.Contains(out, `"pod"`) {
		t.Fatalf("json 4xx,5xx:\n%s", out)
	}
	out, _, _ = run(t, ctx, "", "", l401+"\n"+l200+"\n", "--file", "-", "--reason", "JwtAuth", "-o", "text")
	if ls := lines(out); len(ls) != 1 || !strings.Contains(ls[0], "401") || !strings.Contains(ls[0], "no bearer token found") {
		t.Fatalf("stdin: %q", out)
	}
	out, errOut, code := run(t, ctx, "", "", "", "--file", empty, "--stats")
	if code != 0 || !strings.Contains(out, "0 lines · 0 access · 0 other") || errOut != "" {
		t.Fatalf("empty file: code %d out %q err %q", code, out, errOut)
	}
}

func TestLogsBadInput(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "x.log")
	_ = os.WriteFile(p, []byte(l200+"\n"), 0o600)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--file", p, "--status", "4yy"}, 2, `invalid status "4yy"`},
		{[]string{"--file", p, "--grep", "("}, 2, "invalid --grep"},
		{[]string{"--file", p, "-o", "yaml"}, 2, "unknown output format"},
		{[]string{"--file", p, "--buffer", "0"}, 2, "invalid --buffer"},
		{[]string{"--file", p, "--tail", "-5"}, 2, "invalid --tail"},
		{[]string{"--file", p, "-f"}, 2, "--follow cannot be used with --file"},
		{[]string{"--file", p, "--gateway", "a/b"}, 2, "cannot be combined"},
		{[]string{"--file", filepath.Join(t.TempDir(), "missing.log")}, 1, "no such file or directory. Check the path"},
		{[]string{"--file", t.TempDir()}, 1, "it is a directory"},
		{[]string{"--gateway", "Bad_Name/x"}, 2, `invalid --gateway "Bad_Name/x"`},
	} {
		out, errOut, code := run(t, ctx, "", "", "", c.args...)
		_ = errOut
		if code != c.code || out != "" {
			t.Errorf("%v: code %d (want %d), out %q", c.args, code, c.code, out)
		}
		if c.msg != "" {
			err := runErr(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%v: error %v, want %q", c.args, err, c.msg)
			}
		}
	}
}

func runErr(args ...string) error {
	io, _, _, _ := cmdutil.Test()
	f := cmdutil.New(io)
	root := &cobra.Command{Use: "x", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(NewCmd(f, nil))
	root.SetArgs(append([]string{"logs"}, args...))
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	return root.Execute()
}
