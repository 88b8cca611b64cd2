package invoke

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --bearer-from sends the caller's token (read from a file, never argv), and the gateway's refusal is explained as
// refused at the gateway, with the check that names it; the token is in no output.
func TestBearerFromSendsTheCallersToken(t *testing.T) {
	isolate(t)
	const tok = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJjYWxsZXItYXBwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	file := filepath.Join(t.TempDir(), "caller.jwt")
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, got := echoServer(t, 200, `{"content":[{"text":"echo: hi"}],"caller":{"sub":"caller-app"}}`)
	code, out, errOut := run(t, "", "hi", "--gateway", srv.URL, "--bearer-from", "file:"+file)
	if code != 0 || !strings.Contains(out, `"sub":"caller-app"`) || strings.Contains(out+errOut, tok) {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	if auth := (*got)[0]["_auth"]; auth != "Bearer "+tok {
		t.Fatalf("sent Authorization %q", auth)
	}

	// The gateway's own JWT check refuses it (Agent Gateway's 401 text/plain body).
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(401)
		fmt.Fprint(w, "authentication failure: the token is invalid or malformed: Error(InvalidAudience)")
	}))
	t.Cleanup(gw.Close)
	t.Setenv("CALLER_TOKEN", tok)
	code, out, errOut = run(t, "", "hi", "--gateway", gw.URL, "--bearer-from", "env:CALLER_TOKEN")
	if code != 1 || out != "" || strings.Contains(errOut, tok) {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	for _, w := range []string{"HTTP 401", "refused at the gateway (JwtAuth), before AgentCore saw it", "caller.audience"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q: %s", w, errOut)
		}
	}
}

func TestBearerFromUsage(t *testing.T) {
	isolate(t)
	const literal = "eyJhbGciOiJub25lIn0.e30.literal-token"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hi", "--bearer-from", literal}, "never accepted as arguments"},
		{[]string{"hi", "--bearer-from", "env:T", "--direct"}, "does not combine with --direct"},
		{[]string{"--mcp", "--direct", "--bearer-from", "env:T"}, "does not combine with --direct"},
	} {
		code, out, errOut := run(t, "", c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) || strings.Contains(errOut, literal) {
			t.Errorf("%v: exit %d stdout %q stderr %q (want %q)", c.args, code, out, errOut, c.want)
		}
	}
	code, _, errOut := run(t, "", "hi", "--gateway", "http://127.0.0.1:1", "--bearer-from", "env:UNSET_CALLER_TOKEN_X")
	if code != 1 || !strings.Contains(errOut, "reading the caller's token") {
		t.Fatalf("unset env: exit %d %q", code, errOut)
	}
}
