package rotate

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
)

// TestFlagsToOptions: the command line becomes Options (through the runF seam: nothing runs, no cluster), and
// every bad value or combination is a usage error (exit 2) before anything is read.
func TestFlagsToOptions(t *testing.T) {
	defaults := cmdtest.Defaults(&Options{MinRemaining: rotate.DefaultMinRemaining, MinValidity: rotate.DefaultMinValidity, LogFormat: "text", Output: cmdutil.OutputText,
		Workers: rotate.DefaultFleetWorkers})
	cmdtest.Table(t, NewCmd, func(o *Options) { o.f = nil }, []cmdtest.Case[Options]{
		{"no flags", nil, defaults(nil)},
		{"names everything", []string{"-n", "team-a", "--secret", "gw-token", "--credentials-secret", "gw-creds", "--user-pool-id", "us-east-1_AbC",
			"--client-id", "cid", "--username", "gw", "--client-secret-from", "env:CS", "--password-from", "secret:creds/pw",
			"--refresh-token-from", "prompt", "--runtime-arn", "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-Ab12Cd34Ef",
			"--discovery-url", "https://idp.example/.well-known/openid-configuration", "--token-use", "access", "--region", "eu-west-3"},
			defaults(func(o *Options) {
				o.Flags = rotate.Flags{Namespace: "team-a", SecretName: "gw-token", CredentialsSecret: "gw-creds", UserPoolID: "us-east-1_AbC",
					ClientID: "cid", Username: "gw", ClientSecretFrom: "env:CS", PasswordFrom: "secret:creds/pw", RefreshTokenFrom: "prompt",
					RuntimeARN:   "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-Ab12Cd34Ef",
					DiscoveryURL: "https://idp.example/.well-known/openid-configuration", TokenUse: "access", Region: "eu-west-3"}
			})},
		{"one shot", []string{"--force", "--dry-run", "--min-remaining", "1h", "-o", "json"},
			defaults(func(o *Options) {
				o.Force, o.DryRun, o.MinRemaining, o.Output, o.OutputSet = true, true, time.Hour, "json", true
			})},
		{"watch", []string{"--watch", "--log-format", "json", "--no-tui", "--min-validity", "90s"},
			defaults(func(o *Options) {
				o.Watch, o.LogFormat, o.LogFormatSet, o.NoTUI, o.MinValidity, o.MinValiditySet = true, "json", true, true, 90*time.Second, true
			})},
		{"print manifests", []string{"--print-manifests", "--image", "reg/img:1", "--aws-role-arn", "arn:aws:iam::123456789012:role/r", "-o", "yaml"},
			defaults(func(o *Options) {
				o.PrintManifests, o.Image, o.AWSRoleARN, o.Output, o.OutputSet = true, "reg/img:1", "arn:aws:iam::123456789012:role/r", "yaml", true
			})},
		{"rotation service", []string{"--watch", "--all", "-A", "--renew-before", "25%", "--listen", ":9090", "--lease-namespace", "ops", "--workers", "8"},
			defaults(func(o *Options) {
				o.Watch, o.All, o.AllNamespaces, o.RenewBefore, o.Renew, o.Listen, o.LeaseNamespace, o.Workers =
					true, true, true, "25%", rotate.RenewBefore{Fraction: 0.25}, ":9090", "ops", 8
			})},
		{"rotation service manifests", []string{"--print-manifests", "--all", "-n", "ops", "--renew-before", "20m"},
			defaults(func(o *Options) {
				o.PrintManifests, o.All, o.Flags.Namespace, o.RenewBefore, o.Renew = true, true, "ops", "20m", rotate.RenewBefore{Duration: 20 * time.Minute}
			})},
		{"all without watch", []string{"--all"}, nil},
		{"all namespaces without all", []string{"--watch", "-A"}, nil},
		{"renew before without all", []string{"--watch", "--renew-before", "20m"}, nil},
		{"renew before that does not parse", []string{"--watch", "--all", "--renew-before", "120%"}, nil},
		{"all with one setup's flag", []string{"--watch", "--all", "--secret", "x"}, nil},
		{"all with -n and -A", []string{"--watch", "--all", "-n", "a", "-A"}, nil},
		{"all watch with output", []string{"--watch", "--all", "-o", "json"}, nil},
		{"all with no workers", []string{"--watch", "--all", "--workers", "0"}, nil},
		{"manifests with listen", []string{"--print-manifests", "--all", "--listen", ":1"}, nil},
		{"argument", []string{"extra"}, nil},
		{"unknown flag", []string{"--frobnicate"}, nil},
		{"duration that does not parse", []string{"--min-remaining", "soon"}, nil},
		{"bad output", []string{"-o", "xml"}, nil},
		{"bad log format", []string{"--log-format", "xml"}, nil},
		{"bad token use", []string{"--token-use", "refresh"}, nil},
		{"secret value as a source", []string{"--password-from", "hunter2"}, nil},
		{"negative min remaining", []string{"--min-remaining", "-1m"}, nil},
		{"min validity too low", []string{"--min-validity", "30s"}, nil},
		{"watch and dry run", []string{"--watch", "--dry-run"}, nil},
		{"print manifests and force", []string{"--print-manifests", "--force"}, nil},
		{"print manifests as json", []string{"--print-manifests", "-o", "json"}, nil},
	})
}

// TestReplicaIdentityIsUnique: two rotation services on one machine (no POD_NAME) get different identities, so
// leader election keeps one of them waiting; in a pod, the pod's name is the identity.
func TestReplicaIdentityIsUnique(t *testing.T) {
	t.Setenv("POD_NAME", "")
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	a, b := replicaIdentity(), replicaIdentity()
	if a == b {
		t.Fatalf("two services on one host share the identity %q: both would hold the Lease", a)
	}
	for _, id := range []string{a, b} {
		if !strings.HasPrefix(id, host+"_") {
			t.Fatalf("identity %q does not name the host %q", id, host)
		}
	}
	t.Setenv("POD_NAME", "agentcore-rotate-7d9f-abcde")
	if id := replicaIdentity(); id != "agentcore-rotate-7d9f-abcde" {
		t.Fatalf("in a pod the identity is %q, want the pod's name", id)
	}
}

// The rotation service logs each setup's first look (its token fresh: when it renews), then only rotations and
// failures; a new term of leading logs the first looks again.
func TestOutcomeLogSaysEachSetupOnce(t *testing.T) {
	var buf bytes.Buffer
	ol := &outcomeLog{l: slog.New(slog.NewTextHandler(&buf, nil))}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	fresh := func(ns string) rotate.Outcome {
		return rotate.Outcome{Setup: rotate.SetupRef{Namespace: ns, Name: "agentcore-setup", Secret: "agentcore-jwt"}, Time: now,
			Action: rotate.ActionFresh, Expiry: now.Add(time.Hour), Next: now.Add(40 * time.Minute)}
	}
	ol.log(fresh("a"))
	ol.log(fresh("b"))
	ol.log(fresh("a"))
	if n := strings.Count(buf.String(), "setup taken up"); n != 2 || !strings.Contains(buf.String(), "setup=a/agentcore-setup") ||
		!strings.Contains(buf.String(), "next=2026-12-03T12:40:00Z") {
		t.Fatalf("%d first looks logged:\n%s", n, buf.String())
	}
	ol.seen.Clear()
	ol.log(fresh("a"))
	if n := strings.Count(buf.String(), "setup taken up"); n != 3 {
		t.Fatalf("after a new term, %d first looks logged:\n%s", n, buf.String())
	}
}
