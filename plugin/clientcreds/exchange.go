package clientcreds

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// RFC 8693 names: the grant and the token types a subject or an issued token may have.
const (
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT       = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeID        = "urn:ietf:params:oauth:token-type:id_token"
)

// tokenTypes are the short names accepted for a token type ("access_token" for the URN).
var tokenTypes = map[string]string{"access_token": TokenTypeAccess, "jwt": TokenTypeJWT, "id_token": TokenTypeID}

// TokenType turns a short name (access_token, jwt, id_token) or a full URN into the URN; "" stays "".
func TokenType(s string) (string, error) {
	switch {
	case s == "":
		return "", nil
	case tokenTypes[s] != "":
		return tokenTypes[s], nil
	case strings.HasPrefix(s, "urn:"):
		return s, nil
	}
	return "", fmt.Errorf("token type %q: use access_token, jwt, id_token or a urn:ietf:params:oauth:token-type URN", s)
}

// ExchangeRequest is one RFC 8693 token exchange (on-behalf-of): the client (Request: discovery or token URL, id,
// secret, auth method, scopes, Audience sent as `audience`) trades the subject token for a token for Audience or
// Resource. SubjectToken is secret like the client secret: it never appears in an error or a result.
type ExchangeRequest struct {
	Request
	SubjectToken string `json:"-"`
	// SubjectTokenType defaults to access_token (a short name or the URN).
	SubjectTokenType string `json:"subjectTokenType,omitempty"`
	// Resource is sent as `resource` (RFC 8707 / RFC 8693 §2.1).
	Resource string `json:"resource,omitempty"`
	// RequestedTokenType is sent when set (a short name or the URN).
	RequestedTokenType string `json:"requestedTokenType,omitempty"`
	// SubjectFrom names where the subject token came from in messages (default --subject-token-from).
	SubjectFrom string `json:"-"`
}

// Validate checks an exchange request before any network call.
func (r ExchangeRequest) Validate() error {
	if err := r.Request.Validate(); err != nil {
		return err
	}
	if _, err := TokenType(r.SubjectTokenType); err != nil {
		return fmt.Errorf("subject %w", err)
	}
	if _, err := TokenType(r.RequestedTokenType); err != nil {
		return fmt.Errorf("requested %w", err)
	}
	return nil
}

// Exchange performs one token exchange (RFC 8693 §2) with Mint's discovery, client authentication choice,
// transport and error explanation; an answer that is not a JWT is refused as with Mint. Result.IssuedTokenType is
// the answer's issued_token_type.
func Exchange(ctx context.Context, r ExchangeRequest) (*Result, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	from := r.SubjectFrom
	if from == "" {
		from = "--subject-token-from"
	}
	if strings.TrimSpace(r.SubjectToken) == "" {
		return nil, &Error{Kind: KindInvalidGrant, Msg: "the subject token is empty. Check where " + from + " points"}
	}
	subjectType, _ := TokenType(r.SubjectTokenType)
	if subjectType == "" {
		subjectType = TokenTypeAccess
	}
	requested, _ := TokenType(r.RequestedTokenType)
	return tokenRequest(ctx, r.Request, grant{name: "token-exchange", subject: from, hide: []string{r.SubjectToken},
		params: func(res *Result) url.Values {
			p := url.Values{"grant_type": {GrantTokenExchange}, "subject_token": {r.SubjectToken}, "subject_token_type": {subjectType}}
			if r.Audience != "" {
				p.Set("audience", r.Audience)
			}
			if r.Resource != "" {
				p.Set("resource", r.Resource)
				res.SentResource = true
				res.Resource = r.Resource
			}
			if requested != "" {
				p.Set("requested_token_type", requested)
			}
			res.SubjectTokenType = subjectType
			return p
		}})
}
