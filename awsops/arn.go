package awsops

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// RuntimeARN is a parsed AgentCore runtime ARN:
// arn:<partition>:bedrock-agentcore:<region>:<12-digit account>:runtime/<runtimeId>.
type RuntimeARN struct {
	Partition, Region, Account, RuntimeID string
}

var (
	runtimeIDRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	accountRe   = regexp.MustCompile(`^\d{12}$`)
)

// ParseRuntimeARN validates an AgentCore runtime ARN. The controller accepts malformed ARNs and the proxy fails
// later, so every ARN the plugin writes goes through here first.
func ParseRuntimeARN(s string) (RuntimeARN, error) {
	bad := func(why string) (RuntimeARN, error) {
		return RuntimeARN{}, fmt.Errorf("invalid runtime ARN %q: %s (want arn:aws:bedrock-agentcore:<region>:<account>:runtime/<name>-<10 chars>)", s, why)
	}
	parts := strings.SplitN(strings.TrimSpace(s), ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return bad("not an ARN")
	}
	switch parts[1] {
	case "aws", "aws-cn", "aws-us-gov":
	default:
		return bad("unknown partition " + parts[1])
	}
	if parts[2] != "bedrock-agentcore" {
		return bad("service is " + parts[2] + ", not bedrock-agentcore")
	}
	if !regionRe.MatchString(parts[3]) {
		return bad("bad region " + parts[3])
	}
	if !accountRe.MatchString(parts[4]) {
		return bad("account must be 12 digits")
	}
	id, ok := strings.CutPrefix(parts[5], "runtime/")
	if !ok {
		return bad("resource is not runtime/<id>")
	}
	if !runtimeIDRe.MatchString(id) {
		return bad("runtime id " + id + " is not <name>-<10 alphanumerics> (names: letters, digits, underscores)")
	}
	return RuntimeARN{Partition: parts[1], Region: parts[3], Account: parts[4], RuntimeID: id}, nil
}

// String is the ARN again.
func (a RuntimeARN) String() string {
	return fmt.Sprintf("arn:%s:bedrock-agentcore:%s:%s:runtime/%s", a.Partition, a.Region, a.Account, a.RuntimeID)
}

// Name is the runtime's name (the id without its 10-character suffix).
func (a RuntimeARN) Name() string {
	if i := strings.LastIndexByte(a.RuntimeID, '-'); i > 0 {
		return a.RuntimeID[:i]
	}
	return a.RuntimeID
}

// DataPlaneHost is the invocation endpoint's host for the ARN's region.
func (a RuntimeARN) DataPlaneHost() string {
	suffix := "amazonaws.com"
	if a.Partition == "aws-cn" {
		suffix = "amazonaws.com.cn"
	}
	return "bedrock-agentcore." + a.Region + "." + suffix
}

// InvocationPath is /runtimes/<fully url-encoded ARN>/invocations (":" → %3A, "/" → %2F).
func (a RuntimeARN) InvocationPath() string {
	return "/runtimes/" + EncodeARN(a.String()) + "/invocations"
}

// EncodeARN url-encodes an ARN completely, as the invocation path needs (QueryEscape, with spaces as %20).
func EncodeARN(arn string) string {
	return strings.ReplaceAll(url.QueryEscape(arn), "+", "%20")
}
