package wizard

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
)

// The plan warns before anything changes when AWS's AgentCore could not reach the identity provider the authorizer
// names; not for a public one, not with a privateEndpoint, and not with a local AgentCore (the sandbox's).
func TestPlanWarnsOfUnreachableIdP(t *testing.T) {
	jwt := func(discovery string, private bool) types.AuthorizerConfiguration {
		c := types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(discovery), AllowedAudience: []string{"agents"}}
		if private {
			c.PrivateEndpoint = &types.PrivateEndpointMemberSelfManagedLatticeResource{Value: &types.SelfManagedLatticeResourceMemberResourceConfigurationIdentifier{Value: "rcfg-0abc"}}
		}
		return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: c}
	}
	awsEnv := &Env{AgentCore: awsops.NewAgentCore(aws.Config{Region: "eu-west-1"})}
	localEnv := &Env{AgentCore: awsops.NewAgentCore(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:46341")})}
	inCluster := "http://keycloak.identity.svc.cluster.local:8080/realms/agents/.well-known/openid-configuration"

	w := unreachableIdP(jwt(inCluster, false), awsEnv)
	for _, want := range []string{"keycloak.identity.svc.cluster.local:8080", "only the cluster's DNS", "401", "privateEndpoint"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	for name, got := range map[string]string{
		"public":          unreachableIdP(jwt("https://login.example.com/.well-known/openid-configuration", false), awsEnv),
		"privateEndpoint": unreachableIdP(jwt(inCluster, true), awsEnv),
		"local AgentCore": unreachableIdP(jwt(inCluster, false), localEnv),
		"IAM only":        unreachableIdP(nil, awsEnv),
		"no AWS, public":  unreachableIdP(jwt("https://login.example.com/.well-known/openid-configuration", false), &Env{}),
	} {
		if got != "" {
			t.Errorf("%s: unexpected warning %q", name, got)
		}
	}
}
