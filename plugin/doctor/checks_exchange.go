package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	corev1 "k8s.io/api/core/v1"
)

// Exchange check ids: the token service the gateway exchanges the caller's token at (RFC 8693). docs/checks.md
// says what each means.
const (
	IDExchangeDiscovery  = "exchange.discovery"
	IDExchangeClientAuth = "exchange.client-auth"
	IDExchangeToken      = "exchange.token"
)

// probeSubjectToken is the subject token exchange.client-auth sends on purpose: not a JWT, so no token service
// can accept it. A token service authenticates the client before it looks at the grant (oidc-provider does, as
// RFC 6749 §5.2's error order suggests): invalid_grant or invalid_request then proves the client authenticated,
// invalid_client that it did not.
const probeSubjectToken = "kubectl-agentcore-doctor.not-a-subject-token"

// exchangeState is what the exchange checks share: the client secret and the one exchange of the caller's token.
type exchangeState struct {
	exchangeSecret *lazy[string]
	exchanged      *lazy[*clientcreds.Result]
}

func (st *state) initExchange() {
	d := st.d
	st.exchangeSecret = newLazy(func(ctx context.Context) (string, error) {
		c, err := st.caller.get(ctx)
		if err != nil {
			return "", err
		}
		ref, key := c.exchangeSecretRef()
		if ref.IsZero() {
			return "", errors.New("no client secret: the policy's oauthTokenExchange.clientAuth has no secretRef and the setup record names no Secret")
		}
		var s *corev1.Secret
		if f := d.deps.fleet; f != nil {
			s, err = f.secret(ctx, d.deps, ref.Namespace, ref.Name)
		} else {
			s, err = k8sres.GetSecret(ctx, d.deps.Kube, ref.Namespace, ref.Name)
		}
		if err != nil {
			return "", err
		}
		v, ok := k8sres.SecretValue(s, key)
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("Secret %s has no key %q (keys %s)", ref, key, strings.Join(secretKeys(s), ", "))
		}
		return strings.TrimSpace(v), nil
	})
	st.exchanged = newLazy(func(ctx context.Context) (*clientcreds.Result, error) {
		raw, err := st.rawToken.get(ctx)
		if err != nil {
			return nil, err
		}
		tok, err := tokencheck.Parse(raw)
		if err != nil {
			return nil, err
		}
		req, err := st.exchangeRequest(ctx, tok.Raw)
		if err != nil {
			return nil, err
		}
		return clientcreds.Exchange(ctx, req)
	})
}

// exchangeSecretRef is the Secret and key of the exchange client's secret: the policy's clientAuth.secretRef, else
// the record's.
func (c *callerSetup) exchangeSecretRef() (Ref, string) {
	if c.exchange != nil && !c.exchange.SecretRef.IsZero() {
		return c.exchange.SecretRef, c.exchange.SecretKey
	}
	if c.record != nil && c.record.ExchangeSecretName != "" {
		return Ref{c.record.Namespace, c.record.ExchangeSecretName}, exchangeSecretKey
	}
	return Ref{}, ""
}

// exchangeClientID is the client the gateway authenticates as: the policy's, else the record's.
func (c *callerSetup) exchangeClientID() string {
	if c.exchange != nil && c.exchange.ClientID != "" {
		return c.exchange.ClientID
	}
	if c.record != nil {
		return c.record.ExchangeClientID
	}
	return ""
}

// exchangeAuthMethod is the policy's clientAuth.method as clientcreds names it ("" = what discovery accepts).
func (c *callerSetup) exchangeAuthMethod() string {
	if c.exchange != nil {
		switch c.exchange.Method {
		case "ClientSecretBasic":
			return clientcreds.AuthBasic
		case "ClientSecretPost":
			return clientcreds.AuthPost
		}
	}
	if c.record != nil {
		return c.record.ExchangeAuthMethod
	}
	return ""
}

// exchangeRequest is the exchange the gateway makes, with subject as the subject token.
func (st *state) exchangeRequest(ctx context.Context, subject string) (clientcreds.ExchangeRequest, error) {
	c, err := st.caller.get(ctx)
	if err != nil {
		return clientcreds.ExchangeRequest{}, err
	}
	secret, err := st.exchangeSecret.get(ctx)
	if err != nil {
		return clientcreds.ExchangeRequest{}, err
	}
	r := clientcreds.ExchangeRequest{Request: clientcreds.Request{DiscoveryURL: c.exchangeDiscoveryURL(), ClientID: c.exchangeClientID(),
		ClientSecret: secret, AuthMethod: c.exchangeAuthMethod(), HTTP: st.d.deps.HTTP}, SubjectToken: subject, SubjectFrom: "--token-file"}
	if aud := c.exchangeAudiences(); len(aud) > 0 {
		r.Audience = aud[0]
	}
	if c.exchange != nil {
		r.Scopes = c.exchange.Scopes
	}
	if len(r.Scopes) == 0 && c.record != nil {
		r.Scopes = c.record.ExchangeScopes
	}
	return r, nil
}

func (d *Doctor) exchangeChecks() []Check {
	st := d.st
	withSetup := func(f func(ctx context.Context, c *callerSetup) Outcome) func(ctx context.Context) Outcome {
		return func(ctx context.Context) Outcome {
			c, err := st.caller.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			if c.mode != tokencheck.SourceExchange {
				return skip("the gateway's policies do not exchange the caller's token (caller.jwt-policy says what they do)")
			}
			return f(ctx, c)
		}
	}
	return []Check{
		{ID: IDExchangeDiscovery, Category: CatExchange, Title: "token service offers token exchange", Deps: []string{IDCallerJWTPolicy}, Run: withSetup(st.checkExchangeDiscovery)},
		{ID: IDExchangeClientAuth, Category: CatExchange, Title: "the gateway's client authenticates", Deps: []string{IDExchangeDiscovery}, Run: withSetup(st.checkExchangeClientAuth)},
		{ID: IDExchangeToken, Category: CatExchange, Title: "exchanged token fits the runtime", Deps: []string{IDExchangeClientAuth, IDCallerToken, IDAuthorizerMode}, Run: withSetup(st.checkExchangeToken)},
	}
}

func (st *state) checkExchangeDiscovery(ctx context.Context, c *callerSetup) Outcome {
	u := c.exchangeDiscoveryURL()
	if u == "" {
		return fail("the token service's discovery URL is not known: no setup record names it and the gateway's provider has no issuer", "", "kubectl agentcore wizard --mode exchange")
	}
	doc, err := st.exchangeDiscovery.get(ctx)
	if err != nil {
		return fail("the token service's discovery document: "+err.Error(), "The gateway's token exchange and doctor find the token endpoint there.", "")
	}
	var notes []string
	switch {
	case len(doc.GrantTypes) == 0:
		return warn(fmt.Sprintf("the discovery document %s has no grant_types_supported: by RFC 8414 that means authorization_code and implicit only, not token exchange", u),
			"Many servers omit the list; exchange.client-auth tries the grant itself.", "")
	case !slices.Contains(doc.GrantTypes, clientcreds.GrantTokenExchange):
		return fail(fmt.Sprintf("the token service %s does not offer token exchange: grant_types_supported is %s, without %s", doc.Issuer, list(doc.GrantTypes), clientcreds.GrantTokenExchange),
			"Enable RFC 8693 token exchange at the token service (or point --exchange-discovery-url at one that has it).", "kubectl agentcore wizard --mode exchange --exchange-discovery-url URL")
	}
	if c.exchange != nil && c.exchange.Path != "" && doc.TokenEndpoint != "" {
		if te, err := url.Parse(doc.TokenEndpoint); err == nil && strings.TrimSuffix(te.Path, "/") != strings.TrimSuffix(c.exchange.Path, "/") {
			return fail(fmt.Sprintf("%s posts token exchanges to path %s of %s, but the token endpoint is %s", policyName(c), c.exchange.Path, c.exchange.Backend, doc.TokenEndpoint),
				"The gateway would get a 404 (or a page) instead of a token. Set oauthTokenExchange.path to the token endpoint's path.", "kubectl agentcore wizard --mode exchange")
		}
		notes = append(notes, "the gateway posts to "+c.exchange.Path)
	}
	if m := c.exchangeAuthMethod(); m != "" && len(doc.AuthMethods) > 0 {
		want := map[string]string{clientcreds.AuthBasic: clientcreds.MethodBasic, clientcreds.AuthPost: clientcreds.MethodPost}[m]
		if want != "" && !slices.Contains(doc.AuthMethods, want) {
			return fail(fmt.Sprintf("the gateway authenticates by %s, but the token service accepts only %s", want, list(doc.AuthMethods)),
				"Set oauthTokenExchange.clientAuth.method to one the token service accepts.", "")
		}
	}
	return pass("%s offers %s at %s%s", doc.Issuer, "token exchange", doc.TokenEndpoint, prefixed("; ", strings.Join(notes, "; ")))
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func (st *state) checkExchangeClientAuth(ctx context.Context, c *callerSetup) Outcome {
	if st.d.opts.Offline {
		return skip("offline: the client secret is in the cluster (run doctor against it)")
	}
	ref, _ := c.exchangeSecretRef()
	if _, err := st.exchangeSecret.get(ctx); err != nil {
		return fail("the token service client's secret: "+err.Error(),
			"The gateway authenticates to the token service with it; while it is missing the policy is PartiallyValid and the exchange fails.",
			fmt.Sprintf("kubectl create secret generic -n %s %s --from-literal=%s=…", ref.Namespace, ref.Name, exchangeSecretKey))
	}
	req, err := st.exchangeRequest(ctx, probeSubjectToken)
	if err != nil {
		return fail(err.Error(), "", "")
	}
	_, err = clientcreds.Exchange(ctx, req)
	switch kind := clientcreds.KindOf(err); {
	case err == nil:
		return fail(fmt.Sprintf("the token service exchanged a subject token that is not a token (%q) for client %s: it does not validate subject tokens", probeSubjectToken, req.ClientID),
			"Anyone holding the client's secret could get tokens for anyone. Configure the token service to verify subject tokens.", "")
	case kind == clientcreds.KindInvalidGrant, kind == clientcreds.KindOAuth && strings.Contains(err.Error(), "invalid_request"):
		return pass("client %s authenticates with the secret in %s: the token service refused only the deliberately invalid subject token (%s)", req.ClientID, ref, oauthCode(err))
	case kind == clientcreds.KindInvalidClient:
		return fail(fmt.Sprintf("the token service refused client %s (invalid_client): the client id or the secret in %s is wrong, or the client may not authenticate this way", req.ClientID, ref),
			"The gateway's exchanges fail the same way: every call gets an error from the gateway, never reaching AgentCore.",
			fmt.Sprintf("kubectl create secret generic -n %s %s --from-literal=%s=… --dry-run=client -o yaml | kubectl apply -f -", ref.Namespace, ref.Name, exchangeSecretKey))
	case kind == clientcreds.KindUnauthorizedClient:
		return fail(err.Error(), "", "")
	default:
		return fail("trying the client with an invalid subject token: "+err.Error(), "doctor expects invalid_grant (the client authenticated, the subject token did not) or invalid_client.", "")
	}
}

func oauthCode(err error) string {
	s := err.Error()
	for _, c := range []string{"invalid_grant", "invalid_request"} {
		if strings.Contains(s, c) {
			return c
		}
	}
	return s
}

func (st *state) checkExchangeToken(ctx context.Context, c *callerSetup) Outcome {
	if st.d.opts.Offline {
		return skip("offline: the exchange needs the client secret from the cluster")
	}
	if _, err := st.rawToken.get(ctx); errors.Is(err, errNoCallerToken) {
		return skip(noCallerToken)
	}
	res, err := st.exchanged.get(ctx)
	if err != nil {
		return fail("exchanging the caller's token: "+err.Error(), "The gateway's exchange of this token fails the same way.", "")
	}
	tok, err := tokencheck.Parse(res.Token)
	if err != nil {
		return fail("the exchanged token: "+err.Error(), "", "")
	}
	az, err := st.authorizer.get(ctx)
	if err != nil {
		return fail("reading the runtime's authorizer: "+err.Error(), "", "")
	}
	if az == nil {
		return skip("the runtime has no JWT authorizer (authorizer.mode says why)")
	}
	doc, derr := st.sig.discovery.get(ctx)
	if derr != nil {
		doc = nil
	}
	act := "no act claim (impersonation, not delegation)"
	if a, ok := tok.Claims["act"].(map[string]any); ok {
		act = fmt.Sprintf("act.sub %v", a["sub"])
	}
	desc := fmt.Sprintf("exchanged for a token from %q, sub %s, aud %s, client_id %s, %s", tok.Issuer, orNone(tok.Subject), list(tok.Audience), orNone(tok.ClientID), act)
	if o := runtimeVerdict(ctx, st, tok, az, doc, derr); o != nil {
		o.Detail = desc + ": AgentCore refuses it: " + strings.Replace(o.Detail, "(see authorizer.", "(the rule of authorizer.", 1)
		return *o
	}
	return pass("%s: the runtime's authorizer accepts it (%s)", desc, describeAllowed(az))
}
