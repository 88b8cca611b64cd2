package awsops

// AgentCore keeps one authorizer per runtime or AgentCore Gateway. Setups that lead to the same target share it:
// when their tokens come from the same identity provider, one JWT authorizer can accept them all, with the
// audiences, app clients and scopes of each joined. That is the rule here, and the only one: the wizard joins a
// setup's authorizer with those of the setups already on its target, and teardown narrows it again.

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// MergeAuthorizers is the one authorizer that accepts the tokens a accepts and those b accepts, ok=false when
// none can. Two JWT authorizers join when they have the same discovery URL, the same settings the plugin does not
// manage (customClaims, privateEndpoint, …) and the same lists set: AgentCore checks every list that is set
// (allowedAudience against aud, allowedClients against client_id, allowedScopes against scope, each "one of"), so
// a list only one side sets would refuse the other side's tokens (an ID token has aud and no client_id; a
// client-credentials token the reverse). The joined lists keep a's order, then b's new entries. Two equal
// authorizers (IAM only on both sides too) join as a.
//
// Joining widens each list, not only the pairs: with allowedClients [A, B] and allowedScopes [a, b], client A's
// token with scope b is accepted too. The identity provider decides which client may ask for which scope.
func MergeAuthorizers(a, b types.AuthorizerConfiguration) (types.AuthorizerConfiguration, bool) {
	if AuthorizerEqual(a, b) {
		return a, true
	}
	ja, jb := JWTConfig(a), JWTConfig(b)
	if ja == nil || jb == nil || ja.DiscoveryUrl == nil || jb.DiscoveryUrl == nil || *ja.DiscoveryUrl != *jb.DiscoveryUrl {
		return nil, false
	}
	set := func(l []string) bool { return len(l) > 0 }
	if set(ja.AllowedAudience) != set(jb.AllowedAudience) || set(ja.AllowedClients) != set(jb.AllowedClients) || set(ja.AllowedScopes) != set(jb.AllowedScopes) {
		return nil, false
	}
	if none := (&types.AuthorizerConfigurationMemberCustomJWTAuthorizer{}); !AuthorizerEqual(WithUnmanaged(a, none), WithUnmanaged(b, none)) {
		return nil, false
	}
	out := *ja
	out.AllowedAudience = union(ja.AllowedAudience, jb.AllowedAudience)
	out.AllowedClients = union(ja.AllowedClients, jb.AllowedClients)
	out.AllowedScopes = union(ja.AllowedScopes, jb.AllowedScopes)
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: out}, true
}

// AuthorizerCovers reports whether have accepts every token want accepts by the rule above: joining want into
// have changes nothing.
func AuthorizerCovers(have, want types.AuthorizerConfiguration) bool {
	m, ok := MergeAuthorizers(have, want)
	return ok && AuthorizerEqual(m, have)
}

func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
