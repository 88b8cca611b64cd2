// This file: classify, which decides a token's Kind from the shape of its claims (the issuer is only a tie-breaker).
package tokencheck

import "strings"

// classify reads the provider's fingerprints:
//   - Cognito: token_use (id|access), cognito:username, or client_id+username+token_use on an access token.
//   - Entra ID: tid plus ver/oid/appid/azp (v1 and v2 tokens).
//   - Okta: cid (access tokens), ver=1 with uid/idp, or jti prefixed AT./ID.
//   - Auth0: gty, a sub like "auth0|…" or "…@clients", permissions with azp, or an *.auth0.com issuer with azp.
//
// Anything else is generic.
func classify(c map[string]any) Kind {
	str := func(k string) string { s, _ := c[k].(string); return s }
	has := func(k string) bool { _, ok := c[k]; return ok }

	switch str("token_use") {
	case "id":
		return KindCognitoID
	case "access":
		if has("client_id") || has("username") || strings.Contains(str("iss"), "cognito-idp.") {
			return KindCognitoAccess
		}
	}
	if has("cognito:username") || has("cognito:groups") && has("aud") {
		return KindCognitoID
	}
	if has("tid") && (has("ver") || has("oid") || has("appid") || has("azp")) {
		return KindEntra
	}
	ver := c["ver"]
	okVer := ver == float64(1) || ver == "1"
	jti := str("jti")
	if has("cid") || okVer && (has("uid") || has("idp") || has("scp")) || strings.HasPrefix(jti, "AT.") && has("scp") || strings.HasPrefix(jti, "ID.") && has("idp") {
		return KindOkta
	}
	sub := str("sub")
	iss := str("iss")
	if has("gty") || strings.HasPrefix(sub, "auth0|") || strings.HasSuffix(sub, "@clients") ||
		has("permissions") && has("azp") || strings.HasSuffix(hostOf(iss), ".auth0.com") && has("azp") {
		return KindAuth0
	}
	if has("client_id") && has("username") && has("scope") && strings.Contains(iss, "cognito-idp.") {
		return KindCognitoAccess
	}
	return KindGeneric
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

// Provider is the human name of the kind ("Cognito", "Okta", …).
func (k Kind) Provider() string {
	switch k {
	case KindCognitoID, KindCognitoAccess:
		return "Cognito"
	case KindAuth0:
		return "Auth0"
	case KindOkta:
		return "Okta"
	case KindEntra:
		return "Entra ID"
	}
	return "generic"
}

// Describe is a short phrase: "Cognito ID token", "Okta token", "generic JWT".
func (k Kind) Describe() string {
	switch k {
	case KindCognitoID:
		return "Cognito ID token"
	case KindCognitoAccess:
		return "Cognito access token"
	case KindGeneric, "":
		return "generic JWT"
	}
	return k.Provider() + " token"
}
