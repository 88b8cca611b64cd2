package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// Caller check ids: the gateway's traffic.jwtAuthentication against the runtime's authorizer when the caller's own
// token is sent on (passthrough) or exchanged (exchange). docs/checks.md says what each means.
const (
	IDCallerJWTPolicy = "caller.jwt-policy"
	IDCallerIssuer    = "caller.issuer"
	IDCallerAudience  = "caller.audience"
	IDCallerToken     = "caller.token"
)

// planMode is the caller-token mode known before the run: --token-source, the setup record's mode (Options.Record,
// which RecordTarget and doctor --all fill in) or the rendered manifests' (offline). "" = not a caller-token setup,
// or not known until the policies are read.
func (d *Doctor) planMode() string {
	if d.opts.TokenSource != "" {
		if s, err := tokencheck.ParseTokenSource(d.opts.TokenSource); err == nil && s != tokencheck.SourceSecret {
			return s
		}
		return ""
	}
	if r := d.opts.Record; r != nil && r.Mode.CallerToken() {
		return string(r.Mode)
	}
	if d.opts.Offline && d.opts.Rendered != nil {
		if r := d.opts.Rendered.Record; r != nil && r.Mode.CallerToken() {
			return string(r.Mode)
		}
		if t, err := d.opts.Rendered.target(); err == nil {
			if s := t.tokenSource(); s != tokencheck.SourceSecret {
				return s
			}
		}
	}
	return ""
}

// callerReason is why the token Secret checks give way in a caller-token mode.
func callerReason(mode string) string {
	if mode == tokencheck.SourceExchange {
		return "exchange: the gateway sends a token exchanged for the caller's (no token Secret)"
	}
	return "passthrough: the caller's token is sent (no token Secret)"
}

// noCallerToken is the skip of checks that need a caller's token when none was given.
const noCallerToken = "no caller token given: pass --token-file F or --token-from file:F|env:VAR|prompt with a token your callers send"

func (d *Doctor) callerChecks() []Check {
	st := d.st
	var first []string
	if !d.opts.Offline {
		first = []string{IDResourcesSetup}
	}
	withSetup := func(f func(ctx context.Context, c *callerSetup) Outcome) func(ctx context.Context) Outcome {
		return func(ctx context.Context) Outcome {
			c, err := st.caller.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			return f(ctx, c)
		}
	}
	azDeps := []string{IDCallerJWTPolicy, IDAuthorizerMode}
	return []Check{
		{ID: IDCallerJWTPolicy, Category: CatCaller, Title: "caller validated at the gateway", Deps: first, Run: withSetup(st.checkJWTPolicy)},
		{ID: IDCallerIssuer, Category: CatCaller, Title: "issuer the gateway and runtime share", Deps: azDeps, Run: withSetup(st.checkCallerIssuer)},
		{ID: IDCallerAudience, Category: CatCaller, Title: "audiences both accept", Deps: azDeps, Run: withSetup(st.checkCallerAudience)},
		{ID: IDCallerToken, Category: CatCaller, Title: "caller's token", Deps: []string{IDCallerJWTPolicy, IDTokenMalformed}, Run: withSetup(st.checkCallerToken)},
	}
}

func policyName(c *callerSetup) string {
	if c.auth != nil {
		return objRef(c.auth)
	}
	return "the policy"
}

func (st *state) checkJWTPolicy(ctx context.Context, c *callerSetup) Outcome {
	want := st.d.planMode()
	if c.record != nil && c.record.Mode.CallerToken() {
		want = string(c.record.Mode)
	}
	if c.mode == tokencheck.SourceSecret {
		if want == "" {
			return skip("not a passthrough or exchange setup: no policy passes the caller's token on")
		}
		return fail(fmt.Sprintf("the setup is %s, but no policy targeting HTTPRoute %s has backend.auth.%s: the gateway sends AgentCore no caller token (401)", want, c.routeRef, authField(want)),
			"The wizard's policy with backend.auth is missing or was changed; rerun the wizard to put it back.", "kubectl agentcore wizard --mode "+want)
	}
	if want != "" && want != c.mode {
		return fail(fmt.Sprintf("the setup record says %s, but %s has backend.auth.%s", want, policyName(c), authField(c.mode)),
			"The policy and the record disagree: rerun the wizard with the mode you want.", "kubectl agentcore wizard --mode "+want)
	}
	if c.jwt == nil {
		detail := fmt.Sprintf("no traffic.jwtAuthentication policy targets HTTPRoute %s or its Gateway: backend.auth.%s has no effect without one", c.routeRef, authField(c.mode))
		if c.record != nil && c.record.JWTPolicyName != "" {
			detail += fmt.Sprintf(" (the record names policy %s)", c.record.JWTPolicyName)
		}
		return fail(detail,
			"passthrough reuses a token another policy validated; with none, the gateway validates nothing and passes no token on, and AgentCore answers 401.",
			"kubectl agentcore wizard --mode "+c.mode)
	}
	if len(c.providers) == 0 {
		return fail(objRef(c.jwt)+" has traffic.jwtAuthentication without providers", "Each provider names the issuer, audiences and JWKS of the caller's identity provider.", "kubectl agentcore wizard --mode "+c.mode)
	}
	auds, anyAud := c.audiences()
	audText := list(auds)
	if anyAud {
		audText = "any audience"
	}
	detail := fmt.Sprintf("%s (%s) validates the caller: issuer %s, %s; %s has backend.auth.%s", objRef(c.jwt), c.jwtMode, quoteList(c.issuers()), audText, policyName(c), authField(c.mode))
	switch c.jwtMode {
	case "Optional":
		return warn(detail, "mode Optional lets requests without a token through: the gateway then passes nothing on and AgentCore answers 401 (reason not JwtAuth). Use Strict so the gateway refuses them itself.",
			fmt.Sprintf(`kubectl patch %s -n %s %s --type=merge -p '{"spec":{"traffic":{"jwtAuthentication":{"mode":"Strict"}}}}'`, strings.ToLower(c.jwt.GetKind()), c.jwt.GetNamespace(), c.jwt.GetName()))
	case "Permissive":
		return warn(detail, "mode Permissive lets invalid tokens through: AgentCore refuses them later (401). Use Strict so the gateway refuses them itself.",
			fmt.Sprintf(`kubectl patch %s -n %s %s --type=merge -p '{"spec":{"traffic":{"jwtAuthentication":{"mode":"Strict"}}}}'`, strings.ToLower(c.jwt.GetKind()), c.jwt.GetNamespace(), c.jwt.GetName()))
	}
	// Where the gateway reads the caller's keys: jwks.remote's path must be the discovery document's jwks_uri path.
	if doc, err := st.callerDiscovery.get(ctx); err == nil {
		if u, err := url.Parse(doc.JWKSURI); err == nil {
			for _, p := range c.providers {
				if p.JWKSPath != "" && strings.TrimPrefix(p.JWKSPath, "/") != strings.TrimPrefix(u.Path, "/") {
					return fail(fmt.Sprintf("%s reads the caller's keys from %s path %s, but the identity provider's jwks_uri is %s", objRef(c.jwt), p.JWKSBackend, p.JWKSPath, doc.JWKSURI),
						"With the wrong keys the gateway refuses every caller token (401 JwtAuth). Point jwks.remote.jwksPath at the jwks_uri's path.", "kubectl agentcore wizard --mode "+c.mode)
				}
			}
		}
	}
	return pass("%s", detail)
}

func authField(mode string) string {
	if mode == tokencheck.SourceExchange {
		return "oauthTokenExchange"
	}
	return "passthrough"
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func list(s []string) string { return "[" + strings.Join(s, ", ") + "]" }

// issuerFix is a JSON patch that sets the first provider's issuer.
func issuerFix(c *callerSetup, issuer string) string {
	return fmt.Sprintf(`kubectl patch %s -n %s %s --type=json -p '[{"op":"replace","path":"/spec/traffic/jwtAuthentication/providers/0/issuer","value":%q}]'`,
		strings.ToLower(c.jwt.GetKind()), c.jwt.GetNamespace(), c.jwt.GetName(), issuer)
}

// targetNoun names what AgentCore checks the token at, in the caller checks' words: "the runtime", or "the
// AgentCore Gateway" for a gateway target.
func (st *state) targetNoun() string { return setup.TargetNoun(st.d.gatewayTarget()) }

func (st *state) checkCallerIssuer(ctx context.Context, c *callerSetup) Outcome {
	rt := st.targetNoun() // "the runtime", or "the AgentCore Gateway"
	az, err := st.authorizer.get(ctx)
	if err != nil {
		return fail("reading "+rt+"'s authorizer: "+err.Error(), "", "")
	}
	// The caller's identity provider: the gateway must expect the issuer its tokens carry.
	var notes []string
	if u := c.discoveryURL(); u != "" && (c.record != nil && c.record.CallerDiscoveryURL != "" || c.mode == tokencheck.SourceExchange) {
		doc, err := st.callerDiscovery.get(ctx)
		if err != nil {
			return fail("the caller identity provider's discovery document: "+err.Error(), "doctor reads the issuer the gateway must expect from it.", "")
		}
		if !slices.Contains(c.issuers(), doc.Issuer) {
			return fail(fmt.Sprintf("the gateway expects issuer %s, but the caller's identity provider (%s) issues tokens as %q: the gateway refuses every caller token (401 JwtAuth)%s",
				quoteList(c.issuers()), u, doc.Issuer, slashNote(c.issuers(), doc.Issuer)),
				"The gateway compares iss with the provider's issuer byte for byte.", issuerFix(c, doc.Issuer))
		}
		notes = append(notes, fmt.Sprintf("the caller's identity provider issues as %q", doc.Issuer))
	}
	if az == nil {
		return skip(rt + " has no JWT authorizer (authorizer.mode says why)")
	}
	rdoc, err := st.sig.discovery.get(ctx)
	if err != nil {
		return fail(rt+"'s discovery document: "+err.Error(), "", "")
	}
	if c.mode == tokencheck.SourceExchange {
		// The runtime sees the token service's token: it must trust the token service's issuer.
		u := c.exchangeDiscoveryURL()
		if u == "" {
			return warn("the token service's discovery URL is not known (no setup record): "+rt+" trusts "+fmt.Sprintf("%q", rdoc.Issuer), "Run doctor on the wizard's setup (or give its rendered manifests) to compare the token service's issuer.", "")
		}
		xdoc, err := st.exchangeDiscovery.get(ctx)
		if err != nil {
			return fail("the token service's discovery document: "+err.Error(), "", "")
		}
		if xdoc.Issuer != rdoc.Issuer {
			return fail(fmt.Sprintf("the token service (%s) issues tokens as %q, but "+rt+"'s authorizer trusts %q: every exchanged token passes the gateway and AgentCore refuses it (401)%s",
				u, xdoc.Issuer, rdoc.Issuer, slashNote([]string{xdoc.Issuer}, rdoc.Issuer)),
				"In exchange mode "+rt+"'s discoveryUrl is the token service's.", tokencheck.UpdateCommand(withDiscovery(az, u)))
		}
		return pass(rt+" trusts the token service's issuer %q; %s", rdoc.Issuer, strings.Join(append(notes, "the gateway expects "+quoteList(c.issuers())), "; "))
	}
	if !slices.Contains(c.issuers(), rdoc.Issuer) {
		return fail(fmt.Sprintf("the gateway accepts issuer %s, but "+rt+"'s authorizer trusts %q (%s): every token the gateway lets through AgentCore refuses (401)%s",
			quoteList(c.issuers()), rdoc.Issuer, az.DiscoveryURL, slashNote(c.issuers(), rdoc.Issuer)),
			"In passthrough the gateway and "+rt+" trust the same identity provider; the issuers are compared byte for byte. Fix whichever side is wrong: the gateway's provider, or "+rt+"'s discoveryUrl.",
			issuerFix(c, rdoc.Issuer))
	}
	return pass("the gateway and "+rt+" both trust %q", rdoc.Issuer)
}

func withDiscovery(az *tokencheck.Authorizer, u string) *tokencheck.Authorizer {
	n := az.Clone()
	n.DiscoveryURL = u
	return n
}

func slashNote(have []string, want string) string {
	for _, h := range have {
		if h != want && strings.TrimSuffix(h, "/") == strings.TrimSuffix(want, "/") {
			return " (they differ only by a trailing slash, which is enough)"
		}
	}
	return ""
}

func audiencesFix(c *callerSetup, auds []string) string {
	q := make([]string, len(auds))
	for i, a := range auds {
		q[i] = fmt.Sprintf("%q", a)
	}
	return fmt.Sprintf(`kubectl patch %s -n %s %s --type=json -p '[{"op":"add","path":"/spec/traffic/jwtAuthentication/providers/0/audiences","value":[%s]}]'`,
		strings.ToLower(c.jwt.GetKind()), c.jwt.GetNamespace(), c.jwt.GetName(), strings.Join(q, ","))
}

func (st *state) checkCallerAudience(ctx context.Context, c *callerSetup) Outcome {
	rt := st.targetNoun() // "the runtime", or "the AgentCore Gateway"
	az, err := st.authorizer.get(ctx)
	if err != nil {
		return fail("reading "+rt+"'s authorizer: "+err.Error(), "", "")
	}
	if az == nil {
		return skip(rt + " has no JWT authorizer (authorizer.mode says why)")
	}
	auds, anyAud := c.audiences()
	if c.mode == tokencheck.SourceExchange {
		// The runtime sees the exchanged token: its aud is what the gateway asks the token service for.
		xa := c.exchangeAudiences()
		switch {
		case len(az.AllowedAudience) > 0 && len(xa) == 0:
			return fail(fmt.Sprintf("%s asks the token service for no audience, but "+rt+" accepts only aud %s", policyName(c), list(az.AllowedAudience)),
				"Set oauthTokenExchange.audiences to the audience AgentCore expects.", "kubectl agentcore wizard --mode exchange --exchange-audience "+az.AllowedAudience[0])
		case len(az.AllowedAudience) > 0:
			var refused []string
			for _, a := range xa {
				if !slices.Contains(az.AllowedAudience, a) {
					refused = append(refused, a)
				}
			}
			if len(refused) == len(xa) {
				return fail(fmt.Sprintf("the gateway asks the token service for audience %s, but "+rt+"'s allowedAudience is %s: every exchanged token is refused (401 Claim 'aud' value mismatch)", list(xa), list(az.AllowedAudience)),
					"The exchanged token's aud must be in allowedAudience.", "kubectl agentcore wizard --mode exchange --exchange-audience "+az.AllowedAudience[0])
			}
		}
		if len(az.AllowedClients) > 0 && c.record != nil && c.record.ExchangeClientID != "" && !slices.Contains(az.AllowedClients, c.record.ExchangeClientID) {
			return warn(fmt.Sprintf(rt+"'s allowedClients %s does not name the exchange client %s: a token service that puts its client in client_id gets every exchanged token refused", list(az.AllowedClients), c.record.ExchangeClientID),
				"exchange.token shows the exchanged token's client_id when given a caller token.", "")
		}
		return pass("the gateway asks for audience %s; "+rt+" accepts %s", list(xa), describeAllowed(az))
	}
	switch {
	case len(az.AllowedAudience) > 0 && anyAud:
		return fail(fmt.Sprintf("the gateway accepts tokens for any audience, but "+rt+"'s allowedAudience is %s: a token for another audience passes the gateway and AgentCore refuses it", list(az.AllowedAudience)),
			"Give the gateway's provider "+rt+"'s audiences, so it refuses such tokens itself (401 JwtAuth).", audiencesFix(c, az.AllowedAudience))
	case len(az.AllowedAudience) > 0:
		var refused []string
		for _, a := range auds {
			if !slices.Contains(az.AllowedAudience, a) {
				refused = append(refused, a)
			}
		}
		if len(refused) > 0 {
			what := "a token for " + list(refused) + " passes the gateway and AgentCore refuses it (401 Claim 'aud' value mismatch)"
			if len(refused) == len(auds) {
				what = "no token passes both: every token the gateway accepts AgentCore refuses (401 Claim 'aud' value mismatch)"
			}
			return fail(fmt.Sprintf("the gateway accepts audiences %s, "+rt+"'s allowedAudience is %s: %s", list(auds), list(az.AllowedAudience), what),
				"In passthrough both check the same token: the gateway's audiences must be ones "+rt+" accepts.", audiencesFix(c, az.AllowedAudience))
		}
		return pass("the gateway's audiences %s are all in "+rt+"'s allowedAudience %s", list(auds), list(az.AllowedAudience))
	case len(az.AllowedClients) > 0:
		return warn(fmt.Sprintf(rt+" checks client_id against allowedClients %s; the gateway does not check client_id, so a token from another client passes the gateway and AgentCore refuses it", list(az.AllowedClients)),
			"Harmless when the identity provider issues tokens for these clients only; otherwise allow by audience (allowedAudience) on both sides.", "")
	}
	return pass(rt+" checks no audience or client; the gateway checks %s", map[bool]string{true: "none", false: list(auds)}[anyAud])
}

func describeAllowed(az *tokencheck.Authorizer) string {
	var parts []string
	if len(az.AllowedAudience) > 0 {
		parts = append(parts, "aud "+list(az.AllowedAudience))
	}
	if len(az.AllowedClients) > 0 {
		parts = append(parts, "client_id "+list(az.AllowedClients))
	}
	if len(parts) == 0 {
		return "any audience"
	}
	return strings.Join(parts, " and ")
}

// gatewayVerdict says whether the gateway's jwtAuthentication accepts tok, as the proxy decides: iss equals a
// provider's issuer, one aud in its audiences (when it lists any), not expired, signed by a key of its JWKS.
func (st *state) gatewayVerdict(ctx context.Context, c *callerSetup, tok *tokencheck.Token) (ok bool, why string, hint string) {
	var prov *jwtProvider
	for i := range c.providers {
		if c.providers[i].Issuer == tok.Issuer {
			prov = &c.providers[i]
		}
	}
	if prov == nil {
		return false, fmt.Sprintf("iss %q is not the gateway's issuer %s%s", tok.Issuer, quoteList(c.issuers()), slashNote(c.issuers(), tok.Issuer)),
			"The gateway compares iss with its providers' issuers byte for byte: get the token from the identity provider the gateway trusts."
	}
	if len(prov.Audiences) > 0 && !intersects(tok.Audience, prov.Audiences) {
		return false, fmt.Sprintf("aud %s is not in the gateway's audiences %s", list(tok.Audience), list(prov.Audiences)),
			"Ask the identity provider for a token for one of the gateway's audiences."
	}
	if tok.Expired(st.d.deps.Now()) {
		return false, "it expired at " + tok.ExpiresAt.UTC().Format("2006-01-02 15:04:05 UTC"), "Get a fresh token from the identity provider."
	}
	var jwks []byte
	var err error
	src := "jwks.inline"
	if prov.InlineJWKS != "" {
		jwks = []byte(prov.InlineJWKS)
	} else {
		jwks, err = st.callerJWKS.get(ctx)
		src = "the caller identity provider's JWKS"
		if doc, derr := st.callerDiscovery.get(ctx); derr == nil {
			src = doc.JWKSURI
		}
	}
	if err == nil {
		err = tokencheck.VerifySignature(ctx, tok, jwks)
	}
	if err != nil {
		return false, "signature not verified with " + src + ": " + err.Error(), "The gateway verifies with the keys of its provider's JWKS."
	}
	return true, fmt.Sprintf("iss %q, aud %s, signed with kid %s of %s", tok.Issuer, list(tok.Audience), orNone(tok.KeyID), src), ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func (st *state) checkCallerToken(ctx context.Context, c *callerSetup) Outcome {
	rt := st.targetNoun() // "the runtime", or "the AgentCore Gateway"
	tok, err := st.token.get(ctx)
	if errors.Is(err, errNoCallerToken) {
		return skip(noCallerToken)
	}
	if err != nil {
		return fail(err.Error(), "", "")
	}
	ok, why, hint := st.gatewayVerdict(ctx, c, tok)
	if !ok {
		return fail("the gateway refuses this token (401 JwtAuth): "+why, hint, "")
	}
	if c.mode == tokencheck.SourceExchange {
		return pass("the gateway accepts it (%s); AgentCore sees the token exchanged for it (exchange.token)", why)
	}
	az, err := st.authorizer.get(ctx)
	if err != nil {
		return fail("reading "+rt+"'s authorizer: "+err.Error(), "", "")
	}
	doc, derr := st.sig.discovery.get(ctx)
	if derr != nil {
		doc = nil
	}
	if o := runtimeVerdict(ctx, st, tok, az, doc, derr); o != nil {
		o.Detail = "the gateway accepts it (" + why + "), but AgentCore refuses it: " + o.Detail
		return *o
	}
	return pass("the gateway accepts it (%s) and so does "+rt+"'s authorizer (%s)", why, describeAllowed(az))
}

// runtimeVerdict applies the runtime authorizer's rules (tokencheck) and the signature against the runtime's JWKS;
// nil = AgentCore accepts tok, else the first failing rule, named by its check.
func runtimeVerdict(ctx context.Context, st *state, tok *tokencheck.Token, az *tokencheck.Authorizer, doc *tokencheck.Discovery, fetchErr error) *Outcome {
	rt := st.targetNoun() // "the runtime", or "the AgentCore Gateway"
	for _, f := range tokencheck.CheckAuthorizerDiscovery(tok, az, doc, fetchErr) {
		if f.Status == tokencheck.StatusFail {
			o := fail(f.Detail+" (see "+f.ID+")", f.Hint, f.Fix)
			return &o
		}
	}
	if f := pickFinding(tokencheck.CheckToken(tok, st.d.deps.Now()), IDTokenExpired); f.Status == tokencheck.StatusFail {
		o := fail(f.Detail, f.Hint, "")
		return &o
	}
	if doc != nil || st.d.opts.JWKS != nil {
		jwks, err := st.sig.jwks.get(ctx)
		if err == nil {
			err = tokencheck.VerifySignature(ctx, tok, jwks)
		}
		if err != nil {
			o := fail("signature not verified with "+rt+"'s JWKS: "+err.Error(), "AgentCore verifies with the keys of its discovery document's jwks_uri.", "")
			return &o
		}
	}
	return nil
}

func pickFinding(fs []tokencheck.Finding, id string) tokencheck.Finding {
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	return tokencheck.Finding{}
}
