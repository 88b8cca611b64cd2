package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// The fast path (QuickReject, then Parse with the byte-level JSON scanner) against the reference (no
// prefilter, JSON read with encoding/json): the same fields, the same Entry and the same verdict for every
// filter `logs` supports, on generated mixed lines and under the fuzzer.

// refParse is Parse with encoding/json for JSON lines and no fast path.
func refParse(line []byte, v *View) {
	v.viewFields = viewFields{Line: line}
	if len(line) > 0 && line[0] == '{' {
		if parseJSONStd(line, v) {
			return
		}
		v.viewFields = viewFields{Line: line}
	}
	parseText(line, v)
}

// viewFacts is everything a caller can see of a View.
type viewFacts struct {
	Access, JSON                                bool
	TimeRaw, Level, Message                     string
	Gateway, Listener, Route, Endpoint, SrcAddr string
	Method, Host, Path, Version, Protocol       string
	Reason, Error, Duration, JWTSubject         string
	Status                                      int
	ErrorText                                   string
	Fields                                      []Field
	Entry                                       Entry
}

func facts(v *View) viewFacts {
	e := v.Entry("p", "c")
	return viewFacts{
		Access: v.Access, JSON: v.JSON,
		TimeRaw: string(v.TimeRaw), Level: string(v.Level), Message: string(v.Message),
		Gateway: string(v.Gateway), Listener: string(v.Listener), Route: string(v.Route),
		Endpoint: string(v.Endpoint), SrcAddr: string(v.SrcAddr), Method: string(v.Method), Host: string(v.Host),
		Path: string(v.Path), Version: string(v.Version), Protocol: string(v.Protocol), Reason: string(v.Reason),
		Error: string(v.Error), Duration: string(v.Duration), JWTSubject: string(v.JWTSubject), Status: v.Status,
		ErrorText: v.ErrorText(), Fields: v.Fields(), Entry: e,
	}
}

// diffFilters are the filters compared: every kind `logs` takes (status codes, classes and ranges, reason
// including "none" and other case, route by ns/name and by name, --grep) and combinations.
func diffFilters(t testing.TB) []*Filter {
	st := func(s ...string) []StatusRange {
		r, err := ParseStatuses(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return []*Filter{
		{Statuses: st("401")},
		{Statuses: st("4xx")},
		{Statuses: st("401,403")},
		{Statuses: st("5xx", "200")},
		{Statuses: st("200-299")},
		{Statuses: []StatusRange{{0, 99}}}, // only reachable by a Filter built in code: a line without a status
		{Reasons: []string{"JwtAuth"}},
		{Reasons: []string{"jwtauth", "RATELIMIT"}},
		{Reasons: []string{"none"}},
		{Reasons: []string{"UpstreamFailure"}},
		{Routes: []string{"agentcore/agentcore"}},
		{Routes: []string{"agentcore"}},
		{Routes: []string{"other/route", "b"}},
		{Statuses: st("401"), Reasons: []string{"JwtAuth"}},
		{Reasons: []string{"SK"}},            // its needles are k, K and the Kelvin sign
		{Reasons: []string{"jwtAUTH", "Sk"}}, // two reasons: the needles of both
		{Routes: []string{"a/b/c"}},
		{Statuses: st("4xx"), Routes: []string{"agentcore"}, Reasons: []string{"none", "RateLimit"}},
		{Grep: regexp.MustCompile(`no bearer`)},
		{Statuses: st("401"), Grep: regexp.MustCompile(`alice|bob`)},
	}
}

// checkLine fails t when the fast path and the reference differ on line.
func checkLine(t testing.TB, line []byte, filters []*Filter) {
	t.Helper()
	var fast, ref View
	Parse(line, &fast)
	refParse(line, &ref)
	if a, b := facts(&fast), facts(&ref); !reflect.DeepEqual(a, b) {
		t.Fatalf("line %q:\nfast %+v\nref  %+v", line, a, b)
	}
	for _, f := range filters {
		want := f.Match(&ref)
		got := !f.QuickReject(line) && f.Match(&fast)
		if got != want {
			t.Fatalf("line %q, filter %+v: fast path says %v, reference %v (QuickReject %v)", line, *f, got, want,
				f.QuickReject(line))
		}
	}
}

// mixedLine writes one random access or other line, text or JSON, with the awkward cases: keys in any order,
// the status as a number, a string, an escaped string or something else, escaped quotes and unicode in
// values, repeated and escaped keys, nested values, extra spaces, key=value text inside quoted values, and
// cut-off lines.
func mixedLine(r *rand.Rand) []byte {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	statuses := []string{"200", "401", "403", "429", "503", "404", "0401", "4010", "99"}
	reasons := []string{"JwtAuth", "jwtauth", "RateLimit", "UpstreamFailure", "", "Authorization", "JWTAUTH",
		"\u017f\u212a", "Sk"} // ſ and K (Kelvin sign) fold to s and k
	routes := []string{"agentcore/agentcore", "other/agentcore", "agentcore", "b", "other/route", "a/b/c"}
	if r.IntN(2) == 0 { // text
		var b strings.Builder
		b.WriteString(pick("2025-11-20T10:41:08.123456Z", "", "t", "x y"))
		b.WriteString(pick("\t", " ", "\t\t"))
		b.WriteString(pick("info", "warn", ""))
		b.WriteString(pick("\t", " "))
		b.WriteString(pick("request ", "request", "config: reload ", "request  "))
		n := r.IntN(8)
		for i := 0; i < n; i++ {
			switch r.IntN(12) {
			case 0, 1:
				fmt.Fprintf(&b, "http.status=%s ", pick(statuses...))
			case 2:
				fmt.Fprintf(&b, "http.status=%q ", pick(statuses...))
			case 3:
				fmt.Fprintf(&b, "reason=%s ", pick(reasons...))
			case 4:
				fmt.Fprintf(&b, "route=%s ", pick(routes...))
			case 5:
				fmt.Fprintf(&b, "error=%q ", pick(`say "no"`, "http.status=401 reason=JwtAuth", "route=agentcore", "plain"))
			case 6:
				fmt.Fprintf(&b, "xhttp.status=%s xreason=%s ", pick(statuses...), pick(reasons...))
			case 7:
				fmt.Fprintf(&b, "reason=\"%s\" ", pick("JwtAuth", `Jwt\"Auth`, "Rate Limit"))
			case 8:
				fmt.Fprintf(&b, "route=\"%s\" ", pick(routes...))
			case 9:
				fmt.Fprintf(&b, "jwt.sub=%s duration=%s ", pick("alice", "bob"), pick("0ms", "3s"))
			case 10:
				b.WriteString(pick("bare ", "=x ", "http.status= ", "reason=", `error="unterminated`))
			default:
				fmt.Fprintf(&b, "gateway=ns/gw http.method=%s ", pick("GET", "POST"))
			}
		}
		return []byte(strings.TrimRight(b.String(), pick(" ", "")))
	}
	// JSON
	type kv struct{ k, v string }
	var m []kv
	add := func(k, v string) { m = append(m, kv{k, v}) }
	add("level", pick(`"info"`, `"warn"`))
	add(pick("time", "timestamp", "ts"), pick(`"2025-11-20T10:41:09.5Z"`, `""`, `null`, `"2025-11-20T10:41:09Z"`))
	if r.IntN(4) != 0 {
		add("scope", pick(`"request"`, `"req\u0075est"`, `"config"`, `null`, `1`))
	}
	if r.IntN(3) != 0 {
		s := pick(statuses...)
		add(pick("http.status", "http.status", `http\u002estatus`, "http.Status"),
			pick(s, s, `"`+s+`"`, `"\u0034`+s[1:]+`"`, `"\u0034\u0030\u0031"`, "true", "null", "4.01e2", "-"+s, "["+s+"]", `{"c":`+s+`}`))
	}
	if r.IntN(2) == 0 {
		add("reason", pick(`"JwtAuth"`, `"jwtauth"`, `"RateLimit"`, `""`, `null`, `"Jwt\u0041uth"`, `"JwtAuth\u0000"`,
			`"ſtate"`, `{"x":"JwtAuth"}`, `7`))
	}
	if r.IntN(3) != 0 {
		add(pick("route", "route", `rout\u0065`), pick(`"agentcore/agentcore"`, `"other/agentcore"`, `"b"`,
			`"agentcore\/agentcore"`, `["agentcore"]`, `{"b":1,"a":"agentcore"}`, `null`, `"caf\u00e9/b"`))
	}
	if r.IntN(2) == 0 {
		add("error", pick(`"upstream said \"no\""`, `"http.status=401 reason=JwtAuth"`, `"tab\tand\nnewline"`,
			`"\ud83d\ude00 \ud83d x \udc00"`, "\"bad \xff utf8\"", `"\"http.status\":401"`))
	}
	if r.IntN(2) == 0 {
		add(pick("jwt.sub", "jwt.subject", "jwt_sub", "jwt.claims.sub"), pick(`"alice"`, `"bob"`, `12`))
	}
	if r.IntN(3) == 0 {
		add(pick("message", "msg"), pick(`"started"`, `""`, `null`, `{"nested":{"deep":[1,2,{"x":null}]}}`))
	}
	if r.IntN(4) == 0 {
		add("extra", pick(`[1, 2.5, -3e-2, true, false, null, "s<&>"]`, `{}`, `[]`, `{"a":{"b":{"c":[]}}}`))
	}
	if r.IntN(6) == 0 && len(m) > 0 { // repeat a key: the last one wins
		add(m[r.IntN(len(m))].k, pick(`"again"`, `403`, `null`))
	}
	r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	var b strings.Builder
	b.WriteString("{")
	sp := pick("", " ", "\t", " \r ")
	for i, e := range m {
		if i > 0 {
			b.WriteString("," + sp)
		}
		fmt.Fprintf(&b, `"%s"%s:%s%s`, e.k, sp, sp, e.v)
	}
	b.WriteString(sp + "}")
	s := b.String()
	switch r.IntN(20) {
	case 0: // cut off
		s = s[:r.IntN(len(s))]
	case 1: // trailing bytes after the object (ignored by the decoder)
		s += pick(" garbage", "{", "\tinfo\trequest http.status=401")
	case 2: // not JSON, but a text line starting with '{'
		s = "{x\tinfo\trequest http.status=" + pick(statuses...) + " reason=" + pick(reasons...) + " route=" + pick(routes...)
	case 3: // bad number or literal
		s = strings.Replace(s, "true", "tru", 1)
		s = strings.Replace(s, "2.5", "2.", 1)
	}
	return []byte(s)
}

func TestFastPathMatchesReference(t *testing.T) {
	filters := diffFilters(t)
	r := rand.New(rand.NewPCG(1, 2))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	jsonLines, textLines, invalid := 0, 0, 0
	for i := 0; i < n; i++ {
		line := mixedLine(r)
		checkLine(t, line, filters)
		if len(line) > 0 && line[0] == '{' {
			if json.Valid(line) {
				jsonLines++
			} else {
				invalid++
			}
		} else {
			textLines++
		}
	}
	// the generator must exercise every reading
	if jsonLines < n/4 || textLines < n/4 || invalid < n/100 {
		t.Fatalf("generator skew: %d JSON, %d text, %d invalid JSON", jsonLines, textLines, invalid)
	}
}

func TestFastPathCases(t *testing.T) {
	filters := diffFilters(t)
	for _, l := range []string{
		lineJSON, line401, line200, "", "{", "{}", "{ }", `{"a":1}x`, `{"http.status":401`,
		`{"http.status":401}`, `{"http.status":"401"}`, `{"http\u002estatus":401}`, `{"http.status":null}`,
		`{"scope":"request"}`, `{"scope":"request","http.status":[401]}`, `{"route":{"b":1,"a":2}}`,
		`{"scope":"request","route":{"b":1,"a":2},"http.status":401}`, `{"a":"\"http.status\":401"}`,
		`{"reason":"ſ","scope":"request"}`, `{"reason":"\u017f","scope":"request"}`,
		"{\"error\":\"\xff\xfe\",\"scope\":\"request\"}", `{"error":"\ud800\ud800","scope":"request"}`,
		`{"time":"","timestamp":"2025-11-20T10:41:09Z"}`, `{"message":null,"msg":"m"}`, `{"message":"","msg":"m"}`,
		`{"a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `,"http.status":401}`,
		`{"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
		"t\tinfo\trequest http.status=\"401\" reason=\"JwtAuth\"",
		"t\tinfo\trequest error=\"x http.status=200\" http.status=401",
		"t\tinfo\trequest http.status=200 http.status=401 route=x route=agentcore/agentcore",
		"t\tinfo\trequest xhttp.status=200 http.status=401",
		"{x\tinfo\trequest http.status=401 reason=JwtAuth route=agentcore/agentcore",
		`{"n":-0.5e+10,"m":0,"o":1E3,"p":-0}`, `{"n":01}`, `{"n":1.}`, `{"n":-}`, `{"s":"a\x"}`, `{"s":"\u12"}`,
	} {
		checkLine(t, []byte(l), filters)
	}
}

// FuzzFastPath: any line, the fast path and the reference agree (run with -fuzz=FuzzFastPath).
func FuzzFastPath(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		f.Add(mixedLine(r))
	}
	f.Add([]byte(lineJSON))
	f.Add([]byte(line401))
	filters := diffFilters(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		checkLine(t, line, filters)
	})
}

// FuzzUnquoteJSON: the scanner accepts exactly the strings encoding/json accepts and decodes them the same.
func FuzzUnquoteJSON(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, "\"\xff\"", `"\/\b\f\n\r\t"`,
		`"\x"`, `"\u12G4"`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = append(append([]byte{'"'}, bytes.Trim(b, `"`)...), '"')
		var want string
		errStd := json.Unmarshal(b, &want)
		end, esc, ok := scanJSONString(b, 0)
		if ok = ok && end == len(b); ok != (errStd == nil) {
			t.Fatalf("%q: scanner ok=%v end=%d, encoding/json err=%v", b, ok, end, errStd)
		}
		if !ok {
			return
		}
		got := string(b[1 : end-1])
		if esc {
			got = string(unquoteJSON(b[1 : end-1]))
		}
		if got != want {
			t.Fatalf("%q: got %q, encoding/json %q", b, got, want)
		}
	})
}

// TestScanReaderMatchesReference: ScanReader (line skipping, prefilter, fast parser) emits exactly the lines
// the reference passes, line by line, whatever sizes the reads come in.
func TestScanReaderMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var buf bytes.Buffer
	GenerateMixed(&buf, 3000)
	for i := 0; i < 6000; i++ {
		switch r.IntN(10) {
		case 0: // a CRI node log prefix
			buf.WriteString("2025-11-20T10:41:08.123456789Z stdout F ")
		case 1:
			buf.WriteString("\r") // a CR before the newline of the previous line is trimmed, elsewhere kept
		}
		buf.Write(mixedLine(r))
		buf.WriteByte('\n')
	}
	buf.WriteString(`{"http.status":401,"scope":"request"}`) // no final newline
	data := buf.Bytes()
	st, _ := ParseStatuses([]string{"401,503"})
	filters := append(diffFilters(t), &Filter{Statuses: st}, nil)
	readers := map[string]func() io.Reader{
		"whole":   func() io.Reader { return bytes.NewReader(data) },
		"half":    func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"onebyte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data[:min(len(data), 200000)])) },
	}
	for name, mk := range readers {
		in, _ := io.ReadAll(mk())
		for _, f := range filters {
			var want []string
			var v View
			for _, l := range bytes.Split(in, []byte("\n")) {
				l = bytes.TrimSuffix(l, []byte("\r"))
				content, _, _ := StripCRI(l)
				refParse(content, &v)
				if f.Empty() || f.Match(&v) {
					want = append(want, string(content))
				}
			}
			var got []string
			p := &Pipeline{Filter: f}
			idles := 0
			if err := p.ScanReader(mk(), func(v *View) error { got = append(got, string(v.Line)); return nil },
				func() error { idles++; return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s reader, filter %+v: %d lines, reference %d (first difference %q)", name, f, len(got), len(want),
					firstDiff(got, want))
			}
			if idles == 0 {
				t.Fatalf("%s reader: idle never called", name)
			}
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " | " + b[i]
		}
	}
	return "(one is a prefix of the other)"
}
