package tokencheck_test

import (
	"encoding/json"
	"strings"
	"testing"

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
