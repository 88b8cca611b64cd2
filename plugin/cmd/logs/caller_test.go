package logs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The caller-token modes in the access log (the lines the sandbox's gateway stand-in writes, Agent Gateway's text
// format): the caller's jwt.sub is shown on its line, and --stats splits the 401s by where they happened.
func TestLogsShowTheCallerAndSplit401s(t *testing.T) {
	const (
		ok       = "2026-12-02T12:00:00.1Z\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=127.0.0.1:5000 http.method=POST http.host=127.0.0.1 http.path=/agentcore http.version=HTTP/1.1 http.status=200 jwt.sub=caller-app protocol=http duration=12ms"
		atGW     = "2026-12-02T12:00:01.1Z\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http route=agentcore/agentcore src.addr=127.0.0.1:5001 http.method=POST http.host=127.0.0.1 http.path=/agentcore http.version=HTTP/1.1 http.status=401 protocol=http error=\"authentication failure: the token is invalid or malformed: Error(InvalidAudience)\" reason=JwtAuth duration=0ms"
		atAC     = "2026-12-02T12:00:02.1Z\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=127.0.0.1:5002 http.method=POST http.host=127.0.0.1 http.path=/agentcore http.version=HTTP/1.1 http.status=401 jwt.sub=other-app protocol=http error=\"Claim 'iss' value mismatch with configuration.\" duration=3ms"
		exchange = "2026-12-02T12:00:03.1Z\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=127.0.0.1:5003 http.method=POST http.host=127.0.0.1 http.path=/agentcore http.version=HTTP/1.1 http.status=500 jwt.sub=caller-app protocol=http error=\"backend authentication failed: token exchange returned status 401 Unauthorized: invalid_client\" reason=UpstreamFailure duration=4ms"
	)
	p := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(p, []byte(strings.Join([]string{ok, atGW, atAC, atGW, exchange}, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, context.Background(), "", "", "", "--file", p, "-o", "text", "--stats")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	ls := lines(out)
	if !strings.Contains(ls[0], "caller=caller-app /agentcore") || !strings.Contains(ls[2], "caller=other-app Claim 'iss'") ||
		strings.Contains(ls[1], "caller=") {
		t.Fatalf("caller not shown where the line has jwt.sub:\n%s", out)
	}
	for _, want := range []string{"401 at   gateway JwtAuth 2 · AgentCore 1\n", "caller   caller-app 2 · other-app 1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("--stats lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, context.Background(), "", "", "", "--file", p, "-o", "json", "--stats", "--status", "401")
	if !strings.Contains(out, `"unauthorized":[{"key":"gateway JwtAuth","count":2},{"key":"AgentCore","count":1}]`) {
		t.Fatalf("json stats:\n%s", out)
	}
}
