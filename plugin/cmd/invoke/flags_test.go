package invoke

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	uc "github.com/kubectl-agentcore/kubectl-agentcore/plugin/invoke"
)

// TestFlagsToOptions: the command line (and stdin for --data-file -) becomes Options with the payload to send,
// through the runF seam (nothing is sent, no cluster), and every bad value or combination is a usage error (exit 2).
func TestFlagsToOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "payload.json")
	if err := os.WriteFile(file, []byte(`{"input":"from file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sid := "0123456789abcdef0123456789abcdef01"
	defaults := func(edit func(o *Options)) *Options {
		o := &Options{Timeout: 2 * time.Minute, Output: cmdutil.OutputText}
		edit(o)
		return o
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        *Options // nil: a usage error
	}{
		{"prompt", "", []string{"hello"}, defaults(func(o *Options) { o.Prompt, o.payload = "hello", uc.DefaultPayload("hello") })},
		{"data, direct", "", []string{"--data", `{"a":1}`, "--direct", "--runtime-arn", arn, "--qualifier", "DEFAULT", "--session-id", sid, "--stream", "--timeout", "5s", "-o", "json"},
			defaults(func(o *Options) {
				o.Data, o.payload, o.Direct, o.RuntimeARN, o.Qualifier, o.SessionID, o.Stream, o.Timeout, o.Output =
					`{"a":1}`, []byte(`{"a":1}`), true, arn, "DEFAULT", sid, true, 5*time.Second, "json"
			})},
		{"data file", "", []string{"--data-file", file, "--gateway-url", "http://127.0.0.1:8080/agentcore", "--route", "ns/rt"},
			defaults(func(o *Options) {
				o.DataFile, o.payload, o.Gateway, o.Route = file, []byte(`{"input":"from file"}`), "http://127.0.0.1:8080/agentcore", "ns/rt"
			})},
		{"data on stdin", `{"input":"piped"}`, []string{"--data-file", "-"},
			defaults(func(o *Options) { o.DataFile, o.payload = "-", []byte(`{"input":"piped"}`) })},
		{"hidden --gateway", "", []string{"hi", "--gateway", "http://gw"},
			defaults(func(o *Options) { o.Prompt, o.payload, o.Gateway = "hi", uc.DefaultPayload("hi"), "http://gw" })},
		{"mcp tool call", "", []string{"--mcp", "--tool", "add", "--args", `{"a":1}`},
			defaults(func(o *Options) {
				o.MCP, o.Tool, o.Args, o.args = true, "add", `{"a":1}`, map[string]any{"a": float64(1)}
			})},
		{"caller token", "", []string{"hi", "--bearer-from", "file:caller.jwt"},
			defaults(func(o *Options) { o.Prompt, o.payload, o.BearerFrom = "hi", uc.DefaultPayload("hi"), "file:caller.jwt" })},
		{"caller token as a value", "", []string{"hi", "--bearer-from", "eyJhbGciOiJub25lIn0.e30.x"}, nil},
		{"caller token with --direct", "", []string{"hi", "--direct", "--bearer-from", "env:T"}, nil},
		{"two arguments", "", []string{"a", "b"}, nil},
		{"unknown flag", "", []string{"hi", "--frobnicate"}, nil},
		{"duration that does not parse", "", []string{"hi", "--timeout", "soon"}, nil},
		{"nothing to send", "", nil, nil},
		{"prompt and data", "", []string{"hi", "--data", `{}`}, nil},
		{"data not JSON", "", []string{"--data", `{not json`}, nil},
		{"data file missing", "", []string{"--data-file", "/nonexistent/payload.json"}, nil},
		{"short session id", "", []string{"hi", "--session-id", "short"}, nil},
		{"gateway url without scheme", "", []string{"hi", "--gateway-url", "127.0.0.1:8080"}, nil},
		{"direct with a gateway url", "", []string{"hi", "--direct", "--gateway-url", "http://x"}, nil},
		{"route without namespace", "", []string{"hi", "--route", "noslash"}, nil},
		{"timeout zero", "", []string{"hi", "--timeout", "0s"}, nil},
		{"bad output", "", []string{"hi", "-o", "xml"}, nil},
		{"tool without mcp", "", []string{"--tool", "add"}, nil},
		{"mcp with a prompt", "", []string{"--mcp", "hi"}, nil},
		{"args without tool", "", []string{"--mcp", "--args", `{}`}, nil},
		{"mcp direct (the setup's AgentCore Gateway MCP URL)", "", []string{"--mcp", "--direct"}, defaults(func(o *Options) { o.MCP, o.Direct = true, true })},
		{"direct without a payload (decided by the setup record)", "", []string{"--direct"}, defaults(func(o *Options) { o.Direct = true })},
		{"direct tool (implies --mcp on a gateway setup)", "", []string{"--direct", "--tool", "echo"}, defaults(func(o *Options) { o.Direct, o.Tool = true, "echo" })},
		{"mcp direct with a gateway url", "", []string{"--mcp", "--direct", "--gateway-url", "http://x"}, nil},
		{"mcp direct with a runtime arn", "", []string{"--mcp", "--direct", "--runtime-arn", arn}, nil},
		{"mcp stream", "", []string{"--mcp", "--stream"}, nil},
		{"args not an object", "", []string{"--mcp", "--tool", "add", "--args", `[1]`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, res := cmdtest.ParseIn(cmdtest.Env{Stdin: tc.stdin}, NewCmd, tc.args...)
			cmdtest.Expect(t, got, res, tc.want, func(o *Options) { o.f = nil })
		})
	}
}
