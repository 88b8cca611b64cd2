// This file: signature verification the way the runtime does it — discovery document → jwks_uri → the key named
// by the token's kid, checked with the token's alg (RSA, RSA-PSS and EC). Every fetch error is reported precisely
// (timeout, HTTP status, HTML instead of JSON, missing fields, unknown kid), never swallowed. Offline variants
// read the documents from files.
package tokencheck

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
)

// FetchTimeout bounds one discovery or JWKS fetch when the context has no earlier deadline.
const FetchTimeout = 10 * time.Second

// maxDocBytes bounds a discovery document or JWKS.
const maxDocBytes = 1 << 20

// Discovery is the part of an OpenID discovery document the runtime uses, and what minting by client
// credentials reads from it (token endpoint, accepted client authentication methods, resource indicators).
type Discovery struct {
	Issuer        string   `json:"issuer"`
	JWKSURI       string   `json:"jwks_uri"`
	TokenEndpoint string   `json:"token_endpoint,omitempty"`
	AuthMethods   []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// ResourceIndicators is the non-registered resource_indicators_supported flag (RFC 8707 defines no
	// discovery metadata; some servers advertise it this way).
	ResourceIndicators bool `json:"resource_indicators_supported,omitempty"`
	// GrantTypes is grant_types_supported (RFC 8414; absent means authorization_code and implicit).
	GrantTypes []string `json:"grant_types_supported,omitempty"`
	// URL is where it was read from (a URL or a file path).
	URL string `json:"-"`
}

// FetchError is a failed fetch of a discovery document or JWKS: what, where, and why in words.
type FetchError struct {
	What, URL, Reason string
	Err               error
}

func (e *FetchError) Error() string { return fmt.Sprintf("%s %s: %s", e.What, e.URL, e.Reason) }
func (e *FetchError) Unwrap() error { return e.Err }

// FetchDiscovery GETs an OpenID discovery document. client nil = http.DefaultClient; the fetch is bounded by
// FetchTimeout.
func FetchDiscovery(ctx context.Context, client *http.Client, u string) (*Discovery, error) {
	b, err := fetchJSON(ctx, client, "discovery document", u)
	if err != nil {
		return nil, err
	}
	d, err := ParseDiscovery(b)
	if err != nil {
		return nil, &FetchError{What: "discovery document", URL: u, Reason: err.Error(), Err: err}
	}
	d.URL = u
	return d, nil
}

// ReadDiscoveryFile reads a discovery document from a file (offline mode).
func ReadDiscoveryFile(path string) (*Discovery, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, &FetchError{What: "discovery file", URL: path, Reason: err.Error(), Err: err}
	}
	d, err := ParseDiscovery(b)
	if err != nil {
		return nil, &FetchError{What: "discovery file", URL: path, Reason: err.Error(), Err: err}
	}
	d.URL = path
	return d, nil
}

// ParseDiscovery decodes a discovery document and requires issuer and jwks_uri.
func ParseDiscovery(b []byte) (*Discovery, error) {
	if err := jsonObject(b); err != nil {
		return nil, err
	}
	var d Discovery
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("not a discovery document: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	switch {
	case d.Issuer == "" && d.JWKSURI == "":
		if bytes.Contains(b, []byte(`"keys"`)) {
			return nil, errors.New("this is a JWKS (keys), not a discovery document: the URL must end in /.well-known/openid-configuration")
		}
		return nil, errors.New("not a discovery document: no issuer and no jwks_uri")
	case d.Issuer == "":
		return nil, errors.New("discovery document has no issuer")
	case d.JWKSURI == "":
		return nil, errors.New("discovery document has no jwks_uri")
	}
	return &d, nil
}

// FetchJWKS GETs a JWKS and checks that it is a JSON object with a keys array.
func FetchJWKS(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	b, err := fetchJSON(ctx, client, "JWKS", u)
	if err != nil {
		return nil, err
	}
	if _, err := parseJWKS(b); err != nil {
		return nil, &FetchError{What: "JWKS", URL: u, Reason: err.Error(), Err: err}
	}
	return b, nil
}

// ReadJWKSFile reads a JWKS from a file (offline mode).
func ReadJWKSFile(path string) ([]byte, error) {
	b, err := readFile(path)
	if err == nil {
		_, err = parseJWKS(b)
	}
	if err != nil {
		return nil, &FetchError{What: "JWKS file", URL: path, Reason: err.Error(), Err: err}
	}
	return b, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no such file")
		}
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDocBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocBytes {
		return nil, errors.New("larger than 1 MiB")
	}
	return b, nil
}

func fetchJSON(ctx context.Context, client *http.Client, what, u string) ([]byte, error) {
	fail := func(reason string, err error) error { return &FetchError{What: what, URL: u, Reason: reason, Err: err} }
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return nil, fail("not an http(s) URL", err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fail(err.Error(), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fail(NetReason(ctx, err), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return nil, fail("reading the body: "+NetReason(ctx, err), err)
	}
	if len(b) > maxDocBytes {
		return nil, fail("body larger than 1 MiB", nil)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail(fmt.Sprintf("HTTP %s", resp.Status), nil)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	trim := bytes.TrimSpace(b)
	if ct == "text/html" || bytes.HasPrefix(trim, []byte("<")) {
		return nil, fail("got an HTML page, not JSON (a login page, a proxy or the wrong URL?)", nil)
	}
	if err := jsonObject(b); err != nil {
		return nil, fail(err.Error(), err)
	}
	return b, nil
}

// NetReason says in words why an HTTP request failed: timeout, DNS, connection, TLS (untrusted or mismatched
// certificate, plain HTTP on an https URL), else the transport's own message.
func NetReason(ctx context.Context, err error) string {
	var ne net.Error
	var dns *net.DNSError
	var op *net.OpError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownCA):
		return "TLS: the server's certificate is signed by an unknown authority (a private CA or an intercepting proxy?)"
	case errors.As(err, &hostErr):
		return "TLS: the server's certificate is not valid for " + hostErr.Host
	case errors.As(err, &invalid):
		return "TLS: the server's certificate is invalid (" + invalid.Error() + ")"
	case errors.As(err, &verify):
		return "TLS: the server's certificate does not verify (" + verify.Err.Error() + ")"
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "TLS: the server did not answer TLS (plain http on an https URL?)"
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "timed out (no answer within " + FetchTimeout.String() + " or the command's deadline)"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &dns):
		return "cannot resolve host " + dns.Name
	case errors.As(err, &op) && op.Op == "dial":
		return "cannot connect: " + op.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func jsonObject(b []byte) error {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return errors.New("empty body, not JSON")
	case t[0] == '<':
		return errors.New("HTML, not JSON")
	case t[0] != '{':
		if json.Valid(t) {
			return errors.New("JSON " + jwtparts.JSONKind(t[0]) + ", not an object")
		}
		return errors.New("not JSON")
	case !json.Valid(t):
		return errors.New("invalid JSON")
	}
	return nil
}

func parseJWKS(b []byte) (jwkset.JWKSMarshal, error) {
	var set jwkset.JWKSMarshal
	if err := jsonObject(b); err != nil {
		return set, err
	}
	var probe struct {
		Keys json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &probe); err != nil || len(probe.Keys) == 0 {
		if bytes.Contains(b, []byte(`"jwks_uri"`)) {
			return set, errors.New("this is a discovery document, not a JWKS: use its jwks_uri")
		}
		return set, errors.New("not a JWKS: no keys array")
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return set, fmt.Errorf("not a JWKS: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return set, nil
}

// parsedJWKS is a JWKS as VerifySignature reads it: the set (or why it is not one) and each key's public key
// (or why it is unusable), made once.
type parsedJWKS struct {
	raw  string
	set  jwkset.JWKSMarshal
	err  error
	once []sync.Once
	keys []any
	errs []error
}

// key is the public key of set.Keys[i].
func (p *parsedJWKS) key(i int) (any, error) {
	p.once[i].Do(func() {
		jwk, err := jwkset.NewJWKFromMarshal(p.set.Keys[i], jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			p.errs[i] = err
			return
		}
		p.keys[i] = jwk.Key()
	})
	return p.keys[i], p.errs[i]
}

// lastJWKS is the JWKS parsed last. doctor --all verifies a hundred setups' tokens against the same JWKS and the
// rotation service renews against a few: the same bytes are not parsed again (the answer is the same).
var lastJWKS atomic.Pointer[parsedJWKS]

func parsedJWKSFor(b []byte) *parsedJWKS {
	if p := lastJWKS.Load(); p != nil && p.raw == string(b) {
		return p
	}
	p := &parsedJWKS{raw: string(b)}
	p.set, p.err = parseJWKS(b)
	n := len(p.set.Keys)
	p.once, p.keys, p.errs = make([]sync.Once, n), make([]any, n), make([]error, n)
	lastJWKS.Store(p)
	return p
}

// ErrSignature is matched (errors.Is) by every VerifySignature failure.
var ErrSignature = errors.New("signature not verified")

type sigError struct{ msg string }

func (e *sigError) Error() string        { return e.msg }
func (e *sigError) Is(target error) bool { return target == ErrSignature }

func sigErr(format string, a ...any) error { return &sigError{fmt.Sprintf(format, a...)} }

// VerifySignature checks tok's signature with the key of the JWKS named by tok's kid (or, without a kid, any key
// that fits the alg). Only asymmetric algs (RS*, PS*, ES*) are accepted, as the runtime does.
func VerifySignature(ctx context.Context, tok *Token, jwks []byte) error {
	_ = ctx
	p := parsedJWKSFor(jwks)
	set, err := p.set, p.err
	if err != nil {
		return sigErr("JWKS: %v", err)
	}
	method := jwt.GetSigningMethod(tok.Alg)
	fam := ""
	switch {
	case strings.HasPrefix(tok.Alg, "RS"), strings.HasPrefix(tok.Alg, "PS"):
		fam = "RSA"
	case strings.HasPrefix(tok.Alg, "ES"):
		fam = "EC"
	}
	if method == nil || fam == "" {
		return sigErr("alg %s is not supported: the runtime verifies RS256/384/512, PS256/384/512 and ES256/384/512 signatures", tok.Alg)
	}
	var candidates []int
	var kids []string
	for i, k := range set.Keys {
		kids = append(kids, k.KID)
		if tok.KeyID == "" || k.KID == tok.KeyID {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		have := "no keys"
		if len(kids) > 0 {
			have = "keys with kid " + strings.Join(kids, ", ")
		}
		return sigErr("unknown kid %q: the JWKS has %s (was the token issued by another issuer, or the key rotated?)", tok.KeyID, have)
	}
	var lastErr error
	for _, i := range candidates {
		k := set.Keys[i]
		if k.USE != "" && k.USE != jwkset.UseSig {
			lastErr = sigErr("key %q is for %q, not signatures", k.KID, k.USE)
			continue
		}
		if k.ALG != "" && string(k.ALG) != tok.Alg {
			lastErr = sigErr("key %q is for alg %s, the token says %s", k.KID, k.ALG, tok.Alg)
			continue
		}
		key, err := p.key(i)
		if err != nil {
			lastErr = sigErr("key %q in the JWKS is unusable: %v", k.KID, err)
			continue
		}
		switch key.(type) {
		case *rsa.PublicKey:
			if fam != "RSA" {
				lastErr = sigErr("key %q is an RSA key, the token's alg is %s", k.KID, tok.Alg)
				continue
			}
		case *ecdsa.PublicKey:
			if fam != "EC" {
				lastErr = sigErr("key %q is an EC key, the token's alg is %s", k.KID, tok.Alg)
				continue
			}
		default:
			lastErr = sigErr("key %q is a %T, not an RSA or EC public key", k.KID, key)
			continue
		}
		if err := method.Verify(tok.SigningInput(), tok.Signature(), key); err != nil {
			lastErr = sigErr("signature does not match key %q (%s): the token was altered or signed by another key", k.KID, tok.Alg)
			continue
		}
		return nil
	}
	return lastErr
}

// Sources say where verification reads the discovery document and keys: DiscoveryURL (fetched), or the offline
// DiscoveryFile / JWKSFile. With no discovery source the token's iss + /.well-known/openid-configuration is used.
type Sources struct {
	DiscoveryURL  string
	DiscoveryFile string
	JWKSFile      string
	Client        *http.Client
}

// Verification is the outcome of Verify: what was read, and the first error (Stage says where it happened:
// "discovery", "jwks" or "signature").
type Verification struct {
	Discovery *Discovery
	JWKSURI   string
	Verified  bool
	Stage     string
	Err       error
}

// Verify runs discovery → JWKS → signature for tok. It never returns early without saying why in Err.
func Verify(ctx context.Context, tok *Token, src Sources) Verification {
	var v Verification
	if src.DiscoveryFile != "" {
		v.Discovery, v.Err = ReadDiscoveryFile(src.DiscoveryFile)
	} else if src.DiscoveryURL != "" || src.JWKSFile == "" {
		u := src.DiscoveryURL
		if u == "" {
			if tok.Issuer == "" {
				v.Stage, v.Err = "discovery", errors.New("the token has no iss, so there is no discovery URL to fetch: pass --discovery-url or --jwks-file")
				return v
			}
			u = DiscoveryURLFor(tok.Issuer)
		}
		v.Discovery, v.Err = FetchDiscovery(ctx, src.Client, u)
	}
	if v.Err != nil {
		v.Stage = "discovery"
		return v
	}
	var jwks []byte
	if src.JWKSFile != "" {
		v.JWKSURI = src.JWKSFile
		jwks, v.Err = ReadJWKSFile(src.JWKSFile)
	} else {
		v.JWKSURI = v.Discovery.JWKSURI
		jwks, v.Err = FetchJWKS(ctx, src.Client, v.Discovery.JWKSURI)
	}
	if v.Err != nil {
		v.Stage = "jwks"
		return v
	}
	if v.Err = VerifySignature(ctx, tok, jwks); v.Err != nil {
		v.Stage = "signature"
		return v
	}
	v.Verified = true
	return v
}

// SignatureFinding is token.signature for a Verification.
func SignatureFinding(tok *Token, v Verification) Finding {
	f := Finding{ID: "token.signature", Category: CategoryToken, Title: "signature"}
	switch {
	case tok == nil:
		f.Status, f.Detail = StatusSkip, "no token to check"
	case v.Verified:
		f.Status, f.Detail = StatusPass, fmt.Sprintf("verified with kid %s (%s) from %s", orPlaceholder(tok.KeyID, "(none)"), tok.Alg, v.JWKSURI)
	case v.Err == nil:
		f.Status, f.Detail = StatusSkip, "not checked"
	default:
		f.Status, f.Detail = StatusFail, v.Err.Error()
		switch v.Stage {
		case "discovery":
			f.Hint = "The issuer's discovery document must be reachable and JSON (issuer, jwks_uri); offline, pass --discovery-file."
		case "jwks":
			f.Hint = "The issuer's JWKS must be reachable and JSON with keys; offline, pass --jwks-file."
		default:
			f.Hint = "The runtime rejects this token (401). Mint a new token from the issuer the runtime trusts."
			f.Fix = FixRotate
		}
	}
	return f
}
