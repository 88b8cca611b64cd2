package wizard

// A runtime (or an AgentCore Gateway) has one JWT authorizer. Two setups in two namespaces may lead to the same
// runtime: when they need different authorizers (another identity provider, pool or app client, another
// audience), each wizard run points it at its own and the other setup's tokens are refused from then on (401),
// with nothing said where it happens. The plan says it first, naming the setup and what it needs.

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// sharedTargetWarnings is one warning per other setup whose record leads to rec's runtime or AgentCore Gateway
// and needs another authorizer than proposed (known false: an authorizer not known yet, for a user pool still to
// be created, so surely another one). Without leave to list the setup records in every namespace it says that
// setups elsewhere were not checked; a list that fails is left to the run.
func sharedTargetWarnings(ctx context.Context, env *Env, rec setup.Record, current, proposed types.AuthorizerConfiguration, known bool) []string {
	if env.Kube == nil {
		return nil
	}
	others, everywhere, err := SetupsOnTarget(ctx, env.Kube, rec)
	if err != nil {
		return nil
	}
	var out []string
	if !everywhere {
		out = append(out, fmt.Sprintf("%s: one that leads to %s and needs another authorizer is refused (401) after this change", setup.Unseen, rec.TargetName()))
	}
	for _, o := range others {
		theirs, ok := DesiredAuthorizer(*o, env.Cognito, current)
		if !ok || known && awsops.AuthorizerEqual(theirs, proposed) {
			continue
		}
		out = append(out, fmt.Sprintf("setup %s also leads to %s and needs %s: AgentCore keeps one authorizer per target, so after this change it refuses that setup's tokens (401). Give each setup its own target, or both the same identity provider and audience",
			o.Ref(), rec.TargetName(), describeAuthorizer(theirs)))
	}
	return out
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
