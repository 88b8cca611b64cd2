// This file: Finding and the checks doctor and `token inspect` show: CheckToken (token.*) and CheckAuthorizer
// (authorizer.*), which apply docs/facts.md#jwt-authorizer — iss byte-equal to the discovery issuer; allowedAudience: some aud
// listed; allowedClients: client_id listed; both set → both must hold; allowedScopes: some scope listed; every
// custom-claim rule holds.
package tokencheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/humantime"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/status"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
)

// Status of a finding: the shared vocabulary (internal/status).
type Status = status.Status

const (
	StatusPass = status.Pass
	StatusWarn = status.Warn
	StatusFail = status.Fail
	StatusSkip = status.Skip
)

// Categories of the findings made here.
const (
	CategoryToken      = "token"
	CategoryAuthorizer = "authorizer"
)

// Finding is one check's verdict. ID is stable (`category.kebab-name`, documented in docs/checks.md); Detail is
// one line; Hint says what to do; Fix, when there is one, is the exact command.
type Finding struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Status   Status `json:"status"`
	Title    string `json:"title"`
	Detail   string `json:"detail"`
	Hint     string `json:"hint"`
	Fix      string `json:"fix"`
}

// Thresholds of the expiry checks. AgentCore refuses tokens that expire within about a minute.
const (
	ExpiringWarn = 10 * time.Minute
	ExpiringFail = 60 * time.Second
)

// Fix commands the findings point at.
const (
	FixRotate       = "kubectl agentcore rotate"
	FixRotateID     = "kubectl agentcore rotate --token-use id"
	FixRotateAccess = "kubectl agentcore rotate --token-use access"
	FixWizard       = "kubectl agentcore wizard"
)

// Worst is the most severe status of fs (fail > warn > pass > skip); skip when fs is empty.
func Worst(fs []Finding) Status {
	rank := map[Status]int{StatusSkip: 0, StatusPass: 1, StatusWarn: 2, StatusFail: 3}
	w := StatusSkip
	for _, f := range fs {
		if rank[f.Status] > rank[w] {
			w = f.Status
		}
	}
	return w
}

// CheckToken checks the token's validity window at now: token.expired, token.expiring (warn under 10 minutes,
// fail under 60 s) and token.not-yet-valid.
func CheckToken(tok *Token, now time.Time) []Finding {
	mk := func(id, title string) Finding { return Finding{ID: id, Category: CategoryToken, Title: title} }
	exp, expiring, nbf := mk("token.expired", "expiry"), mk("token.expiring", "time left"), mk("token.not-yet-valid", "validity start")
	if tok == nil {
		for _, f := range []*Finding{&exp, &expiring, &nbf} {
			f.Status, f.Detail = StatusSkip, "no token to check"
		}
		return []Finding{exp, expiring, nbf}
	}
	switch {
	case tok.ExpiresAt == nil:
		exp.Status, exp.Detail = StatusWarn, "the token has no exp claim"
		exp.Hint = "AgentCore enforces exp; a token without it may be refused. Mint tokens from the identity provider."
		expiring.Status, expiring.Detail = StatusSkip, "no exp claim"
	case !tok.ExpiresAt.After(now):
		exp.Status = StatusFail
		exp.Detail = fmt.Sprintf("expired %s ago (at %s)", short(now.Sub(*tok.ExpiresAt)), stamp(*tok.ExpiresAt))
		exp.Hint = "AgentCore answers 401 to an expired token. Put a fresh token in the Secret; rotate --watch keeps it fresh."
		exp.Fix = FixRotate
		expiring.Status, expiring.Detail = StatusSkip, "already expired"
	default:
		left := tok.ExpiresAt.Sub(now)
		exp.Status, exp.Detail = StatusPass, fmt.Sprintf("not expired (expires at %s)", stamp(*tok.ExpiresAt))
		switch {
		case left < ExpiringFail:
			expiring.Status = StatusFail
			expiring.Detail = fmt.Sprintf("expires in %s: AgentCore already refuses tokens within about a minute of exp", short(left))
			expiring.Hint = "Put a fresh token in the Secret now, and keep it fresh with rotate --watch."
			expiring.Fix = FixRotate
		case left < ExpiringWarn:
			expiring.Status = StatusWarn
			expiring.Detail = fmt.Sprintf("expires in %s", short(left))
			expiring.Hint = "Refresh it before it expires; rotate --watch refreshes ahead of expiry."
			expiring.Fix = FixRotate + " --watch"
		default:
			expiring.Status, expiring.Detail = StatusPass, fmt.Sprintf("expires in %s", short(left))
		}
	}
	switch {
	case tok.NotBefore != nil && tok.NotBefore.After(now):
		nbf.Status = StatusFail
		nbf.Detail = fmt.Sprintf("not valid before %s (in %s)", stamp(*tok.NotBefore), short(tok.NotBefore.Sub(now)))
		nbf.Hint = "The token's nbf is in the future: wait, or check the clocks of the identity provider and this machine."
	case tok.IssuedAt != nil && tok.IssuedAt.After(now.Add(time.Minute)):
		nbf.Status = StatusWarn
		nbf.Detail = fmt.Sprintf("issued in the future (iat %s, in %s)", stamp(*tok.IssuedAt), short(tok.IssuedAt.Sub(now)))
		nbf.Hint = "Clock skew between the identity provider and this machine; check NTP."
	default:
		nbf.Status, nbf.Detail = StatusPass, "valid now"
		if tok.NotBefore != nil {
			nbf.Detail = fmt.Sprintf("valid since %s", stamp(*tok.NotBefore))
		}
	}
	return []Finding{exp, expiring, nbf}
}

// CheckAuthorizer checks tok against az as the runtime would: authorizer.mode, authorizer.discovery-url (pattern),
// authorizer.issuer (iss byte-equal to discoveryIssuer; skipped when discoveryIssuer is ""), authorizer.audience,
// authorizer.client, authorizer.scope and authorizer.claims. az nil = IAM only. tok nil skips the token checks.
func CheckAuthorizer(tok *Token, az *Authorizer, discoveryIssuer string) []Finding {
	var d *Discovery
	if discoveryIssuer != "" {
		d = &Discovery{Issuer: discoveryIssuer}
	}
	return CheckAuthorizerDiscovery(tok, az, d, nil)
}

// CheckAuthorizerDiscovery is CheckAuthorizer with the outcome of fetching the discovery document: fetchErr
// (when not nil) fails authorizer.discovery-url with the precise reason and skips authorizer.issuer; d nil and no
// error skips authorizer.issuer ("not fetched").
func CheckAuthorizerDiscovery(tok *Token, az *Authorizer, d *Discovery, fetchErr error) []Finding {
	mk := func(id, title string) Finding { return Finding{ID: id, Category: CategoryAuthorizer, Title: title} }
	mode := mk("authorizer.mode", "JWT authorizer")
	durl := mk("authorizer.discovery-url", "discovery URL")
	iss := mk("authorizer.issuer", "issuer")
	aud := mk("authorizer.audience", "audience")
	cli := mk("authorizer.client", "client")
	scp := mk("authorizer.scope", "scope")
	clm := mk("authorizer.claims", "custom claims")
	all := []*Finding{&mode, &durl, &iss, &aud, &cli, &scp, &clm}
	out := func() []Finding {
		fs := make([]Finding, len(all))
		for i, f := range all {
			fs[i] = *f
		}
		return fs
	}

	if az == nil {
		mode.Status = StatusFail
		mode.Detail = "the runtime has no JWT authorizer: it accepts IAM (SigV4) only, so a bearer token gets 403 (Authorization method mismatch)"
		mode.Hint = "Configure a customJWTAuthorizer on the runtime (the wizard does it), or let the gateway sign with SigV4 instead of sending a token."
		mode.Fix = FixWizard
		for _, f := range all[1:] {
			f.Status, f.Detail = StatusSkip, "no JWT authorizer"
		}
		return out()
	}
	mode.Status, mode.Detail = StatusPass, "customJWTAuthorizer configured ("+az.Summary()+")"

	// discovery URL
	switch {
	case !DiscoveryURLValid(az.DiscoveryURL):
		durl.Status = StatusFail
		durl.Detail = fmt.Sprintf("discoveryUrl %q does not end in /.well-known/openid-configuration (AgentCore rejects a bare issuer)", az.DiscoveryURL)
		want := DiscoveryURLFor(strings.TrimSuffix(az.DiscoveryURL, "/.well-known/jwks.json"))
		if tok != nil && tok.Issuer != "" {
			want = DiscoveryURLFor(tok.Issuer)
		}
		durl.Hint = "Use " + want + "."
		durl.Fix = updateFix(az, func(n *Authorizer) { n.DiscoveryURL = want })
	case fetchErr != nil && az.Private():
		durl.Status = StatusWarn
		durl.Detail = "discovery document unreachable from this machine (" + fetchErr.Error() + "): expected, AgentCore reaches it through " + DescribePrivateEndpoint(az.PrivateEndpoint)
		durl.Hint = "The identity provider is private: check from inside its VPC, or pass --discovery-file and --jwks-file saved there to check the issuer and signature here."
	case fetchErr != nil:
		durl.Status = StatusFail
		durl.Detail = "discovery document unreachable: " + fetchErr.Error()
		durl.Hint = "The runtime fetches this URL to find the issuer and keys; it must answer JSON with issuer and jwks_uri."
	case d != nil && d.URL != "" && d.URL != az.DiscoveryURL:
		durl.Status, durl.Detail = StatusPass, fmt.Sprintf("%s (fetched %s instead)", az.DiscoveryURL, d.URL)
	default:
		durl.Status, durl.Detail = StatusPass, az.DiscoveryURL
		if d != nil {
			durl.Detail += " (reachable)"
		}
	}

	// issuer
	switch {
	case tok == nil:
		iss.Status, iss.Detail = StatusSkip, "no token to check"
	case fetchErr != nil:
		iss.Status, iss.Detail = StatusSkip, "discovery document not available"
	case d == nil:
		iss.Status, iss.Detail = StatusSkip, "discovery document not fetched (use --verify or --discovery-file)"
		if tok.Issuer != "" && DiscoveryURLValid(az.DiscoveryURL) && DiscoveryURLFor(tok.Issuer) != az.DiscoveryURL {
			iss.Status = StatusWarn
			iss.Detail = fmt.Sprintf("token iss %q does not lead to discoveryUrl %q (not fetched, so not proven)", tok.Issuer, az.DiscoveryURL)
			iss.Hint = "The runtime requires iss to equal the discovery document's issuer byte for byte."
		}
	case tok.Issuer == d.Issuer:
		iss.Status, iss.Detail = StatusPass, fmt.Sprintf("iss equals the discovery issuer %q", d.Issuer)
	default:
		iss.Status = StatusFail
		iss.Detail = fmt.Sprintf("token iss %q ≠ discovery issuer %q", tok.Issuer, d.Issuer)
		switch {
		case tok.Issuer == "":
			iss.Detail = fmt.Sprintf("the token has no iss; the discovery issuer is %q", d.Issuer)
		case strings.TrimSuffix(tok.Issuer, "/") == strings.TrimSuffix(d.Issuer, "/"):
			iss.Detail += " (they differ only by a trailing slash, which is enough to fail)"
		}
		iss.Hint = "The runtime compares iss with the discovery document's issuer byte for byte: point discoveryUrl at the token's issuer, or mint tokens from the issuer the runtime trusts."
		if tok.Issuer != "" {
			want := DiscoveryURLFor(tok.Issuer)
			if want != az.DiscoveryURL {
				iss.Fix = updateFix(az, func(n *Authorizer) { n.DiscoveryURL = want })
			}
		}
	}

	both := len(az.AllowedAudience) > 0 && len(az.AllowedClients) > 0
	bothNote := ""
	if both {
		bothNote = " Both allowedAudience and allowedClients are set, so both must hold."
		if tok != nil && isCognito(tok.Kind) {
			bothNote += " Never set both for Cognito: ID tokens have no client_id and access tokens have no aud."
		}
	}

	// audience
	switch {
	case len(az.AllowedAudience) == 0:
		aud.Status, aud.Detail = StatusSkip, "allowedAudience not set: aud is not checked"
	case tok == nil:
		aud.Status, aud.Detail = StatusSkip, "no token to check"
	case intersects(tok.Audience, az.AllowedAudience):
		aud.Status, aud.Detail = StatusPass, fmt.Sprintf("aud %s is in allowedAudience %s", list(tok.Audience), list(az.AllowedAudience))
	case len(tok.Audience) == 0:
		aud.Status = StatusFail
		if tok.Kind == KindCognitoAccess {
			aud.Detail = fmt.Sprintf("this is a Cognito access token (no aud); the runtime checks allowedAudience %s", list(az.AllowedAudience))
			aud.Hint = fmt.Sprintf("Use the ID token, or set allowedClients=[%s] instead of allowedAudience.%s", orPlaceholder(tok.ClientID, "<client id>"), bothNote)
			aud.Fix = FixRotateID
		} else {
			aud.Detail = fmt.Sprintf("the %s has no aud; the runtime checks allowedAudience %s (401 Claim 'aud' value mismatch)", tok.Kind.Describe(), list(az.AllowedAudience))
			aud.Hint = fmt.Sprintf("Request a token for the API audience (a client-credentials setup: --audience %s with kubectl agentcore wizard or token mint), or remove allowedAudience and allow by client instead.%s", az.AllowedAudience[0], bothNote)
			if tok.ClientID != "" {
				aud.Fix = updateFix(az, func(n *Authorizer) { n.AllowedAudience = nil; addUnique(&n.AllowedClients, tok.ClientID) })
			}
		}
	default:
		aud.Status = StatusFail
		aud.Detail = fmt.Sprintf("aud %s is not in allowedAudience %s (401 Claim 'aud' value mismatch)", list(tok.Audience), list(az.AllowedAudience))
		if tok.Kind == KindCognitoID {
			aud.Detail = fmt.Sprintf("this Cognito ID token is for app client %s, not in allowedAudience %s", list(tok.Audience), list(az.AllowedAudience))
			aud.Hint = "Mint the token from the app client the runtime allows, or add this client id to allowedAudience." + bothNote
		} else {
			aud.Hint = fmt.Sprintf("Request the token for an allowed audience (a client-credentials setup: --audience %s with kubectl agentcore wizard or token mint), or add its aud to allowedAudience.%s", az.AllowedAudience[0], bothNote)
		}
		aud.Fix = updateFix(az, func(n *Authorizer) { addUnique(&n.AllowedAudience, tok.Audience[0]) })
	}
	if aud.Status == StatusPass && both {
		aud.Detail += " (allowedClients must hold too)"
	}

	// client
	switch {
	case len(az.AllowedClients) == 0:
		cli.Status, cli.Detail = StatusSkip, "allowedClients not set: client_id is not checked"
	case tok == nil:
		cli.Status, cli.Detail = StatusSkip, "no token to check"
	case tok.ClientID != "" && slices.Contains(az.AllowedClients, tok.ClientID):
		cli.Status, cli.Detail = StatusPass, fmt.Sprintf("client_id %q is in allowedClients %s", tok.ClientID, list(az.AllowedClients))
		if both {
			cli.Detail += " (allowedAudience must hold too)"
		}
	case tok.ClientID == "":
		cli.Status = StatusFail
		switch {
		case tok.Kind == KindCognitoID:
			cli.Detail = fmt.Sprintf("this is a Cognito ID token (no client_id, aud=%s); the runtime checks allowedClients %s", list(tok.Audience), list(az.AllowedClients))
			cli.Hint = fmt.Sprintf("Use the access token, or set allowedAudience=[%s] instead of allowedClients.%s", orPlaceholder(first(tok.Audience), "<client id>"), bothNote)
			cli.Fix = FixRotateAccess
		default:
			cli.Detail = fmt.Sprintf("the %s has no client_id claim; the runtime checks allowedClients %s (401 Claim 'client_id' value mismatch)", tok.Kind.Describe(), list(az.AllowedClients))
			if tok.AuthorizedParty != "" {
				cli.Detail += fmt.Sprintf("; its client is in %s=%q, which the runtime does not read", tok.AuthorizedPartyClaim, tok.AuthorizedParty)
			}
			cli.Hint = "Allow this token by audience instead: set allowedAudience to its aud and remove allowedClients." + bothNote
			if len(tok.Audience) > 0 {
				cli.Fix = updateFix(az, func(n *Authorizer) { n.AllowedClients = nil; addUnique(&n.AllowedAudience, tok.Audience[0]) })
			}
		}
	default:
		cli.Status = StatusFail
		cli.Detail = fmt.Sprintf("client_id %q is not in allowedClients %s (401 Claim 'client_id' value mismatch)", tok.ClientID, list(az.AllowedClients))
		cli.Hint = "Mint the token with an allowed app client, or add this client id to allowedClients." + bothNote
		cli.Fix = updateFix(az, func(n *Authorizer) { addUnique(&n.AllowedClients, tok.ClientID) })
	}

	// scope
	switch {
	case len(az.AllowedScopes) == 0:
		scp.Status, scp.Detail = StatusSkip, "allowedScopes not set: scope is not checked"
	case tok == nil:
		scp.Status, scp.Detail = StatusSkip, "no token to check"
	case tok.ScopeClaim == "scope" && intersects(tok.Scopes, az.AllowedScopes):
		scp.Status, scp.Detail = StatusPass, fmt.Sprintf("scope %s includes one of allowedScopes %s", list(tok.Scopes), list(az.AllowedScopes))
		if m := az.advertisedNote(tok.Scopes); m != "" {
			scp.Detail += " (" + m + ")"
		}
	case az.advertisedOnly(tok.Scopes) != "":
		adv := az.advertisedOnly(tok.Scopes)
		scp.Status = StatusFail
		scp.Detail = fmt.Sprintf("the token carries the advertised scope %q, not the allowed scope %q it stands for; the runtime checks %s %s against allowedScopes %s",
			adv, az.allowedFor(adv), tok.ScopeClaim, list(tok.Scopes), list(az.AllowedScopes))
		scp.Hint = "advertisedScopeMapping only changes what clients are told to request; the token itself must carry an allowed scope. Fix the mapping (key = the scope in the token) or add the token's scope to allowedScopes."
		scp.Fix = updateFix(az, func(n *Authorizer) { addUnique(&n.AllowedScopes, adv) })
	case tok.ScopeClaim == "scp" && intersects(tok.Scopes, az.AllowedScopes):
		scp.Status = StatusWarn
		scp.Detail = fmt.Sprintf("the token carries its scopes in scp %s, not in scope; allowedScopes %s is checked against scope", list(tok.Scopes), list(az.AllowedScopes))
		scp.Hint = "If calls fail with a scope error, allow this token by audience instead of scopes."
	case len(tok.Scopes) == 0:
		scp.Status = StatusFail
		scp.Detail = fmt.Sprintf("the %s has no scope; the runtime checks allowedScopes %s", tok.Kind.Describe(), list(az.AllowedScopes))
		if tok.Kind == KindCognitoID {
			scp.Detail = fmt.Sprintf("this is a Cognito ID token (ID tokens carry no scope); the runtime checks allowedScopes %s", list(az.AllowedScopes))
			scp.Hint = "Use the access token (it carries scope), or remove allowedScopes."
			scp.Fix = FixRotateAccess
		} else {
			scp.Hint = "Request the token with one of the allowed scopes, or remove allowedScopes."
		}
	default:
		scp.Status = StatusFail
		scp.Detail = fmt.Sprintf("scope %s has none of allowedScopes %s", list(tok.Scopes), list(az.AllowedScopes))
		scp.Hint = "Request the token with one of the allowed scopes (the token request's scope parameter), or add one of its scopes to allowedScopes."
		if len(az.AdvertisedScopeMapping) > 0 {
			scp.Hint = fmt.Sprintf("Clients are told to request %s (advertisedScopeMapping); the token must then carry one of allowedScopes %s. Or add one of its scopes to allowedScopes.", list(az.advertisedList()), list(az.AllowedScopes))
		}
		scp.Fix = updateFix(az, func(n *Authorizer) { addUnique(&n.AllowedScopes, tok.Scopes[0]) })
	}

	// custom claims
	switch {
	case len(az.CustomClaims) == 0:
		clm.Status, clm.Detail = StatusSkip, "no custom claim rules"
	case tok == nil:
		clm.Status, clm.Detail = StatusSkip, "no token to check"
	default:
		var bad []string
		for _, r := range az.CustomClaims {
			if ok, why := EvalClaim(tok, r); !ok {
				bad = append(bad, why)
			}
		}
		if len(bad) == 0 {
			clm.Status, clm.Detail = StatusPass, fmt.Sprintf("all %d custom claim rules hold", len(az.CustomClaims))
		} else {
			clm.Status = StatusFail
			clm.Detail = strings.Join(bad, "; ")
			clm.Hint = "Every custom claim rule must hold: give the user/client the claim value (identity provider), or change the rule."
		}
	}
	return out()
}

// EvalClaim applies one custom claim rule to tok and says why it fails. STRING claims: EQUALS compares with the
// match value; CONTAINS / CONTAINS_ANY hold when the claim is one of the match values. STRING_ARRAY claims:
// CONTAINS holds when the array holds the match value; CONTAINS_ANY when it holds any of the match values;
// EQUALS when it is exactly the match value(s).
func EvalClaim(tok *Token, r CustomClaim) (bool, string) {
	v, ok := tok.Claims[r.Name]
	if !ok || v == nil {
		return false, fmt.Sprintf("the token has no %s claim (rule %s)", r.Name, r)
	}
	values := r.MatchValues
	if values == nil {
		values = []string{r.MatchValue}
	}
	switch r.ValueType {
	case ClaimString:
		s, ok := v.(string)
		if !ok {
			return false, fmt.Sprintf("claim %s is %s, the rule expects a STRING", r.Name, typeName(v))
		}
		var hold bool
		switch r.Operator {
		case OpEquals:
			hold = r.MatchValues == nil && s == r.MatchValue || r.MatchValues != nil && len(values) == 1 && values[0] == s
		default:
			hold = slices.Contains(values, s)
		}
		if !hold {
			return false, fmt.Sprintf("claim %s=%q fails rule %s", r.Name, s, r)
		}
		return true, ""
	case ClaimStringArray:
		arr, err := stringsClaim(map[string]any{"x": v}, "x")
		if _, isStr := v.(string); err != nil || isStr {
			return false, fmt.Sprintf("claim %s is %s, the rule expects a STRING_ARRAY", r.Name, typeName(v))
		}
		var hold bool
		switch r.Operator {
		case OpContains:
			hold = slices.Contains(arr, r.MatchValue) || r.MatchValues != nil && intersects(arr, values)
		case OpContainsAny:
			hold = intersects(arr, values)
		case OpEquals:
			a, b := slices.Clone(arr), slices.Clone(values)
			slices.Sort(a)
			slices.Sort(b)
			hold = slices.Equal(a, b)
		}
		if !hold {
			return false, fmt.Sprintf("claim %s=%s fails rule %s", r.Name, list(arr), r)
		}
		return true, ""
	}
	return false, fmt.Sprintf("rule %s has an unknown value type %q", r, r.ValueType)
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []any:
		return "an array"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// Summary says in a line what the authorizer checks beyond its discovery URL ("allowedAudience [web],
// allowedScopes [invoke]").
func (az *Authorizer) Summary() string {
	var parts []string
	if len(az.AllowedAudience) > 0 {
		parts = append(parts, "allowedAudience "+list(az.AllowedAudience))
	}
	if len(az.AllowedClients) > 0 {
		parts = append(parts, "allowedClients "+list(az.AllowedClients))
	}
	if len(az.AllowedScopes) > 0 {
		parts = append(parts, "allowedScopes "+list(az.AllowedScopes))
	}
	if n := len(az.CustomClaims); n > 0 {
		parts = append(parts, words.Count(n, "custom claim rule"))
	}
	if len(az.AdvertisedScopeMapping) > 0 {
		var m []string
		for _, k := range sorted(slices.Collect(maps.Keys(az.AdvertisedScopeMapping))) {
			m = append(m, k+"→"+az.AdvertisedScopeMapping[k])
		}
		parts = append(parts, "advertisedScopeMapping "+list(m))
	}
	if az.AllowedWorkload != nil {
		parts = append(parts, "allowedWorkloadConfiguration "+list([]string{az.AllowedWorkload.Describe()}))
	}
	if az.Private() {
		parts = append(parts, "private endpoint")
	}
	if u := az.Unmodelled(); len(u) > 0 {
		parts = append(parts, "also "+list(u)+" (kept as is)")
	}
	if len(parts) == 0 {
		return "no audience, client, scope or claim rules"
	}
	return strings.Join(parts, ", ")
}

// UpdateCommand is the AWS CLI call that sets az as the runtime's authorizer. update-agent-runtime replaces the
// whole runtime spec, so the artifact, role and network configuration must be passed again ("…").
func UpdateCommand(az *Authorizer) string {
	if az != nil && az.GatewayID != "" {
		return fmt.Sprintf("aws bedrock-agentcore-control update-gateway --gateway-identifier %s --authorizer-type CUSTOM_JWT --authorizer-configuration '%s' … (also pass the current --name, --role-arn and --protocol-type: the update replaces the whole spec)", az.GatewayID, az.ConfigJSON())
	}
	id := "<runtime-id>"
	if az != nil && az.RuntimeID != "" {
		id = az.RuntimeID
	}
	return fmt.Sprintf("aws bedrock-agentcore-control update-agent-runtime --agent-runtime-id %s --authorizer-configuration '%s' … (also pass the current --agent-runtime-artifact, --role-arn and --network-configuration: the update replaces the whole spec)", id, az.ConfigJSON())
}

func updateFix(az *Authorizer, change func(*Authorizer)) string {
	n := az.Clone()
	change(n)
	return UpdateCommand(n)
}

// advertisedNote says which of scopes are advertised to clients under another name ("" when none is).
func (az *Authorizer) advertisedNote(scopes []string) string {
	for _, s := range scopes {
		if slices.Contains(az.AllowedScopes, s) && az.advertised(s) != s {
			return fmt.Sprintf("advertised to clients as %q", az.advertised(s))
		}
	}
	return ""
}

// advertisedOnly is a scope of the token that is an advertised value standing for an allowed scope the token
// lacks ("" when there is none).
func (az *Authorizer) advertisedOnly(scopes []string) string {
	if intersects(scopes, az.AllowedScopes) {
		return ""
	}
	for _, s := range scopes {
		if k := az.allowedFor(s); k != "" && slices.Contains(az.AllowedScopes, k) {
			return s
		}
	}
	return ""
}

// advertisedList is allowedScopes as clients are told to request them.
func (az *Authorizer) advertisedList() []string {
	out := make([]string, 0, len(az.AllowedScopes))
	for _, s := range az.AllowedScopes {
		out = append(out, az.advertised(s))
	}
	return out
}

func isCognito(k Kind) bool { return k == KindCognitoID || k == KindCognitoAccess }

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func addUnique(s *[]string, v string) {
	if v != "" && !slices.Contains(*s, v) {
		*s = append(*s, v)
	}
}

func list(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func orPlaceholder(s, p string) string {
	if s == "" {
		return p
	}
	return s
}

// stamp is a time in the local zone, to the second.
func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }

// short formats a duration as people say it (45s, 12m, 3h05m, 2d), sign dropped.
func short(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	return humantime.Short(d)
}
