package doctor

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// Token and authorizer check ids (the rules live in plugin/tokencheck).
const (
	IDTokenMalformed   = "token.malformed"
	IDTokenExpired     = "token.expired"
	IDTokenExpiring    = "token.expiring"
	IDTokenNotYetValid = "token.not-yet-valid"
	IDTokenSignature   = "token.signature"

	IDAuthorizerMode         = "authorizer.mode"
	IDAuthorizerDiscoveryURL = "authorizer.discovery-url"
	IDAuthorizerIssuer       = "authorizer.issuer"
	IDAuthorizerAudience     = "authorizer.audience"
	IDAuthorizerClient       = "authorizer.client"
	IDAuthorizerScope        = "authorizer.scope"
	IDAuthorizerClaims       = "authorizer.claims"

	IDAuthorizerWorkload        = "authorizer.workload"
	IDAuthorizerRequestHeaders  = "authorizer.request-headers"
	IDAuthorizerPrivateEndpoint = "authorizer.private-endpoint"
)

func fromFinding(f tokencheck.Finding) Outcome {
	return Outcome{Status: Status(f.Status), Detail: f.Detail, Hint: f.Hint, Fix: f.Fix}
}

func pick(fs []tokencheck.Finding, id string) Outcome {
	for _, f := range fs {
		if f.ID == id {
			return fromFinding(f)
		}
	}
	return fail("internal error: tokencheck gave no "+id+" finding", "this is a bug in kubectl-agentcore", "")
}

// sigState is the discovery document and JWKS, fetched once per run.
type sigState struct {
	discovery *lazy[*tokencheck.Discovery]
	jwks      *lazy[[]byte]
}

func newSigState(st *state) *sigState {
	d := st.d
	s := &sigState{}
	s.discovery = newLazy(func(ctx context.Context) (*tokencheck.Discovery, error) {
		if d.opts.DiscoveryDoc != nil {
			doc, err := tokencheck.ParseDiscovery(d.opts.DiscoveryDoc)
			if err != nil {
				return nil, &tokencheck.FetchError{What: "discovery file", URL: "--discovery-file", Reason: err.Error(), Err: err}
			}
			doc.URL = "--discovery-file"
			return doc, nil
		}
		u := ""
		if az, err := st.authorizer.get(ctx); err == nil && az != nil && tokencheck.DiscoveryURLValid(az.DiscoveryURL) {
			u = az.DiscoveryURL
		} else if tok, err := st.token.get(ctx); err == nil && tok.Issuer != "" {
			u = tokencheck.DiscoveryURLFor(tok.Issuer)
		}
		if u == "" {
			return nil, errors.New("no discovery URL: the runtime has no JWT authorizer and the token has no iss")
		}
		return st.fetchDiscovery(ctx, u)
	})
	s.jwks = newLazy(func(ctx context.Context) ([]byte, error) {
		if d.opts.JWKS != nil {
			return d.opts.JWKS, nil
		}
		doc, err := s.discovery.get(ctx)
		if err != nil {
			return nil, err
		}
		return st.fetchJWKS(ctx, doc.JWKSURI)
	})
	return s
}

func (d *Doctor) tokenChecks() []Check {
	st := d.st
	var first []string
	switch {
	case !d.opts.Offline && d.planMode() != "":
		first = []string{IDResourcesSetup} // the caller's token, from --token-file / --token-from or none
	case !d.opts.Offline && d.opts.Token == "":
		first = []string{IDSecretJWT}
	}
	after := []string{IDTokenMalformed}
	window := func(id string) func(ctx context.Context) Outcome {
		return func(ctx context.Context) Outcome {
			tok, err := st.token.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			return st.fitIdentity(ctx, id, pick(tokencheck.CheckToken(tok, d.deps.Now()), id))
		}
	}
	cs := []Check{
		{ID: IDTokenMalformed, Category: CatToken, Title: "decodes", Deps: first, Run: func(ctx context.Context) Outcome {
			tok, err := st.token.get(ctx)
			if errors.Is(err, errNoCallerToken) {
				return skip(noCallerToken)
			}
			if err != nil {
				hint := "The token must be a compact JWT: three base64url parts (header, claims, signature) separated by dots."
				if me := (*tokencheck.MalformedError)(nil); errors.As(err, &me) && me.Hint != "" {
					hint = me.Hint
				}
				return fail(err.Error(), hint, "kubectl agentcore rotate")
			}
			kid := tok.KeyID
			if kid == "" {
				kid = "none"
			}
			o := pass("%s from %s (%s, kid %s)", tok.Kind.Describe(), tok.Issuer, tok.Alg, kid)
			// A value from --token-file is named as doctor names the Secret's (secret.bearer-form reports those).
			if d.opts.Token != "" && len(tok.Slips) > 0 {
				o = warn(tok.Slips[0].Detail+"; it decodes: "+o.Detail, tok.Slips[0].Hint, "")
			}
			return o
		}},
		{ID: IDTokenExpired, Category: CatToken, Title: "not expired", Deps: after, Run: window(IDTokenExpired)},
		{ID: IDTokenExpiring, Category: CatToken, Title: "time left", Deps: after, Run: window(IDTokenExpiring)},
		{ID: IDTokenNotYetValid, Category: CatToken, Title: "valid now", Deps: after, Run: window(IDTokenNotYetValid)},
		{ID: IDTokenSignature, Category: CatToken, Title: "signature", Deps: after, Run: func(ctx context.Context) Outcome {
			tok, err := st.token.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			if st.mode(ctx) == tokencheck.SourceExchange {
				// The caller's token is checked against its own identity provider; the runtime sees another token.
				v := tokencheck.Verification{}
				v.Discovery, v.Err = st.callerDiscovery.get(ctx)
				if v.Err != nil {
					v.Stage = "discovery"
					return fromFinding(tokencheck.SignatureFinding(tok, v))
				}
				v.JWKSURI = v.Discovery.JWKSURI
				jwks, err := st.callerJWKS.get(ctx)
				switch {
				case err != nil:
					v.Stage, v.Err = "jwks", err
				case tokencheck.VerifySignature(ctx, tok, jwks) != nil:
					v.Stage, v.Err = "signature", tokencheck.VerifySignature(ctx, tok, jwks)
				default:
					v.Verified = true
				}
				return fromFinding(tokencheck.SignatureFinding(tok, v))
			}
			v := tokencheck.Verification{}
			v.Discovery, v.Err = st.sig.discovery.get(ctx)
			if d.opts.JWKS != nil {
				v.Err = nil
			}
			if v.Err != nil {
				v.Stage = "discovery"
			} else {
				var jwks []byte
				jwks, v.Err = st.sig.jwks.get(ctx)
				v.JWKSURI = "--jwks-file"
				if d.opts.JWKS == nil && v.Discovery != nil {
					v.JWKSURI = v.Discovery.JWKSURI
				}
				if v.Err != nil {
					v.Stage = "jwks"
				} else if v.Err = tokencheck.VerifySignature(ctx, tok, jwks); v.Err != nil {
					v.Stage = "signature"
				} else {
					v.Verified = true
				}
			}
			if !v.Verified && (v.Stage == "discovery" || v.Stage == "jwks") {
				if az, err := st.authorizer.get(ctx); err == nil && az.Private() {
					return warn("cannot be verified from this machine ("+v.Err.Error()+"): the identity provider is private, AgentCore reaches it through "+tokencheck.DescribePrivateEndpoint(az.PrivateEndpoint),
						"Pass --discovery-file and --jwks-file saved inside the VPC to verify the signature here.", "")
				}
			}
			return fromFinding(tokencheck.SignatureFinding(tok, v))
		}},
	}
	if !d.opts.Offline && d.opts.Token == "" && d.planMode() == "" {
		cs = append(cs, d.renewalCheck()) // the Secret's token, from a setup record
	}
	return cs
}

func (d *Doctor) authorizerChecks() []Check {
	st := d.st
	var modeDeps []string
	switch {
	case d.opts.Offline:
	case d.opts.AuthorizerSet:
		modeDeps = []string{IDResourcesSetup}
	case d.gatewayTarget():
		modeDeps = []string{IDAgentCoreGatewayReady}
	default:
		modeDeps = []string{IDRuntimeARN}
	}
	tokDeps := []string{IDAuthorizerMode, IDTokenMalformed}
	// findings applies tokencheck's rules with what is known; withDiscovery waits for the discovery document.
	findings := func(ctx context.Context, withDiscovery bool) ([]tokencheck.Finding, error) {
		az, err := st.authorizer.get(ctx)
		if err != nil {
			return nil, err
		}
		tok, terr := st.token.get(ctx)
		if terr != nil {
			tok = nil
		}
		var doc *tokencheck.Discovery
		var fetchErr error
		if withDiscovery && az != nil && tokencheck.DiscoveryURLValid(az.DiscoveryURL) {
			doc, fetchErr = st.sig.discovery.get(ctx)
		}
		return tokencheck.CheckAuthorizerDiscovery(tok, az, doc, fetchErr), nil
	}
	run := func(id string, withDiscovery bool) func(ctx context.Context) Outcome {
		return func(ctx context.Context) Outcome {
			if id != IDAuthorizerDiscoveryURL && st.mode(ctx) == tokencheck.SourceExchange {
				return skip("exchange: AgentCore sees the token exchanged for the caller's, not the caller's own (exchange.token checks it)")
			}
			fs, err := findings(ctx, withDiscovery)
			if err != nil {
				return fail("reading the runtime's authorizer: "+err.Error(), "", "")
			}
			return st.fitIdentity(ctx, id, pick(fs, id))
		}
	}
	// settings applies the checks of the runtime's settings around the authorizer.
	settings := func(id string, withDiscovery bool) func(ctx context.Context) Outcome {
		return func(ctx context.Context) Outcome {
			if id == IDAuthorizerRequestHeaders && d.opts.AgentCoreGateway != "" {
				return skip("the target is an AgentCore Gateway (MCP): requestHeaderConfiguration is a runtime setting, and the AgentCore Gateway, not an agent, receives the token")
			}
			az, err := st.authorizer.get(ctx)
			if err != nil {
				return fail("reading the runtime's authorizer: "+err.Error(), "", "")
			}
			rs, _ := st.settings.get(ctx)
			src, _ := st.tokenSource.get(ctx)
			var doc *tokencheck.Discovery
			if withDiscovery && az != nil && (az.Private() || d.opts.DiscoveryDoc != nil) {
				doc, _ = st.sig.discovery.get(ctx)
			}
			return pick(tokencheck.CheckAuthorizerSettings(az, rs, src, doc, awsops.LocalEndpoint(d.deps.AgentCore)), id)
		}
	}
	return []Check{
		{ID: IDAuthorizerMode, Category: CatAuthorizer, Title: "JWT authorizer", Deps: modeDeps, Run: func(ctx context.Context) Outcome {
			az, err := st.authorizer.get(ctx)
			if err != nil {
				return fail("reading the runtime's authorizer: "+err.Error(), "doctor reads it with GetAgentRuntime (needs bedrock-agentcore:GetAgentRuntime); or pass --authorizer-file with the authorizerConfiguration JSON.", "")
			}
			if d.gatewayTarget() && !d.opts.AuthorizerSet {
				g, err := st.agentCoreGateway.get(ctx)
				if err != nil {
					return fail("reading the AgentCore Gateway's authorizer: "+err.Error(), "doctor reads it with GetGateway (needs bedrock-agentcore:GetGateway).", "")
				}
				t, _ := st.target.get(ctx)
				if o := gatewayModeOutcome(g, t != nil && t.mode == modeSigV4); o != nil {
					return *o
				}
			} else if !d.opts.Offline {
				if t, err := st.target.get(ctx); err == nil && t.mode == modeSigV4 {
					if az == nil {
						return pass("IAM (SigV4) only, as the sigv4 setup needs")
					}
					return fail(fmt.Sprintf("the runtime has a JWT authorizer (%s) but the gateway signs with SigV4: AgentCore answers 403 Authorization method mismatch", az.DiscoveryURL),
						"Either remove the runtime's authorizer, or give the gateway a bearer token (rewrite or native mode).", "kubectl agentcore wizard --mode native")
				}
			}
			fs := tokencheck.CheckAuthorizerDiscovery(nil, az, nil, nil)
			return pick(fs, IDAuthorizerMode)
		}},
		{ID: IDAuthorizerDiscoveryURL, Category: CatAuthorizer, Title: "discovery URL", Deps: []string{IDAuthorizerMode}, Run: run(IDAuthorizerDiscoveryURL, true)},
		{ID: IDAuthorizerIssuer, Category: CatAuthorizer, Title: "issuer", Deps: []string{IDAuthorizerDiscoveryURL, IDTokenMalformed}, Run: run(IDAuthorizerIssuer, true)},
		{ID: IDAuthorizerAudience, Category: CatAuthorizer, Title: "audience", Deps: tokDeps, Run: run(IDAuthorizerAudience, false)},
		{ID: IDAuthorizerClient, Category: CatAuthorizer, Title: "client", Deps: tokDeps, Run: run(IDAuthorizerClient, false)},
		{ID: IDAuthorizerScope, Category: CatAuthorizer, Title: "scope", Deps: tokDeps, Run: run(IDAuthorizerScope, false)},
		{ID: IDAuthorizerClaims, Category: CatAuthorizer, Title: "custom claims", Deps: tokDeps, Run: run(IDAuthorizerClaims, false)},
		{ID: IDAuthorizerWorkload, Category: CatAuthorizer, Title: "allowed workloads", Deps: []string{IDAuthorizerMode}, Run: settings(IDAuthorizerWorkload, false)},
		{ID: IDAuthorizerRequestHeaders, Category: CatAuthorizer, Title: "headers the agent sees", Deps: []string{IDAuthorizerMode}, Run: settings(IDAuthorizerRequestHeaders, false)},
		{ID: IDAuthorizerPrivateEndpoint, Category: CatAuthorizer, Title: "private identity provider", Deps: []string{IDAuthorizerMode}, Run: settings(IDAuthorizerPrivateEndpoint, true)},
	}
}
