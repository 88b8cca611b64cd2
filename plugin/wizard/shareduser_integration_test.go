package wizard_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
)

// Two setups in two namespaces sign in as the same service user of the same pool (cognito-local, real apiserver).
// The second wizard run has no stored password and sets a new one: the plan names the first setup's credentials
// Secret and the run writes the new password there, so both keep minting. A password set behind the wizard's back
// (as an older wizard did) leaves both stored passwords stale: a rerun in the first namespace finds its own no
// longer signs in (the plan says so), sets a new one and repairs the other. A further rerun changes nothing.
func TestSetupsSharingAServiceUserKeepMinting(t *testing.T) {
	w := newWorld(t)
	env := w.env(w.c.Config)
	ctx := context.Background()
	nsA, nsB := "wiz-share-a-"+w.gwNS, "wiz-share-b-"+w.gwNS
	rtA, rtB := w.runtime(t, "share_a"), w.runtime(t, "share_b")

	mints := func(t *testing.T, ns string) error {
		t.Helper()
		rec, err := setup.Load(ctx, w.c.Kube(), ns)
		if err != nil {
			t.Fatal(err)
		}
		c, err := setup.LoadCredentials(ctx, w.c.Kube(), rec)
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.Cognito.MintWithPassword(ctx, awsops.MintRequest{PoolID: rec.UserPoolID, ClientID: rec.ClientID, ClientSecret: c.ClientSecret, Username: rec.Username, Password: c.Password})
		return err
	}
	item := func(p *wz.Plan, target string) *plan.Item {
		for i := range p.Items {
			if strings.HasPrefix(p.Items[i].Target, target) {
				return &p.Items[i]
			}
		}
		return nil
	}
	credsA := "Secret " + nsA + "/" + setup.DefaultRecordName + setup.CredentialsSuffix
	credsB := "Secret " + nsB + "/" + setup.DefaultRecordName + setup.CredentialsSuffix

	if _, err := run(t, env, w.answers(rtA, nsA, "pool-shared")); err != nil {
		t.Fatalf("wizard in %s: %v", nsA, err)
	}
	if err := mints(t, nsA); err != nil {
		t.Fatalf("%s does not mint after its wizard: %v", nsA, err)
	}

	second, err := run(t, env, w.answers(rtB, nsB, "pool-shared"))
	if err != nil {
		t.Fatalf("wizard in %s: %v", nsB, err)
	}
	if u := item(second.plan, "user "); u == nil || u.Action != plan.Update || !strings.Contains(u.Detail, "no stored password") {
		t.Fatalf("second plan's user step: %+v", u)
	}
	if it := item(second.plan, credsA); it == nil || it.Action != plan.Update || !strings.Contains(it.Detail, "same service user") {
		t.Fatalf("the second plan does not name %s: %+v", credsA, second.plan.Items)
	}
	if it := item(second.plan, credsB); it != nil && strings.Contains(it.Detail, "same service user") {
		t.Fatalf("the plan updates its own Secret as a sharing setup: %+v", it)
	}
	for _, ns := range []string{nsA, nsB} {
		if err := mints(t, ns); err != nil {
			t.Errorf("%s does not mint after the second wizard: %v", ns, err)
		}
	}

	// A new password set outside (neither Secret has it).
	rec, err := setup.Load(ctx, w.c.Kube(), nsA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cip.NewFromConfig(w.cogCfg).AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(rec.UserPoolID),
		Username: aws.String(rec.Username), Password: aws.String("Outside-Set-Password-1!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if mints(t, nsA) == nil || mints(t, nsB) == nil {
		t.Fatal("the stored passwords still sign in after an outside reset")
	}
	third, err := run(t, env, w.answers(rtA, nsA, "pool-shared"))
	if err != nil {
		t.Fatalf("rerun in %s: %v", nsA, err)
	}
	if u := item(third.plan, "user "); u == nil || u.Action != plan.Update || !strings.Contains(u.Detail, "no longer signs in") {
		t.Fatalf("rerun plan's user step: %+v", u)
	}
	if it := item(third.plan, credsB); it == nil || it.Action != plan.Update {
		t.Fatalf("the rerun plan does not name %s: %+v", credsB, third.plan.Items)
	}
	for _, ns := range []string{nsA, nsB} {
		if err := mints(t, ns); err != nil {
			t.Errorf("%s does not mint after the rerun: %v", ns, err)
		}
	}

	fourth, err := run(t, env, w.answers(rtA, nsA, "pool-shared"))
	if err != nil {
		t.Fatalf("second rerun in %s: %v", nsA, err)
	}
	if u := item(fourth.plan, "user "); u == nil || u.Action != plan.Unchanged || !strings.Contains(u.Detail, "signs in") || item(fourth.plan, credsB) != nil {
		t.Fatalf("a rerun with a working password must leave the user and the other setup alone: %+v", fourth.plan.Items)
	}
}
