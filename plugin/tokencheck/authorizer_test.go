package tokencheck_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

func TestParseAuthorizerJSON(t *testing.T) {
	const disc = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/.well-known/openid-configuration"
	cases := []struct {
		name    string
		in      string
		nilAz   bool
		aud     []string
		clients []string
		runtime string
	}{
		{"null", "null", true, nil, nil, ""},
		{"empty object", " {} ", true, nil, nil, ""},
		{"cli shape", `{"customJWTAuthorizer":{"discoveryUrl":"` + disc + `","allowedAudience":["5pk1"]}}`, false, []string{"5pk1"}, nil, ""},
		{"bare inner", `{"discoveryUrl":"` + disc + `","allowedClients":["c1","c2"]}`, false, nil, []string{"c1", "c2"}, ""},
		{"customJWTAuthorizer null", `{"customJWTAuthorizer":null}`, true, nil, nil, ""},
		{"GetAgentRuntime output", `{"agentRuntimeArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890","agentRuntimeId":"a-1234567890","status":"READY",
			"authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"` + disc + `","allowedAudience":["x"]}}}`, false, []string{"x"}, nil, "a-1234567890"},
		{"GetAgentRuntime output, IAM", `{"agentRuntimeArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890","status":"READY"}`, true, nil, nil, ""},
		{"GetAgentRuntime output, null authorizer", `{"agentRuntimeId":"a","authorizerConfiguration":null}`, true, nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			az, err := tokencheck.ParseAuthorizerJSON([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if (az == nil) != c.nilAz {
				t.Fatalf("az = %+v, want nil=%v", az, c.nilAz)
			}
			if az == nil {
				return
			}
			if az.DiscoveryURL != disc || strings.Join(az.AllowedAudience, ",") != strings.Join(c.aud, ",") ||
				strings.Join(az.AllowedClients, ",") != strings.Join(c.clients, ",") || az.RuntimeID != c.runtime {
				t.Errorf("got %+v", az)
			}
		})
	}
}

func TestParseAuthorizerJSONCustomClaimsRoundTrip(t *testing.T) {
	in := `{"customJWTAuthorizer":{"discoveryUrl":"https://i/.well-known/openid-configuration","allowedScopes":["s"],
	"customClaims":[{"inboundTokenClaimName":"dept","inboundTokenClaimValueType":"STRING","authorizingClaimMatchValue":{"claimMatchValue":{"matchValueString":"eng"},"claimMatchOperator":"EQUALS"}},
	{"inboundTokenClaimName":"groups","inboundTokenClaimValueType":"STRING_ARRAY","authorizingClaimMatchValue":{"claimMatchValue":{"matchValueStringList":["a","b"]},"claimMatchOperator":"CONTAINS_ANY"}}]}}`
	az, err := tokencheck.ParseAuthorizerJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(az.CustomClaims) != 2 || az.CustomClaims[0].MatchValue != "eng" || az.CustomClaims[1].Operator != "CONTAINS_ANY" || len(az.CustomClaims[1].MatchValues) != 2 {
		t.Fatalf("claims %+v", az.CustomClaims)
	}
	// ConfigJSON → parse again → same; ToSDK → FromSDK → same.
	again, err := tokencheck.ParseAuthorizerJSON([]byte(az.ConfigJSON()))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(az)
	b, _ := json.Marshal(again)
	c, _ := json.Marshal(tokencheck.AuthorizerFromSDK(az.ToSDK()))
	if string(a) != string(b) || string(a) != string(c) {
		t.Fatalf("round trip differs:\n%s\n%s\n%s", a, b, c)
	}
	if tokencheck.AuthorizerFromSDK(nil) != nil || (*tokencheck.Authorizer)(nil).ToSDK() != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestParseAuthorizerJSONErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "empty"},
		{"[1]", "not a JSON object"},
		{"{oops", "not a JSON object"},
		{`{"foo":1}`, "not an authorizer configuration (keys foo)"},
		{`{"customJWTAuthorizer":{"allowedAudience":["a"]}}`, "no discoveryUrl"},
		{`{"customJWTAuthorizer":{"discoveryUrl":"u","allowedAudience":"a"}}`, "customJWTAuthorizer:"},
		{`{"discoveryUrl":"u","customClaims":[{"inboundTokenClaimName":"x","inboundTokenClaimValueType":"NUMBER","authorizingClaimMatchValue":{"claimMatchOperator":"EQUALS"}}]}`, "not STRING or STRING_ARRAY"},
		{`{"discoveryUrl":"u","customClaims":[{"inboundTokenClaimName":"x","inboundTokenClaimValueType":"STRING","authorizingClaimMatchValue":{"claimMatchOperator":"LIKE"}}]}`, "not EQUALS, CONTAINS or CONTAINS_ANY"},
		{`{"discoveryUrl":"u","customClaims":[{"inboundTokenClaimValueType":"STRING"}]}`, "no inboundTokenClaimName"},
	}
	for _, c := range cases {
		az, err := tokencheck.ParseAuthorizerJSON([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %+v, %v; want error with %q", c.in, az, err, c.want)
		}
	}
}

// The newest authorizer settings (SDK v1.78) are read from the AWS CLI's JSON, survive the SDK conversion, and
// members nobody models are written back as read.
func TestAuthorizerNewestSettingsRoundTrip(t *testing.T) {
	in := `{"agentRuntimeId":"rt-1234567890","agentRuntimeArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/rt-1234567890",
	"requestHeaderConfiguration":{"requestHeaderAllowlist":["X-Trace","authorization"]},"protocolConfiguration":{"serverProtocol":"MCP"},
	"authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"https://idp.internal/.well-known/openid-configuration",
	"allowedScopes":["invoke"],"advertisedScopeMapping":{"invoke":"api://agents/.default"},
	"allowedWorkloadConfiguration":{"hostingEnvironments":[{"arn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/gw-abc"}],"workloadIdentities":["wl-1"]},
	"privateEndpoint":{"selfManagedLatticeResource":{"resourceConfigurationIdentifier":"rcfg-0123"}},
	"privateEndpointOverrides":[{"domain":"keys.internal","privateEndpoint":{"managedVpcResource":{"vpcIdentifier":"vpc-1","subnetIds":["s-1"],"endpointIpAddressType":"IPV4"}}}],
	"futureSetting":{"x":[1,2]}}}}`
	az, err := tokencheck.ParseAuthorizerJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if az.AllowedWorkload == nil || az.AllowedWorkload.HostingEnvironments[0].Arn == "" || az.AllowedWorkload.WorkloadIdentities[0] != "wl-1" {
		t.Fatalf("workload %+v", az.AllowedWorkload)
	}
	if az.AdvertisedScopeMapping["invoke"] != "api://agents/.default" || !az.Private() || az.PrivateEndpointOverrides[0].Domain != "keys.internal" {
		t.Fatalf("got %+v", az)
	}
	if got := tokencheck.DescribePrivateEndpoint(az.PrivateEndpoint); !strings.Contains(got, "rcfg-0123") {
		t.Errorf("describe = %q", got)
	}
	if az.Runtime == nil || az.Runtime.ServerProtocol() != agentproto.MCP || !az.Runtime.AllowsAuthorization() {
		t.Fatalf("runtime settings %+v", az.Runtime)
	}
	if u := az.Unmodelled(); strings.Join(u, ",") != "futureSetting" {
		t.Fatalf("unmodelled = %v", u)
	}
	// Written back (fix commands, ConfigJSON): the unknown member is there, unchanged.
	if cj := az.ConfigJSON(); !strings.Contains(cj, `"futureSetting":{"x":[1,2]}`) || !strings.Contains(cj, `"resourceConfigurationIdentifier":"rcfg-0123"`) {
		t.Fatalf("ConfigJSON dropped something: %s", cj)
	}
	// A clone changed in one list keeps everything else.
	c := az.Clone()
	c.AllowedScopes = append(c.AllowedScopes, "more")
	if !strings.Contains(c.ConfigJSON(), "futureSetting") || len(az.AllowedScopes) != 1 {
		t.Fatal("clone lost a member or shares a list")
	}
	// Through the SDK and back: every member the SDK knows is kept.
	back := tokencheck.AuthorizerFromSDK(az.ToSDK())
	if back == nil {
		t.Fatal("SDK round trip gave nil")
	}
	var a, b map[string]any
	_ = json.Unmarshal([]byte(az.ConfigJSON()), &a)
	_ = json.Unmarshal([]byte(back.ConfigJSON()), &b)
	inner := a["customJWTAuthorizer"].(map[string]any)
	delete(inner, "futureSetting") // the SDK cannot carry what it does not know
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("SDK round trip differs:\n%s\n%s", ja, jb)
	}
}

// TestDiscoveryURLValidIsThePattern: DiscoveryURLValid answers as AgentCore's pattern does, on the edges of it.
func TestDiscoveryURLValidIsThePattern(t *testing.T) {
	pattern := regexp.MustCompile(`^.+/\.well-known/openid-configuration$`)
	for _, u := range []string{
		"https://idp.example.com/.well-known/openid-configuration",
		"https://idp.example.com/pool/.well-known/openid-configuration",
		"/.well-known/openid-configuration",
		"x/.well-known/openid-configuration",
		"https://idp.example.com/.well-known/openid-configuration/",
		"https://idp.example.com/.well-known/openid-configuration\n",
		"https://idp.example.com\n/.well-known/openid-configuration",
		"\n/.well-known/openid-configuration",
		"https://idp.example.com/.well-known/jwks.json",
		"https://idp.example.com",
		"https://idp.example.com/.well-known/openid-configurationX",
		"https://idp.example.com/.well-known/openid-configuration/.well-known/openid-configuration",
		"https://idp.example.com/\xff/.well-known/openid-configuration",
		"",
	} {
		if got, want := tokencheck.DiscoveryURLValid(u), pattern.MatchString(u); got != want {
			t.Errorf("DiscoveryURLValid(%q) = %v, the pattern says %v", u, got, want)
		}
	}
}
