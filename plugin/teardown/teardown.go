// Package teardown removes what the wizard created, found by the setup record and the managed-by labels: the
// gateway objects, the Secrets, the record, the namespace only when the wizard created it, optionally the Cognito
// user pool (only when the wizard created it), and restores the runtime's previous authorizer.
package teardown

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// Env is what teardown works with. AWS clients may be nil (AWSErr says why).
type Env struct {
	Kube      kubernetes.Interface
	Applier   *k8sres.Applier
	Cognito   *awsops.Cognito
	AgentCore *awsops.AgentCore
	AWSErr    error
}

// Options say what to remove besides the cluster objects.
type Options struct {
	DeleteUserPool bool
	KeepAuthorizer bool
}

// Item is one line of the plan (delete, update, unchanged or skip; its JSON is internal/plan's) and what Run
// needs to carry it out.
type Item struct {
	plan.Item

	gvk       schema.GroupVersionKind
	namespace string
	name      string
	restore   types.AuthorizerConfiguration
	// restoreType is an AgentCore Gateway's authorizer type to restore (with restore as its configuration).
	restoreType types.AuthorizerType
	// current is the target's authorizer as read for the plan, on a restore (keepForOthers compares it).
	current types.AuthorizerConfiguration
	poolID  string
	// heir is another setup's record to save: it takes over the previous authorizer (keepForOthers).
	heir *setup.Record
	// A Cognito machine client's parts the wizard created (identity cognito-machine), in poolID.
	cognitoPart, cognitoName string
}

// Plan is what teardown will do.
type Plan struct {
	Record   *setup.Record `json:"record"`
	Items    []Item        `json:"items"`
	Warnings []string      `json:"warnings,omitempty"`
	Changes  int           `json:"changes"`
}

func (p *Plan) add(it Item) {
	p.Items = append(p.Items, it)
	if it.Action.Changes() {
		p.Changes++
	}
}

// gatewayRestore plans putting an AgentCore Gateway's authorizer (type and configuration) back to what it was
// before the wizard, unless someone changed it since.
func gatewayRestore(ctx context.Context, env *Env, rec *setup.Record) (Item, string, error) {
	target := rec.TargetName() + " authorizer"
	prev, err := awsops.ParseAuthorizerJSON([]byte(rec.PreviousAuthorizer))
	if err != nil {
		return Item{}, "", fmt.Errorf("the record's previous authorizer is unreadable: %w. Pass --keep-authorizer", err)
	}
	prevType := types.AuthorizerType(rec.PreviousAuthorizerType)
	if prevType == "" {
		prevType = types.AuthorizerTypeCustomJwt
	}
	g, err := env.AgentCore.GetGateway(ctx, rec.AgentCoreGateway)
	if err != nil {
		return Item{}, "", err
	}
	ours, known := setAuthorizer(env, rec)
	switch {
	case g.AuthorizerType == prevType && (prevType != types.AuthorizerTypeCustomJwt || awsops.AuthorizerEqual(g.AuthorizerConfiguration, prev)):
		return Item{Item: plan.Item{Action: plan.Unchanged, Kind: plan.KindAWS, Target: target, Detail: "already the previous authorizer"}}, "", nil
	case g.AuthorizerType != types.AuthorizerTypeCustomJwt || known && !awsops.AuthorizerCovers(g.AuthorizerConfiguration, ours):
		it, warn := changedElsewhere(rec)
		return it, warn, nil
	}
	d := "restore authorizer type " + string(prevType)
	if prevType == types.AuthorizerTypeCustomJwt {
		d = "restore the previous JWT authorizer"
	}
	return Item{Item: plan.Item{Action: plan.Update, Kind: plan.KindAWS, Target: target, Detail: d + "; every other field kept"}, restore: prev, restoreType: prevType,
		current: g.AuthorizerConfiguration}, "", nil
}

// changedElsewhere is the plan's item and warning for a target whose authorizer someone else changed since the
// wizard set it: teardown leaves it as it is.
func changedElsewhere(rec *setup.Record) (Item, string) {
	return Item{Item: plan.Item{Action: plan.Skip, Kind: plan.KindAWS, Target: rec.TargetName() + " authorizer", Detail: "changed by someone else since the wizard set it; left as it is"}},
		rec.TargetNoun() + "'s authorizer is no longer the one the wizard set: not restored"
}

// BuildPlan finds everything the record and labels say the wizard made. It only reads.
func BuildPlan(ctx context.Context, env *Env, rec *setup.Record, o Options) (*Plan, error) {
	p := &Plan{Record: rec}
	rtTarget := rec.TargetName() + " authorizer"
	switch {
	case rec.IsAgentCoreGateway() && !o.KeepAuthorizer && rec.PreviousAuthorizerKnown() && env.AgentCore != nil:
		it, warn, err := gatewayRestore(ctx, env, rec)
		if err != nil {
			return nil, err
		}
		p.add(it)
		if warn != "" {
			p.Warnings = append(p.Warnings, warn)
		}
	case o.KeepAuthorizer:
		p.add(Item{Item: plan.Item{Action: plan.Skip, Kind: plan.KindAWS, Target: rtTarget, Detail: "--keep-authorizer"}})
	case !rec.PreviousAuthorizerKnown():
		p.add(Item{Item: plan.Item{Action: plan.Skip, Kind: plan.KindAWS, Target: rtTarget, Detail: "the wizard never changed it"}})
	case env.AgentCore == nil:
		return nil, fmt.Errorf("restoring the runtime's previous authorizer needs AWS: %v. Fix the AWS configuration, or pass --keep-authorizer", env.AWSErr)
	default:
		prev, err := awsops.ParseAuthorizerJSON([]byte(rec.PreviousAuthorizer))
		if err != nil {
			return nil, fmt.Errorf("the record's previous authorizer is unreadable: %w. Pass --keep-authorizer", err)
		}
		rt, err := env.AgentCore.GetRuntime(ctx, rec.RuntimeARN)
		if err != nil {
			return nil, err
		}
		// What the wizard set (a privateEndpoint changed since makes it someone else's), joined perhaps with
		// what other setups on the runtime need: keepForOthers tells which.
		ours, known := setAuthorizer(env, rec)
		switch {
		case awsops.AuthorizerEqual(rt.AuthorizerConfiguration, prev):
			p.add(Item{Item: plan.Item{Action: plan.Unchanged, Kind: plan.KindAWS, Target: rtTarget, Detail: "already the previous authorizer"}})
		case known && !awsops.AuthorizerCovers(rt.AuthorizerConfiguration, ours):
			it, warn := changedElsewhere(rec)
			p.add(it)
			p.Warnings = append(p.Warnings, warn)
		default:
			d := "restore the previous authorizer (IAM only)"
			if prev != nil {
				d = "restore the previous JWT authorizer"
			}
			p.add(Item{Item: plan.Item{Action: plan.Update, Kind: plan.KindAWS, Target: rtTarget, Detail: d + "; every other field kept"}, restore: prev, current: rt.AuthorizerConfiguration})
		}
	}

	if err := keepForOthers(ctx, env, rec, p); err != nil {
		return nil, err
	}

	sel := setup.LabelSetup + "=" + rec.SetupLabel()
	var objs, recordObjs []Item
	for _, gvk := range wizard.OwnedKinds {
		ri, _, err := env.Applier.Resource(gvk, rec.Namespace)
		if err != nil {
			continue // not served
		}
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, k8sres.Explain("listing "+gvk.Kind+" in "+rec.Namespace, err)
		}
		for i := range list.Items {
			o := &list.Items[i]
			it := objectItem(o)
			if o.GetLabels()[setup.LabelComponent] == setup.ComponentRecord {
				recordObjs = append(recordObjs, it)
			} else {
				objs = append(objs, it)
			}
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Target < objs[j].Target })
	for _, it := range objs {
		p.add(it)
	}

	// A Cognito machine client's app client, domain and resource server: those the wizard created, and nothing it
	// did not (the record says which). The domain goes before the pool, which Cognito will not delete with one.
	if rec.IdentityProvider == setup.IdPCognitoMachine && rec.UserPoolID != "" {
		parts := []struct{ part, name, what string }{{"app-client", rec.ClientID, "app client"}, {"domain", rec.Domain, "user-pool domain"},
			{"resource-server", rec.ResourceServer, "resource server"}}
		created := map[string]bool{"app-client": rec.CreatedClient, "domain": rec.CreatedDomain, "resource-server": rec.CreatedResourceServer}
		for _, pt := range parts {
			switch {
			case pt.name == "":
			case !created[pt.part]:
				p.add(Item{Item: plan.Item{Action: plan.Skip, Kind: plan.KindAWS, Target: pt.what + " " + pt.name, Detail: "the wizard did not create it; kept"}})
			case env.Cognito == nil:
				return nil, fmt.Errorf("deleting the %s %s the wizard created needs AWS: %v. Fix the AWS configuration", pt.what, pt.name, env.AWSErr)
			default:
				p.add(Item{Item: plan.Item{Action: plan.Delete, Kind: plan.KindAWS, Target: pt.what + " " + pt.name + " (user pool " + rec.UserPoolID + ")",
					Detail: "created by the wizard"}, poolID: rec.UserPoolID, cognitoPart: pt.part, cognitoName: pt.name})
			}
		}
	}

	switch {
	case o.DeleteUserPool && rec.UserPoolID == "" && rec.CreatingUserPool != "":
		// A wizard run stopped between creating the pool and recording its id: find it by the recorded name.
		if env.Cognito == nil {
			return nil, fmt.Errorf("deleting the user pool needs AWS: %v", env.AWSErr)
		}
		pool, err := wizard.InterruptedPool(ctx, env.Cognito, rec)
		if err != nil {
			return nil, err
		}
		if pool != nil {
			p.add(Item{Item: plan.Item{Action: plan.Delete, Kind: plan.KindAWS, Target: "user pool " + pool.ID + " (" + pool.Name + ")",
				Detail: "created by an interrupted wizard run (its id was never recorded); with its app client and users"}, poolID: pool.ID})
		}
	case !o.DeleteUserPool || rec.UserPoolID == "":
	case !rec.CreatedUserPool:
		p.add(Item{Item: plan.Item{Action: plan.Skip, Kind: plan.KindAWS, Target: "user pool " + rec.UserPoolID, Detail: "the wizard did not create it; not deleted"}})
	case env.Cognito == nil:
		return nil, fmt.Errorf("deleting the user pool needs AWS: %v", env.AWSErr)
	default:
		p.add(Item{Item: plan.Item{Action: plan.Delete, Kind: plan.KindAWS, Target: "user pool " + rec.UserPoolID + " (" + rec.UserPoolName + ")", Detail: "with its app client and users"}, poolID: rec.UserPoolID})
	}
	if rec.UserPoolID == "" && rec.CreatingUserPool != "" && !o.DeleteUserPool {
		p.Warnings = append(p.Warnings, fmt.Sprintf("a wizard run stopped while creating user pool %q: it may exist and stays (pass --delete-user-pool to delete it)", rec.CreatingUserPool))
	}
	if rec.UserPoolID != "" && rec.CreatedUserPool && !o.DeleteUserPool {
		p.Warnings = append(p.Warnings, fmt.Sprintf("user pool %s stays (pass --delete-user-pool to delete it)", rec.UserPoolID))
	}

	if err := keepSharedCognito(ctx, env, rec, p); err != nil {
		return nil, err
	}

	// The record goes last but one, so an interrupted teardown can be run again.
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetNamespace(rec.Namespace)
	cm.SetName(rec.Name)
	found := false
	for _, it := range recordObjs {
		found = found || (it.gvk.Kind == "ConfigMap" && it.name == rec.Name)
		p.add(it)
	}
	if !found {
		p.add(objectItem(cm))
	}
	if rec.CreatedNamespace {
		p.add(Item{Item: plan.Item{Action: plan.Delete, Kind: plan.KindKubernetes, Target: "Namespace " + rec.Namespace, Detail: "created by the wizard"},
			gvk: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, name: rec.Namespace})
	} else {
		p.add(Item{Item: plan.Item{Action: plan.Skip, Kind: plan.KindKubernetes, Target: "Namespace " + rec.Namespace, Detail: "existed before the wizard; kept"}})
	}
	return p, nil
}

// keepForOthers is teardown's part in the authorizer other setups on the same runtime or AgentCore Gateway share
// (one per target; the wizard joins the authorizers of setups with the same identity provider,
// awsops.MergeAuthorizers):
//   - the plan's restore (its first item, when that is an update) becomes a narrowing when some of them use the
//     authorizer the target has now: the target keeps what they need and loses what only this setup needed (a
//     skip when that is nothing). The last of them restores the one from before the wizard. Setups on the target
//     that need another authorizer do not hold the restore back;
//   - an authorizer that accepts more than this setup and those setups account for was changed by someone else:
//     it is left as it is;
//   - what this setup recorded as the authorizer before the wizard is handed over (an update of their record, in
//     the plan) to the first of those setups that recorded none, and to every setup that recorded as "before" the
//     authorizer this one set: theirs would otherwise bring this setup's back at their teardown.
//
// A list that fails is an error (restoring blind could cut another team's calls off); one the user may not make
// finds only what it may see (setup.FindAll), and the plan warns that setups elsewhere were not checked.
func keepForOthers(ctx context.Context, env *Env, rec *setup.Record, p *Plan) error {
	if !rec.PreviousAuthorizerKnown() || len(p.Items) == 0 || p.Items[0].Kind != plan.KindAWS || env.AgentCore == nil {
		return nil
	}
	others, everywhere, err := wizard.SetupsOnTarget(ctx, env.Kube, *rec)
	if err != nil {
		return fmt.Errorf("%w. Restoring %s's previous authorizer needs to know that no other setup still uses it; pass --keep-authorizer to leave it as it is", err, rec.TargetName())
	}
	set, known := setAuthorizer(env, rec)
	heirs := map[string]bool{}
	if it := &p.Items[0]; it.Action == plan.Update {
		cur := it.current // read for the plan: not asked again
		var users []string
		var kept types.AuthorizerConfiguration // what the users need, joined
		accounted := set                       // what this setup and the users need, joined
		for _, o := range others {
			want, k := wizard.DesiredAuthorizer(*o, env.Cognito, cur)
			if !k || !awsops.AuthorizerCovers(cur, want) {
				continue
			}
			if len(users) == 0 {
				kept = want
			} else {
				kept, _ = awsops.MergeAuthorizers(kept, want) // both covered by cur: they join
			}
			accounted, _ = awsops.MergeAuthorizers(accounted, want)
			users = append(users, o.Ref())
			if !o.PreviousAuthorizerKnown() && len(heirs) == 0 {
				heirs[o.Ref()] = true
			}
		}
		last := "; the last setup's teardown restores the one from before the wizard"
		switch {
		case known && !awsops.AuthorizerEqual(cur, accounted):
			var warn string
			*it, warn = changedElsewhere(rec)
			p.Warnings = append(p.Warnings, warn)
			p.Changes--
			heirs = map[string]bool{} // nothing is restored: what was before stays this setup's to lose
		case len(users) > 0 && awsops.AuthorizerEqual(kept, cur):
			it.Action, it.restore, it.restoreType = plan.Skip, nil, ""
			it.Detail = "setup " + strings.Join(users, ", ") + " also leads here and keeps this authorizer" + last
			p.Changes--
		case len(users) > 0:
			it.restore, it.restoreType = kept, types.AuthorizerTypeCustomJwt
			it.Detail = "narrow it to what setup " + strings.Join(users, ", ") + " needs (" + tokencheck.AuthorizerFromSDK(kept).Summary() + "); every other field kept" + last
		default:
			heirs = map[string]bool{} // restored now: nobody needs to take it over
		}
		if !everywhere && it.Action == plan.Update {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: one that still uses %s's authorizer is refused (401) once it is changed; pass --keep-authorizer to leave it as it is", setup.Unseen, rec.TargetName()))
		}
	}
	for _, o := range others {
		stale := false
		if o.PreviousAuthorizerKnown() && known && set != nil && (o.PreviousAuthorizerType == "" || o.PreviousAuthorizerType == string(types.AuthorizerTypeCustomJwt)) {
			prev, err := awsops.ParseAuthorizerJSON([]byte(o.PreviousAuthorizer))
			stale = err == nil && prev != nil && awsops.AuthorizerEqual(prev, set)
		}
		if !heirs[o.Ref()] && !stale {
			continue
		}
		d := "takes over the authorizer from before the wizard, for its own teardown to restore"
		if stale {
			d = "recorded this setup's authorizer as the one before the wizard; takes over the real one instead"
		}
		h := p.heirItem(o)
		h.heir.PreviousAuthorizer, h.heir.PreviousAuthorizerType = rec.PreviousAuthorizer, rec.PreviousAuthorizerType
		h.Detail = plan.JoinDetail(h.Detail, d)
	}
	return nil
}

// setAuthorizer is the authorizer the wizard set on rec's target (nil: IAM only), known false when it cannot be
// told (a pool the record does not name, or a previous authorizer that does not parse): the record's settings
// over those of the authorizer before it (its privateEndpoint, custom claims …, which the wizard keeps).
func setAuthorizer(env *Env, rec *setup.Record) (types.AuthorizerConfiguration, bool) {
	prev, err := awsops.ParseAuthorizerJSON([]byte(rec.PreviousAuthorizer))
	if err != nil {
		return nil, false
	}
	if t := types.AuthorizerType(rec.PreviousAuthorizerType); t != "" && t != types.AuthorizerTypeCustomJwt {
		prev = nil
	}
	return wizard.DesiredAuthorizer(*rec, env.Cognito, prev)
}

func objectItem(o *unstructured.Unstructured) Item {
	return Item{Item: plan.Item{Action: plan.Delete, Kind: plan.KindKubernetes, Target: o.GetKind() + " " + k8sres.Ref(o.GetNamespace(), o.GetName())},
		gvk: o.GroupVersionKind(), namespace: o.GetNamespace(), name: o.GetName()}
}

// Result is what Run did.
type Result struct {
	Done    []Item `json:"done"`
	Changed int    `json:"changed"`
}

// Run carries the plan out in order. An error says what was done already; running teardown again finishes.
func Run(ctx context.Context, env *Env, p *Plan) (*Result, error) {
	res := &Result{}
	for _, it := range p.Items {
		if !it.Action.Changes() {
			continue
		}
		var err error
		switch {
		case it.heir != nil:
			err = setup.Save(ctx, env.Kube, it.heir, nil)
		case it.cognitoPart == "app-client":
			_, err = env.Cognito.DeleteAppClient(ctx, it.poolID, it.cognitoName)
		case it.cognitoPart == "domain":
			_, err = env.Cognito.DeleteDomain(ctx, it.poolID, it.cognitoName)
		case it.cognitoPart == "resource-server":
			_, err = env.Cognito.DeleteResourceServer(ctx, it.poolID, it.cognitoName)
		case it.Kind == plan.KindAWS && it.poolID != "":
			_, err = env.Cognito.DeleteUserPool(ctx, it.poolID)
		case it.Kind == plan.KindAWS && p.Record.IsAgentCoreGateway():
			_, err = env.AgentCore.SetGatewayAuthorizer(ctx, p.Record.AgentCoreGateway, it.restore, awsops.SetGatewayOptions{Type: it.restoreType, ConfirmTypeChange: true})
		case it.Kind == plan.KindAWS:
			_, err = env.AgentCore.SetAuthorizer(ctx, p.Record.RuntimeARN, it.restore, awsops.SetOptions{})
		case it.gvk.Kind == "Namespace":
			err = env.Kube.CoreV1().Namespaces().Delete(ctx, it.name, metav1.DeleteOptions{})
		default:
			ri, _, rerr := env.Applier.Resource(it.gvk, it.namespace)
			if rerr != nil {
				err = rerr
			} else {
				err = ri.Delete(ctx, it.name, metav1.DeleteOptions{})
			}
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return res, fmt.Errorf("teardown: %s %s: %v. %d step(s) done; run teardown again to finish", it.Action, it.Target, trim(err), len(res.Done))
		}
		res.Done = append(res.Done, it)
		res.Changed++
	}
	return res, nil
}

func trim(err error) string {
	s := err.Error()
	for len(s) > 0 && (s[len(s)-1] == '.' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	return s
}
