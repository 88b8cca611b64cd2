package k8sres

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Labels Agent Gateway puts on a Gateway's proxy pods (docs/facts.md#agent-gateway-resources).
const (
	LabelGatewayName = "gateway.networking.k8s.io/gateway-name"
	LabelAppName     = "app.kubernetes.io/name"
)

// ProxyPodSelector selects the proxy pods of the Gateway named gateway (in the Gateway's namespace).
func ProxyPodSelector(gateway string) string { return LabelGatewayName + "=" + gateway }

// ListProxyPods lists the proxy pods of namespace/gateway, sorted by name.
func ListProxyPods(ctx context.Context, kube kubernetes.Interface, namespace, gateway string) ([]corev1.Pod, error) {
	list, err := kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: ProxyPodSelector(gateway)})
	if err != nil {
		return nil, Explain("listing the proxy pods of Gateway "+Ref(namespace, gateway), err)
	}
	pods := list.Items
	for i := 1; i < len(pods); i++ {
		for j := i; j > 0 && pods[j].Name < pods[j-1].Name; j-- {
			pods[j], pods[j-1] = pods[j-1], pods[j]
		}
	}
	return pods, nil
}

// LogStreamOptions say which part of one container's log to stream.
type LogStreamOptions struct {
	Container string
	Follow    bool
	// Since limits the first request to lines newer than this (zero = no limit).
	Since time.Time
	// Tail is how many lines to start with (negative = all).
	Tail int64
	// LimitBytes stops the stream after about this many bytes (0 = no limit).
	LimitBytes int64
	// MaxLine is the longest line kept whole (default 1 MiB); longer lines are cut there.
	MaxLine int
	// Retry is how long to wait before reconnecting a followed stream (default 500ms, doubling to 5s).
	Retry time.Duration
	// OnReconnect is told about each broken stream before it is resumed (may be nil).
	OnReconnect func(err error)
}

// LogLine is one line of a container's log with the kubelet's timestamp.
type LogLine struct {
	Time time.Time
	Data []byte // valid only during the callback
}

// StreamContainerLogs streams one container's log (with timestamps) and calls fn for every line in order.
// Without Follow it returns at the end of the log. With Follow it keeps going until ctx ends, and when the
// stream breaks (API timeout, connection reset, kubelet restart) it resumes with sinceTime = the last line's
// time, skipping the lines already delivered (the ones older than that time, and as many lines stamped with
// exactly that time as were delivered), so nothing is duplicated or lost. It returns ctx.Err() when ctx ends,
// the error of fn, or an error when the pod is gone.
func StreamContainerLogs(ctx context.Context, kube kubernetes.Interface, namespace, pod string, o LogStreamOptions, fn func(LogLine) error) error {
	if o.MaxLine <= 0 {
		o.MaxLine = 1 << 20
	}
	if o.Retry <= 0 {
		o.Retry = 500 * time.Millisecond
	}
	var (
		last      time.Time // time of the last delivered line
		lastCount int       // lines delivered with exactly that time
		resumed   bool
		backoff   = o.Retry
	)
	for {
		opts := &corev1.PodLogOptions{Container: o.Container, Follow: o.Follow, Timestamps: true}
		switch {
		case resumed:
			st := metav1.NewTime(last) // serialised to the second: lines in that second are skipped below
			opts.SinceTime = &st
		default:
			if !o.Since.IsZero() {
				st := metav1.NewTime(o.Since)
				opts.SinceTime = &st
			}
			if o.Tail >= 0 {
				t := o.Tail
				opts.TailLines = &t
			}
		}
		if o.LimitBytes > 0 {
			opts.LimitBytes = &o.LimitBytes
		}
		rc, err := kube.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
				return Explain("reading the log of pod "+Ref(namespace, pod)+" container "+o.Container, err)
			}
			if !o.Follow {
				return Explain("reading the log of pod "+Ref(namespace, pod)+" container "+o.Container, err)
			}
			// e.g. 400 "container is waiting to start": try again
			if o.OnReconnect != nil {
				o.OnReconnect(err)
			}
			if !sleepCtx(ctx, backoff) {
				return ctx.Err()
			}
			backoff = min(backoff*2, 5*time.Second)
			resumed = !last.IsZero()
			continue
		}
		skipBefore, skipAt := last, lastCount
		seenAt := 0
		delivered := false
		err = readLines(rc, o.MaxLine, func(line []byte) error {
			ts, data := splitTimestamp(line)
			if resumed && !ts.IsZero() {
				if ts.Before(skipBefore) {
					return nil
				}
				if ts.Equal(skipBefore) && seenAt < skipAt {
					seenAt++
					return nil
				}
			}
			if ts.Equal(last) {
				lastCount++
			} else if !ts.IsZero() {
				last, lastCount = ts, 1
			}
			delivered = true
			return fn(LogLine{Time: ts, Data: data})
		})
		rc.Close()
		var cbErr *callbackError
		if errors.As(err, &cbErr) {
			return cbErr.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !o.Follow {
			if err != nil {
				return fmt.Errorf("reading the log of pod %s container %s: %w", Ref(namespace, pod), o.Container, err)
			}
			return nil
		}
		if err == nil {
			err = io.EOF
		}
		if o.OnReconnect != nil {
			o.OnReconnect(err)
		}
		if delivered {
			backoff = o.Retry
		}
		if !sleepCtx(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(backoff*2, 5*time.Second)
		resumed = !last.IsZero()
	}
}

type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// readLines calls fn for each line of r (without the newline); lines longer than max are cut to max and the
// rest of the line is dropped.
func readLines(r io.Reader, max int, fn func([]byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < max {
				long = append(long, chunk[:min(len(chunk), max-len(long))]...)
			}
			continue
		}
		line := chunk
		if long != nil {
			if len(long) < max {
				long = append(long, chunk[:min(len(chunk), max-len(long))]...)
			}
			line = long
		}
		if len(line) > 0 {
			line = bytes.TrimSuffix(line, []byte("\n"))
			line = bytes.TrimSuffix(line, []byte("\r"))
			if e := fn(line); e != nil {
				return &callbackError{e}
			}
		}
		long = nil
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// splitTimestamp splits a `<RFC3339Nano> <line>` line from a timestamps=true log request.
func splitTimestamp(line []byte) (time.Time, []byte) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 20 || sp > 40 {
		return time.Time{}, line
	}
	ts, err := time.Parse(time.RFC3339Nano, string(line[:sp]))
	if err != nil {
		return time.Time{}, line
	}
	return ts, line[sp+1:]
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
