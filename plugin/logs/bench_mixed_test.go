package logs

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// GenerateMixed writes n agentgateway access lines, text and JSON (logging.format json) mixed as in a log
// whose proxies changed format: line i is JSON when i%7 is 1 or 4 (2 in 7), text otherwise. Statuses as in
// GenerateText (1 in 10 a 401 JwtAuth, 1 in 50 a 429, 1 in 100 a 503 whose error has escaped quotes in
// JSON, the rest 200); every 1000th line is not an access line. bench/logs.sh writes the same shape with awk.
func GenerateMixed(w io.Writer, n int) {
	for i := 0; i < n; i++ {
		ts := fmt.Sprintf("2025-11-20T10:41:%02d.%06dZ", i%60, i%1000000)
		isJSON := i%7 == 1 || i%7 == 4
		if i%1000 == 999 {
			if isJSON {
				fmt.Fprintf(w, `{"level":"warn","time":"%s","scope":"config","message":"watching secret agentcore/agentcore-jwt"}`+"\n", ts)
			} else {
				fmt.Fprintf(w, "%s\twarn\tconfig: watching secret agentcore/agentcore-jwt\n", ts)
			}
			continue
		}
		status, text, js := 200, "duration=437ms", `"duration":"437ms"`
		switch {
		case i%10 == 3:
			status = 401
			text = `error="authentication failure: no bearer token found" reason=JwtAuth duration=0ms`
			js = `"error":"authentication failure: no bearer token found","reason":"JwtAuth","duration":"0ms"`
		case i%50 == 7:
			status, text, js = 429, "reason=RateLimit duration=0ms", `"reason":"RateLimit","duration":"0ms"`
		case i%100 == 11:
			status = 503
			text = `error="upstream connect error: \"connection refused\"" reason=UpstreamFailure duration=3012ms`
			js = `"error":"upstream connect error: \"connection refused\"","reason":"UpstreamFailure","duration":"3012ms"`
		}
		if isJSON {
			fmt.Fprintf(w, `{"level":"info","time":"%s","scope":"request","gateway":"agentgateway-system/agentgateway-proxy",`+
				`"listener":"http","route":"agentcore/agentcore","endpoint":"bedrock-agentcore.us-east-1.amazonaws.com:443",`+
				`"src.addr":"10.0.%d.%d:51234","http.method":"POST","http.host":"gw.example.com","http.path":"/invocations",`+
				`"http.version":"HTTP/1.1","http.status":%d,"protocol":"http",%s}`+"\n", ts, i%256, i%200, status, js)
			continue
		}
		fmt.Fprintf(w, "%s\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http "+
			"route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=10.0.%d.%d:51234 "+
			"http.method=POST http.host=gw.example.com http.path=/invocations http.version=HTTP/1.1 http.status=%d "+
			"protocol=http %s\n", ts, i%256, i%200, status, text)
	}
}

// splitFormats returns the JSON lines and the text lines of data.
func splitFormats(data []byte) (js, text []byte) {
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if len(l) > 0 && l[0] == '{' {
			js = append(js, l...)
		} else {
			text = append(text, l...)
		}
	}
	return js, text
}

// BenchmarkScanMixed measures the `logs --file` pipeline (read, prefilter, parse, filter) on text, JSON and
// mixed input for the filters bench/logs.sh times; lines/s is reported as a metric. The reference count of
// every filter is checked against an independent count of the generated lines.
func BenchmarkScanMixed(b *testing.B) {
	const n = 100000
	var buf bytes.Buffer
	GenerateMixed(&buf, n)
	mixed := buf.Bytes()
	js, text := splitFormats(mixed)
	st401, _ := ParseStatuses([]string{"401"})
	st4xx, _ := ParseStatuses([]string{"4xx"})
	filters := []struct {
		name string
		f    *Filter
	}{
		{"status=401", &Filter{Statuses: st401}},
		{"status=4xx,reason=JwtAuth", &Filter{Statuses: st4xx, Reasons: []string{"JwtAuth"}}},
		{"route=agentcore", &Filter{Routes: []string{"agentcore"}}},
		{"none", nil},
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"text", text}, {"json", js}, {"mixed", mixed}} {
		lines := bytes.Count(in.data, []byte("\n"))
		for _, fl := range filters {
			want := referenceCount(in.data, fl.f)
			b.Run(in.name+"/"+fl.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.data)))
				b.ReportAllocs()
				for b.Loop() {
					p := &Pipeline{Filter: fl.f}
					got := 0
					_ = p.ScanReader(bytes.NewReader(in.data), func(*View) error { got++; return nil }, nil)
					if got != want {
						b.Fatalf("matched %d, reference %d", got, want)
					}
				}
				b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			})
		}
	}
}

// referenceCount counts the lines of data that pass f with encoding/json and no prefilter.
func referenceCount(data []byte, f *Filter) int {
	c := 0
	var v View
	for _, l := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		refParse(l, &v)
		if f.Empty() || f.Match(&v) {
			c++
		}
	}
	return c
}

func TestGenerateMixedCounts(t *testing.T) {
	var buf bytes.Buffer
	GenerateMixed(&buf, 7000)
	js, text := splitFormats(buf.Bytes())
	st, _ := ParseStatuses([]string{"401"})
	// independent counts: 401 lines are i%10==3 except every 1000th line; 2 in 7 of them are JSON
	want401JSON, want401Text := 0, 0
	for i := 0; i < 7000; i++ {
		if i%10 == 3 && i%1000 != 999 {
			if i%7 == 1 || i%7 == 4 {
				want401JSON++
			} else {
				want401Text++
			}
		}
	}
	if got := referenceCount(js, &Filter{Statuses: st}); got != want401JSON {
		t.Fatalf("JSON 401 lines: %d, want %d", got, want401JSON)
	}
	if got := referenceCount(text, &Filter{Statuses: st}); got != want401Text {
		t.Fatalf("text 401 lines: %d, want %d", got, want401Text)
	}
	if got := bytes.Count(js, []byte(`"http.status":401,`)); got != want401JSON {
		t.Fatalf("grep-like JSON count %d, want %d", got, want401JSON)
	}
}
