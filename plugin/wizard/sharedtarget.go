package wizard

// A runtime (or an AgentCore Gateway) has one JWT authorizer. Two setups in two namespaces may lead to the same
// target. When their tokens come from the same identity provider, the wizard gives the target one authorizer that
// accepts both (awsops.MergeAuthorizers: the audiences, app clients and scopes joined), and teardown narrows it
// again. When they need authorizers that cannot be joined (another identity provider or pool, an ID token beside
// a client-credentials token), the last wizard run would point the target at its own and the other setup's tokens
// would be refused from then on (401), with nothing said where it happens: the plan says it first, naming the
// setup and what it needs.

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// targetShare is the authorizer a setup's target should have, with the other setups that lead there.
type targetShare struct {
	want  types.AuthorizerConfiguration // the setup's own authorizer joined with those of `with`
	known bool                          // false: the setup's own is not known yet (a user pool still to be created)
	with  []*setup.Record               // setups on the target that want accepts too
	apart []sharedNeed                  // setups on the target whose authorizer cannot be joined with the setup's
	// everywhere is false when the user may not list the setup records in every namespace: setups elsewhere
	// are not known (setup.FindAll).
	everywhere bool
}

type sharedNeed struct {
	rec   *setup.Record
	needs types.AuthorizerConfiguration
}

// shareTarget is rec's own authorizer over current (DesiredAuthorizer) joined with the authorizer of every other
// setup on its target that can be joined with it. An error listing the setup records comes back with rec's own
// authorizer alone.
func shareTarget(ctx context.Context, env *Env, rec setup.Record, current types.AuthorizerConfiguration) (targetShare, error) {
	own, known := DesiredAuthorizer(rec, env.Cognito, current)
	s := targetShare{want: own, known: known, everywhere: true}
	if env.Kube == nil {
		return s, nil
	}
	others, everywhere, err := SetupsOnTarget(ctx, env.Kube, rec)
	if err != nil {
		return s, err
	}
	s.everywhere = everywhere
	for _, o := range others {
		theirs, ok := DesiredAuthorizer(*o, env.Cognito, current)
		if !ok {
			continue
		}
		if known {
			if joined, ok := awsops.MergeAuthorizers(s.want, theirs); ok {
				s.want, s.with = joined, append(s.with, o)
				continue
			}
		}
		s.apart = append(s.apart, sharedNeed{o, theirs})
	}
	return s, nil
}

// warnings is one warning per setup on the target whose authorizer cannot be joined with this one's, and, without
// leave to list the setup records in every namespace, one saying that setups elsewhere were not checked.
func (s targetShare) warnings(rec setup.Record) []string {
	var out []string
	if !s.everywhere {
		out = append(out, fmt.Sprintf("%s: one that leads to %s and needs another authorizer is refused (401) after this change", setup.Unseen, rec.TargetName()))
	}
	for _, o := range s.apart {
		out = append(out, fmt.Sprintf("setup %s also leads to %s and needs %s: AgentCore keeps one authorizer per target, so after this change it refuses that setup's tokens (401). Give each setup its own target, or both the same identity provider and kind of token (the wizard then joins their audiences or app clients in one authorizer)",
			o.rec.Ref(), rec.TargetName(), describeAuthorizer(o.needs)))
	}
	return out
}

// sharedWith is the plan's words for the setups the authorizer serves besides this one ("" for none).
func (s targetShare) sharedWith() string {
	if len(s.with) == 0 {
		return ""
	}
	refs := make([]string, len(s.with))
	for i, o := range s.with {
		refs[i] = o.Ref()
	}
	return "shared with setup " + strings.Join(refs, ", ") + " (same identity provider: audiences, app clients and scopes joined; teardown narrows it again)"
}

// previous is the authorizer (JSON) and type to record as "before the wizard" when this setup first changes its
// target's, whose authorizer is current (curType for an AgentCore Gateway, "" for a runtime). It is current,
// unless current is the doing of a setup this one joins (it covers what that setup needs) whose record knows the
// authorizer from before it: then that one, so that whichever teardown comes last restores what was there before
// any setup.
func (s targetShare) previous(env *Env, current types.AuthorizerConfiguration, curType string) (string, string) {
	for _, o := range s.with {
		if theirs, ok := DesiredAuthorizer(*o, env.Cognito, current); ok && o.PreviousAuthorizerKnown() && awsops.AuthorizerCovers(current, theirs) {
			return o.PreviousAuthorizer, o.PreviousAuthorizerType
		}
	}
	return authorizerJSON(current), curType
}

// SetupsOnTarget are the other setups (any namespace) whose records lead to rec's runtime or AgentCore Gateway:
// they share its one authorizer. everywhere is false when the user may not list the records in every namespace
// (setup.FindAll): the ones elsewhere are not known.
func SetupsOnTarget(ctx context.Context, kube kubernetes.Interface, rec setup.Record) (_ []*setup.Record, everywhere bool, _ error) {
	all, everywhere, err := setup.FindAll(ctx, kube)
	if err != nil {
		return nil, false, err
	}
	var out []*setup.Record
	for _, o := range all {
		if o.Ref() != rec.Ref() && sameTarget(*o, rec) {
			out = append(out, o)
		}
	}
	return out, everywhere, nil
}

// sameTarget reports whether two records lead to the same runtime or AgentCore Gateway (named by id or ARN).
func sameTarget(a, b setup.Record) bool {
	if a.IsAgentCoreGateway() || b.IsAgentCoreGateway() {
		return a.IsAgentCoreGateway() && b.IsAgentCoreGateway() && sameGateway(a.AgentCoreGateway, b.AgentCoreGateway)
	}
	return a.RuntimeARN != "" && a.RuntimeARN == b.RuntimeARN
}

// describeAuthorizer is an authorizer in a few words: IAM only, or its discovery URL and what it allows.
func describeAuthorizer(a types.AuthorizerConfiguration) string {
	az := tokencheck.AuthorizerFromSDK(a)
	if az == nil {
		return "IAM (SigV4) only, no JWT authorizer"
	}
	return "a JWT authorizer with discovery URL " + az.DiscoveryURL + " and " + az.Summary()
}
