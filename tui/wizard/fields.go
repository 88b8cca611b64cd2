package wizard

// This file: how form fields are bound to the model (under its lock: huh reads descriptions from its own
// goroutines) and the live lines shown under fields as the user types. The rules themselves are plugin/wizard's.

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/humantime"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// pasteARN is the runtime list's "paste an ARN…" choice.
const pasteARN = "\x00paste"

// lockedAccessor binds a form field to a value guarded by the model's lock.
type lockedAccessor[T any] struct {
	mu *sync.Mutex
	p  *T
}

func (l lockedAccessor[T]) Get() T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return *l.p
}

func (l lockedAccessor[T]) Set(v T) {
	l.mu.Lock()
	*l.p = v
	l.mu.Unlock()
}

func (m *Model) acc(p *string) lockedAccessor[string] { return lockedAccessor[string]{m.mu, p} }

func (m *Model) get(p *string) string { return m.acc(p).Get() }

func (m *Model) set(p *string, v string) { m.acc(p).Set(v) }

// chosenARN is the runtime picked from the list or pasted (called from huh's goroutines: reads under the lock).
func (m *Model) chosenARN(listed bool) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runtimeChoice == pasteARN || m.runtimeChoice == "" || !listed {
		return m.pastedARN
	}
	return m.runtimeChoice
}

// optional skips check for an empty value (the default applies).
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return check(s)
	}
}

// onlyFor applies check only while the identity choice is choice (the other choices' fields are hidden).
func onlyFor(m *Model, choice string, check func(string) error) func(string) error {
	return func(s string) error {
		if m.idChoice != choice {
			return nil
		}
		return check(s)
	}
}

func nonEmpty(what string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("enter %s", what)
		}
		return nil
	}
}

// checkARN validates a runtime ARN as the plan will: its shape, and its region against --region.
func (m *Model) checkARN(s string) (awsops.RuntimeARN, error) {
	return wz.CheckRuntimeARN(s, m.Answers.Region)
}

// checkTarget accepts a runtime ARN or an AgentCore Gateway id or ARN, by the rules the plan applies.
func (m *Model) checkTarget(s string) error {
	_, err := m.checkARN(s)
	if err == nil || strings.HasPrefix(strings.TrimSpace(s), "arn:") && strings.Contains(s, ":runtime/") {
		return err
	}
	if _, _, gerr := wz.CheckAgentCoreGateway(s, m.Answers.Region); gerr == nil {
		return nil
	}
	return err
}

// checkBurst reads and validates the burst field as the plan will (with the --rate-limit-kind given).
func (m *Model) checkBurst(burst, rate string) (int32, error) {
	n, err := wz.ParseBurst(burst)
	if err == nil {
		err = wz.CheckBurst(n, rate, m.Answers.RateLimitKind)
	}
	if errors.Is(err, wz.ErrBurstNeedsRateLimit) {
		err = errors.New("a burst needs a rate limit above")
	}
	return n, err
}

// checkStatus is the live line under an id field: what to type, ✔, or ✖ and why.
func (m *Model) checkStatus(s string, check func(string) error, want string) string {
	if strings.TrimSpace(s) == "" {
		return want
	}
	if err := check(s); err != nil {
		return m.theme.Symbol(style.Fail) + " " + err.Error()
	}
	return m.theme.Symbol(style.Pass)
}

// arnStatus is the live line under the ARN field: what is wrong, or region, account and invocation path.
func (m *Model) arnStatus(s string) string {
	if strings.TrimSpace(s) == "" {
		return "arn:aws:bedrock-agentcore:<region>:<account>:runtime/<name>-<10 characters>"
	}
	arn, err := m.checkARN(s)
	if err != nil {
		if id, garn, gerr := wz.CheckAgentCoreGateway(s, m.Answers.Region); gerr == nil && !strings.Contains(s, ":runtime/") {
			where := "the AWS region"
			if garn != nil {
				where = garn.Region
			}
			return m.theme.Symbol(style.Pass) + " AgentCore Gateway " + id + " in " + where + " · MCP, reached by rewrite"
		}
		return m.theme.Symbol(style.Fail) + " " + err.Error()
	}
	line := fmt.Sprintf("%s region %s · account %s · runtime %s\ninvocation path %s", m.theme.Symbol(style.Pass), arn.Region, arn.Account, arn.RuntimeID, arn.InvocationPath())
	if l := m.loaders.Region; l != "" && l != arn.Region {
		line += fmt.Sprintf("\n%s the list above is %s; the wizard works in %s for this runtime", m.theme.Symbol(style.Warn), l, arn.Region)
	}
	return line
}

// discoveryStatus is the live line under the discovery URL: what to type, the issuer it names, or what is wrong.
func (m *Model) discoveryStatus(s string) string {
	if strings.TrimSpace(s) == "" {
		return "the issuer + " + wz.DiscoverySuffix + " (AgentCore rejects the bare issuer)"
	}
	if err := wz.CheckDiscoveryURL(s); err != nil {
		return m.theme.Symbol(style.Fail) + " " + err.Error()
	}
	return m.theme.Symbol(style.Pass) + " issuer " + strings.TrimSuffix(strings.TrimSpace(s), wz.DiscoverySuffix)
}

// tokenStatus is the live line under the pasted-token field: the claims that matter, or what is wrong.
func (m *Model) tokenStatus(s string) string {
	if strings.TrimSpace(s) == "" {
		return "optional: paste the token here (hidden), or give a token file; else the Secret gets a placeholder"
	}
	tok, err := wz.PastedToken(s)
	if err != nil {
		return m.theme.Symbol(style.Fail) + " " + err.Error()
	}
	claims, _ := jwtparts.Claims(tok)
	var parts []string
	iss, _ := claims["iss"].(string)
	parts = append(parts, "iss "+iss)
	if aud := claims["aud"]; aud != nil {
		parts = append(parts, fmt.Sprint("aud ", aud))
	}
	if exp, ok := claims["exp"].(float64); ok {
		parts = append(parts, "expires "+humantime.Relative(time.Unix(int64(exp), 0), time.Now()))
	}
	sym := style.Pass
	issuer := strings.TrimSuffix(m.get(&m.Answers.DiscoveryURL), wz.DiscoverySuffix)
	if issuer != "" && iss != issuer {
		sym = style.Warn
		parts = append(parts, "iss is not the discovery URL's issuer "+issuer)
	}
	return m.theme.Symbol(sym) + " " + strings.Join(parts, " · ")
}

// burstStatus is the live line under the burst field: none, what it allows and which limiter takes it, or
// what is wrong.
func (m *Model) burstStatus() string {
	m.mu.Lock()
	burst, rate, kinds := m.burst, m.rateLimit, m.kinds
	m.mu.Unlock()
	n, err := m.checkBurst(burst, rate)
	switch {
	case err != nil:
		return m.theme.Symbol(style.Fail) + " " + err.Error()
	case n == 0:
		return "none"
	case wz.BurstUsesLocal(n, m.Answers.RateLimitKind, kinds):
		return fmt.Sprintf("up to %d extra requests in a burst; uses the local (per-proxy) limiter: a RateLimitConfig has no burst", n)
	}
	return fmt.Sprintf("up to %d extra requests in a burst (traffic.rateLimit.local burst)", n)
}

// esc keeps huh's note markup (_ * ` \\) from eating characters of names, paths and errors.
func esc(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "_", `\_`, "*", `\*`, "`", "\\`")
	return r.Replace(s)
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
