package logs

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// GenerateText writes n agentgateway text access lines: 1 in 10 a 401 (JwtAuth), 1 in 50 a 429, 1 in 100 a 503,
// the rest 200, plus a non-access line every 1000 lines. bench/logs.sh writes the same shape with awk.
func GenerateText(w io.Writer, n int) {
	for i := 0; i < n; i++ {
		status, extra := 200, "duration=437ms"
		switch {
		case i%1000 == 999:
			fmt.Fprintf(w, "2025-11-20T10:41:%02d.%06dZ\twarn\tconfig: watching secret agentcore/agentcore-jwt\n", i%60, i%1000000)
			continue
		case i%10 == 3:
			status, extra = 401, `error="authentication failure: no bearer token found" reason=JwtAuth duration=0ms`
		case i%50 == 7:
			status, extra = 429, "reason=RateLimit duration=0ms"
		case i%100 == 11:
			status, extra = 503, `error="upstream connect error" reason=UpstreamFailure duration=3012ms`
		}
		fmt.Fprintf(w, "2025-11-20T10:41:%02d.%06dZ\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http "+
			"route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=10.0.%d.%d:51234 "+
			"http.method=POST http.host=gw.example.com http.path=/invocations http.version=HTTP/1.1 http.status=%d "+
			"protocol=http %s\n", i%60, i%1000000, i%256, i%200, status, extra)
	}
}

// BenchmarkParseFilter measures parse + filter (--status 401) + stats over generated text lines; lines/s is
// reported as a metric.
func BenchmarkParseFilter(b *testing.B) {
	var buf bytes.Buffer
	GenerateText(&buf, 100000)
	data := buf.Bytes()
	st, _ := ParseStatuses([]string{"401"})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	lines := 0
	for i := 0; i < b.N; i++ {
		p := &Pipeline{Filter: &Filter{Statuses: st}, Stats: NewStats()}
		matched := 0
		_ = p.ScanReader(bytes.NewReader(data), func(*View) error { matched++; return nil }, nil)
		if matched != 10000 {
			b.Fatalf("matched %d, want 10000", matched)
		}
		lines += 100000
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
