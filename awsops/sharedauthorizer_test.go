package awsops

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

func jwtAuthorizer(discovery string, aud, clients, scopes []string) types.AuthorizerConfiguration {
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl: aws.String(discovery), AllowedAudience: aud, AllowedClients: clients, AllowedScopes: scopes}}
}

func TestMergeAuthorizers(t *testing.T) {
	const pool, other = "https://idp/pool-a/.well-known/openid-configuration", "https://idp/pool-b/.well-known/openid-configuration"
	l := func(s ...string) []string { return s }
	claims := func(a types.AuthorizerConfiguration) types.AuthorizerConfiguration {
		JWTConfig(a).CustomClaims = []types.CustomClaimValidationType{{InboundTokenClaimName: aws.String("dept"), InboundTokenClaimValueType: types.InboundTokenClaimValueTypeString,
			AuthorizingClaimMatchValue: &types.AuthorizingClaimMatchValueType{ClaimMatchOperator: types.ClaimMatchOperatorTypeEquals,
				ClaimMatchValue: &types.ClaimMatchValueTypeMemberMatchValueString{Value: "eng"}}}}
		return a
	}
	for _, tc := range []struct {
		name string
		a, b types.AuthorizerConfiguration
		want types.AuthorizerConfiguration // nil with ok false: none
		ok   bool
	}{
		{"two ID-token app clients of one pool", jwtAuthorizer(pool, l("c1"), nil, nil), jwtAuthorizer(pool, l("c2"), nil, nil), jwtAuthorizer(pool, l("c1", "c2"), nil, nil), true},
		{"two machine clients with their scopes", jwtAuthorizer(pool, nil, l("m1"), l("api/read")), jwtAuthorizer(pool, nil, l("m2"), l("api/read", "api/write")),
			jwtAuthorizer(pool, nil, l("m1", "m2"), l("api/read", "api/write")), true},
		{"already covered", jwtAuthorizer(pool, l("c1", "c2"), nil, nil), jwtAuthorizer(pool, l("c2"), nil, nil), jwtAuthorizer(pool, l("c1", "c2"), nil, nil), true},
		{"IAM only on both sides", nil, nil, nil, true},
		{"IAM only on one side", nil, jwtAuthorizer(pool, l("c1"), nil, nil), nil, false},
		{"another pool", jwtAuthorizer(pool, l("c1"), nil, nil), jwtAuthorizer(other, l("c1"), nil, nil), nil, false},
		{"an ID token's aud beside a machine token's client_id", jwtAuthorizer(pool, l("c1"), nil, nil), jwtAuthorizer(pool, nil, l("m1"), nil), nil, false},
		{"scopes on one side only", jwtAuthorizer(pool, nil, l("m1"), nil), jwtAuthorizer(pool, nil, l("m2"), l("api/read")), nil, false},
		{"custom claims on one side only", claims(jwtAuthorizer(pool, l("c1"), nil, nil)), jwtAuthorizer(pool, l("c2"), nil, nil), nil, false},
		{"the same custom claims", claims(jwtAuthorizer(pool, l("c1"), nil, nil)), claims(jwtAuthorizer(pool, l("c2"), nil, nil)), claims(jwtAuthorizer(pool, l("c1", "c2"), nil, nil)), true},
	} {
		got, ok := MergeAuthorizers(tc.a, tc.b)
		if ok != tc.ok || ok && !AuthorizerEqual(got, tc.want) {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, authorizerString(got), ok, authorizerString(tc.want), tc.ok)
		}
		if back, okBack := MergeAuthorizers(tc.b, tc.a); okBack != ok || ok && !AuthorizerEqual(back, got) {
			t.Errorf("%s: the other way round gives %v %v", tc.name, authorizerString(back), okBack)
		}
		if ok && (!AuthorizerCovers(got, tc.a) || !AuthorizerCovers(got, tc.b)) {
			t.Errorf("%s: the join does not cover both sides", tc.name)
		}
	}
	a := jwtAuthorizer(pool, l("c1"), nil, nil)
	if _, ok := MergeAuthorizers(a, jwtAuthorizer(pool, l("c2"), nil, nil)); !ok || len(JWTConfig(a).AllowedAudience) != 1 {
		t.Errorf("joining changed its argument: %v", JWTConfig(a).AllowedAudience)
	}
	if AuthorizerCovers(a, jwtAuthorizer(pool, l("c1", "c2"), nil, nil)) || !AuthorizerCovers(jwtAuthorizer(pool, l("c2", "c1"), nil, nil), a) {
		t.Error("AuthorizerCovers: a narrower authorizer covers a wider one, or a wider one does not cover a narrower")
	}
}

func authorizerString(a types.AuthorizerConfiguration) string {
	raw, err := AuthorizerToJSON(a)
	if err != nil {
		return err.Error()
	}
	return string(raw)
}
