package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestClassify(t *testing.T) {
	www := http.Header{"Www-Authenticate": {`Bearer resource_metadata="https://x/.well-known/oauth-protected-resource"`}}
	for _, tc := range []struct {
		code   int
		header http.Header
		body   string
		status Status
		check  string
		sum    string
	}{
		{200, nil, `{"ok":true}`, Pass, "", "200 OK"},
		{401, nil, `{"message":"Claim 'aud' value mismatch with configuration."}`, Fail, IDAuthorizerAudience, "Claim 'aud'"},
		{401, nil, `{"message":"Claim 'client_id' value mismatch with configuration."}`, Fail, IDAuthorizerClient, "Claim 'client_id'"},
		{401, nil, `{"message":"Token has expired"}`, Fail, IDTokenExpired, "expired"},
		{401, www, ``, Fail, IDSecretPresent, "no bearer token reached AgentCore"},
		{401, nil, `authentication failure: no bearer token found`, Fail, IDResourcesPolicy, "client leg"},
		{403, nil, `{"message":"Authorization method mismatch. The agent is configured for a different authorization"}`, Fail, IDAuthorizerMode, "method mismatch"},
		{403, nil, `{"message":"Agent is configured for a different authorization token type"}`, Fail, IDAuthorizerMode, "method mismatch"},
		{403, nil, `{"message":"Missing Authentication Token"}`, Fail, IDResourcesRewrite, "Missing Authentication Token"},
		{404, nil, `ResourceNotFoundException: runtime not found`, Fail, IDRuntimeReady, "404"},
		{424, nil, `RuntimeClientError: container exited`, Fail, IDRuntimeReady, "agent failed"},
		{429, nil, `rate limit exceeded`, Warn, IDResourcesPolicy, "429"},
		{429, nil, `ThrottlingException`, Warn, IDRuntimeReady, "429"},
		{503, nil, `no healthy upstream`, Fail, IDResourcesBackend, "503"},
	} {
		t.Run(fmt.Sprint(tc.code, tc.body), func(t *testing.T) {
			c := Classify(tc.code, tc.header, []byte(tc.body))
			if c.Status != tc.status || c.CheckID != tc.check || !strings.Contains(c.Summary, tc.sum) {
				t.Fatalf("Classify(%d, %q) = %+v", tc.code, tc.body, c)
			}
		})
	}
	if c := Classify(401, nil, []byte("bad token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")); strings.Contains(c.Summary, "eyJzdWIi") {
		t.Fatalf("a token in a body must be masked: %s", c.Summary)
	}
}

func TestClassifyErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = http.Post("http://"+addr+"/", "application/json", nil)
	if c := ClassifyError(err); c.Summary != "connection refused" || c.CheckID != IDResourcesGateway {
		t.Fatalf("refused: %+v (%v)", c, err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("want ECONNREFUSED, got %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	_, err = http.Get("https://" + strings.TrimPrefix(srv.URL, "http://"))
	if c := ClassifyError(err); !strings.HasPrefix(c.Summary, "TLS error") {
		t.Fatalf("TLS: %+v (%v)", c, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err = http.DefaultClient.Do(req)
	if c := ClassifyError(err); c.Summary != "timed out" {
		t.Fatalf("timeout: %+v (%v)", c, err)
	}
}

// Every check id doctor can plan is documented in docs/checks.md.
func TestEveryCheckIsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "checks.md"))
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{Probe: true}, Deps{})
	cs := d.Checks()
	if err := Validate(cs); err != nil {
		t.Fatal(err)
	}
	if len(cs) < 30 {
		t.Fatalf("only %d checks planned", len(cs))
	}
	for _, c := range cs {
		if !strings.Contains(string(b), "`"+c.ID+"`") {
			t.Errorf("%s is not in docs/checks.md", c.ID)
		}
	}
}
