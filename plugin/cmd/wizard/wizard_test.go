package wizard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal/cognitotest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	teardowncmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/teardown"
	wizardcmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) { clustertest.Main(m) }

const offlineARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

type result struct {
	out, err string
	code     int
}

func run(t *testing.T, kubeconfig string, o *wizardcmd.Options, args ...string) result {
	t.Helper()
	streams, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(streams)
	f.KubeFlags.KubeConfig = &kubeconfig
	parent := &cobra.Command{Use: "agentcore", SilenceErrors: true, SilenceUsage: true}
	f.KubeFlags.AddFlags(parent.PersistentFlags())
	parent.PersistentFlags().StringVar(&f.AWS.Region, "region", "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	parent.AddCommand(wizardcmd.NewCmd(f, func(got *wizardcmd.Options) error {
		if o != nil { // the test's hooks
			got.EnvHook, got.HTTP = o.EnvHook, o.HTTP
		}
		return got.Run(ctx)
	}), teardowncmd.NewCmd(f, nil))
	parent.SetArgs(args)
	parent.SetOut(out)
	parent.SetErr(errOut)
	err := parent.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(errOut, "error: "+err.Error())
	}
	return result{out.String(), errOut.String(), cmdutil.ExitCode(err)}
}

// noNetwork makes any cluster or AWS call fail loudly, to prove the offline render makes none.
func noNetwork(t *testing.T) string {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_REGION", "us-east-1")
	return filepath.Join(t.TempDir(), "no-such-kubeconfig")
}

// TestOfflineRenderGolden renders each mode with no cluster and no AWS (golden files), and proves the output
// is ready for kubectl apply: every document is accepted by the real API server with strict validation.
func TestOfflineRenderGolden(t *testing.T) {
	cases := map[string][]string{
		"rewrite":            {"--mode", "rewrite", "--rate-limit", "3/minute", "--cors-origin", "https://app.example.com", "--cors-method", "POST"},
		"native":             {"--mode", "native"},
		"sigv4":              {"--mode", "sigv4"},
		"rewrite-enterprise": {"--mode", "rewrite", "--rate-limit", "10/second", "--flavor", "enterprise"},
		// A burst: the local limiter in both flavors (an Enterprise RateLimitConfig has no burst).
		"rewrite-burst":           {"--mode", "rewrite", "--rate-limit", "3/minute", "--rate-limit-burst", "5"},
		"native-enterprise-burst": {"--mode", "native", "--rate-limit", "10/second", "--rate-limit-burst", "20", "--flavor", "enterprise"},
	}
	var c *clustertest.Cluster
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			kc := noNetwork(t)
			args := append([]string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--runtime-arn", offlineARN,
				"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "agentcore-offline-" + name}, extra...)
			r := run(t, kc, nil, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			matchGolden(t, name, r.out)
			if name != "sigv4" && !strings.Contains(r.out, "PLACEHOLDER") || strings.Contains(r.out, "eyJ") {
				t.Fatal("the token must be a clearly marked placeholder, never a made-up token")
			}
			if strings.HasSuffix(name, "-burst") {
				burst := map[string]string{"rewrite-burst": "burst: 5", "native-enterprise-burst": "burst: 20"}[name]
				if !strings.Contains(r.out, burst) || !strings.Contains(r.out, "local:") || strings.Contains(r.out, "kind: RateLimitConfig") {
					t.Fatalf("a burst renders as traffic.rateLimit.local[].burst:\n%s", r.out)
				}
				if name == "native-enterprise-burst" && !strings.Contains(r.out, "kind: EnterpriseAgentgatewayPolicy") {
					t.Fatal("the Enterprise flavor writes the Enterprise policy kind")
				}
			}
			if c == nil {
				c = clustertest.Shared(t)
			}
			applyAll(t, c, r.out)
		})
	}
}

// matchGolden compares a render with testdata/offline-<name>.golden.yaml (written first with -update).
func matchGolden(t *testing.T, name, out string) {
	t.Helper()
	golden := filepath.Join("testdata", "offline-"+name+".golden.yaml")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if out != string(want) {
		t.Fatalf("offline render differs from %s:\n%s", golden, out)
	}
}

// documents decodes a rendered YAML stream (empty documents dropped).
func documents(t *testing.T, stream string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(stream)), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if err == io.EOF {
				return out
			}
			t.Fatal(err)
		}
		if obj != nil {
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
}

// liveGateway creates the Gateway agentgateway-proxy of class on port in a new namespace named after prefix, and
// writes an admin kubeconfig (namespace default). hook makes the wizard poll AgentCore every 20 ms.
func liveGateway(t *testing.T, c *clustertest.Cluster, prefix, class string, port int64) (gwNS, kubeconfig string, hook *wizardcmd.Options) {
	t.Helper()
	gwNS = c.Namespace(t, prefix)
	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "agentgateway-proxy", "namespace": gwNS},
		"spec": map[string]any{"gatewayClassName": class, "listeners": []any{map[string]any{
			"name": "http", "protocol": "HTTP", "port": port, "allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}},
	}}
	if _, err := c.Dynamic().Resource(k8sres.GVRGateway).Namespace(gwNS).Create(context.Background(), gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig, testcluster.AdminToken, "default"); err != nil {
		t.Fatal(err)
	}
	return gwNS, kubeconfig, &wizardcmd.Options{EnvHook: func(e *wz.Env) { e.AgentCore.PollInterval = 20 * time.Millisecond }}
}

func applyAll(t *testing.T, c *clustertest.Cluster, stream string) {
	t.Helper()
	clustertest.NeedAgentGatewayCRDs(t)
	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	n := 0
	for _, u := range documents(t, stream) {
		if _, err := a.Apply(context.Background(), u, false); err != nil {
			t.Fatalf("%s %s not accepted: %v", u.GetKind(), u.GetName(), err)
		}
		if u.GetKind() == "Namespace" {
			ns := u.GetName()
			t.Cleanup(func() { _ = c.Kube().CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
		}
		n++
	}
	if n < 4 {
		t.Fatalf("only %d documents", n)
	}
}

func TestOfflineRenderMissingAnswersListedTogether(t *testing.T) {
	kc := noNetwork(t)
	r := run(t, kc, nil, "wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--identity", "external")
	if r.code != cmdutil.ExitUsage {
		t.Fatalf("want exit 2, got %d: %s", r.code, r.err)
	}
	for _, s := range []string{"--runtime-arn", "--discovery-url", "--audience"} {
		if !strings.Contains(r.err, s) {
			t.Fatalf("error %q does not list %s", r.err, s)
		}
	}
	if strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
		t.Fatalf("one line: %q", r.err)
	}
}

func TestRateLimitBurstBadInput(t *testing.T) {
	kc := noNetwork(t)
	base := []string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--runtime-arn", offlineARN}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rate-limit-burst", "3"}, "--rate-limit (--rate-limit-burst was given)"},
		{[]string{"--rate-limit", "3/minute", "--rate-limit-burst", "3", "--rate-limit-kind", "global"}, "RateLimitConfig has no burst"},
		{[]string{"--rate-limit", "3/minute", "--rate-limit-burst", "-1"}, "invalid --rate-limit-burst -1"},
	} {
		r := run(t, kc, nil, append(base, tc.args...)...)
		if r.code != cmdutil.ExitUsage || !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 || r.out != "" {
			t.Fatalf("%v: want exit 2 and one line saying %q, got %d %q (out %q)", tc.args, tc.want, r.code, r.err, r.out)
		}
	}
	p := filepath.Join(t.TempDir(), "setup.yaml")
	os.WriteFile(p, []byte("runtime-arn: "+offlineARN+"\nrate-limit: 4/second\nrate-limit-burst: 7\n"), 0o600)
	if r := run(t, kc, nil, "wizard", "--config", p, "--dry-run", "-o", "yaml"); r.code != 0 || !strings.Contains(r.out, "burst: 7") || !strings.Contains(r.out, "rateLimitBurst: \"7\"") {
		t.Fatalf("config key rate-limit-burst: %d %s\n%s", r.code, r.err, r.out)
	}
}

func TestConfigFileSameKeys(t *testing.T) {
	kc := noNetwork(t)
	p := filepath.Join(t.TempDir(), "setup.yaml")
	os.WriteFile(p, []byte("runtime-arn: "+offlineARN+"\nmode: native\nroute-namespace: from-file\nrate-limit: 5/hour\n"), 0o600)
	r := run(t, kc, nil, "wizard", "--config", p, "--dry-run", "-o", "yaml", "--mode", "rewrite")
	if r.code != 0 {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.out, "namespace: from-file") || !strings.Contains(r.out, "replaceFullPath") || !strings.Contains(r.out, "unit: Hours") {
		t.Fatalf("config keys not applied (or flag did not win over the file):\n%s", r.out)
	}
	os.WriteFile(p, []byte("runtime_arn: x\n"), 0o600)
	if r := run(t, kc, nil, "wizard", "--config", p, "--dry-run", "-o", "yaml"); r.code != cmdutil.ExitUsage || !strings.Contains(r.err, "runtime_arn") {
		t.Fatalf("unknown key must be a usage error naming it: %d %s", r.code, r.err)
	}
}

// TestCommandTwiceAndTeardown drives the real command against the test cluster, cognito-local and the fake
// AgentCore (through the standard AWS endpoint variables): without --yes nothing changes; with it the setup is
// made; the second run says it changed nothing; teardown --yes --delete-user-pool removes everything.
func TestCommandTwiceAndTeardown(t *testing.T) {
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	cog := cognitotest.StartForTest(t, cognitolocal.Options{})
	fake := agentcoretest.Start(t, fakeagentcore.Options{UpdateDelay: 20 * time.Millisecond})
	for _, kv := range cog.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", fake.URL)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	rt := agentcoretest.AddRuntime(t, fake, "cmd_agent")
	// The gateway's data path for the test call: a local HTTP server at the Gateway's address and listener port.
	// It answers 401 (aud mismatch) until told the setup is right, then 200.
	var gwOK atomic.Bool
	var gwPath atomic.Value
	gwSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gwPath.Store(r.URL.Path)
		if !gwOK.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Claim 'aud' value mismatch with configuration."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"result":"hello back"}`)
	}))
	t.Cleanup(gwSrv.Close)
	gwPort, _ := strconv.Atoi(gwSrv.URL[strings.LastIndex(gwSrv.URL, ":")+1:])

	gwNS, kc, hook := liveGateway(t, c, "cmdgw", "agentgateway", int64(gwPort))
	dyn := c.Dynamic()
	ns := "cmd-" + gwNS
	args := []string{"wizard", "--non-interactive", "--runtime-arn", rt.ARN, "--gateway", gwNS + "/agentgateway-proxy",
		"--route-namespace", ns, "--user-pool-name", "cmd-pool", "--verify-timeout", "100ms", "--rate-limit", "5/minute"}

	r := run(t, kc, hook, args...)
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.err, "--yes") || !strings.Contains(r.out, "+ create") {
		t.Fatalf("without --yes: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if _, err := c.Kube().CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatal("without --yes nothing may change")
	}
	r = run(t, kc, hook, append(args, "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.out, "④ Authorizer") || !strings.Contains(r.out, "CreateUserPool") {
		t.Fatalf("--dry-run plan: %d\n%s\n%s", r.code, r.out, r.err)
	}

	r = run(t, kc, hook, append(args, "--yes")...)
	if r.code != 0 || !strings.Contains(r.out, " applied; setup recorded in ConfigMap") {
		t.Fatalf("first run: %d\n%s\n%s", r.code, r.out, r.err)
	}
	r = run(t, kc, hook, append(args, "--yes")...)
	if r.code != 0 || !strings.Contains(r.out, "Nothing to change") || !strings.Contains(r.out, "No changes") {
		t.Fatalf("second run must say it changed nothing: %d\n%s\n%s", r.code, r.out, r.err)
	}

	// ⑦ --test-call: one real request through the gateway, its answer classified.
	r = run(t, kc, hook, append(args, "--yes", "--test-call")...)
	if r.code != cmdutil.ExitFindings || !strings.Contains(r.out, "no request sent") || !strings.Contains(r.out, "has no address") {
		t.Fatalf("a Gateway without an address: the test call says so (exit 3): %d\n%s\n%s", r.code, r.out, r.err)
	}
	live, err := dyn.Resource(k8sres.GVRGateway).Namespace(gwNS).Get(context.Background(), "agentgateway-proxy", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedSlice(live.Object, []any{map[string]any{"type": "IPAddress", "value": "127.0.0.1"}}, "status", "addresses")
	if _, err := dyn.Resource(k8sres.GVRGateway).Namespace(gwNS).UpdateStatus(context.Background(), live, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = run(t, kc, hook, append(args, "--yes", "--test-call")...)
	if r.code != cmdutil.ExitFindings || !strings.Contains(r.out, "401 Claim 'aud' value mismatch") || !strings.Contains(r.out, "authorizer.audience") {
		t.Fatalf("a 401 through the gateway is classified (exit 3): %d\n%s\n%s", r.code, r.out, r.err)
	}
	if p, _ := gwPath.Load().(string); p != "/agentcore" {
		t.Fatalf("the test call went to %q, not the route's path", p)
	}
	gwOK.Store(true)
	r = run(t, kc, hook, append(args, "--yes", "--test-call", "-o", "json")...)
	if r.code != 0 || !strings.Contains(r.out, `"testCallResult"`) || !strings.Contains(r.out, `"status": 200`) || !strings.Contains(r.out, "hello back") {
		t.Fatalf("a 200 through the gateway: %d\n%s\n%s", r.code, r.out, r.err)
	}

	// --dry-run -o yaml with the cluster reachable: rendered for it (Enterprise kinds, the record's values, token
	// redacted), answers not given taken from the record, and identical to what the wizard applied.
	r = run(t, kc, hook, "wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--route-namespace", ns)
	if r.code != 0 {
		t.Fatalf("live render: %d %s", r.code, r.err)
	}
	rec, err := setup.Load(context.Background(), c.Kube(), ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: EnterpriseAgentgatewayPolicy", "kind: RateLimitConfig", "userPoolId: " + rec.UserPoolID,
		"clientId: " + rec.ClientID, "runtimeArn: " + rt.ARN, "# REDACTED", "previousAuthorizer: \"null\""} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("live render lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "eyJ") || strings.Contains(r.out, "PLACEHOLDER") {
		t.Fatalf("the live render shows the token is redacted, never the token or a placeholder:\n%s", r.out)
	}
	sameAsLive(t, c, r.out)
	r = run(t, kc, hook, "wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--route-namespace", ns, "--runtime-arn", rt.ARN, "--offline")
	if r.code != 0 || !strings.Contains(r.out, "kind: AgentgatewayPolicy") || strings.Contains(r.out, "userPoolId") || strings.Contains(r.out, "Enterprise") {
		t.Fatalf("--offline renders the OSS kinds without the cluster: %d %s\n%s", r.code, r.err, r.out)
	}

	// A rerun naming only the namespace and what changes: the record gives the rest (as on a terminal, and as the
	// fix doctor prints for a route another one shadows). Where no record is, the missing answers are still a
	// usage error.
	r = run(t, kc, hook, "wizard", "--non-interactive", "-n", ns, "--path-prefix", "/moved", "--verify-timeout", "100ms", "--yes")
	if r.code != 0 || !strings.Contains(r.out, " applied; setup recorded in ConfigMap") {
		t.Fatalf("rerun from the record: %d\n%s\n%s", r.code, r.out, r.err)
	}
	moved, err := setup.Load(context.Background(), c.Kube(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if moved.PathPrefix != "/moved" || moved.UserPoolID != rec.UserPoolID || moved.ClientID != rec.ClientID || moved.RuntimeARN != rt.ARN || moved.RateLimit != rec.RateLimit {
		t.Fatalf("the rerun must change the path prefix only:\nbefore %+v\nafter  %+v", rec, moved)
	}
	route, err := dyn.Resource(k8sres.GVRHTTPRoute).Namespace(ns).Get(context.Background(), moved.RouteName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := k8sres.SliceAt(route.Object, "spec", "rules")[0].(map[string]any)["matches"].([]any)[0].(map[string]any)["path"].(map[string]any)["value"]; v != "/moved" {
		t.Fatalf("the route matches %v after the rerun, want /moved", v)
	}
	r = run(t, kc, hook, "wizard", "--non-interactive", "-n", "no-setup-"+gwNS, "--yes")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.err, "--runtime-arn") || strings.Count(strings.TrimSpace(r.err), "\n") > 0 {
		t.Fatalf("no record and no target: %d\n%s", r.code, r.err)
	}

	// Nothing listening at the gateway's address: no HTTP answer, explained.
	gwSrv.Close()
	r = run(t, kc, hook, append(args, "--yes", "--test-call")...)
	if r.code != cmdutil.ExitFindings || !strings.Contains(r.out, "connection refused") || !strings.Contains(r.out, "resources.gateway") {
		t.Fatalf("a closed gateway port: %d\n%s\n%s", r.code, r.out, r.err)
	}

	r = run(t, kc, hook, "teardown", "-n", ns, "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "- delete") || !strings.Contains(r.out, "restore the previous authorizer") {
		t.Fatalf("teardown plan: %d\n%s\n%s", r.code, r.out, r.err)
	}
	r = run(t, kc, hook, "teardown", "-n", ns, "--yes", "--delete-user-pool")
	if r.code != 0 {
		t.Fatalf("teardown: %d\n%s\n%s", r.code, r.out, r.err)
	}
	pools, _ := cip.NewFromConfig(cog.AWSConfig()).ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == "cmd-pool" {
			t.Fatal("pool not deleted")
		}
	}
	if _, ok := fake.Spec(rt.ID)["authorizerConfiguration"]; ok {
		t.Fatal("authorizer not restored to IAM")
	}
}

// sameAsLive decodes a rendered stream, has the API server accept every document (strict server-side dry run)
// and checks that applying each gateway object would leave the live spec as it is.
func sameAsLive(t *testing.T, c *clustertest.Cluster, stream string) {
	t.Helper()
	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	compared := 0
	for _, u := range documents(t, stream) {
		dry, err := a.Apply(context.Background(), u, true)
		if err != nil {
			t.Fatalf("%s %s not accepted: %v", u.GetKind(), u.GetName(), err)
		}
		switch u.GetKind() {
		case "Secret", "ConfigMap", "Namespace":
			continue
		}
		ri, _, err := a.Resource(u.GroupVersionKind(), u.GetNamespace())
		if err != nil {
			t.Fatal(err)
		}
		live, err := ri.Get(context.Background(), u.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatalf("rendered %s %s is not in the cluster: %v", u.GetKind(), u.GetName(), err)
		}
		// Applying the rendered object (defaults filled in by the server) would leave the live spec as it is.
		want, _ := json.Marshal(dry.Object["spec"])
		got, _ := json.Marshal(live.Object["spec"])
		if string(want) != string(got) {
			t.Fatalf("%s %s: rendered spec differs from the live one:\nrendered %s\nlive     %s", u.GetKind(), u.GetName(), want, got)
		}
		compared++
	}
	if compared < 4 {
		t.Fatalf("only %d gateway objects compared", compared)
	}
}

// TestRenderFallsBackOfflineWhenClusterUnreachable: a kubeconfig whose server does not answer renders offline,
// says so on stderr, and still exits 0.
func TestRenderFallsBackOfflineWhenClusterUnreachable(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_REGION", "us-east-1")
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: dead, context: {cluster: dead, user: u}}]
current-context: dead
`), 0o600)
	r := run(t, kc, nil, "wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--runtime-arn", offlineARN)
	if r.code != 0 || !strings.Contains(r.err, "rendered offline") || !strings.Contains(r.err, "unreachable") || !strings.Contains(r.out, "kind: AgentgatewayPolicy") {
		t.Fatalf("want an offline render with a note: %d\n%s\n%s", r.code, r.err, r.out)
	}
	if r := run(t, kc, nil, "wizard", "--non-interactive", "--offline", "--runtime-arn", offlineARN); r.code != cmdutil.ExitUsage || !strings.Contains(r.err, "--dry-run -o yaml") {
		t.Fatalf("--offline alone is a usage error: %d %s", r.code, r.err)
	}
}
