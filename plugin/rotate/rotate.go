// Package rotate keeps the gateway's bearer token fresh: mint a new Cognito token (refresh token first, password
// second), validate it exactly as the runtime's authorizer will (signature against the pool's keys, expiry,
// claims), and only then write it to the Secret, safely against concurrent writers. Watch does that in a loop
// before each expiry. No UI and no cobra here: the command renders Results and Events.
package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/humantime"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// Defaults of the rotation policy.
const (
	// DefaultMinValidity is how far ahead a new token's exp must be for it to be written, unless
	// Engine.MinValidity says otherwise: Cognito's shortest ID/access token validity (docs/facts.md#cognito), so a
	// real pool's token always passes and anything shorter means a misconfigured client.
	DefaultMinValidity = 5 * time.Minute
	// LowestMinValidity is the least Engine.MinValidity may be (--min-validity): a token must outlive
	// AgentCore's refusal margin by enough to be written, picked up by the gateway and used before it is
	// refused. Lower values are for short-lived test or sandbox pools only.
	LowestMinValidity = 90 * time.Second
	// DefaultMinRemaining is the one-shot freshness threshold: a stored token with more left is not replaced.
	DefaultMinRemaining = 15 * time.Minute
	// expSlack absorbs the second-truncation of exp/iat and the network time of the mint call, so a token
	// issued for exactly the minimum validity (e.g. Cognito's shortest setting) still passes.
	expSlack = 5 * time.Second
)

// Annotations written on the token Secret (never the token itself).
const (
	AnnotationRotatedAt    = "agentcore.dev/rotated-at"
	AnnotationTokenExpires = "agentcore.dev/token-expires-at"
	AnnotationRotatedBy    = "agentcore.dev/rotated-by"
)

// Token uses.
const (
	TokenUseID     = "id"
	TokenUseAccess = "access"
)

// Credentials is what minting needs. Secret values never leave this struct unmasked.
type Credentials struct {
	UserPoolID   string
	ClientID     string
	ClientSecret string
	Username     string
	Password     string
	RefreshToken string
}

// Tokens is what Cognito returned.
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string // empty when Cognito did not rotate it
	ExpiresIn    time.Duration
}

// Minter talks to Cognito.
type Minter interface {
	// MintWithRefresh uses InitiateAuth REFRESH_TOKEN_AUTH (public API; no AWS credentials). username is the
	// cognito:username of the token being refreshed (SECRET_HASH needs it).
	MintWithRefresh(ctx context.Context, c Credentials, username string) (Tokens, error)
	// MintWithPassword uses AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH (needs AWS credentials).
	MintWithPassword(ctx context.Context, c Credentials) (Tokens, error)
}

// Validator checks a token the way the runtime's authorizer will: it parses, its signature verifies against the
// pool's JWKS, and its claims satisfy the authorizer. It returns the token's expiry.
type Validator interface {
	Validate(ctx context.Context, token string) (time.Time, error)
}

// KeySource is implemented by a Validator that can say whose keys the last token was checked against: the
// issuer and the jwks_uri of its discovery document.
type KeySource interface {
	CheckedAgainst() (issuer, jwksURI string)
}

// Stored is what the token Secret holds now.
type Stored struct {
	Ref string // namespace/name
	// CredentialsRef is the credentials Secret a rotated refresh token goes to ("" = none).
	CredentialsRef string
	Value          string // the Authorization value, "Bearer <jwt>" (may be empty)
	Claims         Claims // decoded without verification; zero when Value is not a JWT
}

// WriteOutcome says what Store.Write did.
type WriteOutcome struct {
	Written   bool
	Conflicts int
	// Kept is set when the write was skipped because the Secret already held a token expiring later
	// (another rotator won the race); it is that token's expiry.
	Kept time.Time
}

// Store is the token Secret (and the credentials Secret, for a rotated refresh token).
type Store interface {
	Read(ctx context.Context) (Stored, error)
	// Write stores value under the Authorization key with the given annotations, unless another writer
	// replaced prev (the value read before minting) meanwhile with a token expiring no earlier than exp.
	// Nothing else in the Secret changes.
	Write(ctx context.Context, prev, value string, exp time.Time, annotations map[string]string) (WriteOutcome, error)
	// SaveRefreshToken stores a refresh token Cognito rotated. A nil error with no credentials Secret is fine.
	SaveRefreshToken(ctx context.Context, rt string) error
}

// Clock is time, injectable for tests.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Engine rotates one Secret.
type Engine struct {
	Minter    Minter
	Validator Validator
	Store     Store
	Clock     Clock
	Creds     Credentials
	// TokenUse is "id" (default) or "access": which token of the three goes into the Secret.
	TokenUse string
	// Identity is written in the rotated-by annotation (e.g. "kubectl-agentcore/v1.2.3 (watch)").
	Identity string
	// ClientCreds, when set, mints by OAuth 2.0 client credentials (an external identity provider) instead of
	// Minter; the client secret is Creds.ClientSecret.
	ClientCreds *clientcreds.Request
	// MinValidity is how far ahead a freshly minted token's exp must be for it to be written
	// (0 = DefaultMinValidity). Lower it (not below LowestMinValidity) only for short-lived test pools.
	MinValidity time.Duration
}

// ValidateMinValidity checks a --min-validity value.
func ValidateMinValidity(d time.Duration) error {
	if d < LowestMinValidity {
		return fmt.Errorf("--min-validity %s: must be at least %s (AgentCore refuses tokens within %s of expiry; a token must live well past that to be used)",
			d, humantime.Short(LowestMinValidity), humantime.Short(AgentCoreRefusalMargin))
	}
	return nil
}

func (e *Engine) minValidity() time.Duration {
	if e.MinValidity <= 0 {
		return DefaultMinValidity
	}
	return e.MinValidity
}

// Options of one rotation.
type Options struct {
	Force        bool
	DryRun       bool
	MinRemaining time.Duration // 0 = DefaultMinRemaining
	// DueWithin, when set, replaces MinRemaining with a threshold that depends on the stored token's lifetime
	// (exp - iat; 0 when unknown): the rotation service's schedule policy (RenewBefore.DueWithin).
	DueWithin func(lifetime time.Duration) time.Duration
}

// Actions a Result reports.
const (
	ActionRotated = "rotated"
	ActionFresh   = "fresh"   // the stored token had enough time left; nothing minted
	ActionDryRun  = "dry-run" // minted and validated, nothing written
	ActionKept    = "kept"    // minted and validated, but a newer token was written meanwhile
)

// Methods of minting.
const (
	MethodRefresh           = "refresh-token"
	MethodPassword          = "password"
	MethodClientCredentials = "client-credentials"
)

// Result of one rotation; renders as text, TUI or JSON.
type Result struct {
	Secret    string     `json:"secret"`
	Action    string     `json:"action"`
	Method    string     `json:"method,omitempty"`
	TokenUse  string     `json:"tokenUse,omitempty"`
	OldExpiry *time.Time `json:"oldExpiry,omitempty"`
	// OldIssuedAt is the stored token's iat (with OldExpiry, its lifetime), when known.
	OldIssuedAt *time.Time `json:"oldIssuedAt,omitempty"`
	NewExpiry   *time.Time `json:"newExpiry,omitempty"`
	// Token is the new Authorization value, masked.
	Token string `json:"token,omitempty"`
	// IssuedAt is the new token's iat (with NewExpiry, its lifetime).
	IssuedAt            *time.Time `json:"issuedAt,omitempty"`
	RefreshTokenRotated bool       `json:"refreshTokenRotated,omitempty"`
	Conflicts           int        `json:"conflicts,omitempty"`
	// Note says why nothing was written (fresh, kept) or what fell back (password after a refused refresh token).
	Note string `json:"note,omitempty"`
	// Issuer and JWKSURI are whose keys the new token's signature was checked against (the discovery
	// document's issuer and jwks_uri), when the validator knows.
	Issuer  string `json:"issuer,omitempty"`
	JWKSURI string `json:"jwksUri,omitempty"`
	// Annotations are the annotations written (or that would be, in a dry run).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Changes are the Secrets written (or that would be, in a dry run) in the plan vocabulary of the wizard and
	// teardown: update, or unchanged when the token was fresh or a newer one was kept.
	Changes []plan.Item `json:"changes,omitempty"`

	credentialsRef string
}

// setChanges words what the rotation wrote (or would write) as plan items.
func (r *Result) setChanges() {
	tok := plan.Item{Kind: plan.KindKubernetes, Action: plan.Unchanged, Target: "Secret " + r.Secret, Detail: r.Note}
	if r.Action == ActionRotated || r.Action == ActionDryRun {
		tok.Action, tok.Detail = plan.Update, fmt.Sprintf("%s: a new %s token, %s", KeyAuthorization, r.TokenUse, words.Count(len(r.Annotations), "annotation"))
	}
	r.Changes = []plan.Item{tok}
	if r.RefreshTokenRotated && r.credentialsRef != "" {
		r.Changes = append(r.Changes, plan.Item{Kind: plan.KindKubernetes, Action: plan.Update, Target: "Secret " + r.credentialsRef,
			Detail: setup.KeyRefreshToken + ": the new refresh token Cognito issued"})
	}
}

// Stage is where a rotation failed.
type Stage string

const (
	StageRead     Stage = "read"
	StageMint     Stage = "mint"
	StageValidate Stage = "validate"
	StageWrite    Stage = "write"
)

// Error is a failed rotation: which stage, and the one-line reason. The Secret keeps its old token.
type Error struct {
	Stage Stage
	Err   error
	// OldExpiry is the stored token's expiry, when known.
	OldExpiry time.Time
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Once performs one rotation: read the stored token, skip when it is fresh (unless forced), mint, validate, write.
func (e *Engine) Once(ctx context.Context, o Options) (*Result, error) {
	res, err := e.once(ctx, o)
	if res != nil {
		res.setChanges()
	}
	return res, err
}

func (e *Engine) once(ctx context.Context, o Options) (*Result, error) {
	if o.MinRemaining <= 0 {
		o.MinRemaining = DefaultMinRemaining
	}
	now := e.Clock.Now()
	cur, err := e.Store.Read(ctx)
	if err != nil {
		return nil, &Error{Stage: StageRead, Err: err}
	}
	if o.DueWithin != nil {
		o.MinRemaining = o.DueWithin(cur.Claims.Lifetime())
	}
	res := &Result{Secret: cur.Ref, TokenUse: e.tokenUse(), credentialsRef: cur.CredentialsRef}
	if !cur.Claims.Exp.IsZero() {
		t := cur.Claims.Exp.UTC()
		res.OldExpiry = &t
	}
	if !cur.Claims.Iat.IsZero() {
		t := cur.Claims.Iat.UTC()
		res.OldIssuedAt = &t
	}
	if !o.Force && !o.DryRun && !cur.Claims.Exp.IsZero() && cur.Claims.Exp.Sub(now) >= o.MinRemaining {
		res.Action = ActionFresh
		res.Note = fmt.Sprintf("the stored token has %s left (threshold %s); use --force to rotate anyway",
			humantime.Short(cur.Claims.Exp.Sub(now)), humantime.Short(o.MinRemaining))
		return res, nil
	}
	fail := func(st Stage, err error) (*Result, error) {
		return nil, &Error{Stage: st, Err: err, OldExpiry: cur.Claims.Exp}
	}

	toks, method, note, err := e.mint(ctx, cur)
	if err != nil {
		return fail(StageMint, err)
	}
	res.Method, res.Note = method, note
	// A refresh token rotated by a refresh is stored before anything else: Cognito invalidates the one just used
	// within RetryGracePeriodSeconds (0–60 s), so losing the new one would lock the rotator out. This happens even
	// in a dry run and when the new ID/access token is then refused: the refresh already consumed the old one.
	// (A password sign-in's refresh token replaces nothing that dies: it is stored after the token, below.)
	if method == MethodRefresh && toks.RefreshToken != "" && toks.RefreshToken != e.Creds.RefreshToken {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := e.Store.SaveRefreshToken(sctx, toks.RefreshToken)
		cancel()
		if err != nil {
			return fail(StageWrite, explain.Newf(err, "Cognito rotated the refresh token, but storing the new one failed: %s. The new token was not written; the old refresh token stops working within a minute, so the next rotation falls back to the password (or rerun the wizard)", trimDot(err.Error())))
		}
		e.Creds.RefreshToken = toks.RefreshToken
		res.RefreshTokenRotated = true
	}
	tok := toks.IDToken
	if e.tokenUse() == TokenUseAccess {
		tok = toks.AccessToken
	}
	if tok == "" {
		return fail(StageMint, fmt.Errorf("the identity provider returned no %s token. Check the app client's token settings", e.tokenUse()))
	}

	exp, err := e.Validator.Validate(ctx, tok)
	if err != nil {
		return fail(StageValidate, explain.Newf(err, "the new token was refused and not written: %s. %s", trimDot(err.Error()), keepNote(cur, now)))
	}
	now = e.Clock.Now()
	if minv := e.minValidity(); exp.Sub(now) < minv-expSlack {
		return fail(StageValidate, fmt.Errorf("the new token was refused and not written: it expires in %s, less than the minimum validity %s. Raise the app client's IdTokenValidity/AccessTokenValidity (or, for a short-lived test pool only, lower --min-validity). %s",
			humantime.Short(exp.Sub(now)), humantime.Short(minv), keepNote(cur, now)))
	}
	if ks, ok := e.Validator.(KeySource); ok {
		res.Issuer, res.JWKSURI = ks.CheckedAgainst()
	}
	t := exp.UTC()
	res.NewExpiry = &t
	if c, err := Peek(tok); err == nil && !c.Iat.IsZero() {
		iat := c.Iat.UTC()
		res.IssuedAt = &iat
	}
	value := bearer.Value(tok)
	res.Token = redact.Token(value)
	res.Annotations = map[string]string{
		AnnotationRotatedAt:    now.UTC().Format(time.RFC3339),
		AnnotationTokenExpires: exp.UTC().Format(time.RFC3339),
	}
	if e.Identity != "" {
		res.Annotations[AnnotationRotatedBy] = e.Identity
	}
	if o.DryRun {
		res.Action = ActionDryRun
		return res, nil
	}
	storeAfter := toks.RefreshToken != "" && toks.RefreshToken != e.Creds.RefreshToken

	// The write must not be torn by a shutdown signal: give it its own bounded context.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	out, err := e.Store.Write(wctx, cur.Value, value, exp, res.Annotations)
	res.Conflicts = out.Conflicts
	if err != nil {
		return fail(StageWrite, err)
	}
	if out.Written {
		res.Action = ActionRotated
	} else {
		res.Action = ActionKept
		kt := out.Kept.UTC()
		res.NewExpiry = &kt
		res.Token = ""
		res.Note = "another writer stored a token that expires later; it was kept"
	}
	if storeAfter {
		if err := e.Store.SaveRefreshToken(wctx, toks.RefreshToken); err != nil {
			return res, &Error{Stage: StageWrite, Err: explain.Newf(err, "the token was written, but storing Cognito's new refresh token failed: %s", trimDot(err.Error()))}
		}
		e.Creds.RefreshToken = toks.RefreshToken
		res.RefreshTokenRotated = true
	}
	return res, nil
}

// mint prefers the refresh token and falls back to the password when the refresh token is refused.
func (e *Engine) mint(ctx context.Context, cur Stored) (Tokens, string, string, error) {
	c := e.Creds
	if e.ClientCreds != nil {
		req := *e.ClientCreds
		req.ClientSecret = c.ClientSecret
		res, err := clientcreds.Mint(ctx, req)
		if err != nil {
			return Tokens{}, "", "", err
		}
		return Tokens{AccessToken: res.Token, ExpiresIn: res.ExpiresIn}, MethodClientCredentials, "", nil
	}
	if c.RefreshToken != "" {
		user := cur.Claims.CognitoUsername
		if user == "" {
			user = c.Username
		}
		toks, err := e.Minter.MintWithRefresh(ctx, c, user)
		if err == nil {
			return toks, MethodRefresh, "", nil
		}
		if c.Password == "" || ctx.Err() != nil || errors.Is(err, ErrUnreachable) {
			return Tokens{}, "", "", err
		}
		toks, perr := e.Minter.MintWithPassword(ctx, c)
		if perr != nil {
			return Tokens{}, "", "", explain.Newf(errors.Join(err, perr), "%s; the password fallback failed too: %s", trimDot(err.Error()), perr.Error())
		}
		return toks, MethodPassword, "the refresh token was refused (" + trimDot(err.Error()) + "); used the password", nil
	}
	if c.Password == "" {
		return Tokens{}, "", "", errors.New("no refresh token and no password to mint with. Store one in the credentials Secret, or pass --password-from")
	}
	toks, err := e.Minter.MintWithPassword(ctx, c)
	return toks, MethodPassword, "", err
}

func (e *Engine) tokenUse() string {
	if e.TokenUse == TokenUseAccess {
		return TokenUseAccess
	}
	return TokenUseID
}

func keepNote(cur Stored, now time.Time) string {
	if cur.Claims.Exp.IsZero() {
		return "The Secret was left unchanged"
	}
	if cur.Claims.Exp.After(now) {
		return "The Secret keeps the old token (expires " + humantime.Relative(cur.Claims.Exp, now) + ")"
	}
	return "The Secret keeps the old token, which expired " + humantime.Relative(cur.Claims.Exp, now)
}

func trimDot(s string) string { return strings.TrimRight(strings.TrimSpace(s), ".") }

// Claims are the few claims rotation reads from a stored token, decoded without verification.
type Claims struct {
	Exp             time.Time
	Iat             time.Time
	CognitoUsername string
	TokenUse        string
}

// Lifetime is exp - iat (0 when unknown).
func (c Claims) Lifetime() time.Duration {
	if c.Exp.IsZero() || c.Iat.IsZero() {
		return 0
	}
	return c.Exp.Sub(c.Iat)
}

// Peek decodes a JWT's payload (with or without a "Bearer " prefix) without verifying it.
func Peek(value string) (Claims, error) {
	m, err := jwtparts.Claims(bearer.Token(value))
	if err != nil {
		return Claims{}, fmt.Errorf("not a JWT: %w", err)
	}
	str := func(k string) string { v, _ := m[k].(string); return v }
	num := func(k string) float64 { v, _ := m[k].(float64); return v }
	raw := struct {
		Exp, Iat               float64
		CU, Username, TokenUse string
	}{num("exp"), num("iat"), str("cognito:username"), str("username"), str("token_use")}
	c := Claims{CognitoUsername: raw.CU, TokenUse: raw.TokenUse}
	if c.CognitoUsername == "" {
		c.CognitoUsername = raw.Username // access tokens name the user "username"
	}
	if raw.Exp > 0 {
		c.Exp = time.Unix(int64(raw.Exp), 0)
	}
	if raw.Iat > 0 {
		c.Iat = time.Unix(int64(raw.Iat), 0)
	}
	return c, nil
}
