package gatewaystandin

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
)

// access is one request's access-log fields.
type access struct {
	route, endpoint, status, reason, errMsg string
	jwtSub                                  string
	start                                   time.Time
}

// ServeHTTP routes one request like the proxy would and writes its access line.
func (s *StandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.served.Add(1)
	a := &access{start: s.o.Now()}
	code := s.serve(w, r, a)
	s.writeAccessLine(s.accessLine(r, a, code))
}

func (s *StandIn) serve(w http.ResponseWriter, r *http.Request, a *access) int {
	s.mu.RLock()
	t := s.table
	s.mu.RUnlock()
	e := t.match(r)
	if e == nil {
		a.reason = "NotFound"
		http.Error(w, "route not found", http.StatusNotFound)
		return http.StatusNotFound
	}
	a.route = e.key
	if e.backend == nil {
		a.reason, a.errMsg = "NoHealthyBackend", e.backendErr
		http.Error(w, "no healthy backend: "+e.backendErr, http.StatusInternalServerError)
		return http.StatusInternalServerError
	}
	// The caller's token (traffic.jwtAuthentication): validated, then removed from the request.
	caller := ""
	if e.jwt != nil {
		raw := e.jwt.callerToken(r)
		switch {
		case raw == "" && e.jwt.mode == "Strict":
			return s.refuseJWT(w, a, "no bearer token found")
		case raw != "":
			claims, why := s.validate(r.Context(), e.jwt, raw)
			switch {
			case why != "" && e.jwt.mode != "Permissive":
				return s.refuseJWT(w, a, why)
			case why == "":
				caller = raw
				if sub, ok := claims["sub"].(string); ok {
					a.jwtSub = sub
				}
			}
		}
	}
	if e.rate != nil && !s.allow(e.rateKey, e.rate) {
		a.reason = "RateLimit"
		http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
		return http.StatusTooManyRequests
	}

	// Where the real proxy would send it.
	var host, path, rawQuery string
	be := e.backend
	switch {
	case be.arn != "":
		arn, err := awsops.ParseRuntimeARN(be.arn)
		if err != nil {
			a.reason, a.errMsg = "Internal", "invalid agentCore backend: "+err.Error()
			http.Error(w, a.errMsg, http.StatusInternalServerError)
			return http.StatusInternalServerError
		}
		host, path = arn.DataPlaneHost(), arn.InvocationPath()
		if be.qualifier != "" {
			rawQuery = "qualifier=" + url.QueryEscape(be.qualifier)
		}
		a.endpoint = host + ":443"
	default:
		host = be.host
		a.endpoint = net.JoinHostPort(be.host, strconv.FormatInt(be.port, 10))
		path, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
		switch {
		case e.rewriteFull != nil:
			path = *e.rewriteFull
		case e.rewritePrefix != nil:
			rest := strings.TrimPrefix(path, strings.TrimRight(e.path, "/"))
			path = strings.TrimRight(*e.rewritePrefix, "/") + rest
			if path == "" {
				path = "/"
			}
		}
		if e.rewriteHost != "" {
			host = e.rewriteHost
		}
	}

	out, err := http.NewRequestWithContext(r.Context(), r.Method, s.o.Upstream+path, r.Body)
	if err != nil {
		a.reason, a.errMsg = "Internal", err.Error()
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return http.StatusInternalServerError
	}
	out.URL.RawQuery = rawQuery
	if strings.Contains(path, "%") {
		// keep the encoded ARN exactly as written (":" → %3A, "/" → %2F)
		out.URL.RawPath = path
		if p, err := url.PathUnescape(path); err == nil {
			out.URL.Path = p
		}
	}
	out.Host = host
	out.ContentLength = r.ContentLength
	for k, vs := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Te", "Trailer", "Authorization":
			continue
		}
		out.Header[k] = vs
	}
	switch e.authMode {
	case authPassthrough:
		// Passthrough adds back the token a validating policy took; without one it has no effect (the stand-in,
		// which drops the client's Authorization otherwise, then forwards it unchanged, as the gateway would).
		if caller != "" {
			out.Header.Set("Authorization", "Bearer "+caller)
		} else if e.jwt == nil && r.Header.Get("Authorization") != "" {
			out.Header.Set("Authorization", r.Header.Get("Authorization"))
		}
	case authExchange:
		// The subject: the validated token (subjectToken.source jwt.rawToken), else the request's Authorization
		// header — which jwtAuthentication removed (Agent Gateway v1.4.1 does not fall back to the validated token).
		subject := ""
		if e.exchange.subjectFromJWT {
			subject = caller
		} else if e.jwt == nil {
			subject = (&jwtSpec{header: "Authorization", prefix: "Bearer "}).callerToken(r)
		}
		if subject == "" {
			a.reason, a.errMsg = "UpstreamFailure", "backend authentication failed: token exchange: no subject token in the request"
			http.Error(w, a.errMsg, http.StatusInternalServerError)
			return http.StatusInternalServerError
		}
		tok, why := s.exchange(r.Context(), e.exchange, subject)
		if why != "" {
			a.reason, a.errMsg = "UpstreamFailure", "backend authentication failed: "+why
			http.Error(w, a.errMsg, http.StatusInternalServerError)
			return http.StatusInternalServerError
		}
		out.Header.Set("Authorization", "Bearer "+tok)
	}
	if e.authMode == authSecret && e.authName != "" {
		v, err := s.secretValue(e.authNS, e.authName, e.authKey)
		if err == nil {
			// What Agent Gateway sends for this value (one exact "Bearer " stripped under Authorization, then added).
			if sent, ok := bearer.Sent(e.authKey, v); ok {
				out.Header.Set("Authorization", sent)
			}
		}
		// A missing Secret/key: the policy is PartiallyValid and the request goes on without the header.
	}
	out.Header.Set("X-Forwarded-For", clientIP(r))

	resp, err := s.client.Do(out)
	if err != nil {
		a.reason, a.errMsg = "UpstreamFailure", lastPart(err.Error())
		http.Error(w, "upstream connect error: "+a.errMsg, http.StatusServiceUnavailable)
		return http.StatusServiceUnavailable
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length":
			continue
		}
		w.Header()[k] = vs
	}
	if resp.StatusCode >= 400 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		a.errMsg = upstreamMessage(body)
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return resp.StatusCode
	}
	w.WriteHeader(resp.StatusCode)
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 16<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				break
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if rerr != nil {
			break
		}
	}
	return resp.StatusCode
}

// refuseJWT answers as Agent Gateway does when jwtAuthentication refuses the caller: 401, text/plain
// "authentication failure: <why>", access-log reason JwtAuth.
func (s *StandIn) refuseJWT(w http.ResponseWriter, a *access, why string) int {
	a.reason, a.errMsg = "JwtAuth", "authentication failure: "+why
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, a.errMsg)
	return http.StatusUnauthorized
}

// match finds the route entry for the request (host, then longest path).
func (t *table) match(r *http.Request) *routeEntry {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	for _, e := range t.routes {
		if !hostMatches(e.hostnames, host) {
			continue
		}
		p := r.URL.Path
		switch e.pathType {
		case "Exact":
			if p == e.path {
				return e
			}
		default:
			prefix := strings.TrimRight(e.path, "/")
			if prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/") {
				return e
			}
		}
	}
	return nil
}

func hostMatches(hostnames []string, host string) bool {
	if len(hostnames) == 0 {
		return true
	}
	for _, h := range hostnames {
		if strings.EqualFold(h, host) {
			return true
		}
		if strings.HasPrefix(h, "*.") && strings.HasSuffix(strings.ToLower(host), strings.ToLower(h[1:])) {
			return true
		}
	}
	// Loopback callers (the sandbox) reach the route by address: accept them whatever the hostnames say.
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

// bucket is a token bucket for traffic.rateLimit.local.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func (s *StandIn) allow(key string, rs *rateSpec) bool {
	s.mu.Lock()
	b := s.limiter[key]
	if b == nil {
		b = &bucket{tokens: rs.burst, last: s.o.Now()}
		s.limiter[key] = b
	}
	s.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	now := s.o.Now()
	b.tokens += now.Sub(b.last).Seconds() * rs.perSecond
	if b.tokens > rs.burst {
		b.tokens = rs.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// accessLine is the agentgateway default text format (docs/facts.md#agent-gateway-resources).
func (s *StandIn) accessLine(r *http.Request, a *access, code int) string {
	var b strings.Builder
	b.WriteString(s.o.Now().UTC().Format(time.RFC3339Nano))
	b.WriteString("\tinfo\trequest")
	kv := func(k, v string) {
		if v == "" {
			return
		}
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('=')
		if strings.ContainsAny(v, " \t\"=") {
			b.WriteString(strconv.Quote(v))
		} else {
			b.WriteString(v)
		}
	}
	kv("gateway", s.o.GatewayNamespace+"/"+s.o.GatewayName)
	kv("listener", s.o.ListenerName)
	kv("route", a.route)
	kv("endpoint", a.endpoint)
	kv("src.addr", r.RemoteAddr)
	kv("http.method", r.Method)
	kv("http.host", r.Host)
	kv("http.path", r.URL.Path)
	kv("http.version", r.Proto)
	kv("http.status", strconv.Itoa(code))
	kv("jwt.sub", a.jwtSub)
	kv("protocol", "http")
	kv("error", a.errMsg)
	kv("reason", a.reason)
	kv("duration", fmt.Sprintf("%dms", s.o.Now().Sub(a.start).Milliseconds()))
	return b.String()
}

func upstreamMessage(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"message", "Message"} {
			if v, ok := m[k].(string); ok {
				return v
			}
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func clientIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

func lastPart(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}
