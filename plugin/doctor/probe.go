package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Probe check ids.
const (
	IDProbeGateway = "probe.gateway"
	IDProbeDirect  = "probe.direct"
)

// Classification explains one answer (or failure) of a call on the path, and names the check that covers its
// cause. invoke uses it too.
type Classification struct {
	Status  Status `json:"status"`
	Summary string `json:"summary"`
	// CheckID is the doctor check that names the cause ("" when none does).
	CheckID string `json:"checkId,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// Classify explains an HTTP answer from the gateway or AgentCore.
func Classify(code int, header http.Header, body []byte) Classification {
	msg := strings.TrimSpace(redact.Text(string(body)))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	lower := strings.ToLower(msg)
	with := func(s string) string {
		if msg == "" {
			return s
		}
		return s + ": " + oneLineMsg(msg)
	}
	c := Classification{Status: Fail}
	switch {
	case code >= 200 && code < 300:
		return Classification{Status: Pass, Summary: fmt.Sprintf("%d %s", code, http.StatusText(code))}
	case code == 401:
		switch {
		case strings.Contains(msg, "Claim 'aud'"):
			c.Summary, c.CheckID = "401 Claim 'aud' value mismatch", IDAuthorizerAudience
			c.Hint = "The token's aud is not in allowedAudience (a Cognito access token has no aud: send the ID token)."
		case strings.Contains(msg, "Claim 'client_id'"):
			c.Summary, c.CheckID = "401 Claim 'client_id' value mismatch", IDAuthorizerClient
			c.Hint = "The token's client_id is not in allowedClients (a Cognito ID token has no client_id)."
		case strings.Contains(lower, "scope"):
			c.Summary, c.CheckID = with("401 scope rejected"), IDAuthorizerScope
		case strings.Contains(lower, "expired"):
			c.Summary, c.CheckID = with("401 token expired"), IDTokenExpired
			c.Hint = "AgentCore refuses expired tokens and those within about a minute of exp: rotate the Secret."
		case strings.Contains(lower, "issuer") || strings.Contains(msg, "'iss'"):
			c.Summary, c.CheckID = with("401 issuer mismatch"), IDAuthorizerIssuer
		case strings.Contains(lower, "signature") || strings.Contains(lower, "kid"):
			c.Summary, c.CheckID = with("401 signature rejected"), IDTokenSignature
		case strings.Contains(lower, "no bearer token") || strings.Contains(lower, "authentication failure"):
			c.Summary, c.CheckID = with("401 from the gateway's own JWT check (client leg)"), IDResourcesPolicy
			c.Hint = "The gateway itself requires a client token (traffic.jwtAuthentication): send one, or remove that policy."
		case header.Get("WWW-Authenticate") != "":
			c.Summary, c.CheckID = "401 no bearer token reached AgentCore", IDSecretPresent
			c.Hint = "AgentCore saw no Authorization header: the gateway's backend.auth secretRef is missing or PartiallyValid."
		default:
			c.Summary, c.CheckID = with("401 Unauthorized"), IDAuthorizerMode
		}
	case code == 403:
		switch {
		case strings.Contains(lower, "authorization method mismatch") || strings.Contains(lower, "different authorization token type"):
			c.Summary, c.CheckID = "403 Authorization method mismatch", IDAuthorizerMode
			c.Hint = "A bearer token sent to an IAM-only runtime, or SigV4 sent to a JWT runtime."
		case strings.Contains(lower, "missing authentication token"):
			c.Summary, c.CheckID = "403 Missing Authentication Token", IDResourcesRewrite
			c.Hint = "Usually a path that does not end in /runtimes/<encoded ARN>/invocations."
		default:
			c.Summary, c.CheckID = with("403 Forbidden"), IDAuthorizerMode
		}
	case code == 404:
		c.Summary, c.CheckID = with("404 Not Found"), IDResourcesRoute
		c.Hint = "No route matched the request (gateway), or no runtime has this ARN (AgentCore)."
		if strings.Contains(msg, "ResourceNotFound") || strings.Contains(lower, "runtime") {
			c.CheckID = IDRuntimeReady
		}
	case code == 424:
		c.Summary, c.CheckID = with("424 the agent failed (RuntimeClientError)"), IDRuntimeReady
		c.Hint = "The path works; the agent container returned an error. Read the agent's logs (CloudWatch)."
	case code == 429:
		c.Status, c.Summary = Warn, with("429 rate limited")
		c.CheckID = IDResourcesPolicy
		c.Hint = "A gateway rate limit (the policy's rateLimit) or AgentCore throttling (ThrottlingException): slow down or raise the limit."
		if strings.Contains(msg, "Throttling") {
			c.CheckID, c.Hint = IDRuntimeReady, "AgentCore throttled the call (ThrottlingException): retry with backoff or ask for a higher quota."
		}
	case code == 502 || code == 503 || code == 504:
		c.Summary, c.CheckID = with(fmt.Sprintf("%d %s from the gateway", code, http.StatusText(code))), IDResourcesBackend
		c.Hint = "The gateway could not reach AgentCore: check the backend (host, port 443, backend.tls)."
	default:
		c.Summary = with(fmt.Sprintf("%d %s", code, http.StatusText(code)))
	}
	return c
}

// ClassifyError explains a call that got no HTTP answer.
func ClassifyError(err error) Classification {
	var opErr *net.OpError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Classification{Status: Fail, Summary: "connection refused", CheckID: IDResourcesGateway,
			Hint: "Nothing listens there: check the Gateway's address and listener port (or --gateway-url)."}
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recErr), strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"), strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		return Classification{Status: Fail, Summary: "TLS error: " + oneLineMsg(err.Error()), CheckID: IDResourcesGateway,
			Hint: "http vs https mismatch, or a certificate the client does not trust."}
	case errors.As(err, &dnsErr):
		return Classification{Status: Fail, Summary: "DNS: " + dnsErr.Error(), CheckID: IDResourcesGateway}
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return Classification{Status: Fail, Summary: "timed out", CheckID: IDResourcesGateway, Hint: "No answer in time: check the network path (load balancer, security groups)."}
	case errors.As(err, &opErr):
		return Classification{Status: Fail, Summary: oneLineMsg(opErr.Error()), CheckID: IDResourcesGateway}
	}
	return Classification{Status: Fail, Summary: oneLineMsg(err.Error())}
}

func oneLineMsg(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

type probeAnswer struct {
	code   int
	header http.Header
	body   []byte
	err    error
	took   time.Duration
}

// send posts the smallest request the runtime's protocol answers (agentproto.Probe: the agent payload for HTTP,
// initialize with the MCP headers for MCP, message/send for A2A) to url.
func (d *Doctor) send(ctx context.Context, url, host, protocol string) probeAnswer {
	body, h := agentproto.Probe(protocol, "kubectl agentcore doctor probe", agentproto.NewSessionID("agentcore-doctor-"))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return probeAnswer{err: err}
	}
	if host != "" {
		req.Host = host
	}
	req.Header = h
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

func (d *Doctor) probeChecks() []Check {
	st := d.st
	outcome := func(a probeAnswer, where string) (Classification, Outcome) {
		var c Classification
		if a.err != nil {
			c = ClassifyError(a.err)
		} else {
			c = Classify(a.code, a.header, a.body)
		}
		o := Outcome{Status: c.Status, Detail: where + ": " + c.Summary, Hint: c.Hint}
		if c.CheckID != "" && c.Status != Pass {
			o.Hint = strings.TrimSpace(o.Hint + " See " + c.CheckID + ".")
		}
		return c, o
	}
	return []Check{
		{ID: IDProbeGateway, Category: CatProbe, Title: "call through the gateway", Deps: []string{IDResourcesGateway, IDResourcesRoute}, Run: func(ctx context.Context) Outcome {
			t, err := st.target.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			base, host, path, err := gatewayAddress(d.opts.GatewayURL, t)
			if err != nil {
				return fail(err.Error(), "Pass --gateway-url http://HOST:PORT when the Gateway's address is not reachable from here (e.g. through kubectl port-forward).", "")
			}
			proto := st.protocol(ctx)
			a := d.send(ctx, base+path, host, proto)
			_, o := outcome(a, proto+" POST "+base+path)
			if o.Status == Pass {
				o.Detail += fmt.Sprintf(" in %s", a.took.Round(time.Millisecond))
			}
			return o
		}},
		{ID: IDProbeDirect, Category: CatProbe, Title: "AgentCore without a token", Deps: []string{IDRuntimeARN}, Run: func(ctx context.Context) Outcome {
			arn, err := st.arn(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			base := firstNonEmpty(d.opts.DataPlaneURL, os.Getenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"), "https://"+arn.DataPlaneHost())
			url := strings.TrimSuffix(base, "/") + arn.InvocationPath() + "?qualifier=DEFAULT"
			proto := st.protocol(ctx)
			a := d.send(ctx, url, "", proto)
			c, o := outcome(a, proto+" POST "+strings.TrimSuffix(base, "/")+"/runtimes/…/invocations")
			if a.err != nil {
				o.Hint = "AgentCore's data plane is not reachable from here: check the network (proxy, VPC endpoint)."
				return o
			}
			az, azErr := st.authorizer.get(ctx)
			switch {
			case a.code == 401 && azErr == nil && az != nil:
				return pass("without a token AgentCore answers 401 (the runtime expects a bearer token): the gateway's token is what makes calls work")
			case a.code == 403 && c.CheckID == IDAuthorizerMode && azErr == nil && az == nil:
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
	rules, _, _ := unstructured.NestedSlice(t.route.Object, "spec", "rules")
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
	addrs, _, _ := unstructured.NestedSlice(t.gateway.Object, "status", "addresses")
	addr := ""
	if len(addrs) > 0 {
		m, _ := addrs[0].(map[string]any)
		addr, _ = m["value"].(string)
	}
	if addr == "" {
		return "", "", "", fmt.Errorf("Gateway %s has no address in its status", t.gatewayRef)
	}
	listeners, _, _ := unstructured.NestedSlice(t.gateway.Object, "spec", "listeners")
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
