package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
)

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:80": "http://127.0.0.1:80", "/tmp/a b/kc": "'/tmp/a b/kc'", "it's": `'it'\''s'`, "": "''", "a$b": "'a$b'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// Bad input exits 2 (usage) or 1 (failed) with one `error:` line; env and down without a sandbox say so, in the
// folder $AGENTCORE_SANDBOX_DIR names.
func TestCommandsWithoutSandbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sbx")
	t.Setenv(sandbox.DirEnv, dir)
	if got := sandbox.DefaultDir(); got != dir {
		t.Fatalf("DefaultDir = %s, want %s", got, dir)
	}
	for _, tc := range []struct {
		args       []string
		code       int
		stdout     string
		stderrHas  string
		oneErrLine bool
	}{
		{args: []string{"up", "-o", "xml"}, code: 2, stderrHas: `error: unknown output format "xml"`, oneErrLine: true},
		{args: []string{"env", "extra"}, code: 2, stderrHas: `error: unknown command or argument "extra"`, oneErrLine: true},
		{args: []string{"nope"}, code: 2, stderrHas: `error: unknown command or argument "nope"`, oneErrLine: true},
		{args: []string{"down", "--bogus"}, code: 2, stderrHas: "error: unknown flag: --bogus", oneErrLine: true},
		{args: []string{"env"}, code: 1, stderrHas: "error: reading the sandbox: no sandbox is running in " + dir + ". Start it with agentcore-sandbox up", oneErrLine: true},
		{args: []string{"env", "--dir", dir + "-other"}, code: 1, stderrHas: "no sandbox is running in " + dir + "-other", oneErrLine: true},
		{args: []string{"down"}, code: 0, stderrHas: "no sandbox was running in " + dir},
		{args: nil, code: 0, stdout: "Usage:"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.stderrHas) || !strings.Contains(out.String(), tc.stdout) {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, out.String(), errOut.String())
		}
		if tc.oneErrLine && (strings.Count(errOut.String(), "\n") != 1 || out.Len() != 0) {
			t.Errorf("%v: want exactly one error line and no stdout, got stdout %q stderr %q", tc.args, out.String(), errOut.String())
		}
	}
}

// env names the AgentCore Gateway (ARN, MCP URL, tools) the way it names runtimes.
func TestPrintEnvNamesGateway(t *testing.T) {
	st := &sandbox.State{Dir: "/tmp/s", Runtimes: map[string]string{sandbox.EchoRuntime: "arn:rt"},
		AgentCoreGateways: map[string]sandbox.AgentCoreGateway{sandbox.ToolsGateway: {ID: "sandbox-tools-abcdefghij",
			ARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/sandbox-tools-abcdefghij", MCPURL: "http://127.0.0.1:1/gateways/sandbox-tools-abcdefghij/mcp", Tools: []string{"echo", "add"}}}}
	var b bytes.Buffer
	if err := printEnv(&b, st, ""); err != nil {
		t.Fatal(err)
	}
	want := "# agentcore gateway sandbox-tools: arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/sandbox-tools-abcdefghij (MCP http://127.0.0.1:1/gateways/sandbox-tools-abcdefghij/mcp, tools echo, add)\n"
	if !strings.Contains(b.String(), want) || !strings.Contains(b.String(), "# runtime echo_agent: arn:rt\n") {
		t.Fatalf("env output:\n%s\nwant a line %q", b.String(), want)
	}
}

// env names the OAuth server's discovery URL, the demo client and where its secret is (never the secret).
func TestPrintEnvNamesOAuthServer(t *testing.T) {
	st := &sandbox.State{Dir: "/tmp/s", Runtimes: map[string]string{sandbox.EchoRuntime: "arn:rt"},
		OIDC: &sandbox.OIDCDemo{DiscoveryURL: "http://127.0.0.1:9/.well-known/openid-configuration", ClientID: sandbox.DemoClientID,
			SecretFrom: sandbox.DemoSecretFrom, Audience: sandbox.DemoAudience}}
	var b bytes.Buffer
	if err := printEnv(&b, st, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"discovery http://127.0.0.1:9/.well-known/openid-configuration", "demo client sandbox-m2m",
		"secret from secret:sandbox-idp/sandbox-m2m-client/clientSecret", "--identity external --runtime-arn arn:rt"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("env output lacks %q:\n%s", want, b.String())
		}
	}
}

// env gives the caller-token recipes: both wizard modes, how to get a caller's token, how to send it; secrets only
// by where they are.
func TestPrintEnvCallerModes(t *testing.T) {
	st := &sandbox.State{Dir: "/tmp/s", Runtimes: map[string]string{sandbox.EchoRuntime: "arn:rt"},
		OIDC: &sandbox.OIDCDemo{DiscoveryURL: "http://127.0.0.1:9/.well-known/openid-configuration", ClientID: sandbox.DemoClientID,
			SecretFrom: sandbox.DemoSecretFrom, Audience: sandbox.DemoAudience, CallerClientID: "caller", CallerSecretFrom: "secret:idp/caller/s",
			CallerAudience: "https://app/", ExchangeClientID: "exch", ExchangeSecretFrom: "secret:idp/exch/s"}}
	var b bytes.Buffer
	if err := printEnv(&b, st, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"wizard --mode passthrough --runtime-arn arn:rt", "--audience https://app/\n",
		"wizard --mode exchange --runtime-arn arn:rt", "--exchange-client-id exch --exchange-client-secret-from secret:idp/exch/s --exchange-audience " + sandbox.DemoAudience,
		"token mint --discovery-url http://127.0.0.1:9/.well-known/openid-configuration --client-id caller --client-secret-from secret:idp/caller/s --audience https://app/ -o raw",
		"invoke --bearer-from env:CALLER_TOKEN"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("env output lacks %q:\n%s", want, b.String())
		}
	}
}

// An owner that is no process, or a $AGENTCORE_SANDBOX_OWNER_PID that is no number, is a usage error before
// anything starts.
func TestUpOwnerPIDUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sbx")
	t.Setenv(sandbox.DirEnv, dir)
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{args: []string{"up", "--owner-pid", "-3"}, want: "error: bad --owner-pid -3: no such process"},
		{args: []string{"up", "--owner-pid", "999999999"}, want: "error: bad --owner-pid 999999999: no such process"},
		{env: "me", args: []string{"up"}, want: `error: bad $` + sandbox.OwnerEnv + ` "me": give a process id`},
		{env: "999999999", args: []string{"up"}, want: "error: bad --owner-pid 999999999: no such process"},
	} {
		t.Setenv(sandbox.OwnerEnv, tc.env)
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != 2 || strings.TrimSpace(errOut.String()) != tc.want || out.Len() != 0 {
			t.Errorf("%v (env %q): exit %d stdout %q stderr %q, want %q", tc.args, tc.env, code, out.String(), errOut.String(), tc.want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the state folder was created (%v)", err)
	}
}
