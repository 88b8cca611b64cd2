package wizard_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
)

// TestUnmanagedAuthorizerSettingsKept: a runtime whose JWT authorizer reaches its identity provider through a
// privateEndpoint (and checks a custom claim) keeps those settings when the wizard points the authorizer at the
// setup's identity provider: UpdateAgentRuntime replaces the whole authorizer, so the wizard sends them back. The
// plan says it keeps them; a rerun changes nothing; teardown restores the previous authorizer exactly, and leaves
// it alone when someone changed a kept setting since.
func TestUnmanagedAuthorizerSettingsKept(t *testing.T) {
	c, idp, secret, fake, rt := liveM2M(t, "kept_agent")

	lattice := func(id string) types.PrivateEndpoint {
		return &types.PrivateEndpointMemberSelfManagedLatticeResource{Value: &types.SelfManagedLatticeResourceMemberResourceConfigurationIdentifier{Value: id}}
	}
	before := &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl:    aws.String("https://idp.corp.example/.well-known/openid-configuration"),
		AllowedAudience: []string{"legacy-app"},
		CustomClaims: []types.CustomClaimValidationType{{InboundTokenClaimName: aws.String("client_id"), InboundTokenClaimValueType: types.InboundTokenClaimValueTypeString,
			AuthorizingClaimMatchValue: &types.AuthorizingClaimMatchValueType{ClaimMatchOperator: types.ClaimMatchOperatorTypeEquals,
				ClaimMatchValue: &types.ClaimMatchValueTypeMemberMatchValueString{Value: "gateway-m2m"}}}},
		PrivateEndpoint:          lattice("rcfg-0123456789abcdef0"),
		PrivateEndpointOverrides: []types.PrivateEndpointOverride{{Domain: aws.String("keys.corp.example"), PrivateEndpoint: lattice("rcfg-0fedcba9876543210")}},
	}}
	setAuthorizer := func(a types.AuthorizerConfiguration) {
		t.Helper()
		raw, err := awsops.AuthorizerToJSON(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := fake.SetAuthorizerJSON(rt.ID, raw); err != nil {
			t.Fatal(err)
		}
	}
	liveAuthorizer := func() *types.CustomJWTAuthorizerConfiguration {
		t.Helper()
		a, err := awsops.ParseAuthorizerJSON(fake.Spec(rt.ID)["authorizerConfiguration"])
		if err != nil || awsops.JWTConfig(a) == nil {
			t.Fatalf("the runtime's authorizer %s: %v", fake.Spec(rt.ID)["authorizerConfiguration"], err)
		}
		return awsops.JWTConfig(a)
	}
	setAuthorizer(before)

	gwNS, kc, hook := liveGateway(t, c, "keptgw", "agentgateway", 8080)
	ns := "kept-" + gwNS
	t.Setenv("M2M_SECRET", secret)
	args := []string{"wizard", "--non-interactive", "--runtime-arn", rt.ARN, "--gateway", gwNS + "/agentgateway-proxy",
		"--route-namespace", ns, "--identity", "external", "--discovery-url", idp.DiscoveryURL(), "--client-id", "gateway-m2m",
		"--audience", m2mAudience, "--client-secret-from", "env:M2M_SECRET", "--verify-timeout", "100ms"}

	r := run(t, kc, hook, append(args, "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.out, "keeps customClaims, privateEndpoint, privateEndpointOverrides as set outside the wizard") {
		t.Fatalf("the plan must say which settings it keeps: exit %d\n%s\n%s", r.code, r.out, r.err)
	}

	r = run(t, kc, hook, append(args, "--yes")...)
	if r.code != 0 && r.code != cmdutil.ExitFindings {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	got, was := liveAuthorizer(), awsops.JWTConfig(before)
	if aws.ToString(got.DiscoveryUrl) != idp.DiscoveryURL() || !reflect.DeepEqual(got.AllowedAudience, []string{m2mAudience}) {
		t.Fatalf("the wizard's settings did not land: discoveryUrl %s, allowedAudience %v", aws.ToString(got.DiscoveryUrl), got.AllowedAudience)
	}
	if !reflect.DeepEqual(got.PrivateEndpoint, was.PrivateEndpoint) || !reflect.DeepEqual(got.PrivateEndpointOverrides, was.PrivateEndpointOverrides) ||
		!reflect.DeepEqual(got.CustomClaims, was.CustomClaims) {
		t.Fatalf("settings the wizard does not manage were dropped: %s", fake.Spec(rt.ID)["authorizerConfiguration"])
	}

	updates := fake.Calls("UpdateAgentRuntime")
	r = run(t, kc, hook, append(args, "--yes")...)
	if (r.code != 0 && r.code != cmdutil.ExitFindings) || fake.Calls("UpdateAgentRuntime") != updates {
		t.Fatalf("a rerun must leave the authorizer as it is (exit %d, %d updates more)\n%s\n%s", r.code, fake.Calls("UpdateAgentRuntime")-updates, r.out, r.err)
	}

	// Someone moves the private endpoint since: no longer what the wizard set, so teardown leaves it.
	moved := *got
	moved.PrivateEndpoint = lattice("rcfg-0aaaaaaaaaaaaaaaa")
	setAuthorizer(&types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: moved})
	r = run(t, kc, hook, "teardown", "-n", ns, "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "changed by someone else") {
		t.Fatalf("teardown plan with a moved privateEndpoint: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	setAuthorizer(&types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: *got})
	r = run(t, kc, hook, "teardown", "-n", ns, "--yes")
	if r.code != 0 || !strings.Contains(r.out, "restore the previous JWT authorizer") {
		t.Fatalf("teardown: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if after, _ := awsops.ParseAuthorizerJSON(fake.Spec(rt.ID)["authorizerConfiguration"]); !awsops.AuthorizerEqual(after, before) {
		t.Fatalf("teardown restored %s, not the authorizer before the wizard", fake.Spec(rt.ID)["authorizerConfiguration"])
	}
}
