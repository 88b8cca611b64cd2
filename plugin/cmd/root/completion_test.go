package root

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// actAsPlugin makes this test binary behave as kubectl-agentcore when a test execs it under that name (kubectl
// plugin discovery, the generated bash script), so those paths are tested without building the real binary.
const actAsPlugin = "AGENTCORE_TEST_ACT_AS_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(actAsPlugin) == "1" {
		os.Exit(Execute())
	}
	clustertest.Main(m)
}

// complete runs `kubectl-agentcore __complete args...` in-process and returns the suggestions (descriptions cut
// off) and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, errOut := run(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %q: no directive line in %q", args, out)
	}
	var got []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		got = append(got, name)
	}
	return got, lines[len(lines)-1]
}

var commandNames = []string{"wizard", "doctor", "token", "rotate", "logs", "teardown", "version", "completion"}

func TestCompletionScripts(t *testing.T) {
	isolate(t, "this: [is not a kubeconfig") // generating a script must not read it
	marks := map[string][]string{
		"bash":       {"__start_kubectl-agentcore", "complete -o default -F __start_kubectl-agentcore kubectl-agentcore", "__complete"},
		"zsh":        {"#compdef kubectl-agentcore", "compdef _kubectl-agentcore kubectl-agentcore", "__complete"},
		"fish":       {"complete -c kubectl-agentcore", "__complete"},
		"powershell": {"Register-ArgumentCompleter -CommandName 'kubectl-agentcore'", "__complete"},
	}
	for sh, want := range marks {
		code, out, errOut := run(t, "completion", sh)
		if code != 0 || errOut != "" {
			t.Fatalf("completion %s: exit %d, stderr %q", sh, code, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("completion %s: script lacks %q", sh, w)
			}
		}
		if strings.Contains(out, "__start_agentcore ") || strings.Contains(out, "#compdef agentcore\n") {
			t.Errorf("completion %s: script completes `agentcore`, not the binary kubectl-agentcore", sh)
		}
	}
	// The command names come from __complete, which the scripts call.
	got, directive := complete(t, "")
	for _, c := range commandNames {
		if !slices.Contains(got, c) {
			t.Errorf("__complete '': %s missing from %v", c, got)
		}
	}
	if directive != ":4" {
		t.Errorf("directive %s, want :4 (no file completion)", directive)
	}
	got, _ = complete(t, "completion", "")
	if strings.Join(got, ",") != "bash,fish,powershell,zsh" {
		t.Errorf("completion <TAB>: %v", got)
	}
}

func TestCompletionHelpSaysKubectlAgentcore(t *testing.T) {
	isolate(t, "")
	for _, args := range [][]string{{"completion", "--help"}, {"completion", "bash", "--help"}, {"completion", "zsh", "--help"}} {
		code, out, _ := run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		if !strings.Contains(out, "kubectl agentcore completion") || !strings.Contains(out, "kubectl_complete-agentcore") {
			t.Errorf("%v: help should say `kubectl agentcore completion` and name the kubectl helper:\n%s", args, out)
		}
		if strings.Contains(out, "\n  agentcore completion") || strings.Contains(out, "<(agentcore ") {
			t.Errorf("%v: help names the bare `agentcore`:\n%s", args, out)
		}
	}
	// The script generation renames the root only while it writes: help afterwards still says kubectl agentcore.
	io, _, _, _ := cmdutil.Test()
	f := cmdutil.New(io)
	cmd := NewCmd(f)
	cmd.SetArgs([]string{"completion", "bash"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if cmd.Use != "agentcore" || cmd.CommandPath() != "kubectl agentcore" {
		t.Fatalf("root left renamed: Use %q, path %q", cmd.Use, cmd.CommandPath())
	}

	code, _, errOut := run(t, "completion")
	if code != cmdutil.ExitUsage || !strings.HasPrefix(errOut, "error: name a shell") {
		t.Errorf("completion without a shell: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(t, "completion", "tcsh")
	if code != cmdutil.ExitUsage || strings.Count(errOut, "\n") != 1 {
		t.Errorf("completion tcsh: exit %d, %q", code, errOut)
	}
}

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- name: c-east
  cluster: {server: "https://127.0.0.1:1"}
- name: c-west
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: u-admin
  user: {token: abc}
- name: u-dev
  user: {token: def}
contexts:
- name: alpha
  context: {cluster: c-east, user: u-admin, namespace: team-a}
- name: beta
  context: {cluster: c-west, user: u-dev}
current-context: alpha
`

func TestKubeconfigCompletions(t *testing.T) {
	isolate(t, "")
	kc := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kc, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := complete(t, "--kubeconfig", kc, "--context", "")
	if strings.Join(got, ",") != "alpha,beta" {
		t.Errorf("--context: %v, want alpha,beta", got)
	}
	code, out, _ := run(t, "__complete", "--kubeconfig", kc, "--context", "")
	if code != 0 || !strings.Contains(out, "alpha\tcluster c-east, namespace team-a") {
		t.Errorf("--context descriptions: %q", out)
	}
	got, _ = complete(t, "--kubeconfig", kc, "--cluster", "")
	if strings.Join(got, ",") != "c-east,c-west" {
		t.Errorf("--cluster: %v", got)
	}
	got, _ = complete(t, "--kubeconfig", kc, "--user", "")
	if strings.Join(got, ",") != "u-admin,u-dev" {
		t.Errorf("--user: %v", got)
	}
	// KUBECONFIG works as well as --kubeconfig, also after a subcommand.
	t.Setenv("KUBECONFIG", kc)
	got, _ = complete(t, "version", "--context", "")
	if strings.Join(got, ",") != "alpha,beta" {
		t.Errorf("version --context with KUBECONFIG: %v", got)
	}
	// A broken kubeconfig gives no suggestions, not an error on the terminal.
	broken := filepath.Join(t.TempDir(), "broken")
	if err := os.WriteFile(broken, []byte("this: [is not"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, directive := complete(t, "--kubeconfig", broken, "--context", "")
	if len(got) != 0 || directive != ":4" {
		t.Errorf("broken kubeconfig: %v %s", got, directive)
	}
}

func TestNamespaceCompletionFromCluster(t *testing.T) {
	c := clustertest.Shared(t)
	isolate(t, "")
	ns := c.Namespace(t, "complns")
	kc := filepath.Join(t.TempDir(), "admin")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, ""); err != nil {
		t.Fatal(err)
	}
	got, directive := complete(t, "--kubeconfig", kc, "-n", "")
	for _, want := range []string{ns, "default", "kube-system"} {
		if !slices.Contains(got, want) {
			t.Errorf("-n <TAB>: %s missing from %v", want, got)
		}
	}
	if directive != ":4" || !sort.StringsAreSorted(got) {
		t.Errorf("directive %s, sorted %v", directive, sort.StringsAreSorted(got))
	}
	got, _ = complete(t, "--kubeconfig", kc, "version", "--namespace", "complns-")
	if !slices.Contains(got, ns) {
		t.Errorf("--namespace complns-<TAB>: %v", got)
	}
	for _, g := range got {
		if !strings.HasPrefix(g, "complns-") {
			t.Errorf("--namespace complns-<TAB> offers %s", g)
		}
	}

	// A user who may not list namespaces gets the context's namespace.
	limited := filepath.Join(t.TempDir(), "limited")
	if err := c.WriteKubeconfig(limited, testcluster.LimitedToken, "team-x"); err != nil {
		t.Fatal(err)
	}
	got, _ = complete(t, "--kubeconfig", limited, "-n", "")
	if strings.Join(got, ",") != "team-x" {
		t.Errorf("forbidden namespace list: %v, want the context's team-x", got)
	}
}

func TestSecretAndRouteCompletionFromCluster(t *testing.T) {
	c := clustertest.Shared(t)
	isolate(t, "")
	ns := c.Namespace(t, "complref")
	ctx := context.Background()
	for _, name := range []string{"agentcore-jwt", "other-secret"} {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: map[string]string{"Authorization": "Bearer x"}}
		if _, err := c.Kube().CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "agentcore", "namespace": ns},
		"spec":     map[string]any{"parentRefs": []any{map[string]any{"name": "gw"}}},
	}}
	if _, err := c.Dynamic().Resource(cmdutil.HTTPRoutesResource).Namespace(ns).Create(ctx, route, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "admin")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, ns); err != nil {
		t.Fatal(err)
	}

	// A tree like the real commands': --secret and --route NS/NAME, --route-namespace, a plain-name flag.
	newTree := func() *cobra.Command {
		io, _, _, _ := cmdutil.Test()
		f := cmdutil.New(io)
		root := &cobra.Command{Use: "agentcore"}
		f.KubeFlags.AddFlags(root.PersistentFlags())
		probe := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error { return nil }}
		probe.Flags().String("secret", "", "")
		probe.Flags().String("route", "", "")
		probe.Flags().String("route-namespace", "", "")
		probe.Flags().String("secret-name", "", "")
		_ = probe.RegisterFlagCompletionFunc("secret-name", cmdutil.CompleteNames(f, cmdutil.SecretsResource))
		root.AddCommand(probe)
		registerCompletions(root, f)
		return root
	}
	completeIn := func(args ...string) []string {
		t.Helper()
		root := newTree()
		var out strings.Builder
		root.SetOut(&out)
		root.SetErr(&strings.Builder{})
		root.SetArgs(append([]string{"__complete", "--kubeconfig", kc, "probe"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		return lines[:len(lines)-1]
	}

	if got := completeIn("--secret", ns+"/"); strings.Join(got, ",") != ns+"/agentcore-jwt,"+ns+"/other-secret" {
		t.Errorf("--secret %s/<TAB>: %v", ns, got)
	}
	if got := completeIn("--secret", ns+"/agent"); strings.Join(got, ",") != ns+"/agentcore-jwt" {
		t.Errorf("--secret %s/agent<TAB>: %v", ns, got)
	}
	if got := completeIn("--secret", ""); !slices.Contains(got, ns+"/agentcore-jwt") {
		t.Errorf("--secret <TAB> (all namespaces): %v", got)
	}
	if got := completeIn("--route", ""); !slices.Contains(got, ns+"/agentcore") {
		t.Errorf("--route <TAB>: %v", got)
	}
	if got := completeIn("--route-namespace", "complref-"); !slices.Contains(got, ns) {
		t.Errorf("--route-namespace <TAB>: %v", got)
	}
	if got := completeIn("--secret-name", ""); strings.Join(got, ",") != "agentcore-jwt,other-secret" {
		t.Errorf("--secret-name <TAB> in the context's namespace: %v", got)
	}
	// The real tree wires the same flags wherever a command defines them.
	io, _, _, _ := cmdutil.Test()
	real := NewCmd(cmdutil.New(io))
	var check func(cmd *cobra.Command)
	check = func(cmd *cobra.Command) {
		for _, name := range []string{"secret", "route"} {
			if fl := cmd.LocalFlags().Lookup(name); fl != nil && fl.Value.Type() == "string" {
				if _, ok := cmd.GetFlagCompletionFunc(name); !ok {
					t.Errorf("%s --%s has no completion", cmd.CommandPath(), name)
				}
			}
		}
		for _, sub := range cmd.Commands() {
			check(sub)
		}
	}
	check(real)
}

// An apiserver that accepts connections and never answers costs one CompletionTimeout, then nothing is offered.
func TestClusterCompletionIsBounded(t *testing.T) {
	isolate(t, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // hold it open, say nothing
		}
	}()
	kc := filepath.Join(t.TempDir(), "config")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://" + ln.Addr().String() + "\", insecure-skip-tls-verify: true}\n" +
		"users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: ctx-ns}\ncurrent-context: x\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	old := cmdutil.CompletionTimeout
	cmdutil.CompletionTimeout = 500 * time.Millisecond
	defer func() { cmdutil.CompletionTimeout = old }()

	done := make(chan string, 1)
	go func() {
		_, out, _ := run(t, "__complete", "--kubeconfig", kc, "-n", "")
		done <- out
	}()
	select {
	case out := <-done:
		// Listing failed (timed out): only the context's namespace is offered.
		if out != "ctx-ns\n:4\n" {
			t.Errorf("silent apiserver: %q, want the context's namespace only", out)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("namespace completion against a silent apiserver did not give up")
	}
}

// kubectl ≥ 1.26 completes `kubectl agentcore <TAB>` by running kubectl_complete-agentcore from PATH; the
// helper runs kubectl-agentcore __complete. Here kubectl-agentcore is this test binary acting as the plugin.
func TestKubectlPluginCompletionHelper(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed")
	}
	isolate(t, "")
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "kubectl-agentcore")); err != nil {
		t.Fatal(err)
	}
	helper, err := filepath.Abs("../../../kubectl_complete-agentcore")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(helper); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("the helper %s must exist and be executable: %v", helper, err)
	}
	if err := os.Symlink(helper, filepath.Join(dir, "kubectl_complete-agentcore")); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kc, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	runKubectl := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectl, args...)
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), actAsPlugin+"=1", "KUBECONFIG="+kc)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := runKubectl("__complete", "agentcore", "")
	for _, c := range commandNames {
		if !strings.Contains(out, "\n"+c+"\t") && !strings.HasPrefix(out, c+"\t") {
			t.Errorf("kubectl agentcore <TAB>: %s missing:\n%s", c, out)
		}
	}
	out = runKubectl("__complete", "agentcore", "version", "--context", "")
	if !strings.Contains(out, "alpha\t") || !strings.Contains(out, "beta\t") {
		t.Errorf("kubectl agentcore version --context <TAB>:\n%s", out)
	}
	// The same binary through the generated bash script (bash's own completion machinery, no bash-completion).
	if bash, err := exec.LookPath("bash"); err == nil {
		script := filepath.Join(t.TempDir(), "completion.bash")
		code, s, _ := run(t, "completion", "bash")
		if code != 0 {
			t.Fatal("completion bash failed")
		}
		if err := os.WriteFile(script, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		// The script needs bash-completion's _get_comp_words_by_ref: the real one when installed, else a shim.
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", `
if [ -f /usr/share/bash-completion/bash_completion ]; then
  source /usr/share/bash-completion/bash_completion
else
  _get_comp_words_by_ref() { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
source "$1"
COMP_WORDS=(kubectl-agentcore "")
COMP_CWORD=1
COMP_LINE="kubectl-agentcore "
COMP_POINT=${#COMP_LINE}
__start_kubectl-agentcore
printf '%s\n' "${COMPREPLY[@]}"`, "bash", script)
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), actAsPlugin+"=1", "KUBECONFIG="+kc)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash completion: %v\n%s", err, b)
		}
		for _, c := range commandNames {
			if !strings.Contains(string(b), c) {
				t.Errorf("bash: kubectl-agentcore <TAB> lacks %s:\n%s", c, b)
			}
		}
	}
}
