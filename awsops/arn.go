package awsops

import (
	"fmt"
	"net/url"
	"strings"
)

// RuntimeARN is a parsed AgentCore runtime ARN:
// arn:<partition>:bedrock-agentcore:<region>:<12-digit account>:runtime/<runtimeId>.
type RuntimeARN struct {
	Partition, Region, Account, RuntimeID string
}

// The shapes of an ARN's parts are checked byte by byte, not with regular expressions: doctor --all parses every
// setup's ARN several times, and three regexp matches an ARN were ~5% of its CPU. arn_test.go holds each
// function's regular expression and checks that both agree.

// isRuntimeID: <name>-<10 alphanumerics>, the name a letter then up to 47 letters, digits or underscores
// (^[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}$).
func isRuntimeID(s string) bool {
	n := len(s)
	if n < 12 || n > 59 || s[n-11] != '-' || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < n-11; i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	for i := n - 10; i < n; i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) {
			return false
		}
	}
	return true
}

// isRegion: two lowercase letters, "-gov" or not, "-", lowercase letters, "-", one digit (us-east-1,
// us-gov-west-1; ^[a-z]{2}(-gov)?-[a-z]+-\d$).
func isRegion(s string) bool {
	var buf [5]string
	parts := buf[:cutN(s, "-", buf[:])]
	if len(parts) == 4 && parts[1] == "gov" {
		parts = []string{parts[0], parts[2], parts[3]}
	}
	if len(parts) != 3 || len(parts[0]) != 2 || !isLower(parts[0]) || parts[1] == "" || !isLower(parts[1]) {
		return false
	}
	return len(parts[2]) == 1 && isDigit(parts[2][0])
}

// cutN splits s at sep into parts as strings.SplitN(s, sep, len(parts)) would, without allocating, and returns
// how many it filled (ARNs are parsed for every setup doctor --all checks, several times each).
func cutN(s, sep string, parts []string) int {
	n := 0
	for ; n < len(parts)-1; n++ {
		before, after, found := strings.Cut(s, sep)
		if !found {
			break
		}
		parts[n], s = before, after
	}
	parts[n] = s
	return n + 1
}

// isAccount: 12 digits (^\d{12}$).
func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isLower(s string) bool {
	for i := range len(s) {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// ParseRuntimeARN validates an AgentCore runtime ARN. The controller accepts malformed ARNs and the proxy fails
// later, so every ARN the plugin writes goes through here first.
func ParseRuntimeARN(s string) (RuntimeARN, error) {
	a, err := parseAgentCoreARN(s, "runtime", isRuntimeID, "is not <name>-<10 alphanumerics> (names: letters, digits, underscores)")
	return RuntimeARN{Partition: a.partition, Region: a.region, Account: a.account, RuntimeID: a.id}, err
}

// agentCoreARN is the parts of arn:<partition>:bedrock-agentcore:<region>:<account>:<resource>/<id>.
type agentCoreARN struct{ partition, region, account, id string }

// parseAgentCoreARN is the one ARN rule for AgentCore resources (runtimes, gateways): resource names the kind,
// isID the id's shape and idWhy what a bad id is told.
func parseAgentCoreARN(s, resource string, isID func(string) bool, idWhy string) (agentCoreARN, error) {
	bad := func(why string) (agentCoreARN, error) {
		return agentCoreARN{}, fmt.Errorf("invalid %s ARN %q: %s (want arn:aws:bedrock-agentcore:<region>:<account>:%s/<%s id>)", resource, s, why, resource, resource)
	}
	var buf [6]string
	parts := buf[:cutN(strings.TrimSpace(s), ":", buf[:])]
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
	if !isRegion(parts[3]) {
		return bad("bad region " + parts[3])
	}
	if !isAccount(parts[4]) {
		return bad("account must be 12 digits")
	}
	id, ok := strings.CutPrefix(parts[5], resource+"/")
	if !ok {
		return bad("resource is not " + resource + "/<id>")
	}
	if !isID(id) {
		return bad(resource + " id " + id + " " + idWhy)
	}
	return agentCoreARN{partition: parts[1], region: parts[3], account: parts[4], id: id}, nil
}

// idFrom is the one id-or-ARN rule of AgentCore resources (RuntimeIDFrom, GatewayIDFrom): an ARN goes to arnID,
// which parses it and returns its id; an id must pass isID, whose shape want names.
func idFrom(idOrARN, resource string, isID func(string) bool, want string, arnID func(string) (string, error)) (string, error) {
	s := strings.TrimSpace(idOrARN)
	if strings.HasPrefix(s, "arn:") {
		return arnID(s)
	}
	if !isID(s) {
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
