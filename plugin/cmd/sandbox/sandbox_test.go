package sandbox

import "testing"

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:80": "http://127.0.0.1:80", "/tmp/a b/kc": "'/tmp/a b/kc'", "it's": `'it'\''s'`, "": "''", "a$b": "'a$b'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
