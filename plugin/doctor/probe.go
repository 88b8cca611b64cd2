package doctor

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Probe check ids.
const (
	IDProbeGateway = "probe.gateway"
	IDProbeDirect  = "probe.direct"
)

type probeAnswer struct {
	code   int
	header http.Header
	body   []byte
	err    error
	took   time.Duration
}

// send posts the smallest request the runtime's protocol answers (agentproto.Probe: the agent payload for HTTP,
// initialize with the MCP headers for MCP, message/send for A2A) to url, with bearer as its token when not "".
func (d *Doctor) send(ctx context.Context, url, host, protocol, bearer string) probeAnswer {
	body, h := agentproto.Probe(protocol, "kubectl agentcore doctor probe", agentproto.NewSessionID("agentcore-doctor-"))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return probeAnswer{err: err}
	}
	if host != "" {
		req.Host = host
	}
	req.Header = h
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	start := time.Now()
	resp, err := d.deps.HTTP.Do(req)
	if err != nil {
		return probeAnswer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return probeAnswer{code: resp.StatusCode, header: resp.Header, body: b, took: time.Since(start)}
}

// protocol is the runtime's protocol for the probes (HTTP when unknown).
func (st *state) protocol(ctx context.Context) string {
	rs, err := st.settings.get(ctx)
	if err != nil {
		return agentproto.HTTP
	}
	return rs.ServerProtocol()
}

// callerToken is the caller's token the probes send through the gateway, and how the probe's line says so: set
// when the setup passes or exchanges its callers' tokens and doctor has one (--token-file, --token-from). It is
// the token alone, as a client sends it: the surrounding white space (a file's newline) and a Bearer scheme,
// which the token checks name as slips, are not sent.
func (d *Doctor) callerToken() (tok, with string) {
	if d.planMode() == "" || d.opts.Token == "" {
		return "", ""
	}
	return bearer.Token(d.opts.Token), " with the caller's token"
}

func (d *Doctor) probeChecks() []Check {
	if d.gatewayTarget() {
		return d.mcpProbeChecks()
	}
	st := d.st
	// outcome renders the one classifier's explanation, with doctor's own verdicts on the checks that can name
	// the cause, so the check the probe names is the one doctor fails.
	outcome := func(ctx context.Context, a probeAnswer, direct, callerToken bool, where string) (Explanation, Outcome) {
		ans := Answer{Code: a.code, Header: a.header, Body: a.body, Err: a.err, Direct: direct, CallerToken: callerToken, CallerMode: d.planMode() != ""}
		var v Verdicts
		if ids := Candidates(ans); len(ids) > 0 {
			v = d.Verdicts(ctx, ids...)
		}
		e := Explain(ans, v)
		return e, explained(e, where)
	}
	return []Check{
		{ID: IDProbeGateway, Category: CatProbe, Title: "call through the gateway", Deps: []string{IDResourcesGateway, IDResourcesRoute, IDResourcesPrecedence}, Run: func(ctx context.Context) Outcome {
			t, base, host, path, bad := d.probeAddress(ctx)
			if bad != nil {
				return *bad
			}
			proto := st.protocol(ctx)
			// A setup that passes or exchanges its callers' tokens is probed with the caller's token when doctor
			// has one (--token-file, --token-from): without it the gateway refuses the call, as it should.
			callerTok, with := d.callerToken()
			a := d.send(ctx, base+path, host, proto, callerTok)
			_, o := outcome(ctx, a, false, callerTok != "", proto+" POST "+base+path+with)
			if o.Status == Pass {
				o.Detail += fmt.Sprintf(" in %s", a.took.Round(time.Millisecond))
			}
			if a.err != nil {
				o.Hint = cmp.Or(d.insideClusterHint(t), o.Hint)
			}
			return o
		}},
		{ID: IDProbeDirect, Category: CatProbe, Title: "AgentCore without a token", Deps: []string{IDRuntimeARN}, Run: func(ctx context.Context) Outcome {
			arn, err := st.arn(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			base := cmp.Or(d.opts.DataPlaneURL, os.Getenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"), "https://"+arn.DataPlaneHost())
			url := strings.TrimSuffix(base, "/") + arn.InvocationPath() + "?qualifier=DEFAULT"
			proto := st.protocol(ctx)
			a := d.send(ctx, url, "", proto, "")
			c, o := outcome(ctx, a, true, false, proto+" POST "+strings.TrimSuffix(base, "/")+"/runtimes/…/invocations")
			if a.err != nil {
				return o
			}
			az, azErr := st.authorizer.get(ctx)
			switch {
			case a.code == 401 && azErr == nil && az != nil && d.planMode() != "":
				return pass("without a token AgentCore answers 401 (the runtime expects a bearer token): the caller's token, which the gateway passes on or exchanges, is what makes calls work")
			case a.code == 401 && azErr == nil && az != nil:
				return pass("without a token AgentCore answers 401 (the runtime expects a bearer token): the gateway's token is what makes calls work")
			case a.code == 403 && c.Check == IDAuthorizerMode && azErr == nil && az == nil:
				return Outcome{Status: Fail, Detail: "AgentCore answers 403 (IAM-only runtime): a bearer token from the gateway will get 403 too",
					Hint: "See authorizer.mode.", Fix: "kubectl agentcore wizard"}
			case a.code == 401:
				return pass("without a token AgentCore answers 401, as expected")
			}
			return o
		}},
	}
}

// gatewayAddress finds where to send the probe: --gateway-url, else the Gateway's first address and its first
// HTTP(S) listener; the path is the route's first path match, the Host header its first hostname.
func gatewayAddress(override string, t *target) (base, host, path string, err error) {
	path = "/"
	rules := k8sres.SliceAt(t.route.Object, "spec", "rules")
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		ms, _ := rm["matches"].([]any)
		for _, m := range ms {
			mm, _ := m.(map[string]any)
			if v, ok, _ := unstructured.NestedString(mm, "path", "value"); ok && v != "" {
				path = v
				break
			}
		}
		if path != "/" {
			break
		}
	}
	if hs, _, _ := unstructured.NestedStringSlice(t.route.Object, "spec", "hostnames"); len(hs) > 0 && !strings.Contains(hs[0], "*") {
		host = hs[0]
	}
	if override != "" {
		return strings.TrimSuffix(override, "/"), host, path, nil
	}
	if t.gateway == nil {
		return "", "", "", errors.New("the Gateway was not found, so its address is unknown")
	}
	// The status address, else the Service's load-balancer address, else its cluster IP (in-cluster only: the
	// probe's failure then names the port-forward).
	addr := t.gatewayInfo.Address()
	if addr == "" {
		return "", "", "", fmt.Errorf("Gateway %s has no address in its status and no Service with an address: run %s and pass --gateway-url http://127.0.0.1:%d",
			t.gatewayRef, t.gatewayInfo.PortForward(), portOr80(t.gatewayInfo.Port()))
	}
	listeners := k8sres.SliceAt(t.gateway.Object, "spec", "listeners")
	for _, l := range listeners {
		lm, _ := l.(map[string]any)
		proto, _ := lm["protocol"].(string)
		port := lm["port"]
		scheme := map[string]string{"HTTP": "http", "HTTPS": "https"}[proto]
		if scheme == "" {
			continue
		}
		return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(addr, fmt.Sprint(port))), host, path, nil
	}
	return "", "", "", fmt.Errorf("Gateway %s has no HTTP or HTTPS listener", t.gatewayRef)
}

func portOr80(p int64) int64 {
	if p == 0 {
		return 80
	}
	return p
}

// mcpProbeChecks are the probes of an AgentCore Gateway target: an MCP conversation (initialize, then tools/list
// with the session id) through Agent Gateway, and one straight to the gateway's MCP URL with the same token the
// gateway sends (none when there is no Secret: then a 401 is what a protected gateway answers). Failures are
// explained by ExplainMCP, with doctor's verdicts where the answer alone cannot name the cause.
func (d *Doctor) mcpProbeChecks() []Check {
	st := d.st
	outcome := func(ctx context.Context, res *agentproto.MCPResult, err error, direct bool, where string) Outcome {
		if err == nil {
			return pass("%s: initialize + tools/list answered: server %s, MCP %s, %d tools in %s", where, res.Server, res.ProtocolVersion, len(res.Tools), res.Duration.Round(time.Millisecond))
		}
		ans := Answer{Err: err, Direct: direct}
		var he *agentproto.HTTPError
		if errors.As(err, &he) {
			ans = mcpAnswer(he, direct)
		}
		var v Verdicts
		if ids := Candidates(ans); len(ids) > 0 {
			v = d.Verdicts(ctx, ids...)
		}
		return explained(ExplainMCP(err, direct, v), where)
	}
	return []Check{
		{ID: IDProbeGateway, Category: CatProbe, Title: "MCP through the gateway", Deps: []string{IDResourcesGateway, IDResourcesRoute, IDResourcesPrecedence}, Run: func(ctx context.Context) Outcome {
			t, base, host, path, bad := d.probeAddress(ctx)
			if bad != nil {
				return *bad
			}
			// As the runtime's probe: with the caller's token when the setup passes or exchanges callers' tokens
			// and doctor has one (--token-file, --token-from).
			var h http.Header
			callerTok, with := d.callerToken()
			if callerTok != "" {
				h = http.Header{"Authorization": {bearer.Value(callerTok)}}
			}
			res, err := agentproto.DoMCP(ctx, d.deps.HTTP, agentproto.MCPRequest{URL: base + path, Host: host, Header: h})
			o := outcome(ctx, res, err, false, "MCP "+base+path+with)
			if err != nil && !errors.As(err, new(*agentproto.HTTPError)) {
				o.Hint = cmp.Or(d.insideClusterHint(t), o.Hint)
			}
			return o
		}},
		{ID: IDProbeDirect, Category: CatProbe, Title: "MCP straight to the AgentCore Gateway", Deps: []string{IDAgentCoreGatewayReady}, Run: func(ctx context.Context) Outcome {
			u, err := st.mcpURL(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			// With a token Secret, what Agent Gateway sends for its value. A setup that passes on or exchanges its
			// callers' tokens is probed without one, as the runtime's direct probe always is: the exchanged token is
			// the token service's to mint, and the caller's own goes through the gateway (probe.gateway).
			var tok string
			if d.planMode() == "" {
				raw, _ := st.rawToken.get(ctx)
				tok, _ = bearer.Sent(bearer.Key, raw)
			}
			h := http.Header{}
			if tok != "" {
				h.Set("Authorization", tok)
			}
			res, err := agentproto.DoMCP(ctx, d.deps.HTTP, agentproto.MCPRequest{URL: u, Header: h})
			var he *agentproto.HTTPError
			if tok == "" && errors.As(err, &he) && he.Status == http.StatusUnauthorized {
				md := resourceMetadata(he.Header.Get("WWW-Authenticate"))
				why := "the gateway's token is what makes calls work"
				if d.planMode() != "" {
					why = "the caller's token, which Agent Gateway passes on or exchanges, is what makes calls work"
				}
				return pass("without a token the AgentCore Gateway answers 401 (it expects a bearer token%s): %s", map[bool]string{true: "; metadata at " + md, false: ""}[md != ""], why)
			}
			where := "MCP " + u + " with the gateway's token"
			if tok == "" {
				where = "MCP " + u + " without a token"
			}
			return outcome(ctx, res, err, tok == "", where)
		}},
	}
}

// explained renders one explanation of a probe's answer as the check's outcome: the summary, and on anything but a
// pass the cause, the next step and the check that names it.
func explained(e Explanation, where string) Outcome {
	o := Outcome{Status: e.Status, Detail: where + ": " + e.Summary}
	if e.Status != Pass {
		o.Hint = strings.TrimSuffix(e.Cause, ".") + ". " + strings.TrimSuffix(e.Next, ".") + "."
		if e.Check != "" {
			o.Hint += " See " + e.Check + "."
		}
	}
	return o
}

// probeAddress is where the gateway probes send: the setup's target and the gateway's base URL, Host and path, or
// the failed outcome saying why there is none.
func (d *Doctor) probeAddress(ctx context.Context) (t *target, base, host, path string, bad *Outcome) {
	t, err := d.st.target.get(ctx)
	if err != nil {
		o := fail(err.Error(), "", "")
		return nil, "", "", "", &o
	}
	base, host, path, err = gatewayAddress(d.opts.GatewayURL, t)
	if err != nil {
		o := fail(err.Error(), "Pass --gateway-url http://HOST:PORT when the Gateway's address is not reachable from here (e.g. through kubectl port-forward).", "")
		return nil, "", "", "", &o
	}
	return t, base, host, path, nil
}

// insideClusterHint says how to reach a Gateway whose only address is a cluster IP (no load balancer, no
// --gateway-url), or "" when that is not the case.
func (d *Doctor) insideClusterHint(t *target) string {
	if d.opts.GatewayURL != "" || len(t.gatewayInfo.Addresses) > 0 || !t.gatewayInfo.ClusterIPOnly {
		return ""
	}
	return fmt.Sprintf("%s is the %s, reachable only inside the cluster: run %s and pass --gateway-url http://127.0.0.1:%d.",
		t.gatewayInfo.Address(), t.gatewayInfo.AddressSource(), t.gatewayInfo.PortForward(), portOr80(t.gatewayInfo.Port()))
}
