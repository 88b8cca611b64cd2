// Package clientcreds gets access tokens at an OAuth 2.0 token endpoint: by the client-credentials grant (RFC 6749
// §4.4, Mint) for a machine identity (Auth0, Okta, Entra ID, a Cognito app client with a domain, any OpenID
// provider), or by token exchange (RFC 8693, Exchange) of a caller's token for one another audience accepts. The
// token endpoint and the client authentication methods it accepts come from the discovery document (or the token
// URL is given). Every failure is one sentence that names the cause (invalid_client, invalid_scope, invalid_grant,
// an unknown audience, the grant not enabled, an HTML page, TLS, DNS, timeout) and never contains the client
// secret or the subject token. No UI here. docs/client-credentials.md describes what each provider expects.
package clientcreds

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// Client authentication methods: the flag values and their RFC 7591 names.
const (
	AuthBasic = "basic"
	AuthPost  = "post"

	MethodBasic = "client_secret_basic"
	MethodPost  = "client_secret_post"
)

// DefaultTimeout bounds one mint (discovery + token request) when the context has no earlier deadline.
const DefaultTimeout = 30 * time.Second

// Request says how to mint. ClientSecret is secret: it never appears in an error or a result.
type Request struct {
	// DiscoveryURL (…/.well-known/openid-configuration) gives the token endpoint and the accepted client
	// authentication methods; or TokenURL names the endpoint directly.
	DiscoveryURL string `json:"discoveryUrl,omitempty"`
	TokenURL     string `json:"tokenUrl,omitempty"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"-"`
	// Audience is sent as audience (Auth0) and, when the discovery document advertises resource indicators, as
	// resource (RFC 8707).
	Audience string   `json:"audience,omitempty"`
	Scopes   []string `json:"scopes,omitempty"`
	// AuthMethod is AuthBasic, AuthPost or "" (what the discovery document accepts, basic first).
	AuthMethod string `json:"authMethod,omitempty"`

	// HTTP is the client for discovery and the token request (nil: a default one).
	HTTP *http.Client `json:"-"`

	// SecretFrom names where ClientSecret came from, for the invalid_client hint (default: the flag
	// --client-secret-from); AuthMethodFlag is what chooses the client authentication method (default
	// --auth-method). A command that read them elsewhere (rotate: the setup's credentials Secret and record) says so.
	SecretFrom     string `json:"-"`
	AuthMethodFlag string `json:"-"`
}

// Result is a minted token with how it was obtained. Token is secret: print it only through redact.Token
// unless asked for explicitly.
type Result struct {
	Token     string        `json:"-"`
	TokenType string        `json:"tokenType,omitempty"`
	ExpiresIn time.Duration `json:"-"`
	Scope     string        `json:"scope,omitempty"`
	TokenURL  string        `json:"tokenUrl"`
	// AuthMethod is the RFC 7591 name of the method used.
	AuthMethod   string `json:"authMethod"`
	ClientID     string `json:"clientId"`
	Audience     string `json:"audience,omitempty"`
	SentResource bool   `json:"sentResource,omitempty"`
	// Resource was sent as resource by Exchange.
	Resource string `json:"resource,omitempty"`
	// SubjectTokenType and IssuedTokenType are a token exchange's (RFC 8693 §2.1, §2.2.1).
	SubjectTokenType string `json:"subjectTokenType,omitempty"`
	IssuedTokenType  string `json:"issuedTokenType,omitempty"`
	// Discovery is the document read (nil with a token URL).
	Discovery *tokencheck.Discovery `json:"-"`
}

// Error kinds, for callers that react to a cause (the wizard, doctor hints) and for tests.
const (
	KindInvalidClient      = "invalid_client"
	KindInvalidScope       = "invalid_scope"
	KindAccessDenied       = "access_denied"
	KindUnknownAudience    = "unknown_audience"
	KindUnauthorizedClient = "unauthorized_client"
	KindInvalidGrant       = "invalid_grant"
	KindHTML               = "html"
	KindNetwork            = "network"
	KindDiscovery          = "discovery"
	KindNotJWT             = "not_jwt"
	KindOAuth              = "oauth"
)

// Error is a mint failure: Msg is one line, "<why>. <what to do next>", without the client secret.
type Error struct {
	Kind string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// KindOf is the kind of a mint error ("" when err is not one).
func KindOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// Validate checks a request before any network call.
func (r Request) Validate() error {
	switch {
	case r.DiscoveryURL == "" && r.TokenURL == "":
		return errors.New("give the identity provider's --discovery-url or its --token-url")
	case r.DiscoveryURL != "" && r.TokenURL != "":
		return errors.New("--discovery-url and --token-url both name the token endpoint: give one")
	case r.ClientID == "":
		return errors.New("--client-id is required")
	case r.AuthMethod != "" && r.AuthMethod != AuthBasic && r.AuthMethod != AuthPost:
		return fmt.Errorf("--auth-method %q: use basic or post", r.AuthMethod)
	}
	for _, u := range []string{r.DiscoveryURL, r.TokenURL} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return fmt.Errorf("%q is not an http(s) URL", u)
		}
	}
	if r.DiscoveryURL != "" && !tokencheck.DiscoveryURLValid(r.DiscoveryURL) {
		return fmt.Errorf("--discovery-url %q must end in /.well-known/openid-configuration", r.DiscoveryURL)
	}
	return nil
}

// Mint gets a token by client credentials. The secret is needed; an empty one is an error.
func Mint(ctx context.Context, r Request) (*Result, error) {
	return tokenRequest(ctx, r, grant{name: "client-credentials", params: func(res *Result) url.Values {
		params := url.Values{}
		if r.Audience != "" {
			params.Set("audience", r.Audience)
			if res.Discovery != nil && res.Discovery.ResourceIndicators {
				params.Set("resource", r.Audience)
				res.SentResource = true
			}
		}
		return params
	}})
}

// grant is what one token request asks for beyond the client: Mint's client credentials or Exchange's RFC 8693.
type grant struct {
	// name is how messages call it ("client-credentials", "token-exchange").
	name string
	// params are the request's form parameters besides the client and scope (grant_type overrides the
	// client-credentials one); they may note what they sent in the result (the discovery document is read).
	params func(res *Result) url.Values
	// hide are further secrets no message may contain (the subject token).
	hide []string
	// subject is the subject token source's flag for messages ("" for client credentials).
	subject string
}

// tokenRequest is the one token request of Mint and Exchange: discovery, the client authentication method, the
// POST (by golang.org/x/oauth2, with its transport), the error explanation and the JWT check of the answer.
func tokenRequest(ctx context.Context, r Request, g grant) (*Result, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.ClientSecret == "" {
		return nil, &Error{Kind: KindInvalidClient, Msg: "the client secret is empty. Check where --client-secret-from points"}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	hc := r.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	hide := append([]string{r.ClientSecret}, g.hide...)
	res := &Result{TokenURL: r.TokenURL, ClientID: r.ClientID, Audience: r.Audience}
	accepted := []string(nil)
	if r.DiscoveryURL != "" {
		d, err := tokencheck.FetchDiscovery(ctx, hc, r.DiscoveryURL)
		if err != nil {
			return nil, &Error{Kind: KindDiscovery, Msg: redact.Strings(err.Error(), hide...) + ". Check --discovery-url (or give --token-url)", Err: err}
		}
		if d.TokenEndpoint == "" {
			return nil, &Error{Kind: KindDiscovery, Msg: fmt.Sprintf("discovery document %s has no token_endpoint. Give --token-url", r.DiscoveryURL)}
		}
		res.Discovery, res.TokenURL, accepted = d, d.TokenEndpoint, d.AuthMethods
	}
	method, err := chooseMethod(r.AuthMethod, accepted, r.DiscoveryURL)
	if err != nil {
		return nil, err
	}
	res.AuthMethod = method

	cfg := clientcredentials.Config{ClientID: r.ClientID, ClientSecret: r.ClientSecret, TokenURL: res.TokenURL,
		Scopes: r.Scopes, EndpointParams: g.params(res), AuthStyle: oauth2.AuthStyleInHeader}
	if method == MethodPost {
		cfg.AuthStyle = oauth2.AuthStyleInParams
	}
	rec := &recorder{next: hc.Transport}
	rc := *hc
	rc.Transport = rec
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, &rc))
	if err != nil {
		return nil, explain(ctx, err, rec.last(), r, res, g, hide)
	}
	res.Token, res.TokenType, res.Scope = tok.AccessToken, tok.TokenType, fmt.Sprint(orEmpty(tok.Extra("scope")))
	if s, ok := tok.Extra("issued_token_type").(string); ok {
		res.IssuedTokenType = s
	}
	if s, ok := tok.Extra("expires_in").(float64); ok {
		res.ExpiresIn = time.Duration(s) * time.Second
	}
	if _, perr := tokencheck.Parse(tok.AccessToken); perr != nil {
		return nil, &Error{Kind: KindNotJWT, Msg: fmt.Sprintf("the token endpoint %s returned an access token that is not a JWT (%s): AgentCore's JWT authorizer needs one. %s",
			res.TokenURL, strings.TrimRight(redact.Strings(perr.Error(), hide...), "."), notJWTHint(r, g)), Err: perr}
	}
	return res, nil
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func notJWTHint(r Request, g grant) string {
	if g.subject != "" {
		return "Ask the token service for a JWT (--audience of an API it issues JWTs for)"
	}
	if r.Audience == "" {
		return "Ask for a token for an API with --audience (Auth0 and oidc-provider issue opaque tokens without one)"
	}
	return "Configure the API (audience " + r.Audience + ") to issue JWT access tokens"
}

// chooseMethod picks the client authentication: the flag, else what the discovery document accepts (basic first;
// RFC 8414's default is basic when the document does not say).
func chooseMethod(flag string, accepted []string, discoveryURL string) (string, error) {
	want := map[string]string{AuthBasic: MethodBasic, AuthPost: MethodPost}[flag]
	if want != "" {
		if len(accepted) > 0 && !slices.Contains(accepted, want) {
			return "", &Error{Kind: KindInvalidClient, Msg: fmt.Sprintf("--auth-method %s: the discovery document %s accepts only %s. Use --auth-method %s",
				flag, discoveryURL, strings.Join(accepted, ", "), shortMethod(accepted))}
		}
		return want, nil
	}
	switch {
	case len(accepted) == 0, slices.Contains(accepted, MethodBasic):
		return MethodBasic, nil
	case slices.Contains(accepted, MethodPost):
		return MethodPost, nil
	}
	return "", &Error{Kind: KindInvalidClient, Msg: fmt.Sprintf("the discovery document %s accepts neither client_secret_basic nor client_secret_post (only %s): a client secret cannot authenticate there",
		discoveryURL, strings.Join(accepted, ", "))}
}

func shortMethod(accepted []string) string {
	if slices.Contains(accepted, MethodBasic) {
		return AuthBasic
	}
	return AuthPost
}

// explain turns a token-request failure into one line.
func explain(ctx context.Context, err error, resp *seen, r Request, res *Result, g grant, hide []string) error {
	where := "the token endpoint " + res.TokenURL
	clean := func(s string) string { return strings.TrimRight(redact.Strings(oneLine(s), hide...), ". ") }
	if resp != nil && resp.html {
		return &Error{Kind: KindHTML, Err: err, Msg: fmt.Sprintf("%s answered HTTP %d with an HTML page, not JSON (a login page, a proxy or the wrong URL?). Check the URL: it must be the OAuth token endpoint (…/oauth2/token, …/oauth/token, …/v1/token)",
			where, resp.status)}
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if resp == nil {
			return &Error{Kind: KindNetwork, Err: err, Msg: fmt.Sprintf("%s: %s. Check the URL and the network", where, clean(tokencheck.NetReason(ctx, err)))}
		}
		return &Error{Kind: KindOAuth, Err: err, Msg: fmt.Sprintf("%s answered without an access token (%s). Check the URL", where, clean(strings.TrimPrefix(err.Error(), "oauth2: ")))}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	desc := ""
	if re.ErrorDescription != "" {
		desc = ": " + clean(re.ErrorDescription)
	}
	sayMethod := map[string]string{MethodBasic: "HTTP Basic (client_secret_basic)", MethodPost: "the form (client_secret_post)"}[res.AuthMethod]
	other := map[string]string{MethodBasic: AuthPost, MethodPost: AuthBasic}[res.AuthMethod]
	switch code := re.ErrorCode; {
	case code == "invalid_client":
		return &Error{Kind: KindInvalidClient, Err: err, Msg: fmt.Sprintf("%s refused client %s (invalid_client%s): the client id or secret is wrong, or the client may not authenticate by %s. Check %s, or try %s %s",
			where, r.ClientID, desc, sayMethod, cmp.Or(r.SecretFrom, "the secret behind --client-secret-from"), cmp.Or(r.AuthMethodFlag, "--auth-method"), other)}
	case code == "invalid_scope":
		if len(r.Scopes) == 0 {
			return &Error{Kind: KindInvalidScope, Err: err, Msg: fmt.Sprintf("%s refused the request (invalid_scope%s): this server needs a scope when it has no default (Okta does). Pass --scope with one of the API's scopes",
				where, desc)}
		}
		return &Error{Kind: KindInvalidScope, Err: err, Msg: fmt.Sprintf("%s refused scope %s (invalid_scope%s): the client may not ask for it, or the server does not know it. Check --scope against the scopes granted to client %s",
			where, strings.Join(r.Scopes, " "), desc, r.ClientID)}
	case code == "access_denied" && strings.Contains(re.ErrorDescription, "Service not enabled"),
		code == "invalid_target", code == "invalid_resource":
		return &Error{Kind: KindUnknownAudience, Err: err, Msg: fmt.Sprintf("%s does not know audience %q (%s%s). Pass --audience with the API identifier exactly as the identity provider shows it",
			where, cmp.Or(res.Resource, res.Audience), code, desc)}
	case code == "access_denied":
		return &Error{Kind: KindAccessDenied, Err: err, Msg: fmt.Sprintf("%s denied client %s (access_denied%s): the client is not authorized for this API or scope. Grant it access to the API (Auth0: the API's Machine to Machine Applications tab), or check --audience",
			where, r.ClientID, desc)}
	case (code == "unauthorized_client" || code == "unsupported_grant_type" ||
		code == "invalid_request" && strings.Contains(re.ErrorDescription, "grant type")) && g.subject != "":
		return &Error{Kind: KindUnauthorizedClient, Err: err, Msg: fmt.Sprintf("%s: client %s may not use the token-exchange grant (%s%s). Enable token exchange (%s) for this client at the token service, and check that its discovery document lists it in grant_types_supported",
			where, r.ClientID, code, desc, GrantTokenExchange)}
	case code == "unauthorized_client", code == "unsupported_grant_type",
		code == "invalid_request" && strings.Contains(re.ErrorDescription, "grant type"):
		return &Error{Kind: KindUnauthorizedClient, Err: err, Msg: fmt.Sprintf("%s: client %s may not use the client-credentials grant (%s%s). Enable client_credentials for this client (a machine-to-machine application) at the identity provider",
			where, r.ClientID, code, desc)}
	case code == "invalid_grant" && g.subject != "":
		return &Error{Kind: KindInvalidGrant, Err: err, Msg: fmt.Sprintf("%s refused the subject token (invalid_grant%s): it is expired, malformed, or not issued by an issuer this token service trusts. Inspect the token behind %s with `kubectl agentcore token inspect`",
			where, desc, g.subject)}
	case code != "":
		return &Error{Kind: KindOAuth, Err: err, Msg: fmt.Sprintf("%s refused the request (%s%s)", where, code, desc)}
	}
	body := clean(string(bytes.TrimSpace(truncate(re.Body, 200))))
	if body == "" {
		body = "empty body"
	}
	return &Error{Kind: KindOAuth, Err: err, Msg: fmt.Sprintf("%s answered HTTP %d without an OAuth error (%s). Check the URL", where, status, body)}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return append(b[:n:n], "…"...)
	}
	return b
}

// recorder remembers the last token-endpoint answer's status and whether it was HTML (oauth2 hides both when a
// 200 page has no access_token).
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	resp *seen
}

type seen struct {
	status int
	html   bool
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	head := make([]byte, 512)
	n, _ := io.ReadFull(resp.Body, head)
	head = head[:n]
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	r.mu.Lock()
	r.resp = &seen{status: resp.StatusCode, html: ct == "text/html" || bytes.HasPrefix(bytes.TrimSpace(head), []byte("<"))}
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) last() *seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resp
}
