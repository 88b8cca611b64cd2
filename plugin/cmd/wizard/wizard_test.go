package wizard_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	teardowncmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/teardown"
	wizardcmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) { testcluster.Main(m) }

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
	if o == nil {
		o = &wizardcmd.Options{}
	}
	parent.AddCommand(wizardcmd.NewCmdWithOptions(f, o), teardowncmd.NewCmd(f))
	parent.SetArgs(args)
	parent.SetOut(out)
	parent.SetErr(errOut)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
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
	}
	var c *testcluster.Cluster
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			kc := noNetwork(t)
			args := append([]string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--runtime-arn", offlineARN,
				"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "agentcore-offline-" + name}, extra...)
			r := run(t, kc, nil, args...)
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
			if name != "sigv4" && !strings.Contains(r.out, "PLACEHOLDER") || strings.Contains(r.out, "eyJ") {
				t.Fatal("the token must be a clearly marked placeholder, never a made-up token")
			}
			if c == nil {
				c = testcluster.Shared(t)
			}
			applyAll(t, c, r.out)
		})
	}
}

func applyAll(t *testing.T, c *testcluster.Cluster, stream string) {
	t.Helper()
	if _, err := os.Stat(testcluster.SharedCRDDir()); err != nil {
		t.Skip("no Agent Gateway CRDs")
	}
	a := k8sres.NewApplier(c.Dynamic(), discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(stream)), 4096)
	n := 0
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatal(err)
		}
		if obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
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
	c := testcluster.Shared(t)
	if _, err := os.Stat(testcluster.SharedCRDDir()); err != nil {
		t.Skip("no Agent Gateway CRDs")
	}
	cog := cognitolocal.StartForTest(t, cognitolocal.Options{})
	fake := fakeagentcore.Start(t, fakeagentcore.Options{UpdateDelay: 20 * time.Millisecond})
	for _, kv := range cog.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", fake.URL)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	rt, err := fake.AddRuntime(&bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String("cmd_agent"),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
	})
	if err != nil {
		t.Fatal(err)
	}
	gwNS := c.Namespace(t, "cmdgw")
	dyn := c.Dynamic()
	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "agentgateway-proxy", "namespace": gwNS},
		"spec": map[string]any{"gatewayClassName": "agentgateway", "listeners": []any{map[string]any{
			"name": "http", "protocol": "HTTP", "port": int64(80), "allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}},
	}}
	if _, err := dyn.Resource(k8sres.GVRGateway).Namespace(gwNS).Create(context.Background(), gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, "default"); err != nil {
		t.Fatal(err)
	}
	ns := "cmd-" + gwNS
	hook := &wizardcmd.Options{EnvHook: func(e *wz.Env) { e.AgentCore.PollInterval = 20 * time.Millisecond }, VerifyTimeout: 100 * time.Millisecond}
	args := []string{"wizard", "--non-interactive", "--runtime-arn", rt.ARN, "--gateway", gwNS + "/agentgateway-proxy",
		"--route-namespace", ns, "--user-pool-name", "cmd-pool", "--verify-timeout", "100ms"}

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
	if r.code != 0 || !strings.Contains(r.out, "change(s) applied") {
		t.Fatalf("first run: %d\n%s\n%s", r.code, r.out, r.err)
	}
	r = run(t, kc, hook, append(args, "--yes")...)
	if r.code != 0 || !strings.Contains(r.out, "Nothing to change") || !strings.Contains(r.out, "No changes") {
		t.Fatalf("second run must say it changed nothing: %d\n%s\n%s", r.code, r.out, r.err)
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
