package wizard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal/cognitotest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/teardown"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clienttesting "k8s.io/client-go/testing"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// world is the test environment: the real API server with the real CRDs, cognito-local, the fake AgentCore.
type world struct {
	c       *clustertest.Cluster
	cog     *cognitolocal.Server
	fake    *fakeagentcore.Server
	gwNS    string
	cogCfg  aws.Config
	fakeCfg aws.Config
}

func newWorld(t *testing.T) *world {
	t.Helper()
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	return newWorldOn(t, c, "")
}

// newWorldOn builds the world on cluster c with Gateway agentgateway-proxy in a fresh namespace. class "" makes a
// GatewayClass of the test's own (no controller serves it: tests write statuses by hand); else the Gateway uses
// that class (testcluster.GatewayClassName: the real controller's).
func newWorldOn(t *testing.T, c *clustertest.Cluster, class string) *world {
	t.Helper()
	w := &world{c: c, cog: cognitotest.StartForTest(t, cognitolocal.Options{})}
	w.fake = agentcoretest.Start(t, fakeagentcore.Options{UpdateDelay: 20 * time.Millisecond})
	w.cogCfg, w.fakeCfg = w.cog.AWSConfig(), w.fake.AWSConfig(w.fake.URL)
	w.gwNS = c.Namespace(t, "gw")
	ctx := context.Background()
	dyn := c.Dynamic()
	if class == "" {
		class = "wiz-agentgateway-" + w.gwNS
		gc := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
			"metadata": map[string]any{"name": class}, "spec": map[string]any{"controllerName": "agentgateway.dev/agentgateway"},
		}}
		if _, err := dyn.Resource(k8sres.GVRGatewayClass).Create(ctx, gc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = dyn.Resource(k8sres.GVRGatewayClass).Delete(context.Background(), class, metav1.DeleteOptions{})
		})
	}
	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "agentgateway-proxy", "namespace": w.gwNS},
		"spec": map[string]any{"gatewayClassName": class, "listeners": []any{map[string]any{
			"name": "http", "protocol": "HTTP", "port": int64(8080),
			"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}},
		}}},
	}}
	if _, err := dyn.Resource(k8sres.GVRGateway).Namespace(w.gwNS).Create(ctx, gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) runtime(t *testing.T, name string) fakeagentcore.Runtime {
	t.Helper()
	rt, err := w.fake.AddRuntime(&bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:           aws.String(name),
		AgentRuntimeArtifact:       &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:v7")}},
		RoleArn:                    aws.String("arn:aws:iam::123456789012:role/AgentRuntimeRole"),
		NetworkConfiguration:       &types.NetworkConfiguration{NetworkMode: types.NetworkModeVpc, NetworkModeConfig: &types.VpcConfig{Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}}},
		ProtocolConfiguration:      &types.ProtocolConfiguration{ServerProtocol: types.ServerProtocolHttp},
		LifecycleConfiguration:     &types.LifecycleConfiguration{IdleRuntimeSessionTimeout: aws.Int32(600), MaxLifetime: aws.Int32(7200)},
		EnvironmentVariables:       map[string]string{"LOG_LEVEL": "debug"},
		RequestHeaderConfiguration: &types.RequestHeaderConfigurationMemberRequestHeaderAllowlist{Value: []string{"X-Tenant"}},
		Description:                aws.String("test agent"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func (w *world) env(cfg *rest.Config) *wz.Env {
	dyn := dynamic.NewForConfigOrDie(cfg)
	disc := discovery.NewDiscoveryClientForConfigOrDie(cfg)
	ac := awsops.NewAgentCore(w.fakeCfg)
	ac.PollInterval, ac.WaitTimeout = 10*time.Millisecond, 30*time.Second
	return &wz.Env{
		Kube: kubernetes.NewForConfigOrDie(cfg), Dynamic: dyn, Discovery: disc, Applier: k8sres.NewApplier(dyn, disc),
		Cognito: awsops.NewCognito(w.cogCfg), AgentCore: ac, VerifyTimeout: 50 * time.Millisecond,
	}
}

func (w *world) answers(rt fakeagentcore.Runtime, ns, pool string) wz.Answers {
	return wz.Answers{
		Gateway: w.gwNS + "/agentgateway-proxy", RuntimeARN: rt.ARN, RouteNamespace: ns, UserPoolName: pool,
		RateLimit: "3/minute", CORSOrigins: []string{"https://app.example.com"}, CORSMethods: []string{"POST"},
	}
}

type outcome struct {
	plan *wz.Plan
	res  *wz.Result
}

func run(t *testing.T, env *wz.Env, a wz.Answers) (outcome, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := wz.Normalize(a, "")
	if err != nil {
		return outcome{}, err
	}
	s, err := wz.Prepare(ctx, env, cfg)
	if err != nil {
		return outcome{}, err
	}
	p, err := wz.BuildPlan(ctx, env, s)
	if err != nil {
		return outcome{plan: p}, err
	}
	r, err := wz.Run(ctx, env, s)
	return outcome{plan: p, res: r}, err
}

func (w *world) pools(t *testing.T, name string) []string {
	t.Helper()
	out, err := cip.NewFromConfig(w.cogCfg).ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range out.UserPools {
		if aws.ToString(p.Name) == name {
			ids = append(ids, aws.ToString(p.Id))
		}
	}
	return ids
}

// teardownWithPool undoes the setup recorded in ns as `teardown --delete-user-pool` does.
func teardownWithPool(t *testing.T, env *wz.Env, ns string) {
	t.Helper()
	tearDown(t, env, ns, teardown.Options{DeleteUserPool: true})
}

// tearDown plans and runs the teardown of the setup recorded in ns, and returns its plan.
func tearDown(t *testing.T, env *wz.Env, ns string, o teardown.Options) *teardown.Plan {
	t.Helper()
	ctx := context.Background()
	rec, err := setup.Load(ctx, env.Kube, ns)
	if err != nil {
		t.Fatal(err)
	}
	tenv := &teardown.Env{Kube: env.Kube, Applier: env.Applier, Cognito: env.Cognito, AgentCore: env.AgentCore}
	tp, err := teardown.BuildPlan(ctx, tenv, rec, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := teardown.Run(ctx, tenv, tp); err != nil {
		t.Fatal(err)
	}
	return tp
}

// twoSetupsOn runs the wizard for two setups on runtime rt, in namespaces named after prefix, with user pools
// poolA and poolB (the second on path /b), and returns their namespaces.
func twoSetupsOn(t *testing.T, w *world, env *wz.Env, rt fakeagentcore.Runtime, prefix, poolA, poolB string) (string, string) {
	t.Helper()
	first, second := prefix+"-a-"+w.gwNS, prefix+"-b-"+w.gwNS
	if _, err := run(t, env, w.answers(rt, first, poolA)); err != nil {
		t.Fatal(err)
	}
	b := w.answers(rt, second, poolB)
	b.PathPrefix = "/b"
	if _, err := run(t, env, b); err != nil {
		t.Fatal(err)
	}
	return first, second
}

func specWithout(m map[string]json.RawMessage, keys ...string) string {
	c := map[string]any{}
	for k, v := range m {
		skip := false
		for _, x := range keys {
			skip = skip || k == x
		}
		if !skip {
			var x any
			_ = json.Unmarshal(v, &x)
			c[k] = x
		}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// TestWizardTwiceThenTeardown runs the whole wizard non-interactively twice (the second run must change nothing
// and say so), checks what it left (token, authorizer, every other runtime field, objects, record), then tears
// everything down and checks the cluster, the pool and the runtime are as before.
func TestWizardTwiceThenTeardown(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "twice_agent")
	env := w.env(w.c.Config)
	ns := "wiz-twice-" + w.gwNS
	before := w.fake.Spec(rt.ID)

	first, err := run(t, env, w.answers(rt, ns, "pool-twice"))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if first.plan.Changes == 0 || first.res.Changed == 0 {
		t.Fatalf("first run must change things: plan %d, run %d", first.plan.Changes, first.res.Changed)
	}
	rec := first.res.Record
	if rec.UserPoolID == "" || rec.ClientID == "" || !rec.CreatedNamespace || !rec.CreatedUserPool || rec.PreviousAuthorizer != "null" {
		t.Fatalf("record: %+v", rec)
	}

	// The runtime: authorizer = pool discovery URL + audience [client id]; everything else unchanged.
	after := w.fake.Spec(rt.ID)
	if specWithout(before, "authorizerConfiguration") != specWithout(after, "authorizerConfiguration") {
		t.Fatalf("the authorizer change altered other runtime fields:\nbefore %s\nafter  %s", specWithout(before), specWithout(after))
	}
	var az map[string]map[string]any
	_ = json.Unmarshal(after["authorizerConfiguration"], &az)
	jwt := az["customJWTAuthorizer"]
	if jwt["discoveryUrl"] != awsops.DiscoveryURL(w.cog.Issuer(rec.UserPoolID)) || fmt.Sprint(jwt["allowedAudience"]) != "["+rec.ClientID+"]" || jwt["allowedClients"] != nil {
		t.Fatalf("authorizer: %v", jwt)
	}

	// The Secret holds an ID token for this client.
	sec, err := w.c.Kube().CoreV1().Secrets(ns).Get(context.Background(), setup.DefaultSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(string(sec.Data["Authorization"]), "Bearer ")
	claims, err := jwtparts.Claims(tok)
	if err != nil || claims["aud"] != rec.ClientID || claims["token_use"] != "id" {
		t.Fatalf("token claims %v (%v)", claims, err)
	}
	if sec.Labels[k8sres.LabelManagedBy] != k8sres.ManagedByValue {
		t.Fatalf("secret labels %v", sec.Labels)
	}
	creds, err := setup.LoadCredentials(context.Background(), w.c.Kube(), &rec)
	if err != nil || creds.ClientSecret == "" || len(creds.Password) < 20 {
		t.Fatalf("credentials not stored: %v", err)
	}
	route, err := w.c.Dynamic().Resource(k8sres.GVRHTTPRoute).Namespace(ns).Get(context.Background(), "agentcore", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if route.GetLabels()[setup.LabelSetup] != rec.SetupLabel() {
		t.Fatalf("route labels %v", route.GetLabels())
	}
	// The cluster serves the Enterprise kinds: the policy kind follows them, with a global rate limit.
	if rec.PolicyKind != k8sres.GVKEnterprisePolicy.Kind || rec.RateLimitConfigName == "" {
		t.Fatalf("policy kind %s, rlc %q", rec.PolicyKind, rec.RateLimitConfigName)
	}
	updates := w.fake.Updates(rt.ID)

	second, err := run(t, env, w.answers(rt, ns, "pool-twice"))
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if second.plan.Changes != 0 || second.res.Changed != 0 {
		for _, it := range second.plan.Items {
			t.Logf("plan: %s %s %s %s", it.Action, it.Target, it.Detail, it.Diff)
		}
		for _, c := range second.res.Changes {
			t.Logf("run: %s %s %s", c.Action, c.Target, c.Detail)
		}
		t.Fatalf("second run must change nothing: plan %d, run %d", second.plan.Changes, second.res.Changed)
	}
	if w.fake.Updates(rt.ID) != updates || len(w.pools(t, "pool-twice")) != 1 {
		t.Fatalf("second run touched AWS: updates %d→%d, pools %v", updates, w.fake.Updates(rt.ID), w.pools(t, "pool-twice"))
	}
	sec2, _ := w.c.Kube().CoreV1().Secrets(ns).Get(context.Background(), setup.DefaultSecretName, metav1.GetOptions{})
	if string(sec2.Data["Authorization"]) != string(sec.Data["Authorization"]) || sec2.ResourceVersion != sec.ResourceVersion {
		t.Fatal("second run rewrote the token Secret")
	}

	// Teardown with --delete-user-pool: cluster, pool and runtime back to before.
	teardownWithPool(t, env, ns)
	n, err := w.c.Kube().CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err == nil && n.DeletionTimestamp == nil {
		t.Fatal("the namespace the wizard created is still there")
	} else if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	if ids := w.pools(t, "pool-twice"); len(ids) != 0 {
		t.Fatalf("pool not deleted: %v", ids)
	}
	if specWithout(before) != specWithout(w.fake.Spec(rt.ID)) {
		t.Fatalf("runtime not restored:\nbefore %s\nafter  %s", specWithout(before), specWithout(w.fake.Spec(rt.ID)))
	}
}

// TestInterruptedRunsConverge injects a failure after each checkpoint; the rerun finishes and a third run
// changes nothing. No pool, client or user is ever duplicated.
func TestInterruptedRunsConverge(t *testing.T) {
	w := newWorld(t)
	env := w.env(w.c.Config)
	for i, cp := range wz.Checkpoints {
		t.Run(cp, func(t *testing.T) {
			rt := w.runtime(t, fmt.Sprintf("int_agent_%d", i))
			ns := fmt.Sprintf("wiz-int-%d-%s", i, w.gwNS)
			pool := fmt.Sprintf("pool-int-%d", i)
			a := w.answers(rt, ns, pool)
			if i%2 == 1 {
				a.Mode = "native"
			}
			env.FailAfter = cp
			_, err := run(t, env, a)
			env.FailAfter = ""
			var se *wz.StepError
			if !errors.Is(err, wz.ErrInjected) || !errors.As(err, &se) || !strings.Contains(err.Error(), "rerun") {
				t.Fatalf("want the injected failure as a StepError that says how to resume, got %v", err)
			}
			if _, err := run(t, env, a); err != nil {
				t.Fatalf("rerun after %s: %v", cp, err)
			}
			third, err := run(t, env, a)
			if err != nil {
				t.Fatal(err)
			}
			if third.res.Changed != 0 || third.plan.Changes != 0 {
				for _, c := range third.res.Changes {
					t.Logf("%s %s", c.Action, c.Target)
				}
				t.Fatalf("after converging, a run must change nothing (plan %d, run %d)", third.plan.Changes, third.res.Changed)
			}
			if ids := w.pools(t, pool); len(ids) != 1 {
				t.Fatalf("pools named %s: %v", pool, ids)
			}
			clients, err := cip.NewFromConfig(w.cogCfg).ListUserPoolClients(context.Background(), &cip.ListUserPoolClientsInput{UserPoolId: aws.String(w.pools(t, pool)[0])})
			if err != nil || len(clients.UserPoolClients) != 1 {
				t.Fatalf("app clients: %v %v", clients, err)
			}
			rec, err := setup.Load(context.Background(), env.Kube, ns)
			if err != nil || rec.PreviousAuthorizer != "null" {
				t.Fatalf("record after resume: %+v %v", rec, err)
			}
			// Every pool here was made by the wizard, whichever step was interrupted.
			if !rec.CreatedUserPool || rec.CreatingUserPool != "" || rec.UserPoolID != w.pools(t, pool)[0] {
				t.Fatalf("after resuming from %s the pool must be recorded as the wizard's: created=%v creating=%q id=%q", cp, rec.CreatedUserPool, rec.CreatingUserPool, rec.UserPoolID)
			}
		})
	}
}

// TestInterruptedPoolCreation: a run stopped after CreateUserPool but before the pool's id is recorded leaves
// "creating user pool NAME" in the record (written before the create call). The rerun finds the pool by name and
// records it as the wizard's, so teardown --delete-user-pool deletes it; teardown right after the interruption
// finds it by name too. A pool that merely has the same name (not tagged by the wizard) is never claimed.
func TestInterruptedPoolCreation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	env := w.env(w.c.Config)

	t.Run("rerun claims the pool", func(t *testing.T) {
		rt := w.runtime(t, "pool_int_agent")
		ns, pool := "wiz-poolint-"+w.gwNS, "pool-interrupted"
		a := w.answers(rt, ns, pool)
		env.FailAfter = wz.CheckpointUserPool
		_, err := run(t, env, a)
		env.FailAfter = ""
		if !errors.Is(err, wz.ErrInjected) || !strings.Contains(err.Error(), "user-pool "+pool) {
			t.Fatalf("want the injected failure naming the pool that exists, got %v", err)
		}
		rec, err := setup.Load(ctx, env.Kube, ns)
		if err != nil {
			t.Fatal(err)
		}
		if rec.CreatingUserPool != pool || rec.UserPoolID != "" || rec.CreatedUserPool {
			t.Fatalf("the record must hold the intent and no id yet: creating=%q id=%q created=%v", rec.CreatingUserPool, rec.UserPoolID, rec.CreatedUserPool)
		}
		if ids := w.pools(t, pool); len(ids) != 1 {
			t.Fatalf("pools %v", ids)
		}
		if _, err := run(t, env, a); err != nil {
			t.Fatal(err)
		}
		rec, _ = setup.Load(ctx, env.Kube, ns)
		if !rec.CreatedUserPool || rec.CreatingUserPool != "" || rec.UserPoolID != w.pools(t, pool)[0] {
			t.Fatalf("rerun: created=%v creating=%q id=%q", rec.CreatedUserPool, rec.CreatingUserPool, rec.UserPoolID)
		}
		teardownWithPool(t, env, ns)
		if ids := w.pools(t, pool); len(ids) != 0 {
			t.Fatalf("teardown --delete-user-pool left the wizard's pool: %v", ids)
		}
	})

	t.Run("teardown right after the interruption", func(t *testing.T) {
		rt := w.runtime(t, "pool_td_agent")
		ns, pool := "wiz-pooltd-"+w.gwNS, "pool-interrupted-td"
		env.FailAfter = wz.CheckpointUserPool
		_, err := run(t, env, w.answers(rt, ns, pool))
		env.FailAfter = ""
		if !errors.Is(err, wz.ErrInjected) {
			t.Fatal(err)
		}
		teardownWithPool(t, env, ns)
		if ids := w.pools(t, pool); len(ids) != 0 {
			t.Fatalf("teardown did not find the interrupted run's pool: %v", ids)
		}
	})

	t.Run("a same-named pool not made by the wizard is not claimed", func(t *testing.T) {
		rt := w.runtime(t, "pool_foreign_agent")
		ns, pool := "wiz-poolforeign-"+w.gwNS, "pool-foreign"
		// A stale intent in the record, and a pool of that name made by someone else (no wizard tag).
		if _, err := w.c.Kube().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = w.c.Kube().CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
		stale := setup.Record{Namespace: ns, RuntimeARN: rt.ARN, GatewayNamespace: w.gwNS, GatewayName: "agentgateway-proxy",
			UserPoolName: pool, CreatingUserPool: pool}.WithDefaults()
		if err := setup.Save(ctx, env.Kube, &stale, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := cip.NewFromConfig(w.cogCfg).CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(pool)}); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, env, w.answers(rt, ns, pool)); err != nil {
			t.Fatal(err)
		}
		rec, _ := setup.Load(ctx, env.Kube, ns)
		if rec.CreatedUserPool || rec.CreatingUserPool != "" {
			t.Fatalf("someone else's pool was claimed: created=%v creating=%q", rec.CreatedUserPool, rec.CreatingUserPool)
		}
	})
}

// TestSigV4Mode: no Cognito, no Secret, the authorizer stays IAM, and the IRSA check names the permission.
func TestSigV4Mode(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "sigv4_agent")
	env := w.env(w.c.Config)
	env.Cognito = nil
	ns := "wiz-sigv4-" + w.gwNS
	a := wz.Answers{Gateway: w.gwNS + "/agentgateway-proxy", RuntimeARN: rt.ARN, RouteNamespace: ns, Mode: "sigv4"}
	out, err := run(t, env, a)
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, wn := range out.plan.Warnings {
		warned = warned || strings.Contains(wn, wz.InvokePermission) && strings.Contains(wn, wz.IRSAAnnotation)
	}
	if !warned {
		t.Fatalf("sigv4 must check the proxy ServiceAccount's IRSA annotation and name %s: %v", wz.InvokePermission, out.plan.Warnings)
	}
	if _, err := w.c.Kube().CoreV1().Secrets(ns).Get(context.Background(), setup.DefaultSecretName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("sigv4 has no token Secret: %v", err)
	}
	b, err := w.c.Dynamic().Resource(k8sres.GVRBackend).Namespace(ns).Get(context.Background(), "agentcore", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if arn, _, _ := unstructured.NestedString(b.Object, "spec", "aws", "agentCore", "agentRuntimeArn"); arn != rt.ARN {
		t.Fatalf("backend %v", b.Object["spec"])
	}
	if _, found, _ := unstructured.NestedMap(b.Object, "spec", "policies"); found {
		t.Fatal("sigv4 backend must not override auth")
	}
	if w.fake.Updates(rt.ID) != 0 {
		t.Fatal("an IAM runtime needs no authorizer change in sigv4 mode")
	}

	// With an IRSA annotation the check names the role.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "agentgateway-proxy", Namespace: w.gwNS,
		Annotations: map[string]string{wz.IRSAAnnotation: "arn:aws:iam::123456789012:role/proxy"}}}
	if _, err := w.c.Kube().CoreV1().ServiceAccounts(w.gwNS).Create(context.Background(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := run(t, env, a)
	if err != nil || again.res.Changed != 0 {
		t.Fatalf("sigv4 rerun: %v (changed %d)", err, again.res.Changed)
	}
	if !strings.Contains(strings.Join(again.plan.Warnings, " "), "role/proxy") {
		t.Fatalf("warnings: %v", again.plan.Warnings)
	}
}

// TestBadInput: each bad answer is one clear error and nothing is changed anywhere.
func TestBadInput(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "bad_agent")
	ctx := context.Background()
	// A user who may read gateways but not create namespaces.
	w.c.GrantLimited(t, "", "wiz-read-"+w.gwNS,
		rbacv1.PolicyRule{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"gateways", "gatewayclasses"}, Verbs: []string{"list", "get"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"services", "serviceaccounts", "namespaces"}, Verbs: []string{"get", "list"}})

	noCreds := w.fakeCfg
	noCreds.Credentials = aws.AnonymousCredentials{}
	badNS := "wiz-bad-" + w.gwNS
	cases := []struct {
		name string
		a    func(a *wz.Answers)
		env  func(e *wz.Env)
		want []string
	}{
		{"malformed ARN", func(a *wz.Answers) { a.RuntimeARN = "arn:aws:bedrock-agentcore:us-east-1:12345:runtime/x" }, nil, []string{"invalid runtime ARN", "12 digits"}},
		{"ARN in another region", func(a *wz.Answers) { a.Region = "eu-west-1" }, nil, []string{"region us-east-1", "--region is eu-west-1"}},
		{"runtime not found", func(a *wz.Answers) {
			a.RuntimeARN = strings.Replace(rt.ARN, rt.ID, "gone_agent-AAAAAAAAAA", 1)
		}, nil, []string{"gone_agent-AAAAAAAAAA not found"}},
		{"no AWS credentials", nil, func(e *wz.Env) {
			e.AgentCore = awsops.NewAgentCore(noCreds)
		}, []string{"credentials"}},
		{"gateway not found", func(a *wz.Answers) { a.Gateway = w.gwNS + "/nope" }, nil, []string{"Gateway " + w.gwNS + "/nope not found", "--gateway"}},
		{"missing answers", func(a *wz.Answers) { a.RuntimeARN = ""; a.Identity = "external" }, nil, []string{"--runtime-arn", "--discovery-url", "--audience"}},
		{"bad rate limit", func(a *wz.Answers) { a.RateLimit = "3/day" }, nil, []string{"invalid rate limit"}},
		{"bad CORS origin", func(a *wz.Answers) { a.CORSOrigins = []string{"app.example.com"} }, nil, []string{"invalid --cors-origin"}},
		{"missing CRDs", nil, func(e *wz.Env) {
			fd := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{}}
			fd.Resources = []*metav1.APIResourceList{{GroupVersion: "gateway.networking.k8s.io/v1", APIResources: []metav1.APIResource{
				{Name: "gateways", Kind: "Gateway"}, {Name: "gatewayclasses", Kind: "GatewayClass"}, {Name: "httproutes", Kind: "HTTPRoute"}}}}
			e.Discovery = fd
		}, []string{"AgentgatewayBackend", "Install Agent Gateway"}},
		{"namespace forbidden", nil, func(e *wz.Env) {
			*e = *w.env(w.c.ConfigFor(testcluster.LimitedToken))
		}, []string{"creating namespace " + badNS, "forbidden", "nothing was changed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := w.env(w.c.Config)
			if tc.env != nil {
				tc.env(env)
			}
			a := w.answers(rt, badNS, "pool-bad")
			if tc.a != nil {
				tc.a(&a)
			}
			_, err := run(t, env, a)
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			for _, s := range tc.want {
				if !strings.Contains(msg, s) {
					t.Fatalf("error %q does not say %q", msg, s)
				}
			}
			if strings.Count(msg, "\n") > 0 {
				t.Fatalf("error must be one line: %q", msg)
			}
			// Nothing changed anywhere.
			if _, err := w.c.Kube().CoreV1().Namespaces().Get(ctx, badNS, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("namespace %s exists after a failed run (%v)", badNS, err)
			}
			if ids := w.pools(t, "pool-bad"); len(ids) != 0 {
				t.Fatalf("a user pool was created: %v", ids)
			}
			if w.fake.Updates(rt.ID) != 0 {
				t.Fatal("the runtime was updated")
			}
		})
	}
}

// TestMissingCRDsSaysWhatToInstall uses a cluster view without the Agent Gateway kinds.
func TestMissingCRDsSaysWhatToInstall(t *testing.T) {
	err := k8sres.Kinds{Gateway: true, HTTPRoute: true}.Require()
	if err == nil || !strings.Contains(err.Error(), "Install Agent Gateway") || !errors.Is(err, k8sres.ErrMissingKinds) {
		t.Fatalf("got %v", err)
	}
}

// TestNativeVerifyWithRealController: the open-source Agent Gateway controller (v1.4.1) writes the statuses the
// wizard's verify step waits for (native mode, open-source kinds only, a local rate limit so a traffic policy is
// verified too); teardown then removes the setup and never touches what the controller created for the Gateway
// (Deployment, Service, ServiceAccount, ConfigMap, Secret <gw>-session-key).
func TestNativeVerifyWithRealController(t *testing.T) {
	c := clustertest.Private(t, testcluster.Options{Controller: true, OSSOnly: true})
	w := newWorldOn(t, c, testcluster.GatewayClassName)
	rt := w.runtime(t, "native_agent")
	env := w.env(c.Config)
	env.VerifyTimeout = 60 * time.Second
	ns := "wiz-native-" + w.gwNS
	a := w.answers(rt, ns, "pool-native")
	a.Mode, a.RateLimitKind = "native", "local"

	// What the controller creates for the Gateway, before the wizard runs.
	ctx := context.Background()
	kc := c.Kube()
	perGateway := func() map[string]string { // kind/name → uid
		out := map[string]string{}
		if d, err := kc.AppsV1().Deployments(w.gwNS).Get(ctx, "agentgateway-proxy", metav1.GetOptions{}); err == nil {
			out["Deployment/"+d.Name] = string(d.UID)
		}
		if s, err := kc.CoreV1().Services(w.gwNS).Get(ctx, "agentgateway-proxy", metav1.GetOptions{}); err == nil {
			out["Service/"+s.Name] = string(s.UID)
		}
		if s, err := kc.CoreV1().ServiceAccounts(w.gwNS).Get(ctx, "agentgateway-proxy", metav1.GetOptions{}); err == nil {
			out["ServiceAccount/"+s.Name] = string(s.UID)
		}
		if m, err := kc.CoreV1().ConfigMaps(w.gwNS).Get(ctx, "agentgateway-proxy", metav1.GetOptions{}); err == nil {
			out["ConfigMap/"+m.Name] = string(m.UID)
		}
		if s, err := kc.CoreV1().Secrets(w.gwNS).Get(ctx, "agentgateway-proxy-session-key", metav1.GetOptions{}); err == nil {
			out["Secret/"+s.Name] = string(s.UID)
		}
		return out
	}
	var made map[string]string
	deadline := time.Now().Add(60 * time.Second)
	for made = perGateway(); len(made) < 5 && time.Now().Before(deadline); made = perGateway() {
		time.Sleep(100 * time.Millisecond)
	}
	if len(made) != 5 {
		t.Fatalf("the controller made %v for the Gateway, want Deployment, Service, ServiceAccount, ConfigMap and Secret", made)
	}

	out, err := run(t, env, a)
	if err != nil {
		t.Fatalf("wizard: %v", err)
	}
	rec := out.res.Record
	if rec.PolicyKind != k8sres.GVKPolicy.Kind || rec.BackendKind != k8sres.GVKBackend.Kind || rec.TrafficPolicyName == "" {
		t.Fatalf("open-source kinds with a traffic policy expected: policy %s backend %s traffic policy %q", rec.PolicyKind, rec.BackendKind, rec.TrafficPolicyName)
	}
	got := map[string]wz.VerifyCheck{}
	for _, v := range out.res.Verify {
		got[v.ID] = v
	}
	for _, id := range []string{"resources.backend-accepted", "resources.route-accepted", "resources.traffic-policy-attached"} {
		if got[id].Status != "pass" {
			t.Errorf("verify %s: %+v (all: %+v)", id, got[id], out.res.Verify)
		}
	}
	// Native mode puts the auth on the backend: no auth policy, so verify waits for none (it used to wait for the
	// default name until its timeout).
	if rec.PolicyName != "" || got["resources.policy-attached"].ID != "" {
		t.Errorf("native mode has no auth policy: record names %q, verify %+v", rec.PolicyName, got["resources.policy-attached"])
	}
	// The words are the controller's: its backend message, and route conditions with empty messages.
	b, err := c.Dynamic().Resource(k8sres.GVRBackend).Namespace(ns).Get(ctx, rec.BackendName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cond, ok := k8sres.FindCondition(k8sres.ObjectConditions(b), "Accepted"); !ok || cond.Message != "Backend successfully accepted" {
		t.Errorf("backend status is not the controller's: %+v", cond)
	}
	for _, f := range b.GetManagedFields() {
		if f.Subresource == "status" && f.Manager != testcluster.ControllerBinary {
			t.Errorf("backend status written by %q", f.Manager)
		}
	}

	// A second setup on the same Gateway with the default path prefix: the controller would accept its route, and
	// Gateway API would give /agentcore to the first (older) route, so every call to it would reach the first
	// setup's runtime. The wizard refuses before changing anything, naming a free prefix; with it, it works.
	ns2 := "wiz-second-" + w.gwNS
	rt2 := w.runtime(t, "second_agent")
	a2 := w.answers(rt2, ns2, "pool-second")
	a2.Mode, a2.RateLimitKind = "native", "local"
	_, err = run(t, env, a2)
	want := "HTTPRoute " + ns + "/agentcore on Gateway " + w.gwNS + "/agentgateway-proxy would take every call to this setup's PathPrefix /agentcore, " +
		"to its own backend: the same match, and the older route ranks first (created "
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "this route not yet created). Nothing was changed. Give this setup a path of its own: --path-prefix /"+ns2+"/agentcore") ||
		strings.Contains(err.Error(), "\n") {
		t.Fatalf("a second setup on /agentcore: got %v, want one line with %q", err, want)
	}
	if _, err := kc.CoreV1().Namespaces().Get(ctx, ns2, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace %s exists after the refused run (%v)", ns2, err)
	}
	if ids := w.pools(t, "pool-second"); len(ids) != 0 || w.fake.Updates(rt2.ID) != 0 {
		t.Fatalf("the refused run changed AWS: pools %v, runtime updates %d", ids, w.fake.Updates(rt2.ID))
	}
	// Rendered for GitOps (--dry-run -o yaml), the same finding is a warning and the manifests still come.
	cfg2, err := wz.Normalize(a2, "")
	if err != nil {
		t.Fatal(err)
	}
	ls, err := wz.LiveSession(ctx, env, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(ls.Warnings, "\n"), want) || strings.Contains(strings.Join(ls.Warnings, "\n"), "Nothing was changed") {
		t.Fatalf("live render of a taken path: warnings %q", ls.Warnings)
	}
	// The terminal wizard's ⑤ page asks the same before the plan, and proposes the free prefix there.
	if v, err := wz.CheckPath(ctx, env, cfg2); err != nil || !strings.HasPrefix(v.Taken, want) || v.Free != "/"+ns2+"/agentcore" {
		t.Fatalf("CheckPath of a taken path: %+v %v", v, err)
	}
	a2.PathPrefix = "/" + ns2 + "/agentcore"
	if cfgFree, err := wz.Normalize(a2, ""); err != nil {
		t.Fatal(err)
	} else if v, err := wz.CheckPath(ctx, env, cfgFree); err != nil || v.Taken != "" || v.Free != "" {
		t.Fatalf("CheckPath of the free path: %+v %v", v, err)
	}
	out2, err := run(t, env, a2)
	if err != nil {
		t.Fatalf("wizard with the free prefix: %v", err)
	}
	if out2.plan != nil && len(out2.plan.Warnings) > 0 {
		for _, wn := range out2.plan.Warnings {
			if strings.Contains(wn, "HTTPRoute") {
				t.Errorf("a free prefix must not warn of another route: %q", wn)
			}
		}
	}
	teardownWithPool(t, env, ns2)

	// Teardown: the setup goes, the controller's objects for the Gateway stay (same UIDs).
	teardownWithPool(t, env, ns)
	if n, err := kc.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err == nil && n.DeletionTimestamp == nil {
		t.Fatal("teardown left the setup's namespace")
	}
	if after := perGateway(); fmt.Sprint(after) != fmt.Sprint(made) {
		t.Fatalf("teardown touched the controller's objects for the Gateway:\nbefore %v\nafter  %v", made, after)
	}
}

// planOnly builds the plan for a, changing nothing.
func planOnly(t *testing.T, env *wz.Env, a wz.Answers) *wz.Plan {
	t.Helper()
	ctx := context.Background()
	cfg, err := wz.Normalize(a, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := wz.Prepare(ctx, env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := wz.BuildPlan(ctx, env, s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A second setup on the same runtime with another user pool would point the runtime's one authorizer away from
// the first setup's tokens: its plan names that setup and what it needs. The same pool and app client (the same
// authorizer) warns of nothing, and neither does a setup on another runtime.
func TestPlanWarnsOfSetupSharingTheRuntime(t *testing.T) {
	w := newWorld(t)
	rt, other := w.runtime(t, "shared_agent"), w.runtime(t, "own_agent")
	env := w.env(w.c.Config)
	first := "wiz-shared-a-" + w.gwNS
	res, err := run(t, env, w.answers(rt, first, "pool-shared-a"))
	if err != nil {
		t.Fatal(err)
	}
	shares := "setup " + first + "/agentcore-setup also leads to runtime " + rt.ARN + " and needs a JWT authorizer with discovery URL " +
		res.res.Record.DiscoveryURL + " and allowedAudience [" + res.res.Record.ClientID + "]"

	second := w.answers(rt, "wiz-shared-b-"+w.gwNS, "pool-shared-b")
	second.PathPrefix = "/b"
	if p := planOnly(t, env, second); !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.HasPrefix(s, shares) && strings.Contains(s, "(401)") }) {
		t.Fatalf("another pool on the same runtime: warnings %q, want one starting %q", p.Warnings, shares)
	}
	samePool := w.answers(rt, "wiz-shared-c-"+w.gwNS, "pool-shared-a")
	samePool.PathPrefix = "/c"
	if p := planOnly(t, env, samePool); len(p.Warnings) != 0 {
		t.Fatalf("the same pool and app client on the same runtime: warnings %q", p.Warnings)
	}
	elsewhere := w.answers(other, "wiz-shared-d-"+w.gwNS, "pool-shared-b")
	elsewhere.PathPrefix = "/d"
	if p := planOnly(t, env, elsewhere); len(p.Warnings) != 0 {
		t.Fatalf("another runtime: warnings %q", p.Warnings)
	}
	// Applied anyway (the plan was confirmed): now a rerun of the first setup, whose pool is known, would take
	// the runtime back and names the second.
	if _, err := run(t, env, second); err != nil {
		t.Fatal(err)
	}
	back := "setup " + second.RouteNamespace + "/agentcore-setup also leads to runtime " + rt.ARN
	if p := planOnly(t, env, w.answers(rt, first, "pool-shared-a")); !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.HasPrefix(s, back) }) {
		t.Fatalf("a rerun of the first setup: warnings %q, want one starting %q", p.Warnings, back)
	}
}

// Two setups on one runtime with the same pool share its authorizer. Tearing down the one that changed it keeps
// the authorizer (the other still uses it) and hands the authorizer from before the wizard to the other, whose
// own teardown then restores it.
func TestTeardownKeepsASharedAuthorizer(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "kept_shared_agent")
	env := w.env(w.c.Config)
	ctx := context.Background()
	first, second := twoSetupsOn(t, w, env, rt, "wiz-keep", "pool-keep", "pool-keep")

	p := tearDown(t, env, first, teardown.Options{})
	if it := p.Items[0]; it.Action != "skip" || !strings.Contains(it.Detail, "setup "+second+"/agentcore-setup also leads here") {
		t.Fatalf("the first teardown's authorizer item: %s %q", it.Action, it.Detail)
	}
	if !slices.ContainsFunc(p.Items, func(it teardown.Item) bool {
		return it.Action == "update" && it.Target == "ConfigMap "+second+"/agentcore-setup" && strings.Contains(it.Detail, "takes over")
	}) {
		t.Fatalf("the second setup does not take the previous authorizer over: %+v", p.Items)
	}
	if _, ok := w.fake.Spec(rt.ID)["authorizerConfiguration"]; !ok {
		t.Fatal("the first teardown restored the runtime's authorizer while the second setup uses it")
	}
	heir, err := setup.Load(ctx, env.Kube, second)
	if err != nil || heir.PreviousAuthorizer != "null" {
		t.Fatalf("the second setup's previous authorizer: %q (%v)", heir.PreviousAuthorizer, err)
	}

	// A setup on the same runtime that needs another authorizer (another identity provider) does not hold the
	// restore back: it is not using this one.
	elsewhere := &setup.Record{Namespace: w.c.Namespace(t, "keep-c"), Name: setup.DefaultRecordName, Mode: setup.ModeRewrite, RuntimeARN: rt.ARN,
		GatewayNamespace: w.gwNS, GatewayName: "agentgateway-proxy", IdentityProvider: setup.IdPExternal, DiscoveryURL: "https://idp.example.com/.well-known/openid-configuration", Audience: []string{"other"}}
	if err := setup.Save(ctx, env.Kube, elsewhere, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Load(ctx, env.Kube, elsewhere.Namespace); err != nil {
		t.Fatal(err)
	}
	p = tearDown(t, env, second, teardown.Options{})
	if it := p.Items[0]; it.Action != "update" || !strings.Contains(it.Detail, "restore the previous authorizer (IAM only)") {
		t.Fatalf("the last teardown's authorizer item: %s %q", it.Action, it.Detail)
	}
	if _, ok := w.fake.Spec(rt.ID)["authorizerConfiguration"]; ok {
		t.Fatal("the last teardown left the wizard's authorizer on the runtime")
	}
}

// A second setup that points a shared runtime at another pool records the first one's authorizer as "before the
// wizard". Tearing the first down hands it the real one (IAM only here), so the last teardown restores that and
// not the authorizer of a setup that is gone.
func TestTeardownHandsOverAStalePrevious(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "stale_prev_agent")
	env := w.env(w.c.Config)
	ctx := context.Background()
	first, second := twoSetupsOn(t, w, env, rt, "wiz-stale", "pool-stale-a", "pool-stale-b")
	if rec, err := setup.Load(ctx, env.Kube, second); err != nil || rec.PreviousAuthorizer == "null" {
		t.Fatalf("the second setup should have recorded the first one's authorizer: %q (%v)", rec.PreviousAuthorizer, err)
	}
	p := tearDown(t, env, first, teardown.Options{})
	if !slices.ContainsFunc(p.Items, func(it teardown.Item) bool {
		return it.Action == "update" && it.Target == "ConfigMap "+second+"/agentcore-setup" && strings.Contains(it.Detail, "takes over the real one")
	}) {
		t.Fatalf("the first teardown does not hand the real previous authorizer over: %+v", p.Items)
	}
	if rec, err := setup.Load(ctx, env.Kube, second); err != nil || rec.PreviousAuthorizer != "null" {
		t.Fatalf("the second setup's previous authorizer after the hand-over: %q (%v)", rec.PreviousAuthorizer, err)
	}
	tearDown(t, env, second, teardown.Options{})
	if _, ok := w.fake.Spec(rt.ID)["authorizerConfiguration"]; ok {
		t.Fatalf("the last teardown left an authorizer on the runtime: %s", w.fake.Spec(rt.ID)["authorizerConfiguration"])
	}
}

// A user who may work in their own namespace only cannot see the setups in others: the plan says that setups
// elsewhere were not checked whenever it changes what they could share (the runtime's authorizer, the service
// user's password), and so does teardown's when it restores the authorizer.
func TestNamespaceUserIsToldOfUnseenSetups(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "unseen_agent")
	admin := w.env(w.c.Config)
	ctx := context.Background()
	theirs, mine := "wiz-unseen-a-"+w.gwNS, "wiz-unseen-b-"+w.gwNS
	if _, err := run(t, admin, w.answers(rt, theirs, "pool-unseen")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.Kube().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: mine}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w.c.GrantLimited(t, mine, "team", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}})
	// Gateways anywhere, but not namespaces: the wizard finds its own namespace by what it may list inside.
	w.c.GrantLimited(t, "", "wiz-unseen-"+w.gwNS,
		rbacv1.PolicyRule{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"gateways", "gatewayclasses"}, Verbs: []string{"list", "get"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list"}})
	cfg := w.c.ConfigFor(testcluster.LimitedToken)
	team := w.env(cfg)
	unseen := func(ws []string, what string) bool {
		return slices.ContainsFunc(ws, func(s string) bool { return strings.HasPrefix(s, setup.Unseen) && strings.Contains(s, what) })
	}

	// a namespace the user may not touch: one line saying what to do, before anything changes
	elsewhere, err := wz.Normalize(w.answers(rt, "wiz-unseen-c-"+w.gwNS, "pool-unseen"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wz.Prepare(ctx, team, elsewhere); err == nil || !strings.HasPrefix(err.Error(), "you may neither read namespace wiz-unseen-c-"+w.gwNS+" nor list its ConfigMaps: nothing was changed. Pass -n") {
		t.Errorf("a namespace the user may not use: %v", err)
	}

	// the same pool and service user: its password is reset for this setup, which would strand the unseen one
	same := w.answers(rt, mine, "pool-unseen")
	same.PathPrefix = "/b"
	if p := planOnly(t, team, same); !unseen(p.Warnings, "same service user") {
		t.Errorf("a password reset as a namespace user: warnings %q", p.Warnings)
	}
	if p := planOnly(t, admin, same); unseen(p.Warnings, "") {
		t.Errorf("an admin sees every namespace: warnings %q", p.Warnings)
	}
	// another pool: the runtime's authorizer changes
	other := w.answers(rt, mine, "pool-unseen-b")
	other.PathPrefix = "/b"
	if p := planOnly(t, team, other); !unseen(p.Warnings, "(401) after this change") {
		t.Errorf("an authorizer change as a namespace user: warnings %q", p.Warnings)
	}
	if _, err := run(t, team, other); err != nil {
		t.Fatal(err)
	}
	rec, err := setup.Load(ctx, team.Kube, mine)
	if err != nil {
		t.Fatal(err)
	}
	tenv := &teardown.Env{Kube: team.Kube, Applier: team.Applier, Cognito: team.Cognito, AgentCore: team.AgentCore}
	tp, err := teardown.BuildPlan(ctx, tenv, rec, teardown.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tp.Items[0].Action != "update" || !unseen(tp.Warnings, "--keep-authorizer") {
		t.Errorf("teardown as a namespace user: first item %s %q, warnings %q", tp.Items[0].Action, tp.Items[0].Detail, tp.Warnings)
	}
	aenv := &teardown.Env{Kube: admin.Kube, Applier: admin.Applier, Cognito: admin.Cognito, AgentCore: admin.AgentCore}
	if tp, err := teardown.BuildPlan(ctx, aenv, rec, teardown.Options{}); err != nil || unseen(tp.Warnings, "") {
		t.Errorf("teardown as an admin: warnings %q, %v", tp.Warnings, err)
	}
}

// callWithSetupToken calls runtime rt at the local AgentCore's data plane with the token the setup in ns keeps in
// its Secret, and returns the answer's status: AgentCore's inbound authorization (signature, issuer, aud,
// client_id, scope) decides it.
func callWithSetupToken(t *testing.T, w *world, env *wz.Env, rt fakeagentcore.Runtime, ns string) int {
	t.Helper()
	ctx := context.Background()
	rec, err := setup.Load(ctx, env.Kube, ns)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := env.Kube.CoreV1().Secrets(ns).Get(ctx, rec.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fakeagentcore.InvocationURL(w.fake.URL, rt.ARN), strings.NewReader(`{"prompt":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", bearer.Value(bearer.Token(string(sec.Data[setup.SecretKey]))))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

// Two setups on one runtime with the same user pool and two app clients: one authorizer accepts both (their
// audiences joined), so the second wizard run neither warns nor cuts the first setup off. It records the
// authorizer from before either setup as its own "before". Tearing either down narrows the authorizer to what
// the other needs; the last teardown restores IAM only.
func TestSetupsOfOnePoolShareTheAuthorizer(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "joined_agent")
	env := w.env(w.c.Config)
	ctx := context.Background()
	first, second := "wiz-join-a-"+w.gwNS, "wiz-join-b-"+w.gwNS
	a := w.answers(rt, first, "pool-join")
	if _, err := run(t, env, a); err != nil {
		t.Fatal(err)
	}
	b := w.answers(rt, second, "pool-join")
	b.PathPrefix, b.ClientName, b.Username = "/b", "agentcore-join-b", "join-b-service"
	recA, err := setup.Load(ctx, env.Kube, first)
	if err != nil {
		t.Fatal(err)
	}
	audiences := func() []string {
		t.Helper()
		got, err := env.AgentCore.GetRuntime(ctx, rt.ARN)
		if err != nil {
			t.Fatal(err)
		}
		j := awsops.JWTConfig(got.AuthorizerConfiguration)
		if j == nil {
			return nil
		}
		return slices.Sorted(slices.Values(j.AllowedAudience))
	}

	out, err := run(t, env, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.plan.Warnings) != 0 {
		t.Errorf("a second app client of the same pool: warnings %q", out.plan.Warnings)
	}
	recB, err := setup.Load(ctx, env.Kube, second)
	if err != nil {
		t.Fatal(err)
	}
	if recB.ClientID == recA.ClientID {
		t.Fatalf("the second setup should have its own app client: both %s", recA.ClientID)
	}
	if !slices.ContainsFunc(out.plan.Items, func(it plan.Item) bool {
		return it.Step == wz.StepAuthorizer && it.Action == plan.Update && strings.Contains(it.Detail, "shared with setup "+first+"/agentcore-setup")
	}) {
		t.Errorf("the plan does not say the authorizer is shared: %+v", out.plan.Items)
	}
	if got, want := audiences(), slices.Sorted(slices.Values([]string{recA.ClientID, recB.ClientID})); !slices.Equal(got, want) {
		t.Fatalf("the runtime's allowedAudience after the second setup: %v, want %v", got, want)
	}
	if recB.PreviousAuthorizer != "null" {
		t.Errorf("the second setup's authorizer before the wizard: %q, want the one before either setup (null: IAM only)", recB.PreviousAuthorizer)
	}
	for _, ns := range []string{first, second} {
		if code := callWithSetupToken(t, w, env, rt, ns); code != http.StatusOK {
			t.Errorf("a call with the token of %s: %d", ns, code)
		}
	}
	// A rerun of the first setup keeps the joined authorizer.
	if p := planOnly(t, env, a); len(p.Warnings) != 0 || !slices.ContainsFunc(p.Items, func(it plan.Item) bool {
		return it.Step == wz.StepAuthorizer && it.Action == plan.Unchanged
	}) {
		t.Errorf("a rerun of the first setup: warnings %q, items %+v", p.Warnings, p.Items)
	}

	// Teardown of the first, asked to delete the pool it created: the authorizer keeps the second's audience only,
	// the pool stays for the second setup, which takes it over (it knows the authorizer from before already).
	p := tearDown(t, env, first, teardown.Options{DeleteUserPool: true})
	if !slices.ContainsFunc(p.Items, func(it teardown.Item) bool {
		return it.Action == "skip" && strings.HasPrefix(it.Target, "user pool "+recA.UserPoolID) && strings.Contains(it.Detail, "setup "+second+"/agentcore-setup still uses it")
	}) || len(w.pools(t, "pool-join")) != 1 {
		t.Fatalf("the first teardown deleted the pool the second setup uses: %+v", p.Items)
	}
	if heir, err := setup.Load(ctx, env.Kube, second); err != nil || !heir.CreatedUserPool {
		t.Fatalf("the second setup did not take the pool over (%v)", err)
	}
	if it := p.Items[0]; it.Action != "update" || !strings.Contains(it.Detail, "narrow it to what setup "+second+"/agentcore-setup needs (allowedAudience ["+recB.ClientID+"])") {
		t.Fatalf("the first teardown's authorizer item: %s %q", it.Action, it.Detail)
	}
	if slices.ContainsFunc(p.Items, func(it teardown.Item) bool {
		return strings.HasPrefix(it.Target, "ConfigMap "+second) && strings.Contains(it.Detail, "authorizer")
	}) {
		t.Errorf("the second setup knows the authorizer from before the wizard: nothing to take over: %+v", p.Items)
	}
	if got := audiences(); !slices.Equal(got, []string{recB.ClientID}) {
		t.Fatalf("the runtime's allowedAudience after the first teardown: %v, want [%s]", got, recB.ClientID)
	}
	if code := callWithSetupToken(t, w, env, rt, second); code != http.StatusOK {
		t.Errorf("the second setup's call after the first teardown: %d", code)
	}
	p = tearDown(t, env, second, teardown.Options{DeleteUserPool: true})
	if it := p.Items[0]; it.Action != "update" || !strings.Contains(it.Detail, "restore the previous authorizer (IAM only)") {
		t.Fatalf("the last teardown's authorizer item: %s %q", it.Action, it.Detail)
	}
	if _, ok := w.fake.Spec(rt.ID)["authorizerConfiguration"]; ok {
		t.Fatal("the last teardown left a JWT authorizer on the runtime")
	}
	if ids := w.pools(t, "pool-join"); len(ids) != 0 {
		t.Fatalf("the last teardown kept the pool: %v", ids)
	}
}

// Someone added an audience of their own to a shared authorizer by hand: teardown does not take it for the
// setups' and leaves the authorizer as it is.
func TestTeardownLeavesAnAuthorizerChangedByHand(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "hand_changed_agent")
	env := w.env(w.c.Config)
	ctx := context.Background()
	ns := "wiz-hand-" + w.gwNS
	if _, err := run(t, env, w.answers(rt, ns, "pool-hand")); err != nil {
		t.Fatal(err)
	}
	got, err := env.AgentCore.GetRuntime(ctx, rt.ARN)
	if err != nil {
		t.Fatal(err)
	}
	j := awsops.JWTConfig(got.AuthorizerConfiguration)
	j.AllowedAudience = append(j.AllowedAudience, "someone-elses-client")
	if _, err := env.AgentCore.SetAuthorizer(ctx, rt.ARN, got.AuthorizerConfiguration, awsops.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	p := tearDown(t, env, ns, teardown.Options{})
	if it := p.Items[0]; it.Action != "skip" || !strings.Contains(it.Detail, "changed by someone else") || !slices.Contains(p.Warnings, "the runtime's authorizer is no longer the one the wizard set: not restored") {
		t.Fatalf("teardown of a hand-changed authorizer: %s %q, warnings %q", it.Action, it.Detail, p.Warnings)
	}
	if _, ok := w.fake.Spec(rt.ID)["authorizerConfiguration"]; !ok {
		t.Fatal("teardown restored an authorizer someone else had changed")
	}
}
