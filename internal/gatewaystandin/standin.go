// Package gatewaystandin is a DEMO STAND-IN for the Agent Gateway proxy, used only by the sandbox and the
// end-to-end tests. It is NOT a gateway product and implements only the small slice of Agent Gateway behaviour
// that kubectl-agentcore needs to be seen working on one laptop:
//
//   - it watches HTTPRoutes, AgentgatewayBackends, AgentgatewayPolicies (and the Enterprise kinds when served) and
//     Secrets through the real apiserver (dynamic informers);
//   - it serves the routes attached to one Gateway on a loopback port and forwards them to a local AgentCore data
//     plane (plain HTTP, configurable base URL): "rewrite" mode (static backend + URLRewrite hostname /
//     ReplaceFullPath) and "native" mode (aws.agentCore backend, path from the ARN);
//   - it adds the Secret's Authorization (policy backend.auth.secretRef or backend policies.auth.secretRef;
//     as internal/bearer.Sent says Agent Gateway does: one exact "Bearer " stripped, then added), picking up
//     Secret changes live;
//   - it validates the caller's JWT (traffic.jwtAuthentication: providers with issuer, audiences, JWKS inline or
//     remote through a static backend; modes Strict/Optional/Permissive) and refuses with Agent Gateway's 401
//     "authentication failure: …" and access-log reason JwtAuth, logging the caller as jwt.sub; then sends the
//     validated token on (backend.auth.passthrough) or exchanges it at the token service with the policy's client
//     from its Secret (backend.auth.oauthTokenExchange, RFC 8693, grant TokenExchange; no cache, no actor token);
//   - it applies traffic.rateLimit.local;
//   - it writes agentgateway-format access lines (text format, docs/facts.md#agent-gateway-resources) into the proxy pods' CRI log files;
//   - it writes the statuses of the Solo Enterprise kinds (EnterpriseAgentgatewayBackend Accepted,
//     EnterpriseAgentgatewayPolicy ancestors), which the open-source controller does not know, in that
//     controller's words and shapes (docs/agentgateway-controller.md). It writes no status of the open-source
//     kinds (GatewayClass, Gateway, HTTPRoute, AgentgatewayBackend, AgentgatewayPolicy): the real Agent Gateway
//     controller does (internal/testcluster).
package gatewaystandin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// ControllerName is what the stand-in writes as controllerName in the Enterprise policies' ancestors (the OSS
// controller's name, so tools that look for it find it).
const ControllerName = "agentgateway.dev/agentgateway"

// Kinds the stand-in watches.
var (
	GVRHTTPRoute         = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	GVRBackend           = schema.GroupVersionResource{Group: "agentgateway.dev", Version: "v1alpha1", Resource: "agentgatewaybackends"}
	GVRPolicy            = schema.GroupVersionResource{Group: "agentgateway.dev", Version: "v1alpha1", Resource: "agentgatewaypolicies"}
	GVREnterpriseBackend = schema.GroupVersionResource{Group: "enterpriseagentgateway.solo.io", Version: "v1alpha1", Resource: "enterpriseagentgatewaybackends"}
	GVREnterprisePolicy  = schema.GroupVersionResource{Group: "enterpriseagentgateway.solo.io", Version: "v1alpha1", Resource: "enterpriseagentgatewaypolicies"}
	GVRSecret            = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	GVRRateLimitConfig   = schema.GroupVersionResource{Group: "ratelimit.solo.io", Version: "v1alpha1", Resource: "ratelimitconfigs"}
)

// Options configure the stand-in.
type Options struct {
	// Config reaches the apiserver (needs list/watch on the kinds above and update on their status).
	Config *rest.Config
	// GatewayNamespace/GatewayName: the Gateway whose routes are served.
	GatewayNamespace, GatewayName string
	// ListenerName is written in access lines (default "http").
	ListenerName string
	// Listener to serve on; nil = a new one on Addr (default 127.0.0.1:0).
	Listener net.Listener
	Addr     string
	// Upstream is the base URL of the AgentCore data plane every backend is sent to (the local fake), e.g.
	// http://127.0.0.1:43123. Rewrite-mode Host headers and native-mode paths are kept as the real proxy sends them.
	Upstream string
	// LogFiles are the proxy pods' CRI log files; each request's access line goes to one of them (round robin).
	LogFiles []string
	// Logger for the stand-in's own messages (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// StandIn is a running demo stand-in.
type StandIn struct {
	o      Options
	dyn    dynamic.Interface
	ln     net.Listener
	client *http.Client

	informers map[schema.GroupVersionResource]cache.SharedIndexInformer
	kick      chan struct{}

	jwksC jwksCache

	mu      sync.RWMutex
	table   *table
	limiter map[string]*bucket // by route key + policy uid/generation

	logMu   sync.Mutex
	logNext atomic.Uint64

	synced chan struct{}
	served atomic.Int64
}

// New checks the options and opens the listener. Run starts everything.
func New(o Options) (*StandIn, error) {
	if o.Config == nil {
		return nil, errors.New("gateway stand-in: no apiserver config")
	}
	if o.GatewayNamespace == "" || o.GatewayName == "" {
		return nil, errors.New("gateway stand-in: no Gateway namespace/name")
	}
	if o.Upstream == "" {
		return nil, errors.New("gateway stand-in: no upstream (AgentCore data plane) URL")
	}
	o.Upstream = strings.TrimRight(o.Upstream, "/")
	if o.ListenerName == "" {
		o.ListenerName = "http"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dyn, err := dynamic.NewForConfig(o.Config)
	if err != nil {
		return nil, err
	}
	ln := o.Listener
	if ln == nil {
		addr := o.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("gateway stand-in: listening on %s: %w", addr, err)
		}
	}
	return &StandIn{
		o: o, dyn: dyn, ln: ln,
		client:  &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: 60 * time.Second}},
		kick:    make(chan struct{}, 1),
		table:   &table{},
		limiter: map[string]*bucket{},
		synced:  make(chan struct{}),
	}, nil
}

// Addr is the listening address (host:port).
func (s *StandIn) Addr() string { return s.ln.Addr().String() }

// URL is http://<Addr>.
func (s *StandIn) URL() string { return "http://" + s.Addr() }

// Synced is closed once the informers have synced and the first routing table is built.
func (s *StandIn) Synced() <-chan struct{} { return s.synced }

// Served is how many requests were answered.
func (s *StandIn) Served() int64 { return s.served.Load() }

// Run serves until ctx ends.
func (s *StandIn) Run(ctx context.Context) error {
	disc, err := discovery.NewDiscoveryClientForConfig(s.o.Config)
	if err != nil {
		return err
	}
	gvrs := []schema.GroupVersionResource{GVRHTTPRoute, GVRSecret}
	for _, gvr := range []schema.GroupVersionResource{GVRBackend, GVRPolicy, GVREnterpriseBackend, GVREnterprisePolicy, GVRRateLimitConfig} {
		if served(disc, gvr) {
			gvrs = append(gvrs, gvr)
		}
	}
	factory := dynamicinformer.NewDynamicSharedInformerFactory(s.dyn, 10*time.Minute)
	s.informers = map[schema.GroupVersionResource]cache.SharedIndexInformer{}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.poke() },
		UpdateFunc: func(any, any) { s.poke() },
		DeleteFunc: func(any) { s.poke() },
	}
	for _, gvr := range gvrs {
		inf := factory.ForResource(gvr).Informer()
		if _, err := inf.AddEventHandler(h); err != nil {
			return err
		}
		s.informers[gvr] = inf
	}
	factory.Start(ctx.Done())
	for gvr, inf := range s.informers {
		if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
			return fmt.Errorf("gateway stand-in: %s informer did not sync", gvr.Resource)
		}
	}
	s.rebuild(ctx)
	close(s.synced)

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	go s.loop(ctx)
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		factory.Shutdown()
		return nil
	case err := <-errc:
		return err
	}
}

func served(disc discovery.DiscoveryInterface, gvr schema.GroupVersionResource) bool {
	rl, err := disc.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		return false
	}
	for _, r := range rl.APIResources {
		if r.Name == gvr.Resource {
			return true
		}
	}
	return false
}

func (s *StandIn) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// loop rebuilds the table after changes (debounced) and retries status writes that lost a conflict.
func (s *StandIn) loop(ctx context.Context) {
	retry := time.NewTicker(2 * time.Second)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
			time.Sleep(20 * time.Millisecond) // coalesce bursts of events
		case <-retry.C:
		}
		s.rebuild(ctx)
	}
}

func (s *StandIn) list(gvr schema.GroupVersionResource) []*unstructured.Unstructured {
	inf, ok := s.informers[gvr]
	if !ok {
		return nil
	}
	var out []*unstructured.Unstructured
	for _, o := range inf.GetStore().List() {
		if u, ok := o.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].GetNamespace()+"/"+out[i].GetName() < out[j].GetNamespace()+"/"+out[j].GetName()
	})
	return out
}

func (s *StandIn) get(gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	inf, ok := s.informers[gvr]
	if !ok {
		return nil
	}
	o, exists, err := inf.GetStore().GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return nil
	}
	u, _ := o.(*unstructured.Unstructured)
	return u
}

// secretValue reads key of Secret ns/name from the informer's cache.
func (s *StandIn) secretValue(ns, name, key string) (string, error) {
	sec := s.get(GVRSecret, ns, name)
	if sec == nil {
		return "", fmt.Errorf("secret %s/%s not found", ns, name)
	}
	v, ok, _ := unstructured.NestedString(sec.Object, "data", key)
	if !ok {
		if sv, ok2, _ := unstructured.NestedString(sec.Object, "stringData", key); ok2 {
			return sv, nil
		}
		return "", fmt.Errorf("secret %s/%s missing %s value", ns, name, key)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("secret %s/%s key %s is not base64", ns, name, key)
	}
	return string(b), nil
}

// writeAccessLine appends one CRI-wrapped access line to the next pod's log file.
func (s *StandIn) writeAccessLine(line string) {
	if len(s.o.LogFiles) == 0 {
		return
	}
	f := s.o.LogFiles[int(s.logNext.Add(1)-1)%len(s.o.LogFiles)]
	cri := s.o.Now().UTC().Format(time.RFC3339Nano) + " stdout F " + line + "\n"
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		s.o.Logger.Warn("writing access log", "file", f, "err", err)
		return
	}
	_, _ = fh.WriteString(cri)
	_ = fh.Close()
}
