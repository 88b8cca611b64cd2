package logs

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	pl "github.com/kubectl-agentcore/kubectl-agentcore/plugin/logs"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/tuitest"
)

func entry(pod, line string) pl.Entry {
	var v pl.View
	pl.Parse([]byte(line), &v)
	return v.Entry(pod, "agentgateway")
}

const (
	t200 = "2025-11-20T10:41:07Z\tinfo\trequest route=agentcore/agentcore http.method=POST http.path=/invocations http.status=200 duration=437ms"
	t401 = "2025-11-20T10:41:08Z\tinfo\trequest route=agentcore/agentcore http.method=POST http.path=/invocations http.status=401 " +
		"error=\"authentication failure: no bearer token found\" reason=JwtAuth duration=0ms jwt.sub=alice"
	t401up = "2025-11-20T10:41:09Z\tinfo\trequest route=agentcore/agentcore http.method=POST http.path=/invocations http.status=401 " +
		"error=\"Claim 'aud' value mismatch\" duration=112ms"
	t429 = "2025-11-20T10:41:10Z\tinfo\trequest route=agentcore/agentcore http.method=POST http.path=/invocations http.status=429 reason=RateLimit duration=0ms"
	t503 = "2025-11-20T10:41:11Z\tinfo\trequest route=agentcore/agentcore http.method=POST http.path=/invocations http.status=503 reason=UpstreamFailure duration=3s"
)

func keyPress(s string) tea.KeyPressMsg {
	switch s {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func TestLogsScreen(t *testing.T) {
	entries := make(chan pl.Entry, 16)
	events := make(chan pl.Event, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := pl.Batcher(ctx, entries, events, nil, 100, 10*time.Millisecond)
	m := New(Config{Gateway: "agentgateway-system/gw", Theme: style.New(false, false), Buffer: 100, Batches: batches, Following: true, Doctor: true})
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(120, 16))

	events <- pl.Event{Pods: []string{"gw-7c9d-x", "gw-5f2a-q"}}
	for _, e := range []pl.Entry{entry("gw-7c9d-x", "agentgateway 1.4.1 starting"), entry("gw-7c9d-x", t200),
		entry("gw-5f2a-q", t401), entry("gw-5f2a-q", t401up), entry("gw-7c9d-x", t429), entry("gw-7c9d-x", t503)} {
		entries <- e
	}
	tuitest.Wait(t, tm, "the 503 and its count", func(s string) bool {
		return strings.Contains(s, "UpstreamFailure") && strings.Contains(s, "5xx 1")
	})

	tm.Send(keyPress("space")) // pause: the newest row is selected
	tm.Send(keyPress("up"))    // 429
	tm.Send(keyPress("up"))    // the upstream 401
	tm.Send(keyPress("enter")) // details
	tuitest.Wait(t, tm, "the details of the upstream 401", func(s string) bool {
		return strings.Contains(s, "likely cause") && strings.Contains(s, "upstream leg")
	})
	tm.Send(keyPress("esc"))
	tm.Send(keyPress("/"))
	tm.Type("4xx")
	tm.Send(keyPress("enter"))
	tm.Send(keyPress("space")) // resume following
	entries <- entry("gw-5f2a-q", strings.Replace(t401, "10:41:08Z", "10:41:12Z", 1))
	tuitest.Wait(t, tm, "the 401 of 10:41:12", func(s string) bool { return strings.Contains(s, "10:41:12") })
	tm.Send(keyPress("d"))
	final := tuitest.Final(t, tm).(Model)
	if !final.OpenDoctor {
		t.Fatal("d must quit and ask for the doctor")
	}
	out := final.Render()
	for _, want := range []string{"Logs · agentgateway-system/gw (2 pods) · following", "2xx 1  4xx 4  5xx 1", "/ 4xx",
		"7c9d-x", "5f2a-q", "JwtAuth", "Claim 'aud' value mismatch", "space pause"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"200    POST", "503", "starting"} { // filtered out by the live filter
		if strings.Contains(out, not) {
			t.Errorf("live filter 4xx still shows %q:\n%s", not, out)
		}
	}
	if n := strings.Count(out, "\n") + 1; n != 16 {
		t.Errorf("screen is %d lines, want the terminal's 16:\n%s", n, out)
	}
}

func TestDetailNamesClientLeg(t *testing.T) {
	m := New(Config{Gateway: "ns/gw", Theme: style.New(false, false), Doctor: true})
	m.width, m.height = 120, 30
	m.apply(pl.Batch{Entries: []pl.Entry{entry("gw-a", t200), entry("gw-a", t401)}})
	mm, _ := m.Update(keyPress("enter"))
	out := mm.(Model).Render()
	for _, want := range []string{"likely cause", "client leg", "JwtAuth", "jwt.sub", "alice", "http.status", "d doctor"} {
		if !strings.Contains(out, want) {
			t.Errorf("detail lacks %q:\n%s", want, out)
		}
	}
}

// TestRingBoundsMemory: the screen keeps at most its buffer of a batch, counting what it let go.
func TestRingBoundsMemory(t *testing.T) {
	m := New(Config{Buffer: 20, Theme: style.New(false, false)})
	b := pl.Batch{Dropped: 950}
	for range 50 {
		b.Entries = append(b.Entries, entry("p", t401))
	}
	m.apply(b)
	if m.ring.Len() != 20 || m.ring.Dropped() != 30 || m.dropped != 950 {
		t.Fatalf("ring len %d dropped %d, batcher dropped %d", m.ring.Len(), m.ring.Dropped(), m.dropped)
	}
}

// BenchmarkScreen10kLinesPerSecond feeds the screen 10 000 lines/s as pl.Batcher would (20 batches of 500 a
// second, one frame each) for b.N simulated seconds and reports the heap after it and the time to answer a
// key press (update + frame) with a full buffer.
func BenchmarkScreen10kLinesPerSecond(b *testing.B) {
	lines := []pl.Entry{entry("gw-7c9d-x", t200), entry("gw-5f2a-q", t401), entry("gw-7c9d-x", t429), entry("gw-5f2a-q", t401up)}
	m := New(Config{Gateway: "ns/gw", Theme: style.New(true, false), Buffer: pl.DefaultBuffer})
	m.width, m.height = 160, 50
	batch := make([]pl.Entry, 500)
	heap := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapInuse) / (1 << 20)
	}
	var first float64
	var keyTime time.Duration
	keys := 0
	b.ResetTimer()
	for sec := 0; sec < b.N; sec++ {
		for f := 0; f < 20; f++ {
			for i := range batch {
				batch[i] = lines[(i+f)%len(lines)]
			}
			mm, _ := m.Update(batchMsg{b: pl.Batch{Entries: append([]pl.Entry(nil), batch...)}, ok: true})
			m = mm.(Model)
			_ = m.View()
		}
		start := time.Now()
		mm, _ := m.Update(keyPress("space"))
		m = mm.(Model)
		_ = m.View()
		keyTime += time.Since(start)
		keys++
		if sec == 0 {
			b.StopTimer()
			first = heap()
			b.StartTimer()
		}
	}
	b.StopTimer()
	last := heap()
	b.ReportMetric(first, "heap-MiB-after-1s")
	b.ReportMetric(last, "heap-MiB-at-end")
	b.ReportMetric(float64(keyTime.Microseconds())/float64(keys), "µs/keypress")
	if m.ring.Len() > pl.DefaultBuffer {
		b.Fatalf("ring grew to %d", m.ring.Len())
	}
	_ = fmt.Sprint()
}

// rows show local time; pin it so the expected "10:41:12" holds in any time zone
func init() { time.Local = time.UTC }
