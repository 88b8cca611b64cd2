package doctor

import (
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
)

// TestFlagsToOptions: the command line becomes Options and the use case's options (through the runF seam: no
// file read, no cluster, no AWS), and every bad value or combination is a usage error (exit 2).
func TestFlagsToOptions(t *testing.T) {
	const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-Ab12Cd34Ef"
	defaults := cmdtest.Defaults(&Options{Timeout: 60 * time.Second, Output: cmdutil.OutputText, Concurrency: dr.DefaultFleetConcurrency})
	cmdtest.Table(t, NewCmd, func(o *Options) { o.f = nil }, []cmdtest.Case[Options]{
		{"no flags", nil, defaults(nil)},
		{"objects named, in -n", []string{"-n", "team-a", "--route", "agentcore", "--secret", "other/jwt", "--gateway", "gw-ns/gw",
			"--runtime-arn", " " + arn + " ", "--token-source", "Passthrough", "-o", "json"},
			defaults(func(o *Options) {
				o.Route, o.Secret, o.Gateway, o.RuntimeARN, o.TokenSource, o.Output = "agentcore", "other/jwt", "gw-ns/gw", " "+arn+" ", "Passthrough", "json"
				o.Namespace, o.OutputSet = "team-a", true
				o.Doctor = dr.Options{Namespace: "team-a", Route: dr.Ref{Namespace: "team-a", Name: "agentcore"}, Secret: dr.Ref{Namespace: "other", Name: "jwt"},
					Gateway: dr.Ref{Namespace: "gw-ns", Name: "gw"}, RuntimeARN: arn, TokenSource: "passthrough"}
			})},
		{"a name without -n is in default", []string{"--route", "agentcore"},
			defaults(func(o *Options) {
				o.Route = "agentcore"
				o.Doctor = dr.Options{Route: dr.Ref{Namespace: "default", Name: "agentcore"}}
			})},
		{"offline", []string{"--token-file", "t.jwt", "--authorizer-file", "-", "--discovery-file", "d.json", "--jwks-file", "k.json", "--no-tui"},
			defaults(func(o *Options) {
				o.TokenFile, o.AuthorizerFile, o.DiscoveryFile, o.JWKSFile, o.NoTUI = "t.jwt", "-", "d.json", "k.json", true
				o.Doctor = dr.Options{Offline: true}
			})},
		{"probe", []string{"--probe", "--gateway-url", "http://localhost:8080", "--timeout", "5s"},
			defaults(func(o *Options) {
				o.Probe, o.GatewayURL, o.Timeout = true, "http://localhost:8080", 5*time.Second
				o.Doctor = dr.Options{Probe: true, GatewayURL: "http://localhost:8080"}
			})},
		{"agentcore gateway", []string{"--agentcore-gateway", "tools-gw-abcdef0123"},
			defaults(func(o *Options) {
				o.AgentCoreGateway = "tools-gw-abcdef0123"
				o.Doctor = dr.Options{AgentCoreGateway: "tools-gw-abcdef0123"}
			})},
		{"every setup in every namespace", []string{"--all", "-A", "--concurrency", "4", "-o", "json"},
			defaults(func(o *Options) {
				o.All, o.AllNamespaces, o.Concurrency, o.Output, o.OutputSet = true, true, 4, "json", true
				o.Doctor = dr.Options{}
			})},
		{"all namespaces without all", []string{"-A"}, nil},
		{"all with a route", []string{"--all", "--route", "agentcore"}, nil},
		{"all with a token file", []string{"--all", "--token-file", "t.jwt"}, nil},
		{"all with -n and -A", []string{"--all", "-n", "a", "-A"}, nil},
		{"all with no concurrency", []string{"--all", "--concurrency", "0"}, nil},
		{"argument", []string{"agentcore"}, nil},
		{"unknown flag", []string{"--frobnicate"}, nil},
		{"duration that does not parse", []string{"--timeout", "long"}, nil},
		{"bad output", []string{"-o", "xml"}, nil},
		{"timeout zero", []string{"--timeout", "0s"}, nil},
		{"bad route", []string{"--route", "a/b/c"}, nil},
		{"bad secret", []string{"--secret", "ns/"}, nil},
		{"bad ARN", []string{"--runtime-arn", "arn:aws:lambda:us-east-1:1:function/x"}, nil},
		{"runtime and agentcore gateway", []string{"--runtime-arn", arn, "--agentcore-gateway", "tools-gw-abcdef0123"}, nil},
		{"bad agentcore gateway", []string{"--agentcore-gateway", arn}, nil},
		{"gateway url without scheme", []string{"--probe", "--gateway-url", "localhost:8080"}, nil},
		{"bad token source", []string{"--token-source", "cookie"}, nil},
		{"two files on stdin", []string{"--token-file", "-", "--authorizer-file", "-"}, nil},
	})
}
