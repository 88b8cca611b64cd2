package cmdutil_test

import (
	"context"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// TestReadSecretFromNamespaces: secret:NAME/KEY is read in the kubeconfig's namespace by ReadSecretFrom and in the
// namespace given by ReadSecretFromIn (the wizard's route namespace); a source naming its namespace is read there
// by both; env: needs no cluster.
func TestReadSecretFromNamespaces(t *testing.T) {
	c := clustertest.Shared(t)
	home, work := c.Namespace(t, "secretfrom-home"), c.Namespace(t, "secretfrom-work")
	for ns, v := range map[string]string{home: "in-home", work: "in-work"} {
		if _, err := c.Kube().CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "client"},
			Data: map[string][]byte{"client_secret": []byte(v)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, home); err != nil {
		t.Fatal(err)
	}
	io, _, _, _ := cmdutil.Test()
	f := cmdutil.New(io)
	f.KubeFlags.KubeConfig = &kc
	t.Setenv("SECRETFROM_TEST", "from-env")
	ctx := context.Background()
	for _, tc := range []struct {
		name, ns, from, want string // ns "": ReadSecretFrom
	}{
		{"kubeconfig namespace", "", "secret:client", "in-home"},
		{"given namespace", work, "secret:client", "in-work"},
		{"given namespace, key named", work, "secret:client/client_secret", "in-work"},
		{"source names the namespace", work, "secret:" + home + "/client/client_secret", "in-home"},
		{"source names the namespace, kubeconfig", "", "secret:" + work + "/client/client_secret", "in-work"},
		{"env", work, "env:SECRETFROM_TEST", "from-env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			var err error
			if tc.ns == "" {
				got, err = cmdutil.ReadSecretFrom(ctx, f, "client-secret-from", tc.from, "client_secret", "client secret")
			} else {
				got, err = cmdutil.ReadSecretFromIn(ctx, f, tc.ns, "client-secret-from", tc.from, "client_secret", "client secret")
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
