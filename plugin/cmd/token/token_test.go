package token_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/root"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const cognitoIss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type result struct {
	code        int
	out, errOut string
}

// run executes the real root command with test streams and a fixed clock. Every raw token in secrets must not
// appear in any output (unless the test passes --show-token and checks that itself).
func run(t *testing.T, stdin string, secrets []string, args ...string) result {
	t.Helper()
	io, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	f := cmdutil.New(io)
	f.Now = func() time.Time { return now }
	code := root.Run(f, args)
	r := result{code, out.String(), errOut.String()}
	show := false
	for _, a := range args {
		show = show || a == "--show-token"
	}
	if !show {
		for _, s := range secrets {
			if s != "" && (strings.Contains(r.out, s) || strings.Contains(r.errOut, s)) {
				t.Fatalf("the raw token appears in the output:\n%s\n%s", r.out, r.errOut)
			}
			// Not even the signature part.
			if parts := strings.Split(s, "."); len(parts) == 3 && len(parts[2]) > 16 && (strings.Contains(r.out, parts[2]) || strings.Contains(r.errOut, parts[2])) {
				t.Fatalf("the token's signature appears in the output")
			}
		}
	}
	return r
}

func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "none"))
	t.Setenv("HOME", dir)
}

func oneErrorLine(t *testing.T, r result, want ...string) {
	t.Helper()
	if r.out != "" {
		t.Errorf("stdout should be empty on error, got:\n%s", r.out)
	}
	lines := strings.Split(strings.TrimRight(r.errOut, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") {
		t.Fatalf("want one `error:` line, got %q", r.errOut)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("error %q lacks %q", lines[0], w)
		}
	}
}

func TestInspectJSONFromStdin(t *testing.T) {
	isolate(t)
	k := tokentest.RSA(t, "rsa-1")
	raw := k.Mint(t, tokentest.CognitoID(cognitoIss, "5pk1q2", now, 41*time.Minute))
	r := run(t, "Bearer "+raw+"\n", []string{raw}, "token", "inspect", "-", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.out)
	}
	for _, k := range []string{"header", "claims", "kind", "expiresAt", "expired", "explain", "findings", "token"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if _, ok := got["signature"]; ok {
		t.Error("signature present without --verify")
	}
	if got["kind"] != "cognito-id" || got["expired"] != false {
		t.Errorf("kind %v expired %v", got["kind"], got["expired"])
	}
	exp, err := time.Parse(time.RFC3339, got["expiresAt"].(string))
	if err != nil || !exp.Equal(now.Add(41*time.Minute)) || !strings.HasSuffix(got["expiresAt"].(string), "Z") {
		t.Errorf("expiresAt %v (%v)", got["expiresAt"], err)
	}
	if got["header"].(map[string]any)["kid"] != "rsa-1" || got["claims"].(map[string]any)["aud"] != "5pk1q2" {
		t.Errorf("header/claims %v %v", got["header"], got["claims"])
	}
	if tok := got["token"].(string); !strings.Contains(tok, "(redacted,") {
		t.Errorf("token not masked: %q", tok)
	}

	// YAML works too.
	r = run(t, raw, []string{raw}, "token", "inspect", "-o", "yaml")
	if r.code != 0 || !strings.Contains(r.out, "kind: cognito-id") || !strings.Contains(r.out, "expiresAt: \"2026-03-01T12:41:00Z\"") {
		t.Errorf("yaml (exit %d):\n%s%s", r.code, r.out, r.errOut)
	}
}

func TestInspectTextFromArgAndFile(t *testing.T) {
	isolate(t)
	t.Setenv("TZ", "UTC")
	k := tokentest.EC(t, "ec-1")
	raw := k.Mint(t, tokentest.CognitoAccess(cognitoIss, "5pk1q2", now, 41*time.Minute))
	r := run(t, "", []string{raw}, "token", "inspect", raw)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	for _, w := range []string{"cognito-access · Cognito access token", "in 41m", "no aud → allowedAudience will reject it",
		"client_id=5pk1q2 → allowedClients containing 5pk1q2", raw[:10] + "…(redacted,", "Signature", "not checked (add --verify)",
		`accepts it: {"customJWTAuthorizer":{"discoveryUrl":"` + cognitoIss + `/.well-known/openid-configuration","allowedClients":["5pk1q2"]}}`,
		"token_use", "ES256 · kid ec-1", "✔ time left"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("text lacks %q:\n%s", w, r.out)
		}
	}
	if strings.Contains(r.out, "\x1b[") {
		t.Error("colour codes in non-terminal output")
	}

	file := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(file, []byte("Bearer "+raw), 0o600); err != nil {
		t.Fatal(err)
	}
	r2 := run(t, "", []string{raw}, "token", "inspect", "--token-file", file, "-o", "text")
	if r2.code != 0 || r2.out != r.out {
		t.Errorf("--token-file output differs from the argument's (exit %d)", r2.code)
	}
	// --token-from takes it where doctor --token-from and invoke --bearer-from do: a variable, a file
	t.Setenv("INSPECT_TOKEN", "Bearer "+raw)
	for _, from := range []string{"env:INSPECT_TOKEN", "file:" + file} {
		if r2 := run(t, "", []string{raw}, "token", "inspect", "--token-from", from, "-o", "text"); r2.code != 0 || r2.out != r.out {
			t.Errorf("--token-from %s: output differs from the argument's (exit %d)\n%s", from, r2.code, r2.errOut)
		}
	}
	if r2 := run(t, "", nil, "token", "inspect", "--token-from", "env:INSPECT_NO_SUCH_VAR", "-o", "text"); r2.code == 0 || strings.Count(r2.errOut, "\n") != 1 || !strings.Contains(r2.errOut, "INSPECT_NO_SUCH_VAR") {
		t.Errorf("--token-from an unset variable: exit %d, %q", r2.code, r2.errOut)
	}
	if r2 := run(t, "", nil, "token", "inspect", "--token-from", "env:INSPECT_TOKEN", "--token-file", file); r2.code != 2 || !strings.Contains(r2.errOut, "give the token one way") {
		t.Errorf("two sources: exit %d, %q", r2.code, r2.errOut)
	}
	// A value written with echo is named as doctor names it in the Secret; the token still decodes.
	if err := os.WriteFile(file, []byte("Bearer "+raw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r2 = run(t, "", nil, "token", "inspect", "--token-file", file, "-o", "text")
	if r2.code != 0 || !strings.Contains(r2.out, "the value ends with a newline (written with echo?)") || !strings.Contains(r2.out, "cognito-access") {
		t.Errorf("--token-file with a trailing newline (exit %d):\n%s", r2.code, r2.out)
	}
	if err := os.WriteFile(file, []byte("Bearer Bearer "+raw), 0o600); err != nil {
		t.Fatal(err)
	}
	r2 = run(t, "", nil, "token", "inspect", "--token-file", file, "-o", "text")
	if r2.code == 0 || !strings.Contains(r2.errOut, "the value says Bearer twice (`Bearer Bearer <jwt>`)") {
		t.Errorf("--token-file with Bearer twice (exit %d): %s", r2.code, r2.errOut)
	}
	if err := os.WriteFile(file, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	r3 := run(t, "", nil, "token", "inspect", "--token-file", file, "--show-token", "-o", "json")
	if r3.code != 0 || !strings.Contains(r3.out, `"token": "`+raw+`"`) {
		t.Errorf("--show-token does not print the token (exit %d)", r3.code)
	}
}

func TestInspectExpiredExitsThree(t *testing.T) {
	isolate(t)
	k := tokentest.EC(t, "e")
	raw := k.Mint(t, tokentest.CognitoID(cognitoIss, "c", now.Add(-4*time.Hour), time.Hour))
	r := run(t, raw, []string{raw}, "token", "inspect")
	if r.code != 3 || !strings.Contains(r.out, "expired 3h ago") || r.errOut != "" {
		t.Fatalf("exit %d, out:\n%s\nerr: %s", r.code, r.out, r.errOut)
	}
	r = run(t, raw, []string{raw}, "token", "inspect", "-o", "json")
	if r.code != 3 || !strings.Contains(r.out, `"expired": true`) {
		t.Fatalf("exit %d:\n%s", r.code, r.out)
	}
}

func TestInspectVerify(t *testing.T) {
	isolate(t)
	rsaKey, ecKey := tokentest.RSA(t, "rsa-1"), tokentest.EC(t, "ec-1")
	is := tokentest.NewIssuer(t, rsaKey, ecKey)
	claims := func() map[string]any { return tokentest.CognitoID(is.Issuer, "c", now, time.Hour) }
	sig := func(r result) map[string]any {
		t.Helper()
		var got map[string]any
		if err := json.Unmarshal([]byte(r.out), &got); err != nil {
			t.Fatalf("not JSON (exit %d): %v\n%s\n%s", r.code, err, r.out, r.errOut)
		}
		s, _ := got["signature"].(map[string]any)
		if s == nil {
			t.Fatalf("no signature in %s", r.out)
		}
		return s
	}

	for _, k := range []*tokentest.Key{rsaKey, ecKey} {
		raw := k.Mint(t, claims())
		r := run(t, raw, []string{raw}, "token", "inspect", "--verify", "-o", "json")
		if s := sig(r); r.code != 0 || s["verified"] != true || s["error"] != nil {
			t.Errorf("%s: exit %d signature %v", k.Alg, r.code, s)
		}
	}

	// Unknown kid: the report is still printed, exit 3.
	raw := tokentest.EC(t, "rotated-away").Mint(t, claims())
	r := run(t, raw, []string{raw}, "token", "inspect", "--verify", "-o", "json")
	if s := sig(r); r.code != 3 || s["verified"] != false || !strings.Contains(s["error"].(string), `unknown kid "rotated-away"`) {
		t.Errorf("unknown kid: exit %d %v", r.code, s)
	}
	r = run(t, raw, []string{raw}, "token", "inspect", "--verify")
	if r.code != 3 || !strings.Contains(r.out, `✖ unknown kid "rotated-away"`) || !strings.Contains(r.out, "✖ signature") {
		t.Errorf("unknown kid text (exit %d):\n%s", r.code, r.out)
	}

	// Discovery answering HTML.
	is.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>login</html>"))
	})
	raw = rsaKey.Mint(t, claims())
	r = run(t, raw, []string{raw}, "token", "inspect", "--verify", "-o", "json")
	if s := sig(r); r.code != 3 || s["stage"] != "discovery" || !strings.Contains(s["error"].(string), "got an HTML page, not JSON") {
		t.Errorf("HTML discovery: exit %d %v", r.code, s)
	}
	is.Handle("/.well-known/openid-configuration", nil)

	// --discovery-url pointing at a 404.
	r = run(t, raw, []string{raw}, "token", "inspect", "--discovery-url", is.URL+"/nope/.well-known/openid-configuration", "-o", "json")
	if s := sig(r); r.code != 3 || !strings.Contains(s["error"].(string), "HTTP 404") {
		t.Errorf("404: exit %d %v", r.code, s)
	}

	// Offline: discovery and JWKS from files; the issuer named there differs by a trailing slash → finding.
	dir := t.TempDir()
	disc, jwks := filepath.Join(dir, "d.json"), filepath.Join(dir, "j.json")
	_ = os.WriteFile(disc, []byte(`{"issuer":"`+is.Issuer+`/","jwks_uri":"https://offline.invalid/jwks"}`), 0o600)
	_ = os.WriteFile(jwks, tokentest.JWKS(t, rsaKey), 0o600)
	is.Close() // nothing may be fetched
	r = run(t, raw, []string{raw}, "token", "inspect", "--discovery-file", disc, "--jwks-file", jwks, "-o", "json")
	if s := sig(r); r.code != 3 || s["verified"] != true || !strings.Contains(r.out, `"id": "token.issuer"`) {
		t.Errorf("offline: exit %d %v\n%s", r.code, s, r.out)
	}
}

func TestInspectBadInput(t *testing.T) {
	isolate(t)
	k := tokentest.EC(t, "k")
	raw := k.Mint(t, map[string]any{"iss": "x", "exp": now.Add(time.Hour).Unix()})
	parts := strings.Split(raw, ".")
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string
	}{
		{"empty stdin", "", []string{"token", "inspect"}, 1, []string{"decoding the token from stdin: empty token", "Pass one JWT"}},
		{"one segment", "abc", []string{"token", "inspect", "-"}, 1, []string{"one segment"}},
		{"bad base64", "", []string{"token", "inspect", "e!!." + parts[1] + "." + parts[2]}, 1, []string{"from the argument: header is not valid base64url"}},
		{"not an object", "", []string{"token", "inspect", "WzFd." + parts[1] + "." + parts[2]}, 1, []string{"header is not a JSON object: JSON array"}},
		{"alg none", "eyJhbGciOiJub25lIn0." + parts[1] + ".", []string{"token", "inspect"}, 1, []string{"alg none"}},
		{"1 MiB", parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2], []string{"token", "inspect"}, 1, []string{"1 MiB"}},
		{"missing file", "", []string{"token", "inspect", "--token-file", "/nonexistent/tok"}, 1, []string{"reading --token-file /nonexistent/tok: no such file"}},
		{"two sources", raw, []string{"token", "inspect", "-", "--token-file", "x"}, 2, []string{"give the token one way"}},
		{"bad output", raw, []string{"token", "inspect", "-o", "xml"}, 2, []string{`unknown output format "xml"`}},
		{"discovery url and file", raw, []string{"token", "inspect", "--discovery-url", "https://x/.well-known/openid-configuration", "--discovery-file", "f"}, 2, []string{"give one"}},
		{"discovery url not http", raw, []string{"token", "inspect", "--discovery-url", "ftp://x"}, 2, []string{"must start with https://"}},
		{"too many args", "", []string{"token", "inspect", "a", "b"}, 2, []string{"accepts at most 1 arg"}},
		{"bad secret ref", "", []string{"token", "inspect", "--from-secret", "a/b/c"}, 2, []string{"use NAMESPACE/NAME"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.stdin, []string{raw, c.stdin}, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d (%s)", r.code, c.code, r.errOut)
			}
			oneErrorLine(t, r, c.want...)
		})
	}
}

func TestTokenGroupWithoutTerminalPrintsHelp(t *testing.T) {
	isolate(t)
	r := run(t, "", nil, "token")
	if r.code != 0 || !strings.Contains(r.out, "inspect") {
		t.Fatalf("exit %d:\n%s", r.code, r.out)
	}
}

func TestInspectFromSecret(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "tokeninspect")
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	admin, limited := filepath.Join(dir, "admin"), filepath.Join(dir, "limited")
	if err := c.WriteKubeconfig(admin, testcluster.AdminToken, ns); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteKubeconfig(limited, testcluster.LimitedToken, ns); err != nil {
		t.Fatal(err)
	}
	k := tokentest.EC(t, "k")
	raw := k.Mint(t, tokentest.Okta("https://dev.okta.com/oauth2/default", "api://default", "0oa1", now, time.Hour))
	ctx := context.Background()
	mk := func(name string, data map[string][]byte) {
		if _, err := c.Kube().CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mk("agentcore-jwt", map[string][]byte{"Authorization": []byte("Bearer " + raw)})
	mk("no-key", map[string][]byte{"token": []byte(raw)})
	mk("lower-key", map[string][]byte{"authorization": []byte("Bearer " + raw)})
	mk("empty-key", map[string][]byte{"Authorization": []byte("  ")})
	mk("garbage", map[string][]byte{"Authorization": []byte("Bearer not-a-jwt")})

	r := run(t, "", []string{raw}, "--kubeconfig", admin, "token", "inspect", "--from-secret", ns+"/agentcore-jwt", "-o", "json")
	if r.code != 0 || !strings.Contains(r.out, `"kind": "okta"`) {
		t.Fatalf("exit %d: %s\n%s", r.code, r.errOut, r.out)
	}
	// NAME alone uses the kubeconfig context's namespace.
	r = run(t, "", []string{raw}, "--kubeconfig", admin, "token", "inspect", "--from-secret", "agentcore-jwt")
	if r.code != 0 || !strings.Contains(r.out, "okta · Okta token") {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}

	cases := []struct {
		name, kubeconfig, ref string
		code                  int
		want                  []string
	}{
		{"missing Secret", admin, ns + "/nope", 1, []string{"reading Secret " + ns + "/nope: not found"}},
		{"missing Authorization key", admin, ns + "/no-key", 1, []string{"Secret " + ns + `/no-key has no "Authorization" key (it has token)`, "rotate"}},
		{"lower-case key", admin, ns + "/lower-key", 1, []string{"Secret " + ns + `/lower-key has the key "authorization", not "Authorization"`, `"op":"move"`}},
		{"empty Authorization", admin, ns + "/empty-key", 1, []string{"the Authorization key is empty"}},
		{"not a JWT", admin, ns + "/garbage", 1, []string{"decoding the token from Secret " + ns + "/garbage: not a JWT: one segment"}},
		{"forbidden", limited, ns + "/agentcore-jwt", 1, []string{"reading Secret " + ns + "/agentcore-jwt: forbidden", "secrets", "pass --token-file"}},
	}
	for _, cse := range cases {
		// --token-from secret:NS/NAME/Authorization is the same read, with the same words
		for _, flags := range [][]string{{"--from-secret", cse.ref}, {"--token-from", "secret:" + cse.ref + "/Authorization"}} {
			t.Run(cse.name+" "+flags[0], func(t *testing.T) {
				r := run(t, "", []string{raw}, append([]string{"--kubeconfig", cse.kubeconfig, "token", "inspect"}, flags...)...)
				if r.code != cse.code {
					t.Fatalf("exit %d, want %d: %s", r.code, cse.code, r.errOut)
				}
				oneErrorLine(t, r, cse.want...)
			})
		}
	}
	// secret:NAME alone: the Authorization key of NAME in the kubeconfig context's namespace
	r = run(t, "", []string{raw}, "--kubeconfig", admin, "token", "inspect", "--token-from", "secret:agentcore-jwt")
	if r.code != 0 || !strings.Contains(r.out, "okta · Okta token") {
		t.Fatalf("exit %d: %s\n%s", r.code, r.errOut, r.out)
	}
}

// On a terminal, -o json without a token must not wait on the keyboard: a usage error.
func TestInspectTerminalWithoutTokenAndJSON(t *testing.T) {
	isolate(t)
	io, _, out, errOut := cmdutil.Test()
	io.SetTTY(true, true)
	f := cmdutil.New(io)
	code := root.Run(f, []string{"token", "inspect", "-o", "json"})
	if code != 2 || out.Len() != 0 || !strings.HasPrefix(errOut.String(), "error: no token given: pass - (stdin), --token-file, --token-from or --from-secret") {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
}
