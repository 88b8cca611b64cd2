package root

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(io)
	code = Run(f, args)
	return code, out.String(), errOut.String()
}

// isolate points every kube and AWS config at files that must never be read by the command under test.
func isolate(t *testing.T, kubeconfigContent string) {
	t.Helper()
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if kubeconfigContent != "" {
		if err := os.WriteFile(kc, []byte(kubeconfigContent), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KUBECONFIG", kc)
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws-credentials"))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_PROFILE", "")
}

func TestHelpSaysKubectlAgentcore(t *testing.T) {
	isolate(t, "")
	code, out, _ := run(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "kubectl agentcore [command]") || strings.Contains(out, "kubectl-agentcore [command]") {
		t.Fatalf("usage line should name `kubectl agentcore`:\n%s", out)
	}
	for _, c := range []string{"wizard", "doctor", "token", "rotate", "logs", "teardown", "version"} {
		if !strings.Contains(out, "\n  "+c+" ") {
			t.Errorf("command %s missing from help", c)
		}
	}
	for _, fl := range []string{"--kubeconfig", "--context", "--namespace", "--region", "--profile", "--no-color"} {
		if !strings.Contains(out, fl) {
			t.Errorf("flag %s missing from help", fl)
		}
	}
	code, out, _ = run(t, "doctor", "--help")
	if code != 0 || !strings.Contains(out, "kubectl agentcore doctor") {
		t.Fatalf("subcommand help should say `kubectl agentcore doctor` (exit %d):\n%s", code, out)
	}
}

func TestNoArgsWithoutTerminalPrintsHelp(t *testing.T) {
	isolate(t, "")
	code, out, errOut := run(t)
	if code != 0 || !strings.Contains(out, "Available Commands") || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// version must not touch the kubeconfig or AWS configuration: both are garbage here.
func TestVersionLoadsNoConfig(t *testing.T) {
	isolate(t, "this: [is not a kubeconfig")
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[[[broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "version", "-o", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version -o json is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"version", "commit", "buildDate", "goVersion", "platform"} {
		if v[k] == "" {
			t.Errorf("version JSON lacks %s: %s", k, out)
		}
	}
	code, out, _ = run(t, "version", "-o", "yaml")
	if code != 0 || !strings.Contains(out, "version: ") {
		t.Fatalf("yaml: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "kubectl-agentcore ") {
		t.Fatalf("text: exit %d\n%s", code, out)
	}
}

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	isolate(t, "")
	cases := [][]string{
		{"bogus"},
		{"version", "--bad-flag"},
		{"version", "-o", "xml"},
		{"version", "extra-arg"},
	}
	for _, args := range cases {
		code, out, errOut := run(t, args...)
		if code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if !strings.HasPrefix(errOut, "error: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: want exactly one `error:` line, got %q", args, errOut)
		}
		if strings.Contains(out, "Usage:") {
			t.Errorf("%v: usage dumped on stdout", args)
		}
	}
}

func TestKubeconfigErrorsAreOneClearLine(t *testing.T) {
	isolate(t, "")
	io, _, _, _ := cmdutil.Test()
	f := cmdutil.New(io)
	missing := "/nonexistent/kubeconfig"
	f.KubeFlags.KubeConfig = &missing
	_, err := f.RESTConfig()
	if err == nil || !strings.Contains(err.Error(), "/nonexistent") || !strings.Contains(err.Error(), "--kubeconfig") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("missing kubeconfig: %v", err)
	}

	// No kubeconfig anywhere (KUBECONFIG points at a file that does not exist, HOME is empty).
	f = cmdutil.New(io)
	_, err = f.RESTConfig()
	if err == nil || !strings.Contains(err.Error(), "no kubeconfig found") {
		t.Fatalf("no kubeconfig: %v", err)
	}

	// A context that does not exist.
	isolate(t, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
	f = cmdutil.New(io)
	ctxName := "nope"
	f.KubeFlags.Context = &ctxName
	_, err = f.RESTConfig()
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown context: %v", err)
	}
}

func TestErrorsAreRedacted(t *testing.T) {
	isolate(t, "")
	io, _, _, errOut := cmdutil.Test()
	f := cmdutil.New(io)
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
	Run(f, []string{"version", "-o", jwt})
	if strings.Contains(errOut.String(), "c2lnbmF0dXJl") {
		t.Fatalf("token leaked into the error line: %s", errOut.String())
	}
}

// Usage errors come from cobra's Args validators and flag parsing, typed as usage errors (exit 2), for every
// command in the tree; the line keeps cobra's wording and points at the command's help.
func TestUsageErrorsExitTwo(t *testing.T) {
	isolate(t, "")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"nosuchcommand"}, `error: unknown command "nosuchcommand" for "kubectl agentcore". See 'kubectl agentcore --help'`},
		{[]string{"--nosuchflag"}, `error: unknown flag: --nosuchflag. See 'kubectl agentcore --help'`},
		{[]string{"version", "extra"}, `error: unknown command "extra" for "kubectl agentcore version". See 'kubectl agentcore version --help'`},
		{[]string{"token", "inspect", "a", "b"}, `error: accepts at most 1 arg(s), received 2. See 'kubectl agentcore token inspect --help'`},
		{[]string{"doctor", "--timeout", "soon"}, `error: invalid argument "soon" for "--timeout" flag`},
		{[]string{"teardown", "--yes=maybe"}, `error: invalid argument "maybe" for "-y, --yes" flag`},
	}
	for _, c := range cases {
		code, out, errOut := run(t, c.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
}
