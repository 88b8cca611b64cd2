package token

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
)

// probeOptions is a command made only of the shared client flags and one more required source, as `token
// exchange` has --subject-token-from: what clientFlags does, seen apart from mint and exchange.
type probeOptions struct {
	clientFlags
	ExtraFrom string
}

func newCmdProbe(_ *cmdutil.Factory, runF func(*probeOptions) error) *cobra.Command {
	o := &probeOptions{}
	cmd := &cobra.Command{Use: "probe", Args: cobra.NoArgs, RunE: cmdutil.RunE(o, runF)}
	o.add(cmd, clientHelp{discoveryURL: "d", clientID: "c", audience: "a", showToken: "s"})
	cmd.Flags().StringVar(&o.ExtraFrom, "extra-from", "", "another source")
	return cmd
}

func (o *probeOptions) Complete(*cobra.Command, []string) error { o.complete(); return nil }
func (o *probeOptions) Validate() error {
	return o.validate(o.request(), source{"extra-from", o.ExtraFrom})
}
func (o *probeOptions) Run(context.Context) error { return nil }

// TestClientFlags: the flags token mint and token exchange share become Options (scopes trimmed, defaults text
// and 30s), and validate refuses in one order with one message each: the output format, the request, then
// --client-secret-from before the command's other sources, then empty scopes, then the timeout.
func TestClientFlags(t *testing.T) {
	const disc = "https://idp.example/.well-known/openid-configuration"
	ok := []string{"--discovery-url", disc, "--client-id", "cid", "--client-secret-from", "env:CS", "--extra-from", "env:X"}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	got, res := cmdtest.Parse(newCmdProbe, with("--audience", "https://api", "--scope", " a ", "--scope", "b", "--auth-method", "basic",
		"--show-token", "--timeout", "5s", "-o", "json")...)
	want := &probeOptions{ExtraFrom: "env:X", clientFlags: clientFlags{DiscoveryURL: disc, ClientID: "cid", ClientSecretFrom: "env:CS",
		Audience: "https://api", Scopes: []string{"a", "b"}, AuthMethod: "basic", ShowToken: true, Timeout: 5 * time.Second, Output: "json"}}
	cmdtest.Expect(t, got, res, want, nil)
	got, res = cmdtest.Parse(newCmdProbe, "--token-url", "https://idp.example/token", "--client-id", "cid", "--client-secret-from", "prompt",
		"--extra-from", "file:x")
	cmdtest.Expect(t, got, res, &probeOptions{ExtraFrom: "file:x", clientFlags: clientFlags{TokenURL: "https://idp.example/token",
		ClientID: "cid", ClientSecretFrom: "prompt", Timeout: 30 * time.Second, Output: cmdutil.OutputText}}, nil)

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"output first", []string{"-o", "wide"}, `unknown output format "wide": use text, json, yaml or raw`},
		{"then the request", []string{"--client-id", "cid"}, "give the identity provider's --discovery-url or its --token-url"},
		{"client secret before the others", []string{"--token-url", "https://idp.example/token", "--client-id", "cid"},
			"--client-secret-from is required: " + secretsource.Forms + " (a secret is never an argument)"},
		{"client secret not a source", []string{"--token-url", "https://idp.example/token", "--client-id", "cid", "--client-secret-from", "hunter2", "--extra-from", "env:X"},
			"--client-secret-from: the value is not a source"},
		{"the command's source", []string{"--token-url", "https://idp.example/token", "--client-id", "cid", "--client-secret-from", "env:CS"},
			"--extra-from is required: " + secretsource.Forms + " (a secret is never an argument)"},
		{"the command's source not a source", with("--extra-from", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), "--extra-from: the value is not a source"},
		{"blank scope", with("--scope", " "), "--scope is empty"},
		{"timeout", with("--timeout", "0s"), "--timeout must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, res := cmdtest.Parse(newCmdProbe, tc.args...)
			cmdtest.Expect(t, got, res, nil, nil)
			if !strings.HasPrefix(res.Err.Error(), tc.want) {
				t.Fatalf("error %q, want it to start with %q", res.Err, tc.want)
			}
		})
	}
}

// TestClientFlagsRequestAndHTTP: the request carries the flags and the secret read; the HTTP client is a test's
// when set, else one made once with --timeout.
func TestClientFlagsRequestAndHTTP(t *testing.T) {
	c := clientFlags{DiscoveryURL: "d", TokenURL: "t", ClientID: "cid", Audience: "aud", Scopes: []string{"s"}, AuthMethod: "post",
		Timeout: 7 * time.Second, secret: "sec"}
	first := c.httpClient()
	if first == nil || first.Timeout != 7*time.Second || c.httpClient() != first || c.HTTP != first {
		t.Fatalf("httpClient %+v, then %+v, HTTP %+v", first, c.httpClient(), c.HTTP)
	}
	want := clientcreds.Request{DiscoveryURL: "d", TokenURL: "t", ClientID: "cid", ClientSecret: "sec", Audience: "aud",
		Scopes: []string{"s"}, AuthMethod: "post", HTTP: first}
	if got := c.request(); !reflect.DeepEqual(got, want) {
		t.Fatalf("request %+v, want %+v", got, want)
	}
	mine := &http.Client{}
	c2 := clientFlags{HTTP: mine, Timeout: time.Second}
	if c2.httpClient() != mine {
		t.Fatal("httpClient replaced the client a test set")
	}
}
