package teardown

// Setups in several namespaces may use one Cognito user pool, and machine clients of one pool share its domain
// (the token endpoint) and resource server (the scopes). The wizard records what it created on the setup that
// created it. Deleting those at that setup's teardown would cut the others off: a renewal at the deleted domain
// fails, a client whose resource server is gone can no longer ask for its scope, a deleted pool takes every app
// client and user with it. So teardown keeps what other setups still use, and hands the "created by the wizard"
// mark over to one of them, whose own teardown then deletes it.

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// keepSharedCognito turns each Cognito deletion in the plan (app client, domain, resource server, user pool) that
// another setup still uses into a skip naming those setups, and hands the part over to the first of them (an
// update of its record, in the plan). A list that fails is an error: deleting blind could cut another team off.
func keepSharedCognito(ctx context.Context, env *Env, rec *setup.Record, p *Plan) error {
	var deletes []int
	for i, it := range p.Items {
		if it.Action == plan.Delete && it.Kind == plan.KindAWS && it.poolID != "" {
			deletes = append(deletes, i)
		}
	}
	if len(deletes) == 0 {
		return nil
	}
	all, everywhere, err := setup.FindAll(ctx, env.Kube)
	if err != nil {
		return fmt.Errorf("%w. Deleting the Cognito parts the wizard created needs to know that no other setup still uses them", err)
	}
	if !everywhere {
		p.Warnings = append(p.Warnings, setup.Unseen+": one that uses the same user pool fails to mint or renew its token once the parts deleted here are gone")
	}
	for _, i := range deletes {
		it := &p.Items[i]
		var users []*setup.Record
		for _, o := range all {
			if o.Ref() != rec.Ref() && o.UserPoolID == it.poolID && usesPart(o, it.cognitoPart, it.cognitoName) {
				users = append(users, o)
			}
		}
		if len(users) == 0 {
			continue
		}
		refs := make([]string, len(users))
		for j, o := range users {
			refs[j] = o.Ref()
		}
		it.Action, it.Detail = plan.Skip, "setup "+strings.Join(refs, ", ")+" still uses it; kept, for the teardown of "+refs[0]+" to delete"
		p.Changes--
		part := it.cognitoPart
		it.poolID, it.cognitoPart, it.cognitoName = "", "", ""
		h := p.heirItem(users[0])
		switch part {
		case "app-client":
			h.heir.CreatedClient = true
		case "domain":
			h.heir.CreatedDomain = true
		case "resource-server":
			h.heir.CreatedResourceServer = true
		default:
			h.heir.CreatedUserPool = true
		}
		h.Detail = plan.JoinDetail(h.Detail, "takes over the "+partName(part)+" this setup's wizard created, for its own teardown to delete")
	}
	return nil
}

// usesPart reports whether setup o (on the same pool) uses the part: an app client by id, a domain or resource
// server by name, the pool itself ("").
func usesPart(o *setup.Record, part, name string) bool {
	switch part {
	case "app-client":
		return o.ClientID == name
	case "domain":
		return o.IdentityProvider == setup.IdPCognitoMachine && o.Domain == name
	case "resource-server":
		return o.IdentityProvider == setup.IdPCognitoMachine && o.ResourceServer == name
	}
	return true
}

func partName(part string) string {
	switch part {
	case "app-client":
		return "app client"
	case "domain":
		return "user-pool domain"
	case "resource-server":
		return "resource server"
	}
	return "user pool"
}

// heirItem is the plan's update of another setup's record, one per setup whatever it takes over: found, or added.
// The pointer is good until the next item is added.
func (p *Plan) heirItem(o *setup.Record) *Item {
	for i := range p.Items {
		if h := p.Items[i].heir; h != nil && h.Ref() == o.Ref() {
			return &p.Items[i]
		}
	}
	h := *o
	p.add(Item{Item: plan.Item{Action: plan.Update, Kind: plan.KindKubernetes, Target: "ConfigMap " + h.Ref()}, heir: &h})
	return &p.Items[len(p.Items)-1]
}
