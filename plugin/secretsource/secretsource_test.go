package secretsource

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateRefusesLiteralsWithoutEchoingThem(t *testing.T) {
	for _, ok := range []string{"", "prompt", "env:X", "file:t.jwt", "secret:name", "secret:name/key", "secret:ns/name/key"} {
		if err := Validate("client-secret-from", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"hunter2-literal", "env:", "file:", "secret:", "secret:a/b/c/d", "secret:a//b", "secret:a/"} {
		err := Validate("client-secret-from", bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if bad == "hunter2-literal" && strings.Contains(err.Error(), bad) {
			t.Errorf("the literal is echoed: %v", err)
		}
	}
}

func TestParseSecret(t *testing.T) {
	for in, want := range map[string]Ref{
		"n":      {"def", "n", "clientSecret"},
		"n/k":    {"def", "n", "k"},
		"ns/n/k": {"ns", "n", "k"},
	} {
		if got := ParseSecret(in, "def", "clientSecret"); got != want {
			t.Errorf("%q: %+v, want %+v", in, got, want)
		}
	}
}

func TestReadEnvAndPrompt(t *testing.T) {
	t.Setenv("SS_TEST", "v1")
	if v, err := Read(context.Background(), nil, "", "x-from", "env:SS_TEST", "", "x", nil); err != nil || v != "v1" {
		t.Fatalf("%q %v", v, err)
	}
	if _, err := Read(context.Background(), nil, "", "x-from", "prompt", "", "x", nil); err == nil || !strings.Contains(err.Error(), "not on a terminal") {
		t.Fatalf("prompt without a terminal: %v", err)
	}
	v, err := Read(context.Background(), nil, "", "x-from", "prompt", "", "client secret", func(label string) (string, error) { return "typed:" + label, nil })
	if err != nil || v != "typed:client secret" {
		t.Fatalf("%q %v", v, err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "caller.jwt")
	if err := os.WriteFile(tok, []byte("  eyJ.a.b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := Read(context.Background(), nil, "", "bearer-from", "file:"+tok, "", "token", nil); err != nil || v != "eyJ.a.b" {
		t.Fatalf("%q %v", v, err)
	}
	for path, want := range map[string]string{empty: "the file is empty", filepath.Join(dir, "none"): "no such file"} {
		_, err := Read(context.Background(), nil, "", "bearer-from", "file:"+path, "", "token", nil)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), path) != 1 {
			t.Errorf("%s: %v, want one mention of the path and %q", path, err, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for from, want := range map[string]string{
		"env:M2M_SECRET":                "$M2M_SECRET",
		"file:/run/secret":              "file /run/secret",
		"secret:creds":                  "the clientSecret key of Secret team/creds",
		"secret:creds/secret":           "the secret key of Secret team/creds",
		"secret:ops/creds/clientSecret": "the clientSecret key of Secret ops/creds",
		"prompt":                        "the value typed at the prompt",
	} {
		if got := Describe(from, "team", "clientSecret"); got != want {
			t.Errorf("Describe(%q) = %q, want %q", from, got, want)
		}
	}
}
