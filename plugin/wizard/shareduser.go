package wizard

import (
	"context"
	"fmt"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// Setups in other namespaces may sign in as the same Cognito service user (same user pool, same username): each
// stores the user's password in its own credentials Secret. When this run sets a new password (the stored one
// no longer signs in, or none was stored), theirs goes stale and their next mint fails; rerunning the wizard
// there would set yet another password and break this setup in turn. So the run writes the new password into
// their credentials Secrets too: the plan lists each one (confirmed with the rest of the plan: --yes, or yes in
// the TUI), and the old password is worthless everywhere once Cognito has the new one, so the update only
// repairs. A Secret that cannot be written is named in a warning with what to do.

// sharingSetups are the other setups whose records name the same user pool and service user as rec; everywhere
// is false when the user may not list the records in every namespace (those elsewhere are not known).
func sharingSetups(ctx context.Context, env *Env, rec setup.Record) (_ []*setup.Record, everywhere bool, _ error) {
	if rec.UserPoolID == "" || rec.Username == "" || env.Kube == nil {
		return nil, true, nil
	}
	all, everywhere, err := setup.FindAll(ctx, env.Kube)
	if err != nil {
		return nil, false, k8sres.Explain("listing the setup records (setups sharing the service user)", err)
	}
	var out []*setup.Record
	for _, r := range all {
		if r.UserPoolID == rec.UserPoolID && r.Username == rec.Username && r.Ref() != rec.Ref() {
			out = append(out, r)
		}
	}
	return out, everywhere, nil
}

func passwordReset(steps []awsops.PlanStep) bool {
	for _, st := range steps {
		if st.Resource == "user" && st.PasswordReset {
			return true
		}
	}
	return false
}

func sharedPasswordDetail(rec setup.Record, other *setup.Record) string {
	return fmt.Sprintf("password: setup %s signs in as the same service user %s (pool %s) and gets its new password", other.Ref(), rec.Username, rec.UserPoolID)
}

// planSharedPassword adds one update per other setup sharing the service user when steps reset its password.
func planSharedPassword(ctx context.Context, env *Env, p *Plan, rec setup.Record, steps []awsops.PlanStep) error {
	if !passwordReset(steps) {
		return nil
	}
	others, everywhere, err := sharingSetups(ctx, env, rec)
	if err != nil {
		return err
	}
	if !everywhere {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: one that signs in as the same service user %s keeps the old password and fails to mint until its credentials Secret has the new one", setup.Unseen, rec.Username))
	}
	for _, o := range others {
		p.add(plan.Item{Step: StepIdentity, Kind: plan.KindKubernetes, Action: plan.Update, Target: "Secret " + k8sres.Ref(o.Namespace, o.CredentialsName()),
			Detail: sharedPasswordDetail(rec, o)})
	}
	return nil
}

// shareNewPassword writes password into the credentials Secret of every other setup sharing rec's service user;
// what cannot be written is a warning naming the Secret and the way out.
func shareNewPassword(ctx context.Context, env *Env, rec setup.Record, password string, res *Result) {
	others, _, err := sharingSetups(ctx, env, rec)
	if err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the service user %s got a new password, but other setups using it could not be listed (%v): any that stores the old one fails to mint until its credentials Secret has the new one", rec.Username, err))
		return
	}
	for _, o := range others {
		ref := k8sres.Ref(o.Namespace, o.CredentialsName())
		c, err := setup.LoadCredentials(ctx, env.Kube, o)
		if err == nil && c.Password == password {
			continue
		}
		if err == nil {
			c.Password = password
			err = setup.SaveCredentials(ctx, env.Kube, o, c)
		}
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("setup %s signs in as the same service user %s but its Secret %s still holds the old password (%v): let the wizard write it (rerun with access to %s), or give each setup its own service user (--username)", o.Ref(), rec.Username, ref, err, o.Namespace))
			continue
		}
		res.add(StepIdentity, plan.Update, "Secret "+ref, sharedPasswordDetail(rec, o))
	}
}
