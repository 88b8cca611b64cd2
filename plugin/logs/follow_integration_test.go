package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// collector gathers a follower's lines and events.
type collector struct {
	mu     sync.Mutex
	lines  []Line
	pods   [][]string
	notice []string
	change chan struct{}
}

func collect(ctx context.Context, f *Follower) (*collector, chan error) {
	c := &collector{change: make(chan struct{}, 1)}
	lines := make(chan Line, 64)
	events := make(chan Event, 16)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, lines, events); close(lines) }()
	go func() {
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return
				}
				c.mu.Lock()
				c.lines = append(c.lines, l)
				c.mu.Unlock()
			case ev := <-events:
				c.mu.Lock()
				if ev.Pods != nil {
					c.pods = append(c.pods, ev.Pods)
				}
				if ev.Notice != "" {
					c.notice = append(c.notice, ev.Notice)
				}
				c.mu.Unlock()
			}
			select {
			case c.change <- struct{}{}:
			default:
			}
		}
	}()
	return c, done
}

// waitFor polls cond on every change (and every 100ms) for up to 60s.
func (c *collector) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.change:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("timed out waiting for %s; lines=%v pods=%v notices=%v", what, c.texts(""), c.pods, c.notice)
		}
	}
}

// texts are the lines' data (of pod, or all when pod is ""), mu held.
func (c *collector) texts(pod string) []string {
	var out []string
	for _, l := range c.lines {
		if pod == "" || l.Pod == pod {
			out = append(out, string(l.Data))
		}
	}
	return out
}

func (c *collector) lastPods() []string {
	if len(c.pods) == 0 {
		return nil
	}
	return c.pods[len(c.pods)-1]
}

func TestFollowerPodsAppearAndGo(t *testing.T) {
	k := clustertest.SharedWithKwok(t)
	ns := k.Namespace(t, "follow")
	p1 := k.GatewayProxyPod(t, ns, "gw", "gw-proxy-a")
	p2 := k.GatewayProxyPod(t, ns, "gw", "gw-proxy-b")
	other := k.GatewayProxyPod(t, ns, "other-gw", "other-gw-proxy") // another Gateway's pod: never followed
	p1.Append(t, "a1")
	p2.Append(t, "b1")
	other.Append(t, "not mine")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, done := collect(ctx, &Follower{Kube: k.Kube(), Namespace: ns, Gateway: "gw", Follow: true, Tail: -1, Retry: 100 * time.Millisecond})
	c.waitFor(t, "both pods' first lines", func() bool {
		return slices.Equal(c.texts("gw-proxy-a"), []string{"a1"}) && slices.Equal(c.texts("gw-proxy-b"), []string{"b1"})
	})
	c.waitFor(t, "pods a and b followed", func() bool { return slices.Equal(c.lastPods(), []string{"gw-proxy-a", "gw-proxy-b"}) })

	p1.Append(t, "a2", "a3")
	c.waitFor(t, "lines appended while following", func() bool {
		return slices.Equal(c.texts("gw-proxy-a"), []string{"a1", "a2", "a3"})
	})

	// a third pod appears mid-stream: followed from its first line
	p3 := k.CreateLogPod(t, clustertest.LogPodOptions{Namespace: ns, Name: "gw-proxy-c",
		Labels: map[string]string{testcluster.GatewayNameLabel: "gw"}, Containers: []string{"agentgateway", "sidecar"}})
	p3.AppendAt(t, "agentgateway", time.Now(), "c1")
	p3.AppendAt(t, "sidecar", time.Now(), "side1")
	c.waitFor(t, "the new pod's lines from both containers", func() bool {
		return slices.Equal(c.texts("gw-proxy-c"), []string{"c1", "side1"}) || slices.Equal(c.texts("gw-proxy-c"), []string{"side1", "c1"})
	})
	c.waitFor(t, "pod c followed", func() bool {
		return slices.Equal(c.lastPods(), []string{"gw-proxy-a", "gw-proxy-b", "gw-proxy-c"})
	})

	// a pod deleted mid-stream stops being followed (the watch says so; its stream would go on otherwise)
	k.DeletePod(t, p2)
	c.waitFor(t, "pod b dropped", func() bool { return slices.Equal(c.lastPods(), []string{"gw-proxy-a", "gw-proxy-c"}) })
	p2.Append(t, "b-after-delete")
	p1.Append(t, "a-marker")
	c.waitFor(t, "marker", func() bool { return slices.Contains(c.texts("gw-proxy-a"), "a-marker") })
	// give a (wrongly) still-running stream of b the same time again as the marker took
	time.Sleep(300 * time.Millisecond)
	c.mu.Lock()
	if got := c.texts("gw-proxy-b"); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("deleted pod still followed: %v", got)
	}
	if got := c.texts("other-gw-proxy"); len(got) != 0 {
		t.Errorf("another Gateway's pod followed: %v", got)
	}
	c.mu.Unlock()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// cutTransport breaks the first `cuts` log streams after `after` lines, like an API timeout mid-stream.
type cutTransport struct {
	rt    http.RoundTripper
	cuts  atomic.Int32
	after int
}

func (c *cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/log") && c.cuts.Add(-1) >= 0 {
		resp.Body = &cutBody{r: bufio.NewReader(resp.Body), c: resp.Body, left: c.after}
	}
	return resp, err
}

type cutBody struct {
	r    *bufio.Reader
	c    io.Closer
	left int
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errors.New("connection reset by test")
	}
	line, err := b.r.ReadSlice('\n')
	n := copy(p, line)
	if n == len(line) && err == nil {
		b.left--
	}
	return n, err
}

func (b *cutBody) Close() error { return b.c.Close() }

func TestFollowerResumesWithoutDuplicates(t *testing.T) {
	k := clustertest.SharedWithKwok(t)
	ns := k.Namespace(t, "resume")
	p := k.GatewayProxyPod(t, ns, "gw", "gw-proxy-r")
	// lines 1-4 share one timestamp, so resuming must count, not only compare times
	same := time.Now().Add(-2 * time.Second).Truncate(time.Second).Add(500 * time.Millisecond)
	for i := 1; i <= 4; i++ {
		p.AppendAt(t, "", same, fmt.Sprintf("line-%d", i))
	}
	p.AppendAt(t, "", same.Add(time.Millisecond), "line-5", "line-6")

	cfg := rest.CopyConfig(k.Config)
	ct := &cutTransport{after: 2}
	ct.cuts.Store(2) // the first stream breaks after 2 lines, the first resume after 2 more
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { ct.rt = rt; return ct })
	kube := kubernetes.NewForConfigOrDie(cfg)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := collect(ctx, &Follower{Kube: kube, Namespace: ns, Gateway: "gw", Follow: true, Tail: -1, Retry: 50 * time.Millisecond})
	want := []string{"line-1", "line-2", "line-3", "line-4", "line-5", "line-6"}
	c.waitFor(t, "all six lines", func() bool { return len(c.texts("")) >= 6 })
	p.Append(t, "line-7")
	want = append(want, "line-7")
	c.waitFor(t, "line 7", func() bool { return slices.Contains(c.texts(""), "line-7") })
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.texts(""); !slices.Equal(got, want) {
		t.Fatalf("lines after two broken streams = %v, want %v (no duplicates, none lost)", got, want)
	}
	resumes := 0
	for _, n := range c.notice {
		if strings.Contains(n, "resuming gw-proxy-r/agentgateway") {
			resumes++
		}
	}
	if resumes < 2 {
		t.Fatalf("want 2 resumes reported, got notices %v", c.notice)
	}
}

func TestFollowerReadOnceMergesSinceTail(t *testing.T) {
	k := clustertest.SharedWithKwok(t)
	ns := k.Namespace(t, "once")
	a := k.GatewayProxyPod(t, ns, "gw", "gw-proxy-1")
	b := k.GatewayProxyPod(t, ns, "gw", "gw-proxy-2")
	now := time.Now()
	old := now.Add(-2 * time.Hour)
	a.AppendAt(t, "", old, "a-old")
	b.AppendAt(t, "", old.Add(time.Second), "b-old")
	a.AppendAt(t, "", now.Add(-3*time.Second), "a-new-1")
	b.AppendAt(t, "", now.Add(-2*time.Second), "b-new-1")
	a.AppendAt(t, "", now.Add(-1*time.Second), "a-new-2")

	read := func(f *Follower) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		f.Kube, f.Namespace, f.Gateway = k.Kube(), ns, "gw"
		lines := make(chan Line, 100)
		if err := f.Run(ctx, lines, nil); err != nil {
			t.Fatal(err)
		}
		close(lines)
		var out []string
		for l := range lines {
			out = append(out, string(l.Data))
		}
		return out
	}
	if got, want := read(&Follower{Tail: -1}), []string{"a-old", "b-old", "a-new-1", "b-new-1", "a-new-2"}; !slices.Equal(got, want) {
		t.Fatalf("all, merged by time = %v, want %v", got, want)
	}
	if got, want := read(&Follower{Tail: -1, Since: 10 * time.Minute}), []string{"a-new-1", "b-new-1", "a-new-2"}; !slices.Equal(got, want) {
		t.Fatalf("--since 10m = %v, want %v", got, want)
	}
	if got, want := read(&Follower{Tail: 1}), []string{"b-new-1", "a-new-2"}; !slices.Equal(got, want) {
		t.Fatalf("--tail 1 = %v, want %v", got, want)
	}
}

// watchCutTransport ends every pod watch after d, the way API timeouts end watches.
type watchCutTransport struct {
	rt      http.RoundTripper
	d       time.Duration
	watches atomic.Int32
}

func (w *watchCutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.rt.RoundTrip(r)
	if err == nil && r.URL.Query().Get("watch") == "true" {
		w.watches.Add(1)
		body := resp.Body
		time.AfterFunc(w.d, func() { body.Close() })
	}
	return resp, err
}

func TestFollowerWatchSurvivesTimeouts(t *testing.T) {
	k := clustertest.SharedWithKwok(t)
	ns := k.Namespace(t, "watchcut")
	a := k.GatewayProxyPod(t, ns, "gw", "gw-w1")
	a.Append(t, "w1")
	cfg := rest.CopyConfig(k.Config)
	wt := &watchCutTransport{d: 300 * time.Millisecond}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { wt.rt = rt; return wt })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := collect(ctx, &Follower{Kube: kubernetes.NewForConfigOrDie(cfg), Namespace: ns, Gateway: "gw", Follow: true, Tail: -1, Retry: 100 * time.Millisecond})
	c.waitFor(t, "w1", func() bool { return slices.Equal(c.texts(""), []string{"w1"}) })
	deadline := time.Now().Add(60 * time.Second)
	for wt.watches.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := wt.watches.Load(); n < 3 {
		t.Fatalf("only %d watches: the broken watch was not re-established", n)
	}
	b := k.GatewayProxyPod(t, ns, "gw", "gw-w2")
	b.Append(t, "w2")
	c.waitFor(t, "the pod created after watches broke", func() bool { return slices.Contains(c.texts("gw-w2"), "w2") })
	k.DeletePod(t, a)
	c.waitFor(t, "the deleted pod dropped", func() bool { return slices.Equal(c.lastPods(), []string{"gw-w2"}) })
}
