package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
)

type recSink struct {
	mu     sync.Mutex
	data   strings.Builder
	events []string
	onEv   func(string)
}

func (s *recSink) Data(p []byte) { s.mu.Lock(); s.data.Write(p); s.mu.Unlock() }
func (s *recSink) Event(d string) {
	s.mu.Lock()
	s.events = append(s.events, d)
	s.mu.Unlock()
	if s.onEv != nil {
		s.onEv(d)
	}
}

func TestDoSendsPayloadSessionAndHeaders(t *testing.T) {
	var got struct {
		body    map[string]any
		session string
		accept  string
		ctype   string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got.body)
		got.session = r.Header.Get(SessionHeader)
		got.accept = r.Header.Get("Accept")
		got.ctype = r.Header.Get("Content-Type")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"echo":"hi there"}`)
	}))
	defer srv.Close()
	sink := &recSink{}
	res, err := Do(context.Background(), srv.Client(), Request{URL: srv.URL + "/agentcore", Payload: DefaultPayload("hi there"), Via: "gateway"}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Status != 200 || res.Explanation != nil {
		t.Fatalf("result %+v", res)
	}
	if got.body["role"] != "user" {
		t.Fatalf("payload %v", got.body)
	}
	content := got.body["content"].([]any)
	if content[0].(map[string]any)["text"] != "hi there" {
		t.Fatalf("payload %v", got.body)
	}
	if len(got.session) < MinSessionID || got.session != res.SessionID {
		t.Fatalf("session id %q (result %q)", got.session, res.SessionID)
	}
	if got.accept != "application/json, text/event-stream" || got.ctype != "application/json" {
		t.Fatalf("accept %q content-type %q", got.accept, got.ctype)
	}
	if sink.data.String() != `{"echo":"hi there"}` || res.Body != sink.data.String() {
		t.Fatalf("sink %q body %q", sink.data.String(), res.Body)
	}
}

func TestSessionIDs(t *testing.T) {
	a, b := NewSessionID(), NewSessionID()
	if a == b || len(a) < 33 || ValidateSessionID(a) != nil {
		t.Fatalf("session ids %q %q", a, b)
	}
	for _, bad := range []string{"", "short", strings.Repeat("x", 257), strings.Repeat("x", 32), strings.Repeat("x", 40) + " y"} {
		if ValidateSessionID(bad) == nil {
			t.Errorf("ValidateSessionID(%q) accepted", bad)
		}
	}
	if ValidateSessionID(strings.Repeat("x", 33)) != nil || ValidateSessionID(strings.Repeat("x", 256)) != nil {
		t.Fatal("boundary lengths refused")
	}
}

func TestValidatePayload(t *testing.T) {
	for _, bad := range []string{"", "  ", "{", "not json", `{"a":}`} {
		if ValidatePayload([]byte(bad)) == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if ValidatePayload([]byte(`{"prompt":"x"}`)) != nil || ValidatePayload(DefaultPayload(`quote " and \ slash`)) != nil {
		t.Fatal("refused valid JSON")
	}
}

// The second event is only sent after the client has seen the first: proves the reply is streamed as it arrives.
func TestDoStreamsSSEAsItArrives(t *testing.T) {
	seenFirst := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": keep-alive\n\ndata: {\"chunk\":1}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-seenFirst:
		case <-time.After(20 * time.Second):
			t.Error("client did not see the first event before the stream ended")
			return
		}
		fmt.Fprint(w, "data: line a\ndata: line b\n\ndata: last")
	}))
	defer srv.Close()
	var once sync.Once
	sink := &recSink{onEv: func(string) { once.Do(func() { close(seenFirst) }) }}
	res, err := Do(context.Background(), srv.Client(), Request{URL: srv.URL, Payload: []byte(`{}`), Accept: "text/event-stream"}, sink)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"chunk":1}`, "line a\nline b", "last"}
	if !res.Streamed || fmt.Sprint(res.Events) != fmt.Sprint(want) || fmt.Sprint(sink.events) != fmt.Sprint(want) {
		t.Fatalf("events %q (sink %q), streamed %v", res.Events, sink.events, res.Streamed)
	}
}

func TestDoExplainsNon2xxAndDoesNotStreamErrorBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprint(w, `{"message":"Claim 'aud' value mismatch with configuration."}`)
	}))
	defer srv.Close()
	sink := &recSink{}
	res, err := Do(context.Background(), srv.Client(), Request{URL: srv.URL, Payload: []byte(`{}`), Via: "gateway"}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.Explanation == nil || res.Explanation.Check != "authorizer.audience" {
		t.Fatalf("result %+v explanation %+v", res, res.Explanation)
	}
	if res.Explanation.Message != "Claim 'aud' value mismatch with configuration." {
		t.Fatalf("message %q", res.Explanation.Message)
	}
	if sink.data.Len() != 0 {
		t.Fatalf("error body went to the reply sink: %q", sink.data.String())
	}
}

func TestDoConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	res, err := Do(context.Background(), nil, Request{URL: "http://" + addr + "/x", Payload: []byte(`{}`)}, nil)
	if err == nil || res != nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "--gateway") {
		t.Fatalf("res %v err %v", res, err)
	}
}

func TestReadSSEHandlesLongLinesAndCRLF(t *testing.T) {
	long := strings.Repeat("x", 200_000)
	var got []string
	err := readSSE(strings.NewReader("data: "+long+"\r\n\r\nevent: x\r\ndata:y\r\n\r\n"), func(s string) { got = append(got, s) })
	if err != nil || len(got) != 2 || got[0] != long || got[1] != "y" {
		t.Fatalf("err %v, %d events", err, len(got))
	}
}

func TestTransportErrorKeepsCause(t *testing.T) {
	cause := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	err := explainTransport("http://127.0.0.1:1/x", cause)
	if !strings.Contains(err.Error(), "connection refused (nothing listens there") {
		t.Fatalf("explained text: %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatal("the transport error must stay reachable with errors.Is")
	}
}

// Where the answer alone cannot tell, the explanation takes doctor's verdicts (Request.Known): a Secret holding
// "Bearer Bearer <jwt>" gets 401 Invalid Bearer token, named as secret.bearer-form, never secret.present.
func TestDoTakesDoctorsVerdicts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(401)
		fmt.Fprint(w, `{"message":"Invalid Bearer token."}`)
	}))
	defer srv.Close()
	var asked []string
	known := func(_ context.Context, a doctor.Answer) doctor.Verdicts {
		asked = doctor.Candidates(a)
		return doctor.Verdicts{doctor.IDSecretBearer: {ID: doctor.IDSecretBearer, Status: doctor.Fail, Detail: "the value says Bearer twice (`Bearer Bearer <jwt>`)", Fix: "kubectl agentcore rotate"}}
	}
	res, err := Do(context.Background(), srv.Client(), Request{URL: srv.URL, Payload: []byte(`{}`), Via: "gateway", Known: known}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := res.Explanation
	if e == nil || e.Check != doctor.IDSecretBearer || !strings.Contains(e.Cause, "Bearer twice") || e.Next != "kubectl agentcore rotate" || len(asked) == 0 {
		t.Fatalf("explanation %+v (asked %v)", e, asked)
	}
}

// TestDoCallerModeWithoutToken: a call without a token to a setup that passes its callers' tokens, refused by the
// gateway's JWT check, is explained as the call lacking the token (the policy working), not as a policy to fix;
// the same answer for a setup that sends the gateway's own token still names the policy.
func TestDoCallerModeWithoutToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(401)
		fmt.Fprint(w, "authentication failure: no bearer token found")
	}))
	defer srv.Close()
	for _, callerMode := range []bool{true, false} {
		res, err := Do(context.Background(), srv.Client(), Request{URL: srv.URL, Payload: []byte(`{}`), Via: "gateway", CallerMode: callerMode}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := res.Explanation
		switch {
		case e == nil:
			t.Fatalf("caller mode %v: no explanation", callerMode)
		case callerMode && (e.Check != "" || !strings.Contains(e.Summary, "the call carried no token") || !strings.Contains(e.Next, "--bearer-from")):
			t.Fatalf("caller mode: %+v", e)
		case !callerMode && e.Check != "resources.policy":
			t.Fatalf("the gateway's own token: %+v", e)
		}
	}
}
