package wizard

// This file: the rule for each answer that can be wrong on its own. Normalize applies them to flags and --config
// files; the TUI calls the same functions as the user types, so a page never accepts what the plan refuses.
// Each returns the reason only ("want NAMESPACE/NAME …"); Normalize names the flag.

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
)

var (
	// nameRe is a Kubernetes namespace or object name (RFC 1123 label).
	nameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// userPoolIDRe and clientIDRe are the patterns Cognito's API documents for UserPoolId and ClientId.
	userPoolIDRe = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	clientIDRe   = regexp.MustCompile(`^[\w+]+$`) // 1–128 characters: checked apart (a counted repeat is slow to compile)
)

// DiscoverySuffix ends every OIDC discovery URL; AgentCore's JWT authorizer rejects the bare issuer.
const DiscoverySuffix = "/.well-known/openid-configuration"

// CheckGateway validates a Gateway reference, NAMESPACE/NAME.
func CheckGateway(s string) error {
	ns, name, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || CheckNamespace(ns) != nil || !nameRe.MatchString(name) || len(name) > 253 {
		return errors.New("want NAMESPACE/NAME, e.g. agentgateway-system/agentgateway-proxy")
	}
	return nil
}

// CheckNamespace validates a namespace name: lower-case letters, digits and '-', at most 63 characters.
func CheckNamespace(s string) error {
	if !nameRe.MatchString(s) || len(s) > 63 {
		return errors.New("a namespace name is lower-case letters, digits and '-' (at most 63, starting and ending with a letter or digit)")
	}
	return nil
}

// CheckPathPrefix validates the path prefix on the gateway.
func CheckPathPrefix(s string) error {
	if !strings.HasPrefix(s, "/") {
		return errors.New("it must start with /")
	}
	return nil
}

// CheckRuntimeARN parses a runtime ARN and checks it is in region (the --region flag; "" = any region).
func CheckRuntimeARN(s, region string) (awsops.RuntimeARN, error) {
	arn, err := awsops.ParseRuntimeARN(strings.TrimSpace(s))
	if err != nil {
		return arn, err
	}
	if region != "" && arn.Region != region {
		return arn, fmt.Errorf("the runtime ARN is in region %s but --region is %s. Pass --region %s, or the ARN of a runtime in %s", arn.Region, region, arn.Region, region)
	}
	return arn, nil
}

// CheckAgentCoreGateway validates an AgentCore Gateway id or ARN; an ARN must be in region ("" = any region) and
// is returned parsed (nil for an id).
func CheckAgentCoreGateway(s, region string) (string, *awsops.GatewayARN, error) {
	s = strings.TrimSpace(s)
	id, err := awsops.GatewayIDFrom(s)
	if err != nil {
		return "", nil, err
	}
	if !strings.HasPrefix(s, "arn:") {
		return id, nil, nil
	}
	arn, _ := awsops.ParseGatewayARN(s)
	if region != "" && arn.Region != region {
		return "", nil, fmt.Errorf("the gateway ARN is in region %s but --region is %s. Pass --region %s, or the ARN of a gateway in %s", arn.Region, region, arn.Region, region)
	}
	return id, &arn, nil
}

// CheckMCPURL validates an AgentCore Gateway's MCP URL (http or https, a host, a path).
func CheckMCPURL(s string) error {
	_, err := ParseMCPURL(s)
	return err
}

// ParseMCPURL parses an MCP URL (see CheckMCPURL).
func ParseMCPURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Path == "" || u.Path == "/" || u.RawQuery != "" {
		return nil, errors.New("want https://<gateway id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp (scheme, host and path, no query)")
	}
	return u, nil
}

// portOf is the URL's port, or the scheme's.
func portOf(u *url.URL) int64 {
	if p, err := strconv.ParseInt(u.Port(), 10, 64); err == nil {
		return p
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}

// CheckDiscoveryURL validates an OIDC discovery URL: scheme, host and the well-known path.
func CheckDiscoveryURL(s string) error {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" || !strings.HasSuffix(u.Path, DiscoverySuffix) {
		return errors.New("want https://<issuer>" + DiscoverySuffix)
	}
	return nil
}

// CheckTokenURL validates an OAuth 2.0 token endpoint: http(s), a host, no fragment.
func CheckTokenURL(s string) error {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return errors.New("want https://<host>/oauth2/token (scheme and host)")
	}
	return nil
}

// CheckUserPoolID validates a Cognito user pool id (region_id).
func CheckUserPoolID(s string) error {
	if !userPoolIDRe.MatchString(strings.TrimSpace(s)) {
		return errors.New("not a user pool id: want region_id, e.g. us-east-1_AbCdEf123")
	}
	return nil
}

// CheckClientID validates a Cognito app client id.
func CheckClientID(s string) error {
	if t := strings.TrimSpace(s); len(t) > 128 || !clientIDRe.MatchString(t) {
		return errors.New("not an app client id: want letters and digits")
	}
	return nil
}

// ErrBurstNeedsRateLimit: a burst is an allowance above a rate, so it needs a rate limit.
var ErrBurstNeedsRateLimit = errors.New("a burst needs a rate limit")

// ParseBurst reads a burst typed as text: empty or 0 is none.
func ParseBurst(s string) (int32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, errors.New("a whole number ≥ 0")
	}
	return int32(n), nil
}

// CheckBurst is the one burst rule. Only the local limiter (traffic.rateLimit.local[].burst) has a burst; an
// Enterprise RateLimitConfig has none. So a burst needs a rate limit (ErrBurstNeedsRateLimit), is refused when
// the global limiter was asked for by name (kind "global"), and with kind "" it moves the rate limit to the
// local limiter (BurstUsesLocal says when that changes what would otherwise be chosen).
func CheckBurst(burst int32, rateLimit, kind string) error {
	switch {
	case burst < 0:
		return errors.New("extra requests allowed in a burst, ≥ 0")
	case burst == 0:
		return nil
	case strings.TrimSpace(rateLimit) == "":
		return ErrBurstNeedsRateLimit
	case kind == "global":
		return errors.New("a burst needs the local (per-proxy) limiter: an Enterprise RateLimitConfig has no burst. Use --rate-limit-kind local, or no burst")
	}
	return nil
}

// BurstUsesLocal reports whether a burst makes the rate limit use the local limiter where the global one would
// otherwise be chosen: no kind was named and the cluster serves the Enterprise policy and RateLimitConfig.
func BurstUsesLocal(burst int32, kind string, kinds k8sres.Kinds) bool {
	return burst > 0 && kind == "" && kinds.EnterprisePolicy && kinds.RateLimitConfig
}

// PastedToken is a token pasted as an answer without "Bearer " and spaces; it must decode as a JWT.
func PastedToken(s string) (string, error) {
	t := bearer.Token(s)
	if _, err := jwtparts.Claims(t); err != nil {
		return "", fmt.Errorf("the pasted token: %w", err)
	}
	return t, nil
}
