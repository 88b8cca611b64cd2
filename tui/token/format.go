// Package token renders a token inspection (plugin/tokencheck.Report): Lines is the text both the plain-text
// output and the TUI show; Model is the Bubble Tea screen with a live expiry countdown, which asks for a token
// (masked input) when none was given. No API calls here: the command passes an Inspect function.
//
// This file: the shared text layout.
package token

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// timeClaims are the claims shown as times.
var timeClaims = []string{"exp", "iat", "nbf", "auth_time", "updated_at"}

// Findings are the report's findings with the time-dependent ones recomputed at now (for the live countdown).
func Findings(r *tokencheck.Report, now time.Time) []tokencheck.Finding {
	live := tokencheck.CheckToken(r.Tok, now)
	out := append([]tokencheck.Finding(nil), live...)
	for _, f := range r.Findings {
		if !slices.ContainsFunc(live, func(l tokencheck.Finding) bool { return l.ID == f.ID }) {
			out = append(out, f)
		}
	}
	return out
}

// Lines is the report as text lines at now. Colour and symbols come from the theme.
func Lines(r *tokencheck.Report, now time.Time, t style.Theme) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	field := func(name, value string) { add(" %s %s", t.Faint.Render(fmt.Sprintf("%-10s", name)), value) }
	section := func(name string) { out = append(out, "", " "+t.Bold.Render(name)) }
	dash := t.Faint.Render("—")
	or := func(s string) string {
		if s == "" {
			return dash
		}
		return s
	}

	field("Token", r.Token)
	field("Kind", fmt.Sprintf("%s · %s", r.Kind, r.Kind.Describe()))
	field("Issuer", or(r.Issuer))
	field("Subject", or(r.Subject))
	field("Audience", or(strings.Join(r.Audience, ", ")))
	client := or(r.ClientID)
	if r.ClientID == "" && r.Tok != nil && r.Tok.AuthorizedParty != "" {
		client += t.Faint.Render(fmt.Sprintf("  (no client_id; %s=%s)", r.Tok.AuthorizedPartyClaim, r.Tok.AuthorizedParty))
	}
	field("Client", client)
	scopes := or(strings.Join(r.Scopes, " "))
	if r.Tok != nil && r.Tok.ScopeClaim == "scp" {
		scopes += t.Faint.Render("  (in scp)")
	}
	field("Scopes", scopes)
	field("Key", fmt.Sprintf("%s · kid %s", r.Alg, or(r.KeyID)))
	expiry := func(label string, tm *time.Time, status tokencheck.Status) {
		if tm == nil {
			field(label, dash)
			return
		}
		s := fmt.Sprintf("%s · %s", When(*tm), Countdown(*tm, now))
		if status != "" {
			s += "  " + t.Symbol(style.Status(status))
		}
		field(label, s)
	}
	fs := Findings(r, now)
	expStatus := tokencheck.Worst(pick(fs, "token.expired", "token.expiring"))
	expiry("Expires", r.ExpiresAt, expStatus)
	expiry("Issued", r.IssuedAt, "")
	if r.NotBefore != nil {
		expiry("Not before", r.NotBefore, "")
	}
	switch s := r.Signature; {
	case s == nil:
		field("Signature", t.Faint.Render("not checked (add --verify)"))
	case s.Verified:
		field("Signature", fmt.Sprintf("%s verified (kid %s, %s) with %s", t.Symbol(style.Pass), or(s.KeyID), s.Alg, s.JWKSURI))
	default:
		field("Signature", fmt.Sprintf("%s %s", t.Symbol(style.Fail), s.Error))
	}

	section("Checks")
	for _, f := range fs {
		if f.Status == tokencheck.StatusSkip {
			continue
		}
		add("   %s %-15s %s", t.Symbol(style.Status(f.Status)), f.Title, f.Detail)
		if f.Status == tokencheck.StatusFail || f.Status == tokencheck.StatusWarn {
			if f.Hint != "" {
				add("     %s", t.Faint.Render(f.Hint))
			}
			if f.Fix != "" {
				add("     %s %s", t.Faint.Render("fix"), f.Fix)
			}
		}
	}

	section("Authorizer fit")
	for _, e := range r.Explain {
		add("   %s", e)
	}
	if r.Suggested != nil {
		add("   %s %s", t.Faint.Render("accepts it:"), r.Suggested.ConfigJSON())
	}

	section("Header")
	out = append(out, kv(r.Header, now, t)...)
	section("Claims")
	out = append(out, kv(r.Claims, now, t)...)
	return out
}

// WriteText writes the report as plain text (the non-terminal and -o text output).
func WriteText(w io.Writer, r *tokencheck.Report, now time.Time, t style.Theme) error {
	_, err := io.WriteString(w, strings.Join(Lines(r, now, t), "\n")+"\n")
	return err
}

func pick(fs []tokencheck.Finding, ids ...string) []tokencheck.Finding {
	var out []tokencheck.Finding
	for _, f := range fs {
		if slices.Contains(ids, f.ID) {
			out = append(out, f)
		}
	}
	return out
}

func kv(m map[string]any, now time.Time, t style.Theme) []string {
	keys := make([]string, 0, len(m))
	w := 0
	for k := range m {
		keys = append(keys, k)
		w = max(w, len(k))
	}
	sort.Strings(keys)
	w = min(w, 24)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("   %s  %s", t.Faint.Render(fmt.Sprintf("%-*s", w, k)), value(k, m[k], now)))
	}
	return out
}

func value(k string, v any, now time.Time) string {
	if f, ok := v.(float64); ok && slices.Contains(timeClaims, k) && f > 0 && f < 1e11 {
		tm := time.Unix(int64(f), 0)
		return fmt.Sprintf("%d · %s (%s)", int64(f), When(tm), style.Relative(tm, now))
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			if es, ok := e.(string); ok {
				parts[i] = es
			} else {
				b, _ := json.Marshal(e)
				parts[i] = string(b)
			}
		}
		s = "[" + strings.Join(parts, ", ") + "]"
	default:
		b, _ := json.Marshal(v)
		s = string(b)
	}
	// Claims may embed other tokens; never print them.
	return redact.Text(strings.ReplaceAll(s, "\n", " "))
}

// When is a time in the local zone: "2026-03-01 13:00:00 CET".
func When(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }

// Countdown says how far t is from now to the second: "in 41m12s", "expired 3h02m ago" style ("3h02m ago").
func Countdown(t, now time.Time) string {
	d := t.Sub(now).Truncate(time.Second)
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Second:
		return "now"
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	default:
		s = fmt.Sprintf("%dd%02dh", int(d.Hours()/24), int(d.Hours())%24)
	}
	if neg {
		return s + " ago"
	}
	return "in " + s
}
