package rotate_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/root"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// GitOps users render the rotator offline: with -n and --secret the flags name everything, so no kubeconfig is
// read. KUBECONFIG points at a file that does not exist and HOME has no ~/.kube.
func TestPrintManifestsOfflineWhenFlagsNameEverything(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "nowhere", "kubeconfig"))
	t.Setenv("HOME", dir)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	cases := []struct {
		name       string
		args       []string
		secrets    []string // the Role's Secrets
		recordRule bool     // the Role may read the setup record
		args0      []string // in the pod's args
	}{
		{"from the setup record in the namespace", []string{"-n", "team-a", "--secret", "gw-token"},
			[]string{"gw-token", "agentcore-setup-credentials"}, true, nil},
		{"from the flags alone", []string{"-n", "team-a", "--secret", "gw-token", "--user-pool-id", "us-east-1_AbC",
			"--client-id", "cid", "--username", "gw", "--credentials-secret", "gw-creds"},
			[]string{"gw-token", "gw-creds"}, false, []string{"--user-pool-id=us-east-1_AbC", "--client-id=cid", "--username=gw"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			io, _, out, errOut := cmdutil.Test()
			code := root.Run(cmdutil.New(io), append([]string{"rotate", "--print-manifests"}, c.args...))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			docs := strings.Split(out.String(), "\n---\n")
			var role rbacv1.Role
			var deployArgs string
			for _, d := range docs {
				switch {
				case strings.Contains(d, "kind: Role\n"):
					if err := yaml.Unmarshal([]byte(d), &role); err != nil {
						t.Fatal(err)
					}
				case strings.Contains(d, "kind: Deployment\n"):
					deployArgs = d
				}
			}
			if role.Namespace != "team-a" || len(role.Rules) == 0 || !slices.Equal(role.Rules[0].ResourceNames, c.secrets) {
				t.Fatalf("role %s/%s rules %+v, want get+update on %v", role.Namespace, role.Name, role.Rules, c.secrets)
			}
			// The record: get, and patch for the rotation status; Events about it (as the service writes them).
			got := len(role.Rules) == 3 && role.Rules[1].ResourceNames[0] == "agentcore-setup" && slices.Equal(role.Rules[1].Verbs, []string{"get", "patch"}) &&
				role.Rules[2].APIGroups[0] == "events.k8s.io" && slices.Equal(role.Rules[2].Verbs, []string{"create"})
			if got != c.recordRule {
				t.Fatalf("record rule %v, want %v: %+v", got, c.recordRule, role.Rules)
			}
			for _, a := range c.args0 {
				if !strings.Contains(deployArgs, a) {
					t.Errorf("deployment lacks %s:\n%s", a, deployArgs)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); !os.IsNotExist(err) {
		t.Fatal("something created the kubeconfig folder")
	}
}

// Without --secret the namespace alone does not say which Secret: the cluster is read, and without one that is
// the usual kubeconfig error.
func TestPrintManifestsWithoutSecretNeedsTheCluster(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "nowhere"))
	t.Setenv("HOME", dir)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	io, _, out, errOut := cmdutil.Test()
	code := root.Run(cmdutil.New(io), []string{"rotate", "--print-manifests", "-n", "team-a"})
	if code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), "no kubeconfig found") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
}
