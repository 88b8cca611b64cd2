package wizard_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	wizardcmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
)

// fixedIdPs answers discovery documents for two made-up hosts (no network): the callers' IdP idp.example.com,
// whose issuer ends with "/" like Auth0's (the render must copy it byte for byte), and a token service
// sts.example.com that accepts client_secret_post only. A stand-in for the documents only, so the golden files
// have stable https URLs; the live tests use the real oidc-provider.
type fixedIdPs struct{}

func (fixedIdPs) RoundTrip(r *http.Request) (*http.Response, error) {
	docs := map[string]string{
		"https://idp.example.com/.well-known/openid-configuration":                    `{"issuer":"https://idp.example.com/","jwks_uri":"https://idp.example.com/.well-known/jwks.json","token_endpoint":"https://idp.example.com/oauth/token"}`,
		"https://sts.example.com:8443/realms/agents/.well-known/openid-configuration": `{"issuer":"https://sts.example.com:8443/realms/agents","jwks_uri":"https://sts.example.com:8443/realms/agents/certs","token_endpoint":"https://sts.example.com:8443/realms/agents/protocol/openid-connect/token","token_endpoint_auth_methods_supported":["client_secret_post"],"grant_types_supported":["urn:ietf:params:oauth:grant-type:token-exchange"]}`,
	}
	body, ok := docs[r.URL.String()]
	code := http.StatusOK
	if !ok {
		code, body = http.StatusNotFound, `{"error":"not found"}`
	}
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

const (
	callerDiscovery = "https://idp.example.com/.well-known/openid-configuration"
	stsDiscovery    = "https://sts.example.com:8443/realms/agents/.well-known/openid-configuration"
)

// TestCallerModesOfflineRenderGolden renders passthrough and exchange with no cluster and no AWS (golden files),
// checks what the Agent Gateway API needs in them, and has the real API server accept every document with strict
// field validation and the real CRDs (server-side apply).
func TestCallerModesOfflineRenderGolden(t *testing.T) {
	hook := &wizardcmd.Options{HTTP: &http.Client{Transport: fixedIdPs{}}}
	cases := map[string]struct {
		args []string
		want []string
	}{
		"passthrough": {[]string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--audience", "agents-api", "--audience", "web"},
			[]string{"passthrough: {}", "issuer: https://idp.example.com/\n", "- agents-api\n", "jwksPath: .well-known/jwks.json",
				"host: idp.example.com", "kind: HTTPRoute", "replaceFullPath: /runtimes/", "mode: passthrough", "callerIssuer: https://idp.example.com/",
				"discoveryUrl: " + callerDiscovery}},
		"exchange": {[]string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "web", "--exchange-discovery-url", stsDiscovery,
			"--exchange-client-id", "agentgateway", "--exchange-audience", "agentcore", "--exchange-scope", "invoke", "--rate-limit", "3/minute"},
			[]string{"oauthTokenExchange:", "grantType: TokenExchange", "path: /realms/agents/protocol/openid-connect/token", "clientId: agentgateway",
				"method: ClientSecretPost", "key: client_secret", "expression: jwt.rawToken.unredacted()", "host: sts.example.com", "port: 8443",
				"- agentcore\n", "- invoke\n", "issuer: https://idp.example.com/\n", "exchangeTokenUrl: https://sts.example.com:8443/realms/agents/protocol/openid-connect/token",
				"discoveryUrl: " + stsDiscovery, "client_secret: " + k8sres.ExchangeSecretPlaceholder, "# PLACEHOLDER: the token service client's secret"}},
		"exchange-no-client": {[]string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "agentcore"},
			[]string{"clientId: " + k8sres.ExchangeClientIDPlaceholder, "# PLACEHOLDER: no --exchange-client-id", "method: ClientSecretBasic",
				"path: /oauth/token", "audiences:\n", "exchangeAudience: agentcore"}},
	}
	var c *clustertest.Cluster
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kc := noNetwork(t)
			args := append([]string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--runtime-arn", offlineARN,
				"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "agentcore-offline-" + name}, tc.args...)
			r := run(t, kc, hook, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			golden := filepath.Join("testdata", "offline-"+name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(r.out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if r.out != string(want) {
				t.Fatalf("offline render differs from %s:\n%s", golden, r.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Fatalf("render lacks %q:\n%s", w, r.out)
				}
			}
			if strings.Contains(r.out, "Authorization") || strings.Contains(r.out, "secretRef:\n      name: agentcore-jwt") {
				t.Fatalf("a caller-token mode has no bearer token Secret:\n%s", r.out)
			}
			if c == nil {
				c = clustertest.Shared(t)
			}
			applyAll(t, c, r.out)
		})
	}
}

// TestCallerModesBadInput: every bad answer is one line and exit 2 before any cluster, AWS or identity provider is
// asked (the kubeconfig and AWS endpoint lead nowhere); an identity provider that cannot be read is exit 1, named.
func TestCallerModesBadInput(t *testing.T) {
	kc := noNetwork(t)
	hook := &wizardcmd.Options{HTTP: &http.Client{Transport: fixedIdPs{}}}
	base := []string{"wizard", "--non-interactive", "--runtime-arn", offlineARN}
	t.Setenv("EXCHANGE_SECRET", "s3cret-value")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"passthrough without a discovery URL", []string{"--mode", "passthrough", "--audience", "a", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--discovery-url (the callers' identity provider)"},
		{"passthrough without an audience", []string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--audience (what the callers' tokens carry in aud)"},
		{"invalid discovery URL", []string{"--mode", "exchange", "--discovery-url", "idp.example.com", "--audience", "a", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, `invalid --discovery-url "idp.example.com"`},
		{"invalid exchange discovery URL", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-discovery-url", "https://sts.example.com/token", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "invalid --exchange-discovery-url"},
		{"exchange applied without a secret source", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-client-id", "gw", "--yes"}, cmdutil.ExitUsage, "--exchange-client-secret-from"},
		{"exchange applied without a client", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--yes"}, cmdutil.ExitUsage, "--exchange-client-id"},
		{"a literal secret", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-client-id", "gw", "--exchange-client-secret-from", "s3cret-value", "--yes"}, cmdutil.ExitUsage, "never accepted as arguments"},
		{"exchange flags in passthrough", []string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-scope", "x", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--exchange-* flags go with --mode exchange"},
		{"exchange flags in rewrite", []string{"--exchange-client-id", "gw", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--exchange-* flags go with --mode exchange"},
		{"a token of the gateway's own", []string{"--mode", "passthrough", "--discovery-url", callerDiscovery, "--audience", "a", "--token-file", "t.jwt", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "holds no token of its own"},
		{"several audiences, no exchange audience", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a,b", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, "--exchange-audience"},
		{"bad auth method", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-auth-method", "jwt", "--dry-run", "-o", "yaml"}, cmdutil.ExitUsage, `invalid --exchange-auth-method "jwt"`},
		{"test call", []string{"--mode", "passthrough", "--test-call", "--yes"}, cmdutil.ExitUsage, "kubectl agentcore invoke"},
		{"identity provider not found", []string{"--mode", "passthrough", "--discovery-url", "https://idp.example.com/nope/.well-known/openid-configuration", "--audience", "a", "--dry-run", "-o", "yaml", "--offline"}, 1, "reading the callers' identity provider"},
		{"token service without a token endpoint", []string{"--mode", "exchange", "--discovery-url", callerDiscovery, "--audience", "a", "--exchange-discovery-url", "https://idp.example.com/none/.well-known/openid-configuration", "--dry-run", "-o", "yaml", "--offline"}, 1, "reading the token service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, kc, hook, append(base, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 || r.out != "" {
				t.Fatalf("want exit %d and one line saying %q, got %d %q (out %q)", tc.code, tc.want, r.code, r.err, r.out)
			}
			if strings.Contains(r.err, "s3cret-value") {
				t.Fatal("the error echoes the secret")
			}
		})
	}
}
