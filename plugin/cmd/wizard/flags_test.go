package wizard

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
)

// TestFlagsToOptions: the command line (and --config) becomes Options through the runF seam (nothing runs, no
// cluster, no AWS), and every bad value or combination is a usage error (exit 2) before anything is read.
func TestFlagsToOptions(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "setup.yaml")
	if err := os.WriteFile(config, []byte("runtime-arn: arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/from_file-Ab12Cd34Ef\nmode: native\nrate-limit: 3/minute\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badConfig := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("runtimeArn: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	callerConfig := filepath.Join(dir, "caller.yaml")
	if err := os.WriteFile(callerConfig, []byte("mode: passthrough\ndiscovery-url: https://idp.example/.well-known/openid-configuration\naudience: [web, mobile]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secretConfig := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(secretConfig, []byte("mode: exchange\nexchange-client-secret: s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"
	defaults := cmdtest.Defaults(&Options{Output: cmdutil.OutputText, VerifyTimeout: 60 * time.Second})
	cmdtest.Table(t, NewCmd, func(o *Options) { o.f = nil }, []cmdtest.Case[Options]{
		{"no flags", nil, defaults(nil)},
		{"every answer", []string{"--gateway", "gw-ns/gw", "--runtime-arn", arn, "--mode", "native", "--identity", "external",
			"--user-pool-name", "pool", "--user-pool-id", "us-east-1_AbC", "--client-name", "cn", "--client-id", "cid", "--username", "svc",
			"--token-use", "access", "--discovery-url", "https://idp.example/.well-known/openid-configuration", "--audience", "a1,a2",
			"--token-file", "tok.jwt", "--client-secret-from", "env:CS", "--token-url", "https://idp.example/token", "--scope", "s1", "--scope", "s2",
			"--auth-method", "post", "--skip-authorizer", "--route-namespace", "agents", "--path-prefix", "/a", "--rate-limit", "3/minute",
			"--rate-limit-kind", "local", "--rate-limit-burst", "5", "--cors-origin", "https://app.example", "--cors-method", "POST",
			"--cors-header", "X-A", "--cors-max-age", "60", "--region", "eu-west-3"},
			defaults(func(o *Options) {
				o.Answers = wz.Answers{Gateway: "gw-ns/gw", RuntimeARN: arn, Mode: "native", Identity: "external", UserPoolName: "pool",
					UserPoolID: "us-east-1_AbC", ClientName: "cn", ClientID: "cid", Username: "svc", TokenUse: "access",
					DiscoveryURL: "https://idp.example/.well-known/openid-configuration", Audience: []string{"a1", "a2"}, TokenFile: "tok.jwt",
					ClientSecretFrom: "env:CS", TokenURL: "https://idp.example/token", Scopes: []string{"s1", "s2"}, AuthMethod: "post",
					SkipAuthorizer: true, RouteNamespace: "agents", PathPrefix: "/a", RateLimit: "3/minute", RateLimitKind: "local",
					RateLimitBurst: 5, CORSOrigins: []string{"https://app.example"}, CORSMethods: []string{"POST"}, CORSHeaders: []string{"X-A"},
					CORSMaxAge: 60, Region: "eu-west-3"}
			})},
		{"exchange answers", []string{"--mode", "exchange", "--discovery-url", "https://idp.example/.well-known/openid-configuration", "--audience", "web",
			"--exchange-discovery-url", "https://sts.example/.well-known/openid-configuration", "--exchange-client-id", "gw",
			"--exchange-client-secret-from", "env:XS", "--exchange-audience", "agentcore", "--exchange-scope", "invoke", "--exchange-scope", "read",
			"--exchange-auth-method", "post"},
			defaults(func(o *Options) {
				o.Answers = wz.Answers{Mode: "exchange", DiscoveryURL: "https://idp.example/.well-known/openid-configuration", Audience: []string{"web"},
					ExchangeDiscoveryURL: "https://sts.example/.well-known/openid-configuration", ExchangeClientID: "gw", ExchangeClientSecretFrom: "env:XS",
					ExchangeAudience: "agentcore", ExchangeScopes: []string{"invoke", "read"}, ExchangeAuthMethod: "post"}
			})},
		{"passthrough from a config file", []string{"--config", callerConfig},
			defaults(func(o *Options) {
				o.ConfigFile = callerConfig
				o.Answers = wz.Answers{Mode: "passthrough", DiscoveryURL: "https://idp.example/.well-known/openid-configuration", Audience: []string{"web", "mobile"}}
			})},
		{"test call in passthrough", []string{"--mode", "passthrough", "--test-call"}, nil},
		{"exchange secret as a config key", []string{"--config", secretConfig}, nil},
		{"run flags", []string{"--non-interactive", "--yes", "--test-call", "--verify-timeout", "2m", "-o", "json", "--fail-after", "identity"},
			defaults(func(o *Options) {
				o.NonInteractive, o.Yes, o.TestCall, o.VerifyTimeout, o.Output, o.FailAfter = true, true, true, 2*time.Minute, "json", "identity"
			})},
		{"offline render", []string{"--dry-run", "-o", "yaml", "--offline", "--flavor", "enterprise"},
			defaults(func(o *Options) { o.DryRun, o.Output, o.Offline, o.Flavor = true, "yaml", true, "enterprise" })},
		{"config file under the flags", []string{"--config", config, "--mode", "rewrite"},
			defaults(func(o *Options) {
				o.ConfigFile = config
				o.Answers = wz.Answers{RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/from_file-Ab12Cd34Ef", Mode: "rewrite", RateLimit: "3/minute"}
			})},
		{"-n names the setup's namespace", []string{"-n", "team-a"},
			defaults(func(o *Options) { o.Answers = wz.Answers{RouteNamespace: "team-a"} })},
		{"-n over the config file", []string{"-n", "team-a", "--config", config},
			defaults(func(o *Options) {
				o.ConfigFile = config
				o.Answers = wz.Answers{RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/from_file-Ab12Cd34Ef", Mode: "native", RateLimit: "3/minute", RouteNamespace: "team-a"}
			})},
		{"-n and --route-namespace alike", []string{"-n", "team-a", "--route-namespace", "team-a"},
			defaults(func(o *Options) { o.Answers = wz.Answers{RouteNamespace: "team-a"} })},
		{"-n and --route-namespace apart", []string{"-n", "team-a", "--route-namespace", "team-b"}, nil},
		{"argument", []string{"payments"}, nil},
		{"unknown flag", []string{"--runtime"}, nil},
		{"number that does not parse", []string{"--rate-limit-burst", "many"}, nil},
		{"bad output", []string{"-o", "xml"}, nil},
		{"config file with an unknown key", []string{"--config", badConfig}, nil},
		{"config file missing", []string{"--config", filepath.Join(dir, "nowhere.yaml")}, nil},
		{"test call with dry run", []string{"--dry-run", "--test-call"}, nil},
		{"offline without a yaml render", []string{"--dry-run", "--offline"}, nil},
		{"flavor without dry run", []string{"-o", "yaml", "--flavor", "oss"}, nil},
	})
}
