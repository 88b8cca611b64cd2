package doctor

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"k8s.io/client-go/rest"
)

// BenchLatency is injected on every AWS, Kubernetes and HTTP call of the benchmark.
const BenchLatency = 150 * time.Millisecond

// latencyRT delays every request by d and counts them.
type latencyRT struct {
	next  http.RoundTripper
	d     time.Duration
	calls *atomic.Int64
}

func (l latencyRT) RoundTrip(r *http.Request) (*http.Response, error) {
	l.calls.Add(1)
	t := time.NewTimer(l.d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return l.next.RoundTrip(r)
}

// remoteDeps are deps whose every Kubernetes, AWS, STS and HTTP call waits d first (a cluster and AWS across a
// network) and is counted in calls. cfg's transport wrapper, if any, sees the delayed calls.
func (e *env) remoteDeps(cfg *rest.Config, d time.Duration, calls *atomic.Int64) Deps {
	cfg = rest.CopyConfig(cfg)
	inner := cfg.WrapTransport
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if inner != nil {
			rt = inner(rt)
		}
		return latencyRT{rt, d, calls}
	}
	deps := e.deps(cfg)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: latencyRT{http.DefaultTransport, d, calls}}
	deps.HTTP = hc
	awsCfg := e.fake.AWSConfig(e.fake.URL)
	awsCfg.HTTPClient = hc
	deps.AgentCore = bedrockagentcorecontrol.NewFromConfig(awsCfg)
	deps.CallerAccount = func(ctx context.Context) (string, error) { // an STS call
		calls.Add(1)
		time.Sleep(d)
		return e.fake.Account(), nil
	}
	return deps
}

// BenchmarkDoctorLatency runs the whole doctor (cluster, resources, secret, token with signature, authorizer
// with discovery, runtime) with BenchLatency on every call, and reports the wall time against the slowest
// chain of dependent checks (by their measured durations) and against the sum of all calls' latency.
// ratio = wall / critical chain; the target is ≤ 1.5. bench/doctor.sh runs it.
func BenchmarkDoctorLatency(b *testing.B) { benchDoctorLatency(b, false) }

// BenchmarkDoctorLatencyRecord is BenchmarkDoctorLatency for a setup found by its record (doctor -n NS, as after
// the wizard) instead of flags naming the objects: the record names the runtime and the Secret, so their reads do
// not wait for the route's.
func BenchmarkDoctorLatencyRecord(b *testing.B) { benchDoctorLatency(b, true) }

func benchDoctorLatency(b *testing.B, byRecord bool) {
	e := newBenchEnv(b)
	o := Options{Route: Ref{e.ns, "agentcore"}}
	if byRecord {
		e.saveRecord()
		o = Options{Namespace: e.ns}
	}
	var calls atomic.Int64
	cfg := rest.CopyConfig(e.restCfg)
	cfg.QPS, cfg.Burst = 100, 200
	deps := e.remoteDeps(cfg, BenchLatency, &calls)
	var wallSum, chainSum time.Duration
	var lastChain []string
	var callsPerRun int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		calls.Store(0)
		d := New(o, deps)
		start := time.Now()
		cs, rep := d.RunAll(context.Background(), nil)
		wall := time.Since(start)
		if rep.Failed() {
			b.Fatalf("the benchmark setup must be healthy:\n%s", strings.Join(failures(rep), "\n"))
		}
		chain, ids := CriticalPath(cs, rep)
		wallSum += wall
		chainSum += chain
		lastChain = ids
		callsPerRun = calls.Load()
	}
	b.StopTimer()
	n := time.Duration(b.N)
	wall, chain := wallSum/n, chainSum/n
	b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
	b.ReportMetric(float64(chain.Milliseconds()), "chain-ms")
	b.ReportMetric(float64(wall)/float64(chain), "ratio")
	b.ReportMetric(float64(callsPerRun), "calls")
	b.ReportMetric(float64(time.Duration(callsPerRun)*BenchLatency/time.Millisecond), "sum-of-calls-ms")
	b.Logf("critical chain: %s", strings.Join(lastChain, " → "))
}
