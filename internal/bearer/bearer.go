// Package bearer is the one reader of `Bearer <token>` Authorization values: it splits off the scheme, says what
// Agent Gateway sends for a Secret value, and names the usual slips in such a value (docs/checks.md,
// secret.bearer-form). Every other package reads and writes these values through it.
package bearer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Prefix is how an Authorization value of the Bearer scheme starts.
const Prefix = "Bearer "

// Key is the Secret key Agent Gateway's backend.auth.secretRef reads by default.
const Key = "Authorization"

// Value is the Authorization value for a token: "Bearer <token>".
func Value(tok string) string { return Prefix + tok }

// Cut returns the token of an Authorization value and whether it carried the Bearer scheme: surrounding
// whitespace and one leading scheme (any capitalisation, RFC 6750) are removed. A value without the scheme comes
// back trimmed, with ok false.
func Cut(v string) (tok string, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) >= 6 && strings.EqualFold(v[:6], "bearer") && (len(v) == 6 || v[6] == ' ' || v[6] == '\t') {
		return strings.TrimSpace(v[6:]), true
	}
	return v, false
}

// Token is Cut without the flag: the token with or without a Bearer scheme.
func Token(v string) string {
	tok, _ := Cut(v)
	return tok
}

// Sent is the Authorization header Agent Gateway sends for a Secret value read under key ("" = Key), as the
// open-source controller v1.4.1 builds it (controller/pkg/utils/kubeutils/secrets.go GetSecretDataAuth; the proxy's
// default location writes "Bearer " + key, crates/agentgateway/src/http/auth/mod.rs): the value trimmed; under
// the key Authorization one leading "Bearer " (written exactly so) stripped and the rest trimmed again. ok is
// false when nothing usable is left (not UTF-8, or empty): the policy is then PartiallyValid and no header is sent.
func Sent(key, v string) (string, bool) {
	if key == "" {
		key = Key
	}
	if !utf8.ValidString(v) {
		return "", false
	}
	v = strings.TrimSpace(v)
	if key == Key {
		v = strings.TrimSpace(strings.TrimPrefix(v, Prefix))
	}
	if v == "" {
		return "", false
	}
	return Prefix + v, true
}

// Slip codes.
const (
	SlipTwice       = "bearer-twice"
	SlipQuoted      = "quoted"
	SlipSchemeCase  = "scheme-case"
	SlipOtherScheme = "other-scheme"
	SlipSpaces      = "extra-spaces"
	SlipBare        = "bare-token"
	SlipNewline     = "trailing-newline"
	SlipWhitespace  = "surrounding-whitespace"
)

// Slip is one near miss in an Authorization value, named with its fix.
type Slip struct {
	Code string
	// Breaks is true when AgentCore refuses what the gateway then sends (401 Invalid Bearer token); false when
	// calls work but other readers of the value may not.
	Breaks bool
	// Detail names the slip in one line; Hint says what it does and how to write the value instead.
	Detail string
	Hint   string
}

// Unreadable reports whether the slip hides the token itself: no JWT can be read from the value as written.
func (s Slip) Unreadable() bool {
	return s.Code == SlipTwice || s.Code == SlipQuoted
}

// Inspect names the slips in an Authorization value stored in a Secret under key ("" = Key), the ones that break
// calls first. A well-formed "Bearer <token>" has none. It does not check that the token is a JWT.
func Inspect(key, v string) []Slip {
	if key == "" {
		key = Key
	}
	var breaks, works []Slip
	s := strings.TrimSpace(v)
	switch {
	case s == "":
		return nil
	case strings.HasSuffix(v, "\n") || strings.HasSuffix(v, "\r"):
		works = append(works, Slip{Code: SlipNewline, Detail: "the value ends with a newline (written with echo?)",
			Hint: "Agent Gateway trims it, but tools that use the value as a header as it is do not. Write it with printf '%s' (or echo -n)."})
	case s != v:
		works = append(works, Slip{Code: SlipWhitespace, Detail: "the value starts or ends with spaces",
			Hint: "Agent Gateway trims them, but tools that use the value as a header as it is do not. Store `Bearer <jwt>` without them."})
	}
	if q := quotedBy(s); q != "" {
		breaks = append(breaks, Slip{Code: SlipQuoted, Breaks: true, Detail: fmt.Sprintf("the value is wrapped in %s quotes (pasted with them?)", q),
			Hint: "The quotes become part of the header: AgentCore receives Bearer " + q + "…" + q + " and answers 401 Invalid Bearer token. Store it without quotes."})
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	scheme, rest, sep := s, "", byte(0)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		scheme, rest, sep = s[:i], strings.TrimLeft(s[i:], " \t"), s[i]
	} else {
		scheme, rest = "", s
	}
	if q := quotedBy(rest); q != "" && len(breaks) == 0 {
		breaks = append(breaks, Slip{Code: SlipQuoted, Breaks: true, Detail: fmt.Sprintf("the token is wrapped in %s quotes (pasted with them?)", q),
			Hint: "The quotes become part of the header: AgentCore receives Bearer " + q + "…" + q + " and answers 401 Invalid Bearer token. Store `Bearer <jwt>` without quotes."})
	}
	twice := func(r string) bool {
		i := strings.IndexAny(r, " \t")
		return i > 0 && strings.EqualFold(r[:i], "bearer")
	}
	switch {
	case scheme == "":
		if key == Key && !strings.EqualFold(s, "bearer") {
			works = append(works, Slip{Code: SlipBare, Detail: "the value is a bare token without `Bearer `",
				Hint: "Agent Gateway adds the prefix itself, so calls work; other readers of the Secret (scripts, curl -H \"Authorization: …\", kubectl agentcore rotate) expect `Bearer <jwt>`. Store `Bearer <jwt>`."})
		}
	case !strings.EqualFold(scheme, "bearer"):
		shown := scheme
		if len(shown) > 12 {
			shown = shown[:12] + "…"
		}
		breaks = append(breaks, Slip{Code: SlipOtherScheme, Breaks: true, Detail: fmt.Sprintf("the value uses the %q scheme, not Bearer", shown),
			Hint: "AgentCore's JWT authorizer takes `Authorization: Bearer <jwt>` only. Store `Bearer <jwt>`."})
	case key != Key:
		breaks = append(breaks, Slip{Code: SlipTwice, Breaks: true, Detail: fmt.Sprintf("the value under key %q starts with %q: the gateway says Bearer twice", key, scheme+" "),
			Hint: "For a key other than Authorization Agent Gateway strips nothing and adds its own `Bearer `: AgentCore receives `Bearer Bearer …` and answers 401 Invalid Bearer token. Store the bare token under this key."})
	case twice(rest):
		breaks = append(breaks, Slip{Code: SlipTwice, Breaks: true, Detail: "the value says Bearer twice (`Bearer Bearer <jwt>`)",
			Hint: "Agent Gateway strips one `Bearer ` and adds its own: AgentCore receives `Bearer Bearer …` and answers 401 Invalid Bearer token. Store `Bearer <jwt>` once."})
	case scheme != "Bearer" || sep != ' ':
		if scheme == "Bearer" {
			breaks = append(breaks, Slip{Code: SlipSchemeCase, Breaks: true, Detail: "a tab, not a space, after `Bearer`",
				Hint: "Agent Gateway strips only `Bearer ` with a space, then adds its own: AgentCore receives `Bearer Bearer\t…` and answers 401 Invalid Bearer token. Write `Bearer <jwt>`."})
			break
		}
		breaks = append(breaks, Slip{Code: SlipSchemeCase, Breaks: true, Detail: fmt.Sprintf("the scheme is written %q, not \"Bearer\"", scheme),
			Hint: "Agent Gateway strips only `Bearer ` written exactly so, then adds its own: AgentCore receives `Bearer " + scheme + " …` and answers 401 Invalid Bearer token. Write `Bearer <jwt>`."})
	case strings.HasPrefix(s, "Bearer  "):
		works = append(works, Slip{Code: SlipSpaces, Detail: "more than one space after `Bearer`",
			Hint: "Agent Gateway trims them, so calls work; other readers may not. Write `Bearer <jwt>` with one space."})
	}
	return append(breaks, works...)
}

func quotedBy(s string) string {
	if len(s) >= 2 {
		for _, q := range []string{`"`, "'", "`"} {
			if strings.HasPrefix(s, q) && strings.HasSuffix(s, q) {
				return q
			}
		}
	}
	return ""
}

// Key slip codes.
const (
	SlipKeyCase = "key-case"
	SlipNoKey   = "no-key"
)

// MissingKey names why the Secret ref (NS/NAME) has no key the gateway reads, given the keys it does have: a key
// that differs only in case or surrounding spaces (`authorization`) is named, with the kubectl command that
// renames it (Fix). Secret keys are case-sensitive; without the key the policy is PartiallyValid and calls reach
// AgentCore without a token (401).
func MissingKey(ref, key string, keys []string) (s Slip, fix string) {
	if key == "" {
		key = Key
	}
	for _, k := range keys {
		if k != key && strings.EqualFold(strings.TrimSpace(k), key) {
			ns, name, _ := strings.Cut(ref, "/")
			esc := strings.NewReplacer("~", "~0", "/", "~1")
			patch := fmt.Sprintf(`[{"op":"move","from":"/data/%s","path":"/data/%s"}]`, esc.Replace(k), esc.Replace(key))
			return Slip{Code: SlipKeyCase, Breaks: true,
				Detail: fmt.Sprintf("Secret %s has the key %q, not %q", ref, k, key),
				Hint:   fmt.Sprintf("Secret keys are case-sensitive: the gateway reads %q, finds nothing and sends no token (the policy is PartiallyValid, AgentCore answers 401). Rename the key.", key),
			}, fmt.Sprintf("kubectl patch secret -n %s %s --type=json -p '%s'", ns, name, patch)
		}
	}
	have := "it has no keys"
	if len(keys) > 0 {
		have = "it has " + strings.Join(keys, ", ")
	}
	return Slip{Code: SlipNoKey, Breaks: true,
		Detail: fmt.Sprintf("Secret %s has no %q key (%s)", ref, key, have),
		Hint:   fmt.Sprintf("The gateway reads %q (backend.auth.secretRef): without it the policy is PartiallyValid and calls reach AgentCore without a token (401).", key),
	}, "kubectl agentcore rotate"
}
