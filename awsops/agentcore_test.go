package awsops

import (
	"strings"
	"testing"
)

func TestAuthorizerJSONRoundTrip(t *testing.T) {
	in := `{"customJWTAuthorizer":{"discoveryUrl":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/openid-configuration","allowedAudience":["c1","c2"],"customClaims":[{"inboundTokenClaimName":"dept","inboundTokenClaimValueType":"STRING","authorizingClaimMatchValue":{"claimMatchValue":{"matchValueString":"eng"},"claimMatchOperator":"EQUALS"}}]}}`
	a, err := ParseAuthorizerJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := AuthorizerToJSON(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"discoveryUrl":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/openid-configuration"`, `"allowedAudience":["c1","c2"]`, `"matchValueString":"eng"`, `"claimMatchOperator":"EQUALS"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("round trip lost %s: %s", want, out)
		}
	}
}
