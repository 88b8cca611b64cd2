package wizard_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var wholeJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}`)

// TestExternalClientCredentialsOfflineRender: identity (c) by client credentials against the real oidc-provider:
// the wizard mints first and derives the authorizer from the token (aud → allowedAudience), records how the
// token is obtained and the issuer byte for byte; a wrong secret or audience stops it with one line, before any
// change, and neither the secret nor the token is ever printed.
func TestExternalClientCredentialsOfflineRender(t *testing.T) {
	const api = "https://agents.example.test/"
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{TrailingSlash: true, Auth0UnknownAudience: true,
		Resources: map[string]string{api: "agents.invoke"},
		Clients:   []oidcserver.Client{{ID: "gateway-m2m", Secret: secret, AuthMethod: oidcserver.Post}}})
	kc := noNetwork(t)
	t.Setenv("M2M_SECRET", secret)
	base := []string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--offline", "--runtime-arn", offlineARN,
		"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "agentcore-m2m", "--identity", "external",
		"--discovery-url", idp.DiscoveryURL(), "--client-id", "gateway-m2m"}
	leak := func(r result) {
		t.Helper()
		if strings.Contains(r.out+r.err, secret) || wholeJWT.MatchString(r.out+r.err) {
			t.Fatalf("a secret or a token leaked:\n%s\n%s", r.out, r.err)
		}
	}

	r := run(t, kc, nil, append(base, "--client-secret-from", "env:M2M_SECRET", "--audience", api)...)
	leak(r)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{
		"tokenSource: client-credentials", "clientId: gateway-m2m", "tokenAudience: " + api, "audience: " + api,
		"issuer: " + idp.Issuer, "discoveryUrl: " + idp.DiscoveryURL(),
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("render lacks %q", want)
		}
	}
	// The discovery document accepts both methods: basic is the default choice.
	if ev := idp.WaitEvents(oidcserver.AtLeast(1)); len(ev) != 1 || ev[0].AuthMethod != oidcserver.Basic {
		t.Fatalf("the IdP saw %+v: want one mint by client_secret_basic", idp.Events())
	}

	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"wrong secret", []string{"--client-secret-from", "env:WRONG_SECRET", "--audience", api}, []string{"③ identity", "invalid_client", "Check $WRONG_SECRET (--client-secret-from)", "Nothing was changed"}},
		{"unknown audience", []string{"--client-secret-from", "env:M2M_SECRET", "--audience", "https://nope.example.test/"}, []string{"Service not enabled within domain", "--audience", "Nothing was changed"}},
		{"literal secret", []string{"--client-secret-from", "hunter2-literal", "--audience", api}, []string{"not a source"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("WRONG_SECRET", oidcserver.NewSecret())
			r := run(t, kc, nil, append(base, c.args...)...)
			leak(r)
			if r.code == 0 || r.out != "" || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
				t.Fatalf("exit %d, want a failure with one line and nothing rendered:\n%s\n%s", r.code, r.out, r.err)
			}
			for _, w := range c.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("%q lacks %q", r.err, w)
				}
			}
		})
	}
}

// TestExternalClientCredentialsLive: the wizard applies identity (c) to a real cluster and the local AgentCore:
// the runtime's authorizer is derived from the minted token, the client secret lands in the credentials Secret
// (for rotate), the gateway Secret holds the minted token; a wrong secret changes nothing at all.
func TestExternalClientCredentialsLive(t *testing.T) {
	c, idp, secret, fake, rt := liveM2M(t, "m2m_agent")
	gwNS, kc, hook := liveGateway(t, c, "m2mgw", "agentgateway", 8080)
	ns := "m2m-" + gwNS
	args := []string{"wizard", "--non-interactive", "--yes", "--runtime-arn", rt.ARN, "--gateway", gwNS + "/agentgateway-proxy",
		"--route-namespace", ns, "--identity", "external", "--discovery-url", idp.DiscoveryURL(), "--client-id", "gateway-m2m",
		"--audience", m2mAudience, "--verify-timeout", "100ms"}
	leak := func(r result) {
		t.Helper()
		if strings.Contains(r.out+r.err, secret) || wholeJWT.MatchString(r.out+r.err) {
			t.Fatalf("a secret or a token leaked:\n%s\n%s", r.out, r.err)
		}
	}

	t.Setenv("WRONG_SECRET", oidcserver.NewSecret())
	r := run(t, kc, hook, append(args, "--client-secret-from", "env:WRONG_SECRET")...)
	leak(r)
	if r.code != 1 || !strings.Contains(r.err, "invalid_client") {
		t.Fatalf("wrong secret: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if _, err := c.Kube().CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatal("a wrong secret must change nothing")
	}
	if fake.Calls("UpdateAgentRuntime") != 0 {
		t.Fatal("a wrong secret must not touch the runtime")
	}

	t.Setenv("M2M_SECRET", secret)
	r = run(t, kc, hook, append(args, "--client-secret-from", "env:M2M_SECRET")...)
	leak(r)
	if r.code != 0 && r.code != cmdutil.ExitFindings {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	got := string(fake.Spec(rt.ID)["authorizerConfiguration"])
	if !strings.Contains(got, `"discoveryUrl":"`+idp.DiscoveryURL()+`"`) || !strings.Contains(got, `"allowedAudience":["`+m2mAudience+`"]`) || strings.Contains(got, "allowedClients") {
		t.Fatalf("runtime authorizer %s: want the discovery URL and allowedAudience from the token's aud only", got)
	}
	rec, err := setup.Load(context.Background(), c.Kube(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.ClientCredentials() || rec.Issuer != idp.Issuer || rec.TokenAudience != m2mAudience || rec.ClientID != "gateway-m2m" {
		t.Fatalf("record %+v", rec)
	}
	creds, err := setup.LoadCredentials(context.Background(), c.Kube(), rec)
	if err != nil || creds.ClientSecret != secret {
		t.Fatalf("the credentials Secret does not hold the client secret (%v)", err)
	}
	s, err := c.Kube().CoreV1().Secrets(ns).Get(context.Background(), rec.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := string(s.Data["Authorization"]); !strings.HasPrefix(v, "Bearer ") || !wholeJWT.MatchString(v) {
		t.Fatalf("the gateway Secret holds %q", redactShort(v))
	}
}

// m2mAudience is the API the live client-credentials tests' tokens are for.
const m2mAudience = "https://agents.example.test/"

// liveM2M is what the live client-credentials tests stand on: the shared cluster with the Agent Gateway CRDs,
// the real oidc-provider with one confidential client (gateway-m2m, whose secret it returns) for m2mAudience,
// and the local AgentCore, reached through the SDK, with one runtime of that name.
func liveM2M(t *testing.T, runtime string) (*clustertest.Cluster, *oidcserver.Server, string, *fakeagentcore.Server, fakeagentcore.Runtime) {
	t.Helper()
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{TrailingSlash: true, Resources: map[string]string{m2mAudience: "agents.invoke"},
		Clients: []oidcserver.Client{{ID: "gateway-m2m", Secret: secret}}})
	fake := agentcoretest.StartForAWS(t, fakeagentcore.Options{UpdateDelay: 20 * time.Millisecond})
	return c, idp, secret, fake, agentcoretest.AddRuntime(t, fake, runtime)
}

func redactShort(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// TestCognitoMachineOfflineRender: identity (b) renders offline with the record saying how the token is obtained
// (client credentials, the resource server's scopes); bad answers are one line each, before anything else.
func TestCognitoMachineOfflineRender(t *testing.T) {
	kc := noNetwork(t)
	base := []string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--offline", "--runtime-arn", offlineARN,
		"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "agentcore-b", "--identity", "cognito-machine"}
	r := run(t, kc, nil, append(base, "--resource-server", "https://agents.example.test", "--scope", "invoke", "--scope", "read")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"identityProvider: cognito-machine", "tokenSource: client-credentials", "resourceServer: https://agents.example.test",
		"tokenScopes: https://agents.example.test/invoke https://agents.example.test/read", "authMethod: basic", "userPoolName: agentcore"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("render lacks %q", want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--scope", "has space"}, "invalid --scope"},
		{[]string{"--domain-prefix", "my-cognito-pool"}, "invalid --domain-prefix"},
		{[]string{"--domain-prefix", "-bad"}, "invalid --domain-prefix"},
		{[]string{"--token-use", "id"}, "access tokens only"},
		{[]string{"--client-secret-from", "env:X"}, "stores its secret itself"},
		{[]string{"--token-url", "not a url"}, "invalid --token-url"},
	} {
		r := run(t, kc, nil, append(base, c.args...)...)
		if r.code == 0 || r.out != "" || !strings.Contains(r.err, c.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Errorf("%v: exit %d, want one line with %q:\n%s%s", c.args, r.code, c.want, r.out, r.err)
		}
	}
}
