package redact

import (
	"strings"
	"testing"
)

const sample = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

func TestToken(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{sample, "eyJhbGciOi…(redacted, 49 bytes)"},
		{"Bearer " + sample, "Bearer eyJhbGciOi…(redacted, 49 bytes)"},
		// The scheme as internal/bearer reads it (any case, a tab), kept as written; a slip stays visible.
		{"bearer " + sample, "bearer eyJhbGciOi…(redacted, 49 bytes)"},
		{"Bearer\t" + sample + "\n", "Bearer\teyJhbGciOi…(redacted, 49 bytes)"},
		{"Bearer Bearer " + sample, "Bearer Bearer eyJ…(redacted, 56 bytes)"},
		{"Bearer ", "Bearer …(redacted, 7 bytes)"},
		{"Bearerish", "Bearerish…(redacted, 9 bytes)"},
		{"short", "short…(redacted, 5 bytes)"},
	}
	for _, c := range cases {
		if got := Token(c.in); got != c.want {
			t.Errorf("Token(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTextMasksEmbeddedTokens(t *testing.T) {
	in := "request failed: Authorization: Bearer " + sample + " was refused; again " + sample
	out := Text(in)
	if strings.Contains(out, "c2lnbmF0dXJl") || strings.Contains(out, "eyJzdWIiOiIxIn0") {
		t.Fatalf("token leaked: %s", out)
	}
	if strings.Count(out, "(redacted, 49 bytes)") != 2 {
		t.Fatalf("want two masked tokens, got %s", out)
	}
	if Text("no secrets here") != "no secrets here" {
		t.Fatal("plain text changed")
	}
}

func TestStringsMasksGivenSecrets(t *testing.T) {
	out := Strings("password Hunter2!x rejected for client secret s3cr3tvalue", "Hunter2!x", "s3cr3tvalue", "")
	if strings.Contains(out, "Hunter2") || strings.Contains(out, "s3cr3t") {
		t.Fatalf("secret leaked: %s", out)
	}
	if strings.Count(out, Mask) != 2 {
		t.Fatalf("want two masks: %s", out)
	}
}
