package setups

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	rbacv1 "k8s.io/api/rbac/v1"
)

// The setups view lists -n's namespace when given, else every namespace, else (a user who may not list every
// namespace) the kubeconfig's, and says which; a user who may list neither is told what to do.
func TestSetupRowsScope(t *testing.T) {
	c := clustertest.Shared(t)
	isolate(t)
	ctx := context.Background()
	team, other := c.Namespace(t, "rows-team"), c.Namespace(t, "rows-other")
	for _, ns := range []string{team, other} {
		rec := &setup.Record{Namespace: ns, Name: setup.DefaultRecordName, Mode: setup.ModeRewrite,
			RuntimeARN:       "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/rows_agent-Ab12Cd34Ef",
			GatewayNamespace: ns, GatewayName: "agw", RouteName: "agentcore", BackendName: "agentcore", PolicyName: "agentcore",
			SecretName: "agentcore-jwt", ClientID: "5pk1q2abcdefghijklmnop"}
		if err := setup.Save(ctx, c.Kube(), rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	c.GrantLimited(t, team, "rows", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"list", "get"}})

	kubeconfig := func(token, ns string) string {
		kc := filepath.Join(t.TempDir(), "kc")
		if err := c.WriteKubeconfig(kc, token, ns); err != nil {
			t.Fatal(err)
		}
		return kc
	}
	for _, tc := range []struct {
		name, kubeconfig, flagNS string
		all                      bool
		where, scope             string
		setups                   []string
		err                      string
	}{
		{name: "admin, every namespace", kubeconfig: kubeconfig(testcluster.AdminToken, ""), where: "all namespaces", setups: []string{team, other}},
		{name: "admin with -n", kubeconfig: kubeconfig(testcluster.AdminToken, ""), flagNS: other, where: "namespace " + other, scope: other, setups: []string{other}},
		{name: "namespace user, the kubeconfig's namespace", kubeconfig: kubeconfig(testcluster.LimitedToken, team), where: "namespace " + team + " (you may not list every namespace)", scope: team, setups: []string{team}},
		{name: "namespace user with -n", kubeconfig: kubeconfig(testcluster.LimitedToken, "default"), flagNS: team, where: "namespace " + team, scope: team, setups: []string{team}},
		{name: "admin, -A", kubeconfig: kubeconfig(testcluster.AdminToken, team), all: true, where: "all namespaces", setups: []string{team, other}},
		{name: "namespace user, -A", kubeconfig: kubeconfig(testcluster.LimitedToken, team), all: true, err: "listing setup records"},
		{name: "namespace user elsewhere", kubeconfig: kubeconfig(testcluster.LimitedToken, "default"),
			err: "you may list the setup records neither in every namespace nor in namespace default (the kubeconfig's): pass -n NAMESPACE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			f := cmdutil.New(io)
			f.KubeFlags.KubeConfig = &tc.kubeconfig
			f.KubeFlags.Namespace = &tc.flagNS
			scope := "unset"
			rows, where, err := setupRows(f, &scope, tc.all)(ctx)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				if r.Namespace == team || r.Namespace == other {
					got = append(got, r.Namespace)
				}
			}
			slices.Sort(got)
			slices.Sort(tc.setups)
			if where != tc.where || !slices.Equal(got, tc.setups) || scope != tc.scope {
				t.Errorf("where %q, scope %q, setups %v; want %q, %q, %v", where, scope, got, tc.where, tc.scope, tc.setups)
			}
		})
	}
}
