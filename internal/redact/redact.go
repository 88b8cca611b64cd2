// Package redact masks secrets (JWTs, client secrets, passwords) before anything reaches a terminal, a log or an
// error line. Every renderer and the root error printer go through it; --show-token is the only way around it.
package redact

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
)

// Mask is how a client secret or password is shown.
const Mask = "••••••"

// Token shows the first ten characters of a token and its length, e.g. `eyJhbGciOi…(redacted, 812 bytes)`.
// A leading Bearer scheme (as internal/bearer reads it) is kept as written, so the shape of an Authorization
// value stays visible.
func Token(tok string) string {
	if tok == "" {
		return ""
	}
	prefix := ""
	if t, ok := bearer.Cut(tok); ok && t != "" {
		// t ends where tok's trailing space begins; what comes before it is the scheme as written.
		end := len(strings.TrimRightFunc(tok, unicode.IsSpace))
		prefix, tok = tok[:end-len(t)], t
	}
	head := tok
	if len(head) > 10 {
		head = head[:10]
	}
	return fmt.Sprintf("%s%s…(redacted, %d bytes)", prefix, head, len(tok))
}

// Secret masks a client secret or password completely.
func Secret(s string) string {
	if s == "" {
		return ""
	}
	return Mask
}

// jwtLike matches three base64url segments whose first starts like a JSON object ("{" encodes as "ey").
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// Text replaces every JWT-looking substring of s with its masked form. Use it on text that came from elsewhere
// (error messages of SDKs and servers, log lines) before printing it.
func Text(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	return jwtLike.ReplaceAllStringFunc(s, Token)
}

// Strings masks the given secret values (passwords, client secrets) wherever they appear in s, then masks JWTs.
func Strings(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	return Text(s)
}
