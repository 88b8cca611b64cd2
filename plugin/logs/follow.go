package logs

import (
	"container/heap"
	"context"
	"sort"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Line is one raw line from a pod's container (owned by the receiver).
type Line struct {
	Pod, Container string
	Time           time.Time
	Data           []byte
}

// Event is what a follower reports besides lines: the set of followed pods changed, or a notice (a stream
// broke and is being resumed, a pod's log could not be read).
type Event struct {
	Pods   []string // the pods followed now (sorted), when the set changed
	Notice string
}

// Follower streams the logs of every proxy pod of a Gateway, like stern: every container of every pod at once,
// pods that appear later are followed from their first line, pods that go away stop being followed. The pod
// watch is client-go's reflector, which re-lists and re-watches after API timeouts and expired resource
// versions.
type Follower struct {
	Kube      kubernetes.Interface
	Namespace string
	Gateway   string
	Follow    bool
	// Since limits the pods present at start to newer lines (0 = no limit); Tail to their last Tail lines
	// (negative = all). Pods that appear later are read from their first line.
	Since time.Duration
	Tail  int64
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Retry is the reconnect delay for broken streams (default 500ms).
	Retry time.Duration
}

// Run sends lines to lines and events to events (either may be read slowly: sends block, so a slow reader
// slows the streams down rather than growing memory) until ctx ends, or — without Follow — until every
// container's log was read; lines then come merged in time order across pods. It closes neither channel.
func (f *Follower) Run(ctx context.Context, lines chan<- Line, events chan<- Event) error {
	if f.Now == nil {
		f.Now = time.Now
	}
	if !f.Follow {
		return f.once(ctx, lines, events)
	}
	return f.follow(ctx, lines, events)
}

func (f *Follower) streamOpts(container string, initial bool) k8sres.LogStreamOptions {
	o := k8sres.LogStreamOptions{Container: container, Follow: f.Follow, Tail: -1, Retry: f.Retry}
	if initial {
		if f.Since > 0 {
			o.Since = f.Now().Add(-f.Since)
		}
		o.Tail = f.Tail
	}
	return o
}

func send[T any](ctx context.Context, ch chan<- T, v T) bool {
	if ch == nil {
		return true
	}
	select {
	case ch <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// follow: an informer on the gateway's pods; one goroutine per container, cancelled when its pod is deleted.
func (f *Follower) follow(ctx context.Context, lines chan<- Line, events chan<- Event) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sel := k8sres.ProxyPodSelector(f.Gateway)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = sel
			return f.Kube.CoreV1().Pods(f.Namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = sel
			return f.Kube.CoreV1().Pods(f.Namespace).Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{})

	var (
		mu      sync.Mutex
		running = map[string]context.CancelFunc{} // by pod UID
		names   = map[string]string{}             // UID → name
		wg      sync.WaitGroup
		synced  bool
	)
	// snapshot is called with mu held; the handler sends it after unlocking (handler calls are serialised, so
	// pod-set events arrive in order).
	snapshot := func() []string {
		ps := []string{}
		for _, n := range names {
			ps = append(ps, n)
		}
		sort.Strings(ps)
		return ps
	}
	start := func(p *corev1.Pod) {
		mu.Lock()
		uid := string(p.UID)
		if _, ok := running[uid]; ok || p.DeletionTimestamp != nil || p.Spec.NodeName == "" {
			mu.Unlock()
			return
		}
		pctx, pcancel := context.WithCancel(ctx)
		running[uid], names[uid] = pcancel, p.Name
		initial := !synced
		for _, c := range p.Spec.Containers {
			wg.Add(1)
			go func(pod, container string) {
				defer wg.Done()
				o := f.streamOpts(container, initial)
				o.OnReconnect = func(err error) {
					send(pctx, events, Event{Notice: "resuming " + pod + "/" + container + ": " + err.Error()})
				}
				err := k8sres.StreamContainerLogs(pctx, f.Kube, f.Namespace, pod, o, func(l k8sres.LogLine) error {
					if !send(pctx, lines, Line{Pod: pod, Container: container, Time: l.Time, Data: append([]byte(nil), l.Data...)}) {
						return pctx.Err()
					}
					return nil
				})
				if err != nil && pctx.Err() == nil {
					send(pctx, events, Event{Notice: err.Error()})
				}
			}(p.Name, c.Name)
		}
		ps := snapshot()
		mu.Unlock()
		send(ctx, events, Event{Pods: ps})
	}
	stop := func(obj any) {
		var uid string
		switch x := obj.(type) {
		case *corev1.Pod:
			uid = string(x.UID)
		case cache.DeletedFinalStateUnknown:
			if p, ok := x.Obj.(*corev1.Pod); ok {
				uid = string(p.UID)
			}
		}
		mu.Lock()
		c, ok := running[uid]
		if !ok {
			mu.Unlock()
			return
		}
		c()
		delete(running, uid)
		delete(names, uid)
		ps := snapshot()
		mu.Unlock()
		send(ctx, events, Event{Pods: ps})
	}
	reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				start(p)
			}
		},
		UpdateFunc: func(_, obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				if p.DeletionTimestamp != nil {
					stop(p)
				} else {
					start(p)
				}
			}
		},
		DeleteFunc: stop,
	})
	if err != nil {
		return err
	}
	go inf.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		wg.Wait()
		return ctx.Err()
	}
	mu.Lock()
	synced = true
	empty := len(running) == 0
	mu.Unlock()
	if empty {
		send(ctx, events, Event{Pods: []string{}})
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// once reads every container's log to its end and merges the lines in time order.
func (f *Follower) once(ctx context.Context, lines chan<- Line, events chan<- Event) error {
	pods, err := k8sres.ListProxyPods(ctx, f.Kube, f.Namespace, f.Gateway)
	if err != nil {
		return err
	}
	ps := []string{}
	type src struct {
		pod, container string
		ch             chan Line
	}
	var srcs []*src
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		ps = append(ps, p.Name)
		for _, c := range p.Spec.Containers {
			srcs = append(srcs, &src{pod: p.Name, container: c.Name, ch: make(chan Line, 256)})
		}
	}
	send(ctx, events, Event{Pods: ps})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, s := range srcs {
		go func() {
			defer close(s.ch)
			err := k8sres.StreamContainerLogs(ctx, f.Kube, f.Namespace, s.pod, f.streamOpts(s.container, true), func(l k8sres.LogLine) error {
				if !send(ctx, s.ch, Line{Pod: s.pod, Container: s.container, Time: l.Time, Data: append([]byte(nil), l.Data...)}) {
					return ctx.Err()
				}
				return nil
			})
			if err != nil && ctx.Err() == nil {
				send(ctx, events, Event{Notice: err.Error()})
			}
		}()
	}
	// k-way merge: hold one line per source, always emit the oldest.
	h := &lineHeap{}
	for i, s := range srcs {
		if l, ok := <-s.ch; ok {
			heap.Push(h, headLine{l, i})
		}
	}
	for h.Len() > 0 {
		top := heap.Pop(h).(headLine)
		if !send(ctx, lines, top.Line) {
			return ctx.Err()
		}
		if l, ok := <-srcs[top.src].ch; ok {
			heap.Push(h, headLine{l, top.src})
		}
	}
	return ctx.Err()
}

type headLine struct {
	Line
	src int
}

type lineHeap []headLine

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	if h[i].Time.Equal(h[j].Time) {
		return h[i].src < h[j].src
	}
	return h[i].Time.Before(h[j].Time)
}
func (h lineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)   { *h = append(*h, x.(headLine)) }
func (h *lineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
