package awsops

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// RuntimeARN is a parsed AgentCore runtime ARN:
// arn:<partition>:bedrock-agentcore:<region>:<12-digit account>:runtime/<runtimeId>.
type RuntimeARN struct {
	Partition, Region, Account, RuntimeID string
}

var (
	// runtimeIDRe and gatewayIDRe compile on first use: their counted repeats cost ~0.1–0.2 ms at every start.
	runtimeIDRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}$`)
	})
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	accountRe = regexp.MustCompile(`^\d{12}$`)
)

// ParseRuntimeARN validates an AgentCore runtime ARN. The controller accepts malformed ARNs and the proxy fails
// later, so every ARN the plugin writes goes through here first.
func ParseRuntimeARN(s string) (RuntimeARN, error) {
	a, err := parseAgentCoreARN(s, "runtime", runtimeIDRe(), "is not <name>-<10 alphanumerics> (names: letters, digits, underscores)")
	return RuntimeARN{Partition: a.partition, Region: a.region, Account: a.account, RuntimeID: a.id}, err
}

// agentCoreARN is the parts of arn:<partition>:bedrock-agentcore:<region>:<account>:<resource>/<id>.
type agentCoreARN struct{ partition, region, account, id string }

// parseAgentCoreARN is the one ARN rule for AgentCore resources (runtimes, gateways): resource names the kind,
// idRe the id's shape and idWhy what a bad id is told.
func parseAgentCoreARN(s, resource string, idRe *regexp.Regexp, idWhy string) (agentCoreARN, error) {
	bad := func(why string) (agentCoreARN, error) {
		return agentCoreARN{}, fmt.Errorf("invalid %s ARN %q: %s (want arn:aws:bedrock-agentcore:<region>:<account>:%s/<%s id>)", resource, s, why, resource, resource)
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
	id, ok := strings.CutPrefix(parts[5], resource+"/")
	if !ok {
		return bad("resource is not " + resource + "/<id>")
	}
	if !idRe.MatchString(id) {
		return bad(resource + " id " + id + " " + idWhy)
	}
	return agentCoreARN{partition: parts[1], region: parts[3], account: parts[4], id: id}, nil
}

// idFrom is the one id-or-ARN rule of AgentCore resources (RuntimeIDFrom, GatewayIDFrom): an ARN goes to arnID,
// which parses it and returns its id; an id must match idRe, whose shape want names.
func idFrom(idOrARN, resource string, idRe *regexp.Regexp, want string, arnID func(string) (string, error)) (string, error) {
	s := strings.TrimSpace(idOrARN)
	if strings.HasPrefix(s, "arn:") {
		return arnID(s)
	}
	if !idRe.MatchString(s) {
		return "", fmt.Errorf("invalid %s id %q: want %s or a %s ARN", resource, s, want, resource)
	}
	return s, nil
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
