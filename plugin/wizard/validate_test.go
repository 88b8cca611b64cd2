package wizard_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
)

const testARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

// TestBurstRule: one rule for the TUI's burst field and for flags. A burst lives only in the local limiter
// (traffic.rateLimit.local[].burst; a RateLimitConfig has none), so it needs a rate limit, is refused with the
// global limiter asked for by name, and with no kind named it moves the rate limit to the local limiter on a
// cluster that serves the global one.
func TestBurstRule(t *testing.T) {
	enterprise := k8sres.Kinds{EnterprisePolicy: true, RateLimitConfig: true}
	cases := []struct {
		name        string
		burst       int32
		rate, kind  string
		err         string // "" = accepted
		needsRate   bool
		movesToLcl  bool
		normalizeOK bool
	}{
		{name: "no burst", burst: 0, rate: "", normalizeOK: true},
		{name: "no burst, global", burst: 0, rate: "3/minute", kind: "global", normalizeOK: true},
		{name: "burst without rate", burst: 4, needsRate: true, err: "needs a rate limit"},
		{name: "negative", burst: -1, rate: "3/minute", err: "≥ 0"},
		{name: "burst, kind unset", burst: 4, rate: "3/minute", movesToLcl: true, normalizeOK: true},
		{name: "burst, local", burst: 4, rate: "3/minute", kind: "local", normalizeOK: true},
		{name: "burst, global by name", burst: 4, rate: "3/minute", kind: "global", err: "RateLimitConfig has no burst"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := wz.CheckBurst(c.burst, c.rate, c.kind)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("CheckBurst(%d, %q, %q) = %v, want %q", c.burst, c.rate, c.kind, err, c.err)
			}
			if errors.Is(err, wz.ErrBurstNeedsRateLimit) != c.needsRate {
				t.Fatalf("needs-rate = %v", errors.Is(err, wz.ErrBurstNeedsRateLimit))
			}
			if got := wz.BurstUsesLocal(c.burst, c.kind, enterprise); err == nil && got != c.movesToLcl {
				t.Fatalf("BurstUsesLocal = %v", got)
			}
			// The plan applies the same rule to the flags.
			cfg, nerr := wz.Normalize(wz.Answers{RuntimeARN: testARN, Mode: "sigv4", RateLimit: c.rate, RateLimitKind: c.kind, RateLimitBurst: c.burst}, "")
			if (nerr == nil) != c.normalizeOK {
				t.Fatalf("Normalize: %v", nerr)
			}
			if nerr == nil && c.burst > 0 && cfg.RateLimit.Burst != c.burst {
				t.Fatalf("burst not kept: %+v", cfg.RateLimit)
			}
		})
	}
	if n, err := wz.ParseBurst(" 7 "); n != 7 || err != nil {
		t.Fatalf("ParseBurst: %d %v", n, err)
	}
	for _, bad := range []string{"x", "-2", "1.5", "99999999999"} {
		if _, err := wz.ParseBurst(bad); err == nil {
			t.Fatalf("ParseBurst(%q) accepted", bad)
		}
	}
}

// TestFieldChecks: the validators the TUI calls as you type refuse what Normalize refuses for the same answer.
func TestFieldChecks(t *testing.T) {
	cases := []struct {
		name  string
		check error
		a     wz.Answers
		want  string
	}{
		{"gateway", wz.CheckGateway("Team/edge"), wz.Answers{Gateway: "Team/edge"}, "want NAMESPACE/NAME"},
		{"gateway no slash", wz.CheckGateway("edge"), wz.Answers{Gateway: "edge"}, "want NAMESPACE/NAME"},
		{"namespace", wz.CheckNamespace("Agent_core"), wz.Answers{RouteNamespace: "Agent_core"}, "lower-case letters"},
		{"namespace too long", wz.CheckNamespace(strings.Repeat("a", 64)), wz.Answers{RouteNamespace: strings.Repeat("a", 64)}, "at most 63"},
		{"path prefix", wz.CheckPathPrefix("agentcore"), wz.Answers{PathPrefix: "agentcore"}, "must start with /"},
		{"discovery", wz.CheckDiscoveryURL("https://idp.example.com/"), wz.Answers{Identity: "external", DiscoveryURL: "https://idp.example.com/", Audience: []string{"a"}}, "/.well-known/openid-configuration"},
		{"pool id", wz.CheckUserPoolID("nope"), wz.Answers{UserPoolID: "nope"}, "not a user pool id"},
		{"client id", wz.CheckClientID("a b"), wz.Answers{ClientID: "a b"}, "not an app client id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.check == nil || !strings.Contains(c.check.Error(), c.want) {
				t.Fatalf("check: %v, want %q", c.check, c.want)
			}
			a := c.a
			a.RuntimeARN = testARN
			_, err := wz.Normalize(a, "")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Normalize: %v, want %q", err, c.want)
			}
		})
	}
	for _, ok := range []error{wz.CheckGateway("agentgateway-system/agentgateway-proxy"), wz.CheckNamespace("agentcore"),
		wz.CheckPathPrefix("/agentcore"), wz.CheckDiscoveryURL("https://idp.example.com/.well-known/openid-configuration"),
		wz.CheckUserPoolID("us-east-1_AbCdEf123"), wz.CheckClientID("5pk1q2abcdefgh")} {
		if ok != nil {
			t.Fatalf("refused a good value: %v", ok)
		}
	}
	if _, err := wz.CheckRuntimeARN(testARN, "eu-west-1"); err == nil || !strings.Contains(err.Error(), "in region us-east-1 but --region is eu-west-1") {
		t.Fatalf("region: %v", err)
	}
	if arn, err := wz.CheckRuntimeARN(" "+testARN+" ", ""); err != nil || arn.Region != "us-east-1" {
		t.Fatalf("any region: %v %v", arn, err)
	}
	if _, err := wz.PastedToken("Bearer a.b"); err == nil {
		t.Fatal("a token with two parts was accepted")
	}
}
