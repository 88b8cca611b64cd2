// Package invoke sends one request to an AgentCore agent, through the gateway (which adds the token) or straight to
// AgentCore (no token: shows the 401 the gateway protects against), streams the reply and explains failures.
package invoke

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
)

// SessionHeader carries the runtime session id (33–256 characters).
const SessionHeader = agentproto.RuntimeSessionHeader

// Session id length limits (docs/facts.md#agentcore-data-plane), agentproto's.
const (
	MinSessionID = agentproto.MinSessionID
	MaxSessionID = agentproto.MaxSessionID
)

// MaxBody is how much of a non-streamed reply is kept in the result (the rest is still written to the output).
const MaxBody = 1 << 20

// Request is one invocation.
type Request struct {
	URL       string
	Payload   []byte
	SessionID string
	// Accept is the Accept header; default "application/json, text/event-stream".
	Accept string
	// Header adds headers (e.g. Authorization for a gateway with its own JWT check). Never logged.
	Header http.Header
	// Via says where the request goes: "gateway" or "direct" (used in explanations).
	Via string
	// CallerMode says the setup passes or exchanges its callers' tokens (doctor.Answer.CallerMode).
	CallerMode bool
	// Known, when set, is what doctor knows about the checks that can name the cause of a non-2xx answer
	// (doctor.Doctor.Known): with it the explanation names the check doctor fails.
	Known func(ctx context.Context, a doctor.Answer) doctor.Verdicts
}

// Result is what came back.
type Result struct {
	URL         string              `json:"url"`
	Via         string              `json:"via"`
	SessionID   string              `json:"sessionId"`
	Status      int                 `json:"status"`
	StatusText  string              `json:"statusText"`
	ContentType string              `json:"contentType,omitempty"`
	Streamed    bool                `json:"streamed"`
	Body        string              `json:"body,omitempty"`
	Events      []string            `json:"events,omitempty"`
	Duration    time.Duration       `json:"-"`
	DurationMS  int64               `json:"durationMs"`
	Explanation *doctor.Explanation `json:"explanation,omitempty"`
}

// OK reports a 2xx answer.
func (r *Result) OK() bool { return r.Status >= 200 && r.Status < 300 }

// DefaultPayload is the shape AgentCore sample agents accept: {"role":"user","content":[{"text":PROMPT}]}.
func DefaultPayload(prompt string) []byte {
	type part struct {
		Text string `json:"text"`
	}
	b, _ := json.Marshal(struct {
		Role    string `json:"role"`
		Content []part `json:"content"`
	}{"user", []part{{prompt}}})
	return b
}

// NewSessionID returns a random session id of 50 characters ("kubectl-agentcore-" + 32 hex digits).
func NewSessionID() string { return agentproto.NewSessionID("kubectl-agentcore-") }

// ValidateSessionID checks the documented length and that the value is a safe header value (agentproto's rule).
func ValidateSessionID(s string) error { return agentproto.ValidateSessionID(s) }

// HostTransport sets the Host header of every request (the route's hostname) and sends it with RT.
type HostTransport struct {
	Host string
	RT   http.RoundTripper
}

// RoundTrip sends a copy of r with Host set.
func (h HostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Host = h.Host
	return h.RT.RoundTrip(r2)
}

// ValidatePayload checks that a payload is JSON.
func ValidatePayload(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("the payload is empty")
	}
	if !json.Valid(b) {
		return errors.New("the payload is not valid JSON")
	}
	return nil
}

// Sink receives the reply while it arrives: Data for a non-streamed body chunk, Event for one SSE event's data.
type Sink interface {
	Data(p []byte)
	Event(data string)
}

// Do sends the request with client and passes the reply to sink as it arrives (nil sink: collect only). A reply
// with any status is a Result; an error means no HTTP answer (connection refused, timeout, TLS).
func Do(ctx context.Context, client *http.Client, req Request, sink Sink) (*Result, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if req.SessionID == "" {
		req.SessionID = NewSessionID()
	}
	if req.Accept == "" {
		req.Accept = "application/json, text/event-stream"
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Payload))
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", req.URL, err)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", req.Accept)
	hreq.Header.Set(SessionHeader, req.SessionID)
	hreq.Header.Set("User-Agent", "kubectl-agentcore-invoke")

	start := time.Now()
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, explainTransport(req.URL, err)
	}
	defer resp.Body.Close()
	res := &Result{
		URL: req.URL, Via: req.Via, SessionID: req.SessionID,
		Status: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode),
		ContentType: resp.Header.Get("Content-Type"),
	}
	if s := resp.Header.Get(SessionHeader); s != "" {
		res.SessionID = s
	}
	if sink == nil {
		sink = nopSink{}
	}
	if resp.StatusCode < 300 && strings.HasPrefix(strings.ToLower(res.ContentType), "text/event-stream") {
		res.Streamed = true
		err = readSSE(resp.Body, func(data string) {
			res.Events = append(res.Events, data)
			sink.Event(data)
		})
	} else {
		var buf bytes.Buffer
		err = copyChunks(resp.Body, func(p []byte) {
			if buf.Len() < MaxBody {
				buf.Write(p[:min(len(p), MaxBody-buf.Len())])
			}
			if resp.StatusCode < 300 {
				sink.Data(p)
			}
		})
		res.Body = buf.String()
	}
	res.Duration = time.Since(start)
	res.DurationMS = res.Duration.Milliseconds()
	if !res.OK() {
		// doctor's classifier explains the answer; invoke only renders it.
		a := doctor.Answer{Code: res.Status, Header: resp.Header, Body: []byte(res.Body), Direct: req.Via == "direct",
			CallerToken: req.Header.Get("Authorization") != "", CallerMode: req.CallerMode}
		var v doctor.Verdicts
		if req.Known != nil && len(doctor.Candidates(a)) > 0 {
			v = req.Known(ctx, a)
		}
		e := doctor.Explain(a, v)
		res.Explanation = &e
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return res, fmt.Errorf("reading the reply from %s: %w", req.URL, err)
	}
	return res, nil
}

type nopSink struct{}

func (nopSink) Data([]byte)  {}
func (nopSink) Event(string) {}

func copyChunks(r io.Reader, fn func([]byte)) error {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			fn(buf[:n])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readSSE calls fn with each event's data (multi-line data joined with "\n") as soon as the event ends.
func readSSE(r io.Reader, fn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var data []string
	has := false
	flush := func() {
		if has {
			fn(strings.Join(data, "\n"))
		}
		data, has = nil, false
	}
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, ":"):
			// comment / keep-alive
		case strings.HasPrefix(line, "data:"):
			v := strings.TrimPrefix(line, "data:")
			v = strings.TrimPrefix(v, " ")
			data = append(data, v)
			has = true
		}
	}
	flush()
	return sc.Err()
}

// explainTransport is the one line for a call that got no answer, in the words of doctor's classifier.
func explainTransport(url string, err error) error {
	e := doctor.Explain(doctor.Answer{Err: err}, nil)
	return &transportError{text: fmt.Sprintf("calling %s: %s (%s). %s", url, e.Summary, e.Cause, upperFirst(e.Next)), cause: err}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// transportError is the explained line, keeping the transport error underneath so callers (doctor's
// ClassifyError) can still recognise connection refused or TLS failures by type.
type transportError struct {
	text  string
	cause error
}

func (e *transportError) Error() string { return e.text }
func (e *transportError) Unwrap() error { return e.cause }
