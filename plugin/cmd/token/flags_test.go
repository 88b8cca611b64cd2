package token

import (
	"reflect"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
)

// TestInspectFlagsToOptions: `token inspect`'s command line becomes Options through the runF seam (no token
// read, no network), and every bad value or combination is a usage error (exit 2).
func TestInspectFlagsToOptions(t *testing.T) {
	defaults := cmdtest.Defaults(&InspectOptions{Output: cmdutil.OutputText, Timeout: 30 * time.Second})
	cmdtest.Table(t, NewCmdInspect, func(o *InspectOptions) { o.f = nil }, []cmdtest.Case[InspectOptions]{
		{"stdin", []string{"-"}, defaults(func(o *InspectOptions) { o.Arg = "-" })},
		{"file, verify online", []string{"--token-file", "t.jwt", "--verify", "--discovery-url", "https://idp.example/.well-known/openid-configuration",
			"--show-token", "--no-tui", "--timeout", "5s", "-o", "json"},
			defaults(func(o *InspectOptions) {
				o.TokenFile, o.Verify, o.DiscoveryURL, o.ShowToken, o.NoTUI, o.Timeout, o.Output, o.OutputSet =
					"t.jwt", true, "https://idp.example/.well-known/openid-configuration", true, true, 5*time.Second, "json", true
			})},
		{"offline files imply --verify", []string{"--from-secret", "ns/jwt", "--discovery-file", "d.json", "--jwks-file", "k.json"},
			defaults(func(o *InspectOptions) {
				o.FromSecret, o.DiscoveryFile, o.JWKSFile, o.Verify = "ns/jwt", "d.json", "k.json", true
			})},
		{"two arguments", []string{"a", "b"}, nil},
		{"unknown flag", []string{"--frobnicate"}, nil},
		{"duration that does not parse", []string{"--timeout", "soon"}, nil},
		{"bad output", []string{"-o", "xml"}, nil},
		{"two token sources", []string{"-", "--token-file", "t.jwt"}, nil},
		{"discovery twice", []string{"-", "--discovery-url", "https://idp.example/.well-known/openid-configuration", "--discovery-file", "d.json"}, nil},
		{"discovery url without scheme", []string{"-", "--discovery-url", "idp.example"}, nil},
		{"stdin twice", []string{"-", "--jwks-file", "-"}, nil},
		{"timeout zero", []string{"-", "--timeout", "0s"}, nil},
	})
}

// TestMintFlagsToOptions: `token mint`'s command line becomes Options through the runF seam (no secret read,
// no request), and every bad value or combination is a usage error (exit 2).
func TestMintFlagsToOptions(t *testing.T) {
	const disc = "https://idp.example/.well-known/openid-configuration"
	defaults := cmdtest.Defaults(&MintOptions{clientFlags: clientFlags{Output: cmdutil.OutputText, Timeout: 30 * time.Second}})
	cmdtest.Table(t, NewCmdMint, func(o *MintOptions) { o.f = nil }, []cmdtest.Case[MintOptions]{
		{"discovery", []string{"--discovery-url", disc, "--client-id", "cid", "--client-secret-from", "env:CS", "--audience", "https://api",
			"--scope", " a ", "--scope", "b", "--auth-method", "post", "--show-token", "--timeout", "5s", "-o", "raw"},
			defaults(func(o *MintOptions) {
				o.DiscoveryURL, o.ClientID, o.ClientSecretFrom, o.Audience, o.Scopes, o.AuthMethod, o.ShowToken, o.Timeout, o.Output =
					disc, "cid", "env:CS", "https://api", []string{"a", "b"}, "post", true, 5*time.Second, OutputRaw
			})},
		{"token url", []string{"--token-url", "https://idp.example/token", "--client-id", "cid", "--client-secret-from", "secret:ns/name/key"},
			defaults(func(o *MintOptions) {
				o.TokenURL, o.ClientID, o.ClientSecretFrom = "https://idp.example/token", "cid", "secret:ns/name/key"
			})},
		{"argument", []string{"cid"}, nil},
		{"no endpoint", []string{"--client-id", "cid", "--client-secret-from", "prompt"}, nil},
		{"two endpoints", []string{"--discovery-url", disc, "--token-url", "https://idp.example/token", "--client-id", "cid", "--client-secret-from", "prompt"}, nil},
		{"no client id", []string{"--discovery-url", disc, "--client-secret-from", "prompt"}, nil},
		{"bad auth method", []string{"--discovery-url", disc, "--client-id", "cid", "--client-secret-from", "prompt", "--auth-method", "jwt"}, nil},
		{"discovery url not a discovery document", []string{"--discovery-url", "https://idp.example/", "--client-id", "cid", "--client-secret-from", "prompt"}, nil},
		{"no secret source", []string{"--discovery-url", disc, "--client-id", "cid"}, nil},
		{"secret value as a source", []string{"--discovery-url", disc, "--client-id", "cid", "--client-secret-from", "hunter2"}, nil},
		{"empty scope", []string{"--discovery-url", disc, "--client-id", "cid", "--client-secret-from", "prompt", "--scope", " "}, nil},
		{"timeout zero", []string{"--discovery-url", disc, "--client-id", "cid", "--client-secret-from", "prompt", "--timeout", "0s"}, nil},
		{"bad output", []string{"--discovery-url", disc, "--client-id", "cid", "--client-secret-from", "prompt", "-o", "yml"}, nil},
	})
}

// TestGroupFlags: `token` alone opens the screen on a terminal (its Options: no token) and prints help
// elsewhere; an argument that is no subcommand is a usage error.
func TestGroupFlags(t *testing.T) {
	tty := cmdtest.Env{Factory: func(f *cmdutil.Factory) { f.IO.SetTTY(true, true) }}
	got, res := cmdtest.ParseIn(tty, NewCmd)
	if res.Err != nil || got == nil || !reflect.DeepEqual(*got, InspectOptions{f: got.f, Output: cmdutil.OutputText, Timeout: 30 * time.Second}) {
		t.Fatalf("terminal: exit %d %v, options %+v", res.Code(), res.Err, got)
	}
	got, res = cmdtest.Parse(NewCmd)
	if res.Err != nil || got != nil || res.Out == "" {
		t.Fatalf("no terminal: want help and no screen, got exit %d %v, options %+v, out %q", res.Code(), res.Err, got, res.Out)
	}
	got, res = cmdtest.Parse(NewCmd, "decode")
	cmdtest.Expect(t, got, res, nil, nil)
}

// TestExchangeFlagsToOptions: `token exchange`'s command line becomes Options through the runF seam (nothing
// read, no request), and every bad value or combination is a usage error (exit 2).
func TestExchangeFlagsToOptions(t *testing.T) {
	const disc = "https://sts.example/.well-known/openid-configuration"
	defaults := cmdtest.Defaults(&ExchangeOptions{clientFlags: clientFlags{Output: cmdutil.OutputText, Timeout: 30 * time.Second}, SubjectTokenType: "access_token"})
	req := []string{"--discovery-url", disc, "--client-id", "gw", "--client-secret-from", "env:CS"}
	with := func(extra ...string) []string { return append(append([]string{}, req...), extra...) }
	cmdtest.Table(t, NewCmdExchange, func(o *ExchangeOptions) { o.f = nil }, []cmdtest.Case[ExchangeOptions]{
		{"everything", with("--subject-token-from", "file:caller.jwt", "--subject-token-type", "jwt", "--audience", "https://rt",
			"--resource", "https://rt/api", "--scope", " invoke ", "--requested-token-type", "access_token", "--auth-method", "post",
			"--show-token", "--timeout", "5s", "-o", "json"),
			defaults(func(o *ExchangeOptions) {
				o.DiscoveryURL, o.ClientID, o.ClientSecretFrom, o.SubjectTokenFrom, o.SubjectTokenType, o.Audience, o.Resource =
					disc, "gw", "env:CS", "file:caller.jwt", "jwt", "https://rt", "https://rt/api"
				o.Scopes, o.RequestedTokenType, o.AuthMethod, o.ShowToken, o.Timeout, o.Output =
					[]string{"invoke"}, "access_token", "post", true, 5*time.Second, "json"
			})},
		{"token url, prompt, raw", []string{"--token-url", "https://sts.example/token", "--client-id", "gw", "--client-secret-from", "secret:ns/n/k",
			"--subject-token-from", "prompt", "-o", "raw"},
			defaults(func(o *ExchangeOptions) {
				o.TokenURL, o.ClientID, o.ClientSecretFrom, o.SubjectTokenFrom, o.Output = "https://sts.example/token", "gw", "secret:ns/n/k", "prompt", OutputRaw
			})},
		{"no subject source", with(), nil},
		{"subject token as a value", with("--subject-token-from", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), nil},
		{"no client secret source", []string{"--discovery-url", disc, "--client-id", "gw", "--subject-token-from", "env:T"}, nil},
		{"no endpoint", []string{"--client-id", "gw", "--client-secret-from", "env:CS", "--subject-token-from", "env:T"}, nil},
		{"no client id", []string{"--discovery-url", disc, "--client-secret-from", "env:CS", "--subject-token-from", "env:T"}, nil},
		{"bad subject token type", with("--subject-token-from", "env:T", "--subject-token-type", "saml2"), nil},
		{"bad requested token type", with("--subject-token-from", "env:T", "--requested-token-type", "refresh"), nil},
		{"bad auth method", with("--subject-token-from", "env:T", "--auth-method", "jwt"), nil},
		{"empty scope", with("--subject-token-from", "env:T", "--scope", ""), nil},
		{"timeout zero", with("--subject-token-from", "env:T", "--timeout", "0s"), nil},
		{"bad output", with("--subject-token-from", "env:T", "-o", "wide"), nil},
		{"argument", with("--subject-token-from", "env:T", "extra"), nil},
	})
}
