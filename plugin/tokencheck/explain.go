// This file: Explain (which authorizer settings a token can satisfy, in words) and SuggestAuthorizer (the
// authorizer that would accept it), following docs/facts.md#jwt-authorizer.
package tokencheck

import (
	"fmt"
	"strings"
)

// Explain says, one line per authorizer setting, whether a runtime configured with it would accept tok:
// "aud=[…] → allowedAudience", "no client_id → allowedClients will reject it", and a recommendation by kind.
func Explain(tok *Token) []string {
	if tok == nil {
		return nil
	}
	var out []string
	if tok.Issuer != "" {
		out = append(out, fmt.Sprintf("iss=%s → discoveryUrl %s, whose issuer must equal iss byte for byte", tok.Issuer, DiscoveryURLFor(tok.Issuer)))
	} else {
		out = append(out, "no iss → no JWT authorizer can accept it (the issuer must match the discovery document)")
	}
	if len(tok.Audience) > 0 {
		out = append(out, fmt.Sprintf("aud=%s → allowedAudience containing %s", strings.Join(tok.Audience, ","), orList(tok.Audience)))
	} else {
		out = append(out, "no aud → allowedAudience will reject it")
	}
	if tok.ClientID != "" {
		out = append(out, fmt.Sprintf("client_id=%s → allowedClients containing %s", tok.ClientID, tok.ClientID))
	} else {
		line := "no client_id → allowedClients will reject it"
		if tok.AuthorizedParty != "" {
			line += fmt.Sprintf(" (its client is in %s=%s, which the runtime does not read)", tok.AuthorizedPartyClaim, tok.AuthorizedParty)
		}
		out = append(out, line)
	}
	switch {
	case tok.ScopeClaim == "scope" && len(tok.Scopes) > 0:
		out = append(out, fmt.Sprintf("scope=%s → allowedScopes containing %s", strings.Join(tok.Scopes, " "), orList(tok.Scopes)))
	case tok.ScopeClaim == "scp" && len(tok.Scopes) > 0:
		out = append(out, fmt.Sprintf("scopes in scp=%s, not in scope → allowedScopes may reject it; allow it by audience instead", strings.Join(tok.Scopes, " ")))
	default:
		out = append(out, "no scope → allowedScopes will reject it")
	}
	switch tok.Kind {
	case KindCognitoID:
		out = append(out, fmt.Sprintf("Cognito ID token → configure allowedAudience=[%s] only (never allowedClients or allowedScopes)", orPlaceholder(first(tok.Audience), "<client id>")))
	case KindCognitoAccess:
		out = append(out, fmt.Sprintf("Cognito access token → configure allowedClients=[%s] (and allowedScopes if you want), never allowedAudience", orPlaceholder(tok.ClientID, "<client id>")))
	case KindAuth0, KindOkta, KindEntra:
		if len(tok.Audience) > 0 {
			out = append(out, fmt.Sprintf("%s → configure allowedAudience=[%s]", tok.Kind.Describe(), tok.Audience[0]))
		}
	}
	return out
}

// SuggestAuthorizer is the authorizer that accepts tok (nil when tok has no iss): the issuer's discovery URL
// with allowedAudience=[aud] when the token has an aud and is not a Cognito access token, else
// allowedClients=[client_id]. It never sets both (docs/facts.md#jwt-authorizer).
func SuggestAuthorizer(tok *Token) *Authorizer {
	if tok == nil || tok.Issuer == "" {
		return nil
	}
	az := &Authorizer{DiscoveryURL: DiscoveryURLFor(tok.Issuer)}
	switch {
	case tok.Kind != KindCognitoAccess && len(tok.Audience) > 0:
		az.AllowedAudience = []string{tok.Audience[0]}
	case tok.ClientID != "":
		az.AllowedClients = []string{tok.ClientID}
	}
	return az
}

func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return "one of " + strings.Join(s, ", ")
}
