package rotate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// CognitoMinter mints with awsops.Cognito (the real Cognito API, or cognito-local through the standard AWS
// endpoint override).
type CognitoMinter struct {
	Cognito *awsops.Cognito
}

func (m CognitoMinter) MintWithRefresh(ctx context.Context, c Credentials, username string) (Tokens, error) {
	// GetTokensFromRefreshToken works whether or not the app client rotates refresh tokens (InitiateAuth
	// REFRESH_TOKEN_AUTH is refused when it does; docs/facts.md#cognito).
	t, err := m.Cognito.MintWithRefresh(ctx, awsops.MintRequest{PoolID: c.UserPoolID, ClientID: c.ClientID,
		ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken, CognitoUsername: username, UseGetTokensFromRefreshToken: true})
	return Tokens{IDToken: t.IDToken, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: t.ExpiresIn}, unreachable("refreshing the token", err)
}

func (m CognitoMinter) MintWithPassword(ctx context.Context, c Credentials) (Tokens, error) {
	t, err := m.Cognito.MintWithPassword(ctx, awsops.MintRequest{PoolID: c.UserPoolID, ClientID: c.ClientID,
		ClientSecret: c.ClientSecret, Username: c.Username, Password: c.Password})
	return Tokens{IDToken: t.IDToken, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: t.ExpiresIn}, unreachable("minting a token for "+strconv.Quote(c.Username), err)
}

// unreachable shortens the SDK's "operation error …, exceeded maximum number of attempts, … dial tcp …:
// connection refused" into one line that says Cognito could not be reached.
func unreachable(what string, err error) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	s := err.Error()
	reason := ""
	for _, r := range []string{"connection refused", "no such host", "i/o timeout", "network is unreachable", "connection reset", "TLS handshake timeout"} {
		if strings.Contains(s, r) {
			reason = r
			break
		}
	}
	if reason == "" && errors.As(err, &ne) && ne.Timeout() {
		reason = "timeout"
	}
	if reason == "" {
		return err
	}
	return &unreachableError{fmt.Sprintf("%s: Cognito is unreachable (%s). Check the network and the region (or AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER)", what, reason), err}
}

// ErrUnreachable is matched (errors.Is) by mint errors that never reached Cognito.
var ErrUnreachable = errors.New("cognito unreachable")

type unreachableError struct {
	msg string
	err error
}

func (e *unreachableError) Error() string        { return e.msg }
func (e *unreachableError) Unwrap() error        { return e.err }
func (e *unreachableError) Is(target error) bool { return target == ErrUnreachable }

// AuthorizerValidator validates a token as the runtime's JWT authorizer would (tokencheck): it parses, its
// signature verifies against the keys of the authorizer's discovery document, and every authorizer check
// (issuer, audience, client, scope, custom claims) passes. The discovery document and JWKS are cached for
// CacheFor (a watch loop does not refetch them every hour), and refetched once when a kid is unknown.
type AuthorizerValidator struct {
	Authorizer *tokencheck.Authorizer
	// Of names what the authorizer guards in messages ("" = "the runtime"; "the AgentCore Gateway").
	Of       string
	Client   *http.Client
	CacheFor time.Duration // 0 = 1 hour

	mu      sync.Mutex
	disc    *tokencheck.Discovery
	jwks    []byte
	fetched time.Time
}

func (v *AuthorizerValidator) keys(ctx context.Context, refresh bool) (*tokencheck.Discovery, []byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ttl := v.CacheFor
	if ttl <= 0 {
		ttl = time.Hour
	}
	if !refresh && v.disc != nil && time.Since(v.fetched) < ttl {
		return v.disc, v.jwks, nil
	}
	d, err := tokencheck.FetchDiscovery(ctx, v.Client, v.Authorizer.DiscoveryURL)
	if err != nil {
		return nil, nil, err
	}
	jwks, err := tokencheck.FetchJWKS(ctx, v.Client, d.JWKSURI)
	if err != nil {
		return nil, nil, err
	}
	v.disc, v.jwks, v.fetched = d, jwks, time.Now()
	return d, jwks, nil
}

// CheckedAgainst is the issuer and jwks_uri of the discovery document the last token was checked with.
func (v *AuthorizerValidator) CheckedAgainst() (issuer, jwksURI string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.disc == nil {
		return "", ""
	}
	return v.disc.Issuer, v.disc.JWKSURI
}

// Validate returns the token's expiry, or why the runtime would refuse it.
func (v *AuthorizerValidator) Validate(ctx context.Context, token string) (time.Time, error) {
	of := cmp.Or(v.Of, "the runtime")
	if v.Authorizer == nil {
		return time.Time{}, fmt.Errorf("%s has no JWT authorizer (IAM only or none): a bearer token would be refused. Set one with kubectl agentcore wizard", of)
	}
	tok, err := tokencheck.Parse(token)
	if err != nil {
		return time.Time{}, fmt.Errorf("it does not parse: %w", err)
	}
	d, jwks, err := v.keys(ctx, false)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot verify its signature: %w", err)
	}
	if err := tokencheck.VerifySignature(ctx, tok, jwks); err != nil {
		// The pool's keys may have rotated since they were cached: refetch once.
		d2, jwks2, ferr := v.keys(ctx, true)
		if ferr != nil || tokencheck.VerifySignature(ctx, tok, jwks2) != nil {
			return time.Time{}, fmt.Errorf("its signature does not verify against %s: %w", d.JWKSURI, err)
		}
		d = d2
	}
	var fails []string
	for _, f := range tokencheck.CheckAuthorizer(tok, v.Authorizer, d.Issuer) {
		if f.Status == tokencheck.StatusFail {
			fails = append(fails, f.ID+": "+strings.TrimRight(f.Detail, "."))
		}
	}
	if len(fails) > 0 {
		return time.Time{}, fmt.Errorf("%s's authorizer would refuse it (%s)", of, strings.Join(fails, "; "))
	}
	if tok.ExpiresAt == nil {
		return time.Time{}, errors.New("it has no exp claim")
	}
	return *tok.ExpiresAt, nil
}

// ImpliedAuthorizer is the authorizer a Cognito setup configures when the runtime's own cannot be read:
// allowedAudience=[client] for ID tokens, allowedClients=[client] for access tokens (docs/facts.md#jwt-authorizer).
func ImpliedAuthorizer(discoveryURL, clientID, tokenUse string, audience []string) *tokencheck.Authorizer {
	az := &tokencheck.Authorizer{DiscoveryURL: discoveryURL}
	if tokenUse == TokenUseAccess {
		az.AllowedClients = []string{clientID}
		return az
	}
	if len(audience) > 0 {
		az.AllowedAudience = audience
	} else {
		az.AllowedAudience = []string{clientID}
	}
	return az
}
