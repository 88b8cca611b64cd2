package bearer

import (
	"strings"
	"testing"
)

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"

func TestCut(t *testing.T) {
	for in, want := range map[string]struct {
		tok string
		ok  bool
	}{
		"Bearer " + jwt:           {jwt, true},
		"  bearer\t" + jwt + "\n": {jwt, true},
		jwt:                       {jwt, false},
		"Bearer":                  {"", true},
		"Bearerx " + jwt:          {"Bearerx " + jwt, false},
	} {
		if tok, ok := Cut(in); tok != want.tok || ok != want.ok {
			t.Errorf("Cut(%q) = %q, %v; want %q, %v", in, tok, ok, want.tok, want.ok)
		}
	}
}

// Sent follows Agent Gateway v1.4.1: trim, strip one exact "Bearer " under Authorization, add "Bearer ".
func TestSent(t *testing.T) {
	for _, c := range []struct{ key, in, want string }{
		{"", "Bearer " + jwt, "Bearer " + jwt},
		{"", jwt + "\n", "Bearer " + jwt},
		{"", "Bearer Bearer " + jwt, "Bearer Bearer " + jwt},
		{"", "bearer " + jwt, "Bearer bearer " + jwt},
		{"", "Bearer   " + jwt, "Bearer " + jwt},
		{"token", "Bearer " + jwt, "Bearer Bearer " + jwt},
		{"token", jwt, "Bearer " + jwt},
		{"", "  \n", ""},
		{"", "Bearer ", "Bearer Bearer"}, // trimmed first, so the exact "Bearer " prefix is gone
	} {
		got, ok := Sent(c.key, c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Sent(%q, %q) = %q, %v; want %q", c.key, c.in, got, ok, c.want)
		}
	}
}

func TestInspect(t *testing.T) {
	for _, c := range []struct {
		name, key, in string
		codes         []string
		breaks        bool
		detail        string
	}{
		{"good", "", "Bearer " + jwt, nil, false, ""},
		{"twice", "", "Bearer Bearer " + jwt, []string{SlipTwice}, true, "Bearer twice"},
		{"twice lower", "", "Bearer bearer " + jwt, []string{SlipTwice}, true, "Bearer twice"},
		{"custom key with prefix", "token", "Bearer " + jwt, []string{SlipTwice}, true, `under key "token"`},
		{"custom key bare", "token", jwt, nil, false, ""},
		{"lower-case scheme", "", "bearer " + jwt, []string{SlipSchemeCase}, true, `written "bearer"`},
		{"tab", "", "Bearer\t" + jwt, []string{SlipSchemeCase}, true, "tab"},
		{"bare", "", jwt, []string{SlipBare}, false, "bare token"},
		{"newline", "", "Bearer " + jwt + "\n", []string{SlipNewline}, false, "ends with a newline"},
		{"crlf bare", "", jwt + "\r\n", []string{SlipNewline, SlipBare}, false, "newline"},
		{"spaces", "", " Bearer " + jwt, []string{SlipWhitespace}, false, "spaces"},
		{"two spaces", "", "Bearer  " + jwt, []string{SlipSpaces}, false, "more than one space"},
		{"quoted token", "", `Bearer "` + jwt + `"`, []string{SlipQuoted}, true, "token is wrapped in \" quotes"},
		{"quoted value", "", `'Bearer ` + jwt + `'`, []string{SlipQuoted}, true, "value is wrapped in ' quotes"},
		{"quoted bare", "", `"` + jwt + `"`, []string{SlipQuoted, SlipBare}, true, "quotes"},
		{"basic", "", "Basic dXNlcjpwYXNz", []string{SlipOtherScheme}, true, `"Basic" scheme`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ss := Inspect(c.key, c.in)
			var codes []string
			for _, s := range ss {
				codes = append(codes, s.Code)
				if s.Detail == "" || s.Hint == "" {
					t.Errorf("slip %s without detail or hint", s.Code)
				}
			}
			if strings.Join(codes, ",") != strings.Join(c.codes, ",") {
				t.Fatalf("Inspect(%q) = %v, want %v", c.in, codes, c.codes)
			}
			if len(ss) > 0 && (ss[0].Breaks != c.breaks || !strings.Contains(ss[0].Detail, c.detail)) {
				t.Fatalf("first slip %+v, want breaks=%v detail ~%q", ss[0], c.breaks, c.detail)
			}
			// What breaks here is what the gateway turns into something other than "Bearer <jwt>".
			sent, _ := Sent(c.key, c.in)
			if broken := sent != "Bearer "+jwt; broken != (len(ss) > 0 && ss[0].Breaks) {
				t.Fatalf("gateway sends %q but Inspect says breaks=%v", sent, len(ss) > 0 && ss[0].Breaks)
			}
		})
	}
}

func TestMissingKey(t *testing.T) {
	s, fix := MissingKey("agents/tok", "", []string{"authorization", "other"})
	if s.Code != SlipKeyCase || s.Detail != `Secret agents/tok has the key "authorization", not "Authorization"` ||
		fix != `kubectl patch secret -n agents tok --type=json -p '[{"op":"move","from":"/data/authorization","path":"/data/Authorization"}]'` {
		t.Fatalf("lower-case key: %+v %q", s, fix)
	}
	s, fix = MissingKey("agents/tok", "", []string{"token"})
	if s.Code != SlipNoKey || !strings.Contains(s.Detail, `no "Authorization" key (it has token)`) || fix != "kubectl agentcore rotate" {
		t.Fatalf("no key: %+v %q", s, fix)
	}
	if s, _ := MissingKey("agents/tok", "", nil); !strings.Contains(s.Detail, "it has no keys") {
		t.Fatalf("no keys: %+v", s)
	}
}
