// Package sandbox runs the whole Client → Agent Gateway → AgentCore path on one machine, on loopback only, from
// the project's own files: a real kube-apiserver + etcd with the Gateway API and Agent Gateway CRDs, the real
// open-source Agent Gateway controller (v1.4.1, docs/agentgateway-controller.md: it writes every status of the
// open-source kinds), kwok as the kubelet of a fake node whose proxy pods' logs are files, cognito-local, a local
// AgentCore (control and data plane) and the DEMO STAND-IN for the gateway proxy (internal/gatewaystandin; not a
// gateway product: the data path only, since no real proxy runs here).
//
// It is a developer tool, not part of the plugin: the binary cmd/agentcore-sandbox runs it. Start runs it
// in-process (the end-to-end tests); Serve is Start until a signal (the `agentcore-sandbox serve` daemon);
// Up/Down/Load manage that daemon through a state folder (PIDs and the environment in state.json), by default
// .sandbox in the project folder or the folder $AGENTCORE_SANDBOX_DIR names, so two can run side by side.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/gatewaystandin"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/proc"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
)

// Names of what the sandbox creates.
const (
	GatewayNamespace = "agentgateway-system"
	GatewayName      = "agentgateway-proxy"
	GatewayClass     = testcluster.GatewayClassName // created and accepted by the controller
	Region           = "us-east-1"
	Account          = "123456789012"
	// EchoRuntime has no authorizer yet: the wizard configures it. IAMRuntime stays IAM-only.
	EchoRuntime = "echo_agent"
	IAMRuntime  = "iam_only_agent"
	// ToolsGateway is the AgentCore Gateway (MCP) with the fake's tools (fakeagentcore.GatewayTools). It starts
	// with authorizer type AWS_IAM, as a gateway nobody has given a JWT authorizer yet; the wizard configures it.
	ToolsGateway = "sandbox-tools"
	// AccessKeyID/SecretAccessKey are dummy credentials (the local services do not check them).
	AccessKeyID     = "AKIDSANDBOXLOCAL"
	SecretAccessKey = "sandbox-local-secret"
	stateFile       = "state.json"
	// The OAuth server (oidc-provider) for identity (c) by client credentials: a demo client allowed to ask for
	// tokens for DemoAudience; its secret is in the Secret DemoSecretNamespace/DemoSecretName, key clientSecret
	// (the wizard's --client-secret-from reads it there: DemoSecretFrom).
	DemoClientID        = "sandbox-m2m"
	DemoAudience        = "https://agents.sandbox.local/"
	DemoScope           = "agents.invoke"
	DemoSecretNamespace = "sandbox-idp"
	DemoSecretName      = "sandbox-m2m-client"
	DemoSecretFrom      = "secret:" + DemoSecretNamespace + "/" + DemoSecretName + "/clientSecret"
	// The caller-token modes (wizard --mode passthrough|exchange) on the same OAuth server: a caller client whose
	// client-credentials tokens stand for an application's caller token (sub = its id, aud = CallerAudience), and
	// an exchange client allowed the token-exchange grant (RFC 8693), which the gateway uses to trade a caller's
	// token for one for DemoAudience. Their secrets are in Secrets of DemoSecretNamespace, key clientSecret.
	CallerClientID     = "sandbox-caller"
	CallerAudience     = "https://app.sandbox.local/"
	CallerScope        = "app.use"
	CallerSecretName   = "sandbox-caller-client"
	CallerSecretFrom   = "secret:" + DemoSecretNamespace + "/" + CallerSecretName + "/clientSecret"
	ExchangeClientID   = "sandbox-exchanger"
	ExchangeSecretName = "sandbox-exchange-client"
	ExchangeSecretFrom = "secret:" + DemoSecretNamespace + "/" + ExchangeSecretName + "/clientSecret"
	// DirEnv names the state folder when set (two sandboxes run side by side in two folders).
	DirEnv = "AGENTCORE_SANDBOX_DIR"
)

// DefaultDir is the state folder: $AGENTCORE_SANDBOX_DIR, else .sandbox in the project folder (else in the
// working directory).
func DefaultDir() string {
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	if root, err := testcluster.RepoRoot(); err == nil {
		return filepath.Join(root, ".sandbox")
	}
	return ".sandbox"
}

// ProxyPods are the names of the gateway's proxy pods on the kwok node.
var ProxyPods = []string{"agentgateway-proxy-7c9d5b8f4-x2x4q", "agentgateway-proxy-7c9d5b8f4-q8mzn"}

// State is what a running sandbox publishes (state.json).
type State struct {
	Dir        string            `json:"dir"`
	PID        int               `json:"pid"` // the sandbox process (its children die with it)
	PIDs       map[string]int    `json:"pids"`
	StartedAt  time.Time         `json:"startedAt"`
	StartupMS  int64             `json:"startupMs"`
	Kubeconfig string            `json:"kubeconfig"`
	GatewayURL string            `json:"gatewayUrl"` // the stand-in's address (the Gateway's address:port)
	AgentCore  string            `json:"agentCoreUrl"`
	Cognito    string            `json:"cognitoUrl"`
	Runtimes   map[string]string `json:"runtimes"` // name → ARN
	// OIDC is the OAuth 2.0 / OpenID Connect server for identity (c), when oidc-provider is installed.
	OIDC *OIDCDemo `json:"oidc,omitempty"`
	// AgentCoreGateways are the AgentCore Gateways (MCP), by name; not the Agent Gateway stand-in (GatewayURL).
	AgentCoreGateways map[string]AgentCoreGateway `json:"agentCoreGateways"`
	LogFiles          []string                    `json:"logFiles"`
	Env               map[string]string           `json:"env"`
	// Enterprise: the Solo Enterprise kinds are served too (Options.Enterprise).
	Enterprise bool `json:"enterprise,omitempty"`
	// OwnerPID is the process whose exit stops the sandbox (Options.OwnerPID; 0 = none).
	OwnerPID int `json:"ownerPid,omitempty"`
}

// AgentCoreGateway names one AgentCore Gateway the sandbox created.
type AgentCoreGateway struct {
	ID     string   `json:"id"`
	ARN    string   `json:"arn"`
	MCPURL string   `json:"mcpUrl"` // the local AgentCore's MCP endpoint of the gateway
	Tools  []string `json:"tools"`
}

// OIDCDemo is the sandbox's OAuth server and its demo client (the secret itself is only in the cluster).
type OIDCDemo struct {
	DiscoveryURL string `json:"discoveryUrl"`
	ClientID     string `json:"clientId"`
	SecretFrom   string `json:"clientSecretFrom"`
	Audience     string `json:"audience"`
	// The caller-token modes: the caller client (its tokens are the callers' tokens, for CallerAudience) and the
	// exchange client (token-exchange grant); secrets only in the cluster.
	CallerClientID     string `json:"callerClientId,omitempty"`
	CallerSecretFrom   string `json:"callerClientSecretFrom,omitempty"`
	CallerAudience     string `json:"callerAudience,omitempty"`
	ExchangeClientID   string `json:"exchangeClientId,omitempty"`
	ExchangeSecretFrom string `json:"exchangeClientSecretFrom,omitempty"`
}

// EnvList is Env as sorted KEY=VALUE lines.
func (s *State) EnvList() []string {
	var out []string
	for k, v := range s.Env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Sandbox is a running sandbox (in this process).
type Sandbox struct {
	State   State
	Cluster *testcluster.KwokCluster
	Cognito *cognitolocal.Server
	Fake    *fakeagentcore.Server
	StandIn *gatewaystandin.StandIn

	stops []func()
}

// Options for Start.
type Options struct {
	// Dir is the state folder (created; everything the sandbox writes lives there).
	Dir string
	// Logger for progress (default: discard).
	Logger *slog.Logger
	// FakeOptions tune the local AgentCore (tests shorten delays).
	FakeOptions fakeagentcore.Options
	// Enterprise also serves the Solo Enterprise kinds (test CRDs of the right shape). The wizard then writes an
	// EnterpriseAgentgatewayPolicy, whose status the stand-in writes (the open-source controller does not know
	// the kind). Without it only open-source kinds are served and the real controller writes every status.
	Enterprise bool
	// OwnerPID, when not 0, is a process the sandbox belongs to (a test run): Serve stops everything cleanly once
	// that process has exited, so a killed `go test` leaves nothing running (its cleanup never runs). 0 = the
	// sandbox runs until down or a signal (make demo).
	OwnerPID int
}

// OwnerEnv names the owner pid for `agentcore-sandbox up` when --owner-pid is not given (the test rigs set it).
const OwnerEnv = "AGENTCORE_SANDBOX_OWNER_PID"

// Missing says what is not built/installed ("" when the sandbox can start).
func Missing() string {
	var m []string
	bin := testcluster.BinDir()
	m = append(m, testcluster.Missing(bin)...)
	m = append(m, testcluster.MissingKwok(bin)...)
	if testcluster.MissingController(bin) {
		m = append(m, testcluster.ControllerBinary)
	}
	if len(m) > 0 {
		return strings.Join(m, ", ") + " not built in " + bin + " (run `make testbin`)"
	}
	if why := cognitolocal.Missing(cognitolocal.Options{}); why != "" {
		return why
	}
	return ""
}

// Start brings everything up and returns when the gateway serves and the state is written.
func Start(ctx context.Context, o Options) (sb *Sandbox, err error) {
	t0 := time.Now()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	log := o.Logger
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	sb = &Sandbox{State: State{Dir: dir, PID: os.Getpid(), PIDs: map[string]int{"sandbox": os.Getpid()}, StartedAt: time.Now().UTC(), Runtimes: map[string]string{},
		AgentCoreGateways: map[string]AgentCoreGateway{}, Enterprise: o.Enterprise, OwnerPID: o.OwnerPID}}
	self := sb // the named result is nil on an error return: stop what was started through self
	defer func() {
		if err != nil {
			self.Stop()
			sb = nil
		}
	}()

	// The cluster (with kwok), cognito-local and the local AgentCore start at the same time.
	clusterDir := filepath.Join(dir, "cluster")
	_ = os.RemoveAll(clusterDir) // a fresh cluster each start: etcd state from a killed run is not reused
	if err := os.MkdirAll(clusterDir, 0o755); err != nil {
		return nil, err
	}
	type clusterRes struct {
		c   *testcluster.KwokCluster
		err error
	}
	cch := make(chan clusterRes, 1)
	go func() {
		log.Info("starting etcd, kube-apiserver, the Agent Gateway controller and kwok")
		c, err := testcluster.StartWithKwok(ctx, clusterDir, testcluster.Options{Controller: true, OSSOnly: !o.Enterprise})
		cch <- clusterRes{c, err}
	}()
	type cogRes struct {
		s   *cognitolocal.Server
		err error
	}
	gch := make(chan cogRes, 1)
	go func() {
		log.Info("starting cognito-local")
		cogDir := filepath.Join(dir, "cognito")
		_ = os.RemoveAll(cogDir)
		_ = os.MkdirAll(cogDir, 0o755)
		s, err := cognitolocal.Start(ctx, cognitolocal.Options{Dir: cogDir})
		gch <- cogRes{s, err}
	}()

	// Local AgentCore: control plane + data plane + a tiny STS for GetCallerIdentity, one loopback server.
	fo := o.FakeOptions
	fo.Region, fo.Account = Region, Account
	sb.Fake = fakeagentcore.New(fo)
	fakeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", sb.Fake.Handler())
	fakeSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = fakeSrv.Serve(fakeLn) }()
	sb.stops = append(sb.stops, func() { _ = fakeSrv.Close() })
	sb.State.AgentCore = "http://" + fakeLn.Addr().String()
	stsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	stsSrv := &http.Server{Handler: fakeagentcore.STSHandler(Account, "arn:aws:iam::"+Account+":user/sandbox", AccessKeyID), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = stsSrv.Serve(stsLn) }()
	sb.stops = append(sb.stops, func() { _ = stsSrv.Close() })
	for _, name := range []string{EchoRuntime, IAMRuntime} {
		rt, err := sb.Fake.AddRuntime(&bedrockagentcorecontrol.CreateAgentRuntimeInput{
			AgentRuntimeName: aws.String(name),
			AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{
				ContainerUri: aws.String(Account + ".dkr.ecr." + Region + ".amazonaws.com/" + strings.ReplaceAll(name, "_", "-") + ":latest")}},
			RoleArn:              aws.String("arn:aws:iam::" + Account + ":role/AgentRuntimeRole"),
			NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
			Description:          aws.String("sandbox runtime " + name),
			EnvironmentVariables: map[string]string{"AGENT_MODE": "echo"},
		})
		if err != nil {
			return nil, fmt.Errorf("seeding runtime %s: %w", name, err)
		}
		sb.State.Runtimes[name] = rt.ARN
	}
	gw, err := SeedGateway(sb.Fake, sb.State.AgentCore)
	if err != nil {
		return nil, err
	}
	sb.State.AgentCoreGateways[ToolsGateway] = gw

	// The stand-in's port is the Gateway listener's port, so the Gateway's address + port reach it.
	gwLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := gwLn.Addr().(*net.TCPAddr).Port
	sb.State.GatewayURL = "http://" + gwLn.Addr().String()

	cr := <-cch
	if cr.err != nil {
		gwLn.Close()
		if g := <-gch; g.s != nil {
			g.s.Stop()
		}
		return nil, fmt.Errorf("starting the cluster: %w", cr.err)
	}
	sb.Cluster = cr.c
	sb.stops = append(sb.stops, cr.c.Stop)
	gr := <-gch
	if gr.err != nil {
		gwLn.Close()
		return nil, fmt.Errorf("starting cognito-local: %w", gr.err)
	}
	sb.Cognito = gr.s
	sb.stops = append(sb.stops, gr.s.Stop)
	sb.State.Cognito = gr.s.Endpoint()
	sb.State.PIDs["cognito-local"] = gr.s.PID()
	if err := sb.startOIDC(ctx, log); err != nil {
		gwLn.Close()
		return nil, err
	}
	maps.Copy(sb.State.PIDs, cr.c.PIDs())
	sb.State.Kubeconfig = cr.c.Kubeconfig

	log.Info("creating the Gateway and its proxy pods")
	for _, n := range cr.c.Notes {
		log.Warn("test cluster: " + n)
	}
	files, err := sb.createGateway(ctx, port)
	if err != nil {
		gwLn.Close()
		if len(cr.c.Notes) > 0 {
			err = fmt.Errorf("%w (%s)", err, strings.Join(cr.c.Notes, "; "))
		}
		return nil, err
	}
	sb.State.LogFiles = files

	si, err := gatewaystandin.New(gatewaystandin.Options{
		Config: cr.c.Config, GatewayNamespace: GatewayNamespace, GatewayName: GatewayName,
		Listener: gwLn, Upstream: sb.State.AgentCore, LogFiles: files, Logger: log,
	})
	if err != nil {
		gwLn.Close()
		return nil, err
	}
	sb.StandIn = si
	sictx, cancel := context.WithCancel(context.Background())
	sidone := make(chan struct{})
	go func() {
		defer close(sidone)
		if err := si.Run(sictx); err != nil {
			log.Error("gateway stand-in stopped", "err", err)
		}
	}()
	sb.stops = append(sb.stops, func() { cancel(); <-sidone })
	select {
	case <-si.Synced():
	case <-sidone:
		return nil, errors.New("the gateway stand-in stopped while starting")
	case <-time.After(60 * time.Second):
		return nil, errors.New("the gateway stand-in did not sync with the apiserver in 60s")
	}

	disc, err := discovery.NewDiscoveryClientForConfig(cr.c.Config)
	if err != nil {
		return nil, err
	}
	nsctx, nscancel := context.WithCancel(context.Background())
	nsdone := make(chan struct{})
	go func() { defer close(nsdone); finalizeNamespaces(nsctx, cr.c.Kube(), cr.c.Dynamic(), disc) }()
	sb.stops = append(sb.stops, func() { nscancel(); <-nsdone })

	sb.State.Env = map[string]string{
		"KUBECONFIG":            sb.State.Kubeconfig,
		"AWS_REGION":            Region,
		"AWS_ACCESS_KEY_ID":     AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": SecretAccessKey,
		"AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL": sb.State.AgentCore,
		"AWS_ENDPOINT_URL_BEDROCK_AGENTCORE":         sb.State.AgentCore,
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": sb.State.Cognito,
		"AWS_ENDPOINT_URL_STS":                       "http://" + stsLn.Addr().String(),
	}
	sb.State.StartupMS = time.Since(t0).Milliseconds()
	if err := writeState(dir, &sb.State); err != nil {
		return nil, err
	}
	log.Info("sandbox ready", "in", time.Since(t0).Round(time.Millisecond))
	return sb, nil
}

// SeedGateway creates the AgentCore Gateway ToolsGateway in the local AgentCore served at baseURL.
func SeedGateway(fake *fakeagentcore.Server, baseURL string) (AgentCoreGateway, error) {
	spec, err := json.Marshal(map[string]any{
		"name": ToolsGateway, "roleArn": "arn:aws:iam::" + Account + ":role/AgentCoreGatewayRole", "protocolType": "MCP",
		"authorizerType": fakeagentcore.GatewayAuthIAM, "description": "sandbox gateway with the tools " + strings.Join(fakeagentcore.GatewayTools, ", "),
	})
	if err != nil {
		return AgentCoreGateway{}, err
	}
	g, err := fake.AddGatewayJSON(spec)
	if err != nil {
		return AgentCoreGateway{}, fmt.Errorf("seeding gateway %s: %w", ToolsGateway, err)
	}
	return AgentCoreGateway{ID: g.ID, ARN: g.ARN, MCPURL: fakeagentcore.GatewayURL(baseURL, g.ID), Tools: fakeagentcore.GatewayTools}, nil
}

// Stop stops everything (reverse order) and removes state.json.
func (sb *Sandbox) Stop() {
	for i := len(sb.stops) - 1; i >= 0; i-- {
		sb.stops[i]()
	}
	sb.stops = nil
	if sb.State.Dir != "" {
		_ = os.Remove(filepath.Join(sb.State.Dir, stateFile))
	}
}

var (
	gvrGateway = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	gvrLogs    = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
)

// publishLoadBalancer waits for the controller's Service of the sandbox Gateway (same name) and writes
// 127.0.0.1 as its load-balancer ingress (status subresource), then waits until the controller has copied it
// to the Gateway's status.addresses.
func publishLoadBalancer(ctx context.Context, c *testcluster.Cluster) error {
	kc, dyn := c.Kube(), c.Dynamic()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		svc, err := kc.CoreV1().Services(GatewayNamespace).Get(ctx, GatewayName, metav1.GetOptions{})
		if err != nil {
			last = "the controller has not created Service " + GatewayNamespace + "/" + GatewayName + ": " + err.Error()
			return false, nil
		}
		if len(svc.Status.LoadBalancer.Ingress) == 0 || svc.Status.LoadBalancer.Ingress[0].IP != "127.0.0.1" {
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "127.0.0.1"}}
			if _, err := kc.CoreV1().Services(GatewayNamespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
				last = "writing the load-balancer ingress of Service " + GatewayName + ": " + err.Error()
				return false, nil
			}
		}
		gw, err := dyn.Resource(gvrGateway).Namespace(GatewayNamespace).Get(ctx, GatewayName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		addrs, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
		for _, a := range addrs {
			if m, _ := a.(map[string]any); m["value"] == "127.0.0.1" {
				return true, nil
			}
		}
		last = fmt.Sprintf("the controller has not written 127.0.0.1 as Gateway %s/%s's address (addresses %v)", GatewayNamespace, GatewayName, addrs)
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("publishing the gateway's address: %s", last)
	}
	return nil
}

// createGateway makes the namespace and the Gateway (listener on port, class agentgateway of the controller),
// waits for the LoadBalancer Service the controller creates for it and publishes 127.0.0.1 as that Service's
// load-balancer ingress (as a cloud load balancer would), so the controller writes it as the Gateway's address
// and the Gateway's address:port reaches the stand-in. Then the proxy pods with kwok Logs objects pointing at
// CRI log files. It returns the log files.
func (sb *Sandbox) createGateway(ctx context.Context, port int) ([]string, error) {
	c := sb.Cluster
	kc, dyn := c.Kube(), c.Dynamic()
	create := func(gvr schema.GroupVersionResource, obj map[string]any) error {
		u := &unstructured.Unstructured{Object: obj}
		ri := dyn.Resource(gvr)
		var err error
		if ns := u.GetNamespace(); ns != "" {
			_, err = ri.Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
		} else {
			_, err = ri.Create(ctx, u, metav1.CreateOptions{})
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s: %w", u.GetKind(), u.GetName(), err)
		}
		return nil
	}
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: GatewayNamespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	if _, err := kc.CoreV1().ServiceAccounts(GatewayNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	if err := create(gvrGateway, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": GatewayName, "namespace": GatewayNamespace},
		"spec": map[string]any{"gatewayClassName": GatewayClass, "listeners": []any{map[string]any{
			"name": "http", "protocol": "HTTP", "port": int64(port), "allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}},
	}); err != nil {
		return nil, err
	}
	if err := publishLoadBalancer(ctx, c.Cluster); err != nil {
		return nil, fmt.Errorf("%w; controller log: %s", err, c.LogTail(testcluster.ControllerBinary))
	}

	labels := map[string]string{testcluster.AppNameLabel: GatewayName, testcluster.GatewayNameLabel: GatewayName}
	var files []string
	for _, name := range ProxyPods {
		logDir := filepath.Join(c.LogDir, GatewayNamespace, name)
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			return nil, err
		}
		f := filepath.Join(logDir, "agentgateway.log")
		start := time.Now().UTC().Format(time.RFC3339Nano) + " stdout F " +
			time.Now().UTC().Format(time.RFC3339Nano) + "\tinfo\tstate_manager\tdemo gateway stand-in: serving " + GatewayNamespace + "/" + GatewayName + " (sandbox)\n"
		if err := os.WriteFile(f, []byte(start), 0o644); err != nil {
			return nil, err
		}
		files = append(files, f)
		if err := create(gvrLogs, map[string]any{
			"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
			"metadata": map[string]any{"namespace": GatewayNamespace, "name": name},
			"spec":     map[string]any{"logs": []any{map[string]any{"containers": []any{"agentgateway"}, "logsFile": f, "follow": true}}},
		}); err != nil {
			return nil, err
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: GatewayNamespace, Name: name, Labels: labels},
			Spec: corev1.PodSpec{
				NodeName:    testcluster.KwokNodeName,
				Containers:  []corev1.Container{{Name: "agentgateway", Image: "cr.agentgateway.dev/agentgateway:sandbox-standin"}},
				Tolerations: []corev1.Toleration{{Key: testcluster.KwokNodeAnnotation, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			},
		}
		if _, err := kc.CoreV1().Pods(GatewayNamespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating proxy pod %s: %w", name, err)
		}
	}
	// Wait until the apiserver serves the pods' logs through kwok.
	for _, name := range ProxyPods {
		var last error
		one := int64(1)
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			_, last = kc.CoreV1().Pods(GatewayNamespace).GetLogs(name, &corev1.PodLogOptions{LimitBytes: &one}).DoRaw(ctx)
			return last == nil, nil
		})
		if err != nil {
			return nil, fmt.Errorf("kwok does not serve the logs of %s: %v", name, last)
		}
	}
	return files, nil
}

func writeState(dir string, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

// Load reads a running sandbox's state; an error when there is none (or its process is gone).
func Load(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no sandbox is running in %s", dir)
		}
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s is unreadable: %w", filepath.Join(dir, stateFile), err)
	}
	if !alive(s.PID) {
		return nil, fmt.Errorf("the sandbox in %s is not running (process %d is gone)", dir, s.PID)
	}
	return &s, nil
}

// alive: the process runs (an exited one that nobody reaped yet, a zombie, does not: a serve whose `up` has
// exited may wait for a reaper that never comes in a container).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	return proc.Alive(pid) && !zombie(pid)
}

// Serve runs Start, then waits for ctx (SIGTERM/SIGINT in the daemon) or, with Options.OwnerPID, the owner's
// exit, and stops everything. An owner that is gone before the start is an error (nothing is started).
func Serve(ctx context.Context, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.OwnerPID != 0 {
		if o.OwnerPID < 0 || !alive(o.OwnerPID) {
			err := fmt.Errorf("the owner process %d is not running", o.OwnerPID)
			_ = os.WriteFile(filepath.Join(o.Dir, "error.txt"), []byte(err.Error()), 0o600)
			return err
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		gone := proc.Exited(ctx, o.OwnerPID)
		go func() {
			select {
			case <-gone:
				log.Info("the owner process has exited: stopping the sandbox", "ownerPid", o.OwnerPID)
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	sb, err := Start(ctx, o)
	if err != nil {
		_ = os.WriteFile(filepath.Join(o.Dir, "error.txt"), []byte(err.Error()), 0o600)
		return err
	}
	<-ctx.Done()
	sb.Stop()
	// Nothing runs any more: down and env say so.
	_ = os.Remove(filepath.Join(o.Dir, stateFile))
	if readPID(o.Dir) == os.Getpid() {
		_ = os.Remove(filepath.Join(o.Dir, "sandbox.pid"))
	}
	return nil
}

// Up starts the sandbox daemon (exe serve --dir dir [--enterprise], exe being agentcore-sandbox) unless one is
// already running there, and waits until it is ready. reused is true when a running sandbox was found (whatever
// its Enterprise setting: the caller compares State.Enterprise).
// owner, when not 0, is the process whose exit stops the sandbox (Options.OwnerPID); a reused sandbox keeps its
// own (State.OwnerPID).
func Up(ctx context.Context, dir, exe string, timeout time.Duration, enterprise bool, owner int) (st *State, reused bool, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, false, err
	}
	if s, err := Load(dir); err == nil {
		return s, true, nil
	}
	if why := Missing(); why != "" {
		return nil, false, errors.New(why)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, err
	}
	if pid := readPID(dir); alive(pid) {
		// a previous serve is still starting (or stuck): stop it first
		_ = stopPID(pid, 15*time.Second)
	}
	_ = os.Remove(filepath.Join(dir, stateFile))
	_ = os.Remove(filepath.Join(dir, "error.txt"))
	logf, err := os.OpenFile(filepath.Join(dir, "sandbox.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, false, err
	}
	defer logf.Close()
	args := []string{"serve", "--dir", dir}
	if enterprise {
		args = append(args, "--enterprise")
	}
	if owner != 0 {
		args = append(args, "--owner-pid", strconv.Itoa(owner))
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = os.Environ()
	if wd, err := os.Getwd(); err == nil {
		cmd.Dir = wd // the daemon finds .testbin and tools/ from the project folder
	}
	proc.Detach(cmd)
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("starting the sandbox process: %w", err)
	}
	pid := cmd.Process.Pid
	_ = os.WriteFile(filepath.Join(dir, "sandbox.pid"), []byte(strconv.Itoa(pid)), 0o644)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = stopPID(pid, 15*time.Second)
			return nil, false, ctx.Err()
		case err := <-exited:
			why, _ := os.ReadFile(filepath.Join(dir, "error.txt"))
			if len(why) == 0 {
				why = []byte(fmt.Sprint(err))
				if b, rerr := os.ReadFile(filepath.Join(dir, "sandbox.log")); rerr == nil {
					for _, l := range strings.Split(string(b), "\n") {
						if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "error:") {
							why = []byte(fmt.Sprint(err) + ": " + l)
							break
						}
					}
				}
			}
			return nil, false, fmt.Errorf("the sandbox process exited while starting: %s (log: %s)", strings.TrimSpace(string(why)), filepath.Join(dir, "sandbox.log"))
		case <-deadline:
			_ = stopPID(pid, 15*time.Second)
			return nil, false, fmt.Errorf("the sandbox was not ready after %s; see %s", timeout, filepath.Join(dir, "sandbox.log"))
		case <-tick.C:
			if s, err := Load(dir); err == nil && s.PID == pid {
				return s, false, nil
			}
		}
	}
}

// Down stops the sandbox running in dir (SIGTERM, then SIGKILL after a grace period). stopped is false when
// nothing was running.
func Down(dir string) (stopped bool, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	pid := readPID(dir)
	if s, err := Load(dir); err == nil {
		pid = s.PID
	}
	if !alive(pid) {
		_ = os.Remove(filepath.Join(dir, stateFile))
		return false, nil
	}
	if err := stopPID(pid, 20*time.Second); err != nil {
		return true, err
	}
	_ = os.Remove(filepath.Join(dir, stateFile))
	_ = os.Remove(filepath.Join(dir, "sandbox.pid"))
	return true, nil
}

func readPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "sandbox.pid"))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func stopPID(pid int, grace time.Duration) error {
	if err := proc.Terminate(pid); err != nil {
		return nil
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !alive(pid) || zombie(pid) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = proc.Kill(pid)
	return fmt.Errorf("the sandbox process %d did not stop in %s and was killed", pid, grace)
}

// zombie reports a process that exited but was not reaped (its parent is gone or not waiting).
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

// startOIDC runs oidc-provider with the demo client (when it is installed; else the sandbox goes on without it)
// and puts the client's secret into a Secret of the cluster, never into the state or the environment.
func (sb *Sandbox) startOIDC(ctx context.Context, log *slog.Logger) error {
	if why := oidcserver.Missing(); why != "" {
		log.Warn("no OAuth server for identity (c): " + why)
		return nil
	}
	secret, callerSecret, exchangeSecret := oidcserver.NewSecret(), oidcserver.NewSecret(), oidcserver.NewSecret()
	s, err := oidcserver.Run(ctx, oidcserver.Options{TrailingSlash: true, AccessTokenTTL: time.Hour,
		Resources: map[string]string{DemoAudience: DemoScope, CallerAudience: CallerScope}, DefaultResource: DemoAudience,
		Clients: []oidcserver.Client{{ID: DemoClientID, Secret: secret}, {ID: CallerClientID, Secret: callerSecret},
			{ID: ExchangeClientID, Secret: exchangeSecret, GrantTypes: []string{oidcserver.TokenExchange}}}})
	if err != nil {
		return fmt.Errorf("starting the OAuth server: %w", err)
	}
	sb.stops = append(sb.stops, s.Stop)
	if pid := s.PID(); pid > 0 {
		sb.State.PIDs["oidc-provider"] = pid
	}
	kc := sb.Cluster.Kube()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: DemoSecretNamespace}}
	if _, err := kc.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", DemoSecretNamespace, err)
	}
	for name, value := range map[string]string{DemoSecretName: secret, CallerSecretName: callerSecret, ExchangeSecretName: exchangeSecret} {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: DemoSecretNamespace}, StringData: map[string]string{"clientSecret": value}}
		if _, err := kc.CoreV1().Secrets(DemoSecretNamespace).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("storing the secret of OAuth client %s: %w", name, err)
		}
	}
	sb.State.OIDC = &OIDCDemo{DiscoveryURL: s.DiscoveryURL(), ClientID: DemoClientID, SecretFrom: DemoSecretFrom, Audience: DemoAudience,
		CallerClientID: CallerClientID, CallerSecretFrom: CallerSecretFrom, CallerAudience: CallerAudience,
		ExchangeClientID: ExchangeClientID, ExchangeSecretFrom: ExchangeSecretFrom}
	return nil
}
