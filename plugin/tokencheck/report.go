// This file: Report, the result of `token inspect` that the TUI, text and -o json|yaml renderers all show.
package tokencheck

import (
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
)

// Report is what `token inspect` shows. Times are UTC (JSON renders them RFC 3339); Token is masked unless
// the caller asked for it (--show-token).
type Report struct {
	Token     string         `json:"token"`
	Kind      Kind           `json:"kind"`
	Header    map[string]any `json:"header"`
	Claims    map[string]any `json:"claims"`
	Issuer    string         `json:"issuer,omitempty"`
	Subject   string         `json:"subject,omitempty"`
	Audience  []string       `json:"audience,omitempty"`
	ClientID  string         `json:"clientId,omitempty"`
	Scopes    []string       `json:"scopes,omitempty"`
	KeyID     string         `json:"keyId,omitempty"`
	Alg       string         `json:"alg"`
	ExpiresAt *time.Time     `json:"expiresAt,omitempty"`
	IssuedAt  *time.Time     `json:"issuedAt,omitempty"`
	NotBefore *time.Time     `json:"notBefore,omitempty"`
	Expired   bool           `json:"expired"`
	Explain   []string       `json:"explain"`
	// Suggested is the authorizer configuration that would accept this token.
	Suggested *Authorizer `json:"suggestedAuthorizer,omitempty"`
	Signature *Signature  `json:"signature,omitempty"`
	Findings  []Finding   `json:"findings"`

	// At is when the report was made (for renderers' relative times); not in JSON.
	At time.Time `json:"-"`
	// Tok is the parsed token (the TUI recomputes expiry from it); not in JSON.
	Tok *Token `json:"-"`
}

// Signature is the outcome of --verify.
type Signature struct {
	Verified     bool   `json:"verified"`
	Error        string `json:"error,omitempty"`
	Stage        string `json:"stage,omitempty"`
	KeyID        string `json:"keyId,omitempty"`
	Alg          string `json:"alg,omitempty"`
	DiscoveryURL string `json:"discoveryUrl,omitempty"`
	Issuer       string `json:"discoveryIssuer,omitempty"`
	JWKSURI      string `json:"jwksUri,omitempty"`
}

// Inspect builds the report for tok at now. v is the signature verification (nil = not checked). showToken puts
// the raw token in Token; otherwise it is masked.
func Inspect(tok *Token, now time.Time, v *Verification, showToken bool) *Report {
	r := &Report{
		Token: redact.Token(tok.Raw), Kind: tok.Kind, Header: tok.Header, Claims: tok.Claims,
		Issuer: tok.Issuer, Subject: tok.Subject, Audience: tok.Audience, ClientID: tok.ClientID, Scopes: tok.Scopes,
		KeyID: tok.KeyID, Alg: tok.Alg,
		ExpiresAt: utc(tok.ExpiresAt), IssuedAt: utc(tok.IssuedAt), NotBefore: utc(tok.NotBefore),
		Expired: tok.Expired(now), Explain: Explain(tok), Suggested: SuggestAuthorizer(tok),
		At: now, Tok: tok,
	}
	if showToken {
		r.Token = tok.Raw
	}
	r.Findings = append(SlipFindings(tok), CheckToken(tok, now)...)
	if v != nil {
		s := &Signature{Verified: v.Verified, Stage: v.Stage, KeyID: tok.KeyID, Alg: tok.Alg, JWKSURI: v.JWKSURI}
		if v.Discovery != nil {
			s.DiscoveryURL, s.Issuer = v.Discovery.URL, v.Discovery.Issuer
		}
		if v.Err != nil {
			s.Error = v.Err.Error()
		}
		if v.Verified {
			s.Stage = ""
		}
		r.Signature = s
		r.Findings = append(r.Findings, SignatureFinding(tok, *v))
		if v.Discovery != nil && v.Discovery.Issuer != tok.Issuer {
			r.Findings = append(r.Findings, Finding{ID: "token.issuer", Category: CategoryToken, Status: StatusFail,
				Title: "issuer", Detail: "token iss " + quote(tok.Issuer) + " ≠ discovery issuer " + quote(v.Discovery.Issuer),
				Hint: "A runtime with this discovery URL rejects the token: iss must equal the issuer byte for byte."})
		}
	}
	return r
}

// Failed reports whether any finding failed.
func (r *Report) Failed() bool { return Worst(r.Findings) == StatusFail }

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func quote(s string) string { return "\"" + s + "\"" }

// SlipFindings are the near misses in the value the token was given in (tok.Slips), as token.malformed warnings.
func SlipFindings(tok *Token) []Finding {
	var fs []Finding
	for _, s := range tok.Slips {
		fs = append(fs, Finding{ID: "token.malformed", Category: CategoryToken, Status: StatusWarn, Title: "decodes", Detail: s.Detail, Hint: s.Hint})
	}
	return fs
}
