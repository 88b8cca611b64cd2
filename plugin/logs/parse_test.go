package logs

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	line401 = "2025-11-20T10:41:08.123456Z\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http " +
		"route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=10.0.0.7:51234 " +
		"http.method=POST http.host=gw.example.com http.path=/invocations http.version=HTTP/1.1 http.status=401 " +
		"protocol=http error=\"authentication failure: no bearer token found\" reason=JwtAuth duration=0ms jwt.sub=alice"
	line200 = "2025-11-20T10:41:07.000000Z\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http " +
		"route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=10.0.0.7:51233 " +
		"http.method=POST http.host=gw.example.com http.path=/invocations http.version=HTTP/1.1 http.status=200 " +
		"protocol=http duration=437ms"
	lineJSON = `{"level":"info","time":"2025-11-20T10:41:09.5Z","scope":"request","gateway":"agentgateway-system/agentgateway-proxy",` +
		`"route":"agentcore/agentcore","endpoint":"bedrock-agentcore.us-east-1.amazonaws.com:443","http.method":"POST",` +
		`"http.host":"gw.example.com","http.path":"/invocations","http.status":401,"error":"Claim 'aud' value mismatch",` +
		`"duration":"112ms","jwt.sub":"bob"}`
)

func TestParseTextAccessLine(t *testing.T) {
	var v View
	Parse([]byte(line401), &v)
	e := v.Entry("p1", "agentgateway")
	want := Entry{Time: time.Date(2025, 11, 20, 10, 41, 8, 123456000, time.UTC), Pod: "p1", Container: "agentgateway",
		Access: true, Level: "info", Gateway: "agentgateway-system/agentgateway-proxy", Listener: "http",
		Route: "agentcore/agentcore", Method: "POST", Host: "gw.example.com", Path: "/invocations", Status: 401,
		Reason: "JwtAuth", Error: "authentication failure: no bearer token found", Duration: "0ms",
		Endpoint: "bedrock-agentcore.us-east-1.amazonaws.com:443", JWTSubject: "alice"}
	e.Fields, e.Raw = nil, ""
	if fmt.Sprint(e) != fmt.Sprint(want) || !e.Time.Equal(want.Time) {
		t.Fatalf("entry =\n%+v\nwant\n%+v", e, want)
	}
	if n := len(v.Fields()); n != 15 {
		t.Fatalf("fields = %d (%v), want 15", n, v.Fields())
	}
}

func TestParseJSONAccessLine(t *testing.T) {
	var v View
	Parse([]byte(lineJSON), &v)
	e := v.Entry("", "")
	if !e.Access || e.Status != 401 || e.Route != "agentcore/agentcore" || e.Error != "Claim 'aud' value mismatch" ||
		e.Duration != "112ms" || e.JWTSubject != "bob" || e.Reason != "" || e.Method != "POST" || e.Time.IsZero() {
		t.Fatalf("entry = %+v", e)
	}
	if e.Cause() == "" || !strings.Contains(e.Cause(), "doctor") {
		t.Fatalf("upstream 401 cause = %q", e.Cause())
	}
}

func TestParseQuotedEscapes(t *testing.T) {
	var v View
	Parse([]byte("t\tinfo\trequest http.status=500 error=\"upstream said \\\"no\\\" loudly\" reason=UpstreamFailure path=\"a b\""), &v)
	if v.Status != 500 || v.ErrorText() != `upstream said "no" loudly` || string(v.Reason) != "UpstreamFailure" {
		t.Fatalf("status=%d error=%q reason=%q", v.Status, v.ErrorText(), v.Reason)
	}
}

func TestNonAccessLinesPassThrough(t *testing.T) {
	for _, l := range []string{
		"",
		"agentgateway starting version=1.4.1",
		"2025-11-20T10:41:00Z\twarn\tconfig reload failed: missing secret",
		`{"level":"info","msg":"started","time":"2025-11-20T10:41:00Z"}`,
		"{not json at all",
		"\x00\x01\xff\xfe garbage \x1b[31m",
		"t\tinfo\trequest http.status=\"unterminated",
	} {
		p := &Pipeline{Stats: NewStats()}
		v, ok := p.Process([]byte(l), time.Time{})
		if !ok {
			t.Fatalf("%q dropped", l)
		}
		if strings.HasPrefix(l, "t\tinfo\trequest") {
			if !v.Access {
				t.Fatalf("%q: want access", l)
			}
			continue
		}
		if v.Access {
			t.Fatalf("%q parsed as access line", l)
		}
		if e := v.Entry("", ""); e.Raw != l {
			t.Fatalf("raw = %q, want %q", e.Raw, l)
		}
	}
}

func TestFilters(t *testing.T) {
	lines := []string{line200, line401, lineJSON, "plain startup line",
		strings.Replace(line401, "http.status=401", "http.status=429", 1) + " reason=RateLimit",
		strings.Replace(line200, "route=agentcore/agentcore", "route=other/orders", 1),
		strings.Replace(line200, "http.status=200", "http.status=503", 1)}
	st := func(s ...string) []StatusRange {
		r, err := ParseStatuses(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cases := []struct {
		name string
		f    Filter
		want []int
	}{
		{"none", Filter{}, []int{0, 1, 2, 3, 4, 5, 6}},
		{"status 401", Filter{Statuses: st("401")}, []int{1, 2}},
		{"status 4xx", Filter{Statuses: st("4xx")}, []int{1, 2, 4}},
		{"status list", Filter{Statuses: st("200,5xx")}, []int{0, 5, 6}},
		{"route", Filter{Routes: []string{"other/orders"}}, []int{5}},
		{"route by name", Filter{Routes: []string{"agentcore"}}, []int{0, 1, 2, 4, 6}},
		{"reason", Filter{Reasons: []string{"jwtauth"}}, []int{1}},
		{"reason list + none", Filter{Reasons: []string{"RateLimit", "none"}}, []int{0, 2, 4, 5, 6}},
		{"grep", Filter{Grep: regexp.MustCompile(`startup|aud`)}, []int{2, 3}},
		{"AND across", Filter{Statuses: st("4xx"), Reasons: []string{"JwtAuth", "RateLimit"}, Grep: regexp.MustCompile("429")}, []int{4}},
	}
	for _, c := range cases {
		var got []int
		for i, l := range lines {
			var v View
			Parse([]byte(l), &v)
			if c.f.Match(&v) {
				got = append(got, i)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: matched %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseStatusesErrors(t *testing.T) {
	for _, s := range []string{"abc", "600", "4x", "99", "500-400", "6xx"} {
		if _, err := ParseStatuses([]string{s}); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	r, err := ParseStatuses([]string{"401, 4XX", "500-503"})
	if err != nil || fmt.Sprint(r) != "[{401 401} {400 499} {500 503}]" {
		t.Fatalf("%v %v", r, err)
	}
}

func TestScanReaderEdgeCases(t *testing.T) {
	long := strings.Replace(line401, "jwt.sub=alice", "jwt.sub="+strings.Repeat("x", 64<<10), 1)
	cri := "2025-11-20T10:41:08.5Z stdout F " + line200
	in := line401 + "\n" + long + "\n" + "\xff\xfe\x00binary\n" + "\n" + cri + "\n" + "no final newline"
	p := &Pipeline{Stats: NewStats()}
	var got []Entry
	err := p.ScanReader(strings.NewReader(in), func(v *View) error {
		got = append(got, v.Entry("", ""))
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("got %d entries, want 6: %+v", len(got), got)
	}
	if got[1].Status != 401 || len(got[1].JWTSubject) != 64<<10 {
		t.Fatalf("64 KiB line: status=%d sub=%d bytes", got[1].Status, len(got[1].JWTSubject))
	}
	if got[2].Access || got[2].Raw != "\xff\xfe\x00binary" || got[3].Raw != "" {
		t.Fatalf("binary/empty lines: %+v %+v", got[2], got[3])
	}
	if got[4].Status != 200 || !got[4].Time.Equal(time.Date(2025, 11, 20, 10, 41, 8, 5e8, time.UTC)) {
		t.Fatalf("CRI line: %+v", got[4])
	}
	if got[5].Raw != "no final newline" {
		t.Fatalf("last line: %+v", got[5])
	}
	r := p.Stats.Report()
	if r.Lines != 6 || r.Access != 3 || fmt.Sprint(r.ByClass) != "[{2xx 1} {4xx 2}]" {
		t.Fatalf("stats = %+v", r)
	}
	// empty input
	n := 0
	if err := (&Pipeline{}).ScanReader(bytes.NewReader(nil), func(*View) error { n++; return nil }, nil); err != nil || n != 0 {
		t.Fatalf("empty input: %d entries, %v", n, err)
	}
}

func TestRingKeepsNewest(t *testing.T) {
	r := NewRing[int](3)
	for i := 1; i <= 7; i++ {
		r.Push(i)
	}
	if r.Len() != 3 || *r.At(0) != 5 || *r.At(2) != 7 || r.Dropped() != 4 {
		t.Fatalf("len=%d first=%d last=%d dropped=%d", r.Len(), *r.At(0), *r.At(2), r.Dropped())
	}
}

func TestCauseAndColour(t *testing.T) {
	if c := (Entry{Status: 401, Reason: "JwtAuth"}).Cause(); !strings.Contains(c, "client leg") {
		t.Fatalf("JwtAuth cause = %q", c)
	}
	if c := (Entry{Status: 200}).Cause(); c != "" {
		t.Fatalf("200 cause = %q", c)
	}
	if PodColor("a-1", 6) != PodColor("a-1", 6) || PodColor("x", 0) != 0 {
		t.Fatal("PodColor not stable")
	}
}

// One table of keys (keyNames) serves text and JSON lines: each key reads into the same field in both formats.
func TestTextAndJSONReadTheSameKeys(t *testing.T) {
	for k, name := range keyNames {
		if got := keySlot([]byte(name)); got != k {
			t.Fatalf("keySlot(%q) = %d, want %d", name, got, k)
		}
	}
	if keySlot([]byte("sub")) != -1 || keySlot([]byte("http.statuses")) != -1 {
		t.Fatal("keySlot found a key Parse does not read")
	}
	access := func(v *View) []string {
		return []string{string(v.Gateway), string(v.Listener), string(v.Route), string(v.Endpoint), string(v.SrcAddr),
			string(v.Method), string(v.Host), string(v.Path), string(v.Version), string(v.Protocol), string(v.Error),
			string(v.Reason), string(v.Duration), string(v.JWTSubject), strconv.Itoa(v.Status)}
	}
	for k := kAccess; k < keySlots; k++ {
		var tv, jv View
		Parse([]byte("2025-11-20T10:41:08Z\tinfo\trequest "+keyNames[k]+"=401"), &tv)
		Parse([]byte(`{"scope":"request","`+keyNames[k]+`":"401"}`), &jv)
		if !tv.Access || !jv.JSON {
			t.Fatalf("%s: the lines did not parse as a text and a JSON access line", keyNames[k])
		}
		if a, b := access(&tv), access(&jv); !slices.Equal(a, b) || slices.Equal(a, access(&View{})) {
			t.Fatalf("%s: text reads %q, JSON %q (both must read it, alike)", keyNames[k], a, b)
		}
	}
}
