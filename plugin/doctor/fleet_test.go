package doctor

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/startgc"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// saveRecord writes the wizard's record for the env's setup (rewrite mode, objects as apply makes them).
func (e *env) saveRecord() {
	e.t.Helper()
	rec := &setup.Record{Namespace: e.ns, Name: setup.DefaultRecordName, RuntimeARN: e.rt.ARN, Mode: setup.ModeRewrite,
		GatewayNamespace: e.ns, GatewayName: "agw", RouteName: "agentcore", BackendName: "agentcore", PolicyName: "agentcore",
		SecretName: "agentcore-jwt", ClientID: testClient}
	if err := setup.Save(context.Background(), e.kube, rec, nil); err != nil {
		e.t.Fatal(err)
	}
}

// another is a second setup on the same cluster, fake AgentCore and issuer, in a namespace of its own.
func (e *env) another(withToken bool) *env {
	e2 := *e
	e2.ns = clustertest.Shared(e.t).Namespace(e.t, "doctor")
	e2.apply(withToken)
	e2.saveRecord()
	return &e2
}

type countingRT struct {
	rt        http.RoundTripper
	discovery *atomic.Int64
	// gets counts GETs of one namespaced object (.../namespaces/NS/RESOURCE/NAME), reviews the access reviews.
	gets, reviews *atomic.Int64
}

func (c countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	p := r.URL.Path
	if p == "/api" || p == "/apis" || strings.HasPrefix(p, "/apis/") && strings.Count(strings.Trim(p, "/"), "/") == 2 || p == "/version" {
		c.discovery.Add(1)
	}
	if _, obj, ok := strings.Cut(p, "/namespaces/"); ok && r.Method == http.MethodGet && strings.Count(obj, "/") == 2 {
		c.gets.Add(1)
	}
	if strings.HasSuffix(p, "/selfsubjectaccessreviews") {
		c.reviews.Add(1)
	}
	return c.rt.RoundTrip(r)
}

// TestRunFleet: doctor --all's use case checks every setup record: healthy setups pass, a setup without its
// token Secret fails with its first failing check named, the documents are the single-setup ones, the
// cluster's discovery is fetched once for all of them, the objects come from shared LISTs (no GET per object)
// and each access question is asked once.
func TestRunFleet(t *testing.T) {
	e := newEnv(t)
	e.saveRecord()
	ok2 := e.another(true)
	broken := e.another(false)
	var disc, gets, reviews atomic.Int64
	cfg := rest.CopyConfig(e.restCfg)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countingRT{rt, &disc, &gets, &reviews} }
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reps, err := RunFleet(ctx, FleetOptions{}, e.deps(cfg))
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]SetupReport{}
	for _, r := range reps {
		mine[r.Namespace] = r
	}
	for _, ns := range []string{e.ns, ok2.ns} {
		r, found := mine[ns]
		if !found || r.Failed() || len(r.Checks) == 0 || r.Setup != ns+"/agentcore-setup" || r.Mode != "rewrite" {
			t.Fatalf("%s: found %v, %+v\n%s", ns, found, r.Summary, strings.Join(failures(r.Report), "\n"))
		}
	}
	r := mine[broken.ns]
	ff := r.FirstFailure()
	if !r.Failed() || ff == nil || !strings.HasPrefix(ff.ID, "secret.") {
		t.Fatalf("broken setup: %+v first failure %+v", r.Summary, ff)
	}
	if n := disc.Load(); n > 2 { // /apis (one aggregated document) and /version, once
		t.Fatalf("%d discovery requests for %d setups: discovery is not shared", n, len(reps))
	}
	if n := gets.Load(); n > 0 {
		t.Fatalf("%d GETs of single objects for %d setups: the objects must come from one LIST per kind", n, len(reps))
	}
	if n := reviews.Load(); n > 8 { // the 8 questions of one setup, each asked for every namespace at once
		t.Fatalf("%d access reviews for %d setups: each question must be asked once", n, len(reps))
	}
	for _, ns := range []string{e.ns, ok2.ns, broken.ns} {
		sameAsSingle(t, e.deps(e.restCfg), Options{}, mine[ns])
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"setup":"`+broken.ns+`/agentcore-setup"`) || !strings.Contains(string(b), `"checks":[`) ||
		!strings.Contains(string(b), `"summary":{`) {
		t.Fatalf("document: %v %.200s", err, b)
	}
}

// TestRunFleetSecretWithoutLabel: a token Secret made by hand (without the label doctor --all lists Secrets by)
// is still read, with its own GET, and the setup's report is the single setup's; a missing Secret is known from
// the Secrets' metadata, with no GET.
func TestRunFleetSecretWithoutLabel(t *testing.T) {
	e := newEnv(t)
	e.saveRecord()
	missing := e.another(false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := e.kube.CoreV1().Secrets(e.ns).Get(ctx, "agentcore-jwt", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Labels = nil
	if _, err := e.kube.CoreV1().Secrets(e.ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // later fleet runs on the shared cluster expect no GET
		_ = e.kube.CoreV1().ConfigMaps(e.ns).Delete(context.Background(), setup.DefaultRecordName, metav1.DeleteOptions{})
	})
	var disc, gets, reviews atomic.Int64
	cfg := rest.CopyConfig(e.restCfg)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countingRT{rt, &disc, &gets, &reviews} }
	reps, err := RunFleet(ctx, FleetOptions{}, e.deps(cfg))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range reps {
		switch r.Namespace {
		case e.ns:
			found++
			if r.Failed() {
				t.Fatalf("the setup with an unlabelled Secret failed:\n%s", strings.Join(failures(r.Report), "\n"))
			}
			sameAsSingle(t, e.deps(e.restCfg), Options{}, r)
		case missing.ns:
			found++
			if ff := r.FirstFailure(); ff == nil || ff.ID != IDSecretPresent {
				t.Fatalf("the setup without a Secret: first failure %+v", ff)
			}
			sameAsSingle(t, e.deps(e.restCfg), Options{}, r)
		}
	}
	if found != 2 {
		t.Fatalf("%d of the 2 setups reported", found)
	}
	if n := gets.Load(); n != 1 {
		t.Fatalf("%d GETs of single objects: want 1, the unlabelled Secret", n)
	}
}

// sameAsSingle: a setup's report in doctor --all is the single-setup doctor's for its record, check by check: the
// same checks in the same order with the same status, the checks it was blocked by, detail (numbers masked:
// times move between the two runs), hint and fix.
func sameAsSingle(t *testing.T, deps Deps, base Options, r SetupReport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec, err := setup.Load(ctx, deps.Kube, r.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	_, one := New(base.ForRecord(rec), deps).RunAll(ctx, nil)
	digits := regexp.MustCompile(`[0-9]+`)
	norm := func(rs []Result) []string {
		out := make([]string, len(rs))
		for i, c := range rs {
			out[i] = fmt.Sprintf("%s %s blocked by %v: %s | %s | %s", c.ID, c.Status, c.BlockedBy, digits.ReplaceAllString(c.Detail, "N"), c.Hint, c.Fix)
		}
		return out
	}
	want, got := norm(one.Checks), norm(r.Checks)
	if len(want) == 0 || !reflect.DeepEqual(want, got) {
		t.Fatalf("%s: doctor --all's report differs from the single setup's:\n single:\n  %s\n --all:\n  %s", r.Setup,
			strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}

// TestDoctorFleetBench: doctor --all over 100 setups against one setup's doctor (make bench; skipped unless
// AGENTCORE_FLEET_BENCH=1). Target: at most 3 times as long. The two sides run alternately on warm clients
// (AGENTCORE_FLEET_RUNS pairs, default 8), and the figures are the ratios of the bests and of the medians; each
// run also says the CPU time this process (the client) and the API server and etcd spent during it, since they
// share the same cores. AGENTCORE_FLEET_CPUPROFILE=FILE writes a CPU profile (the fleet runs are labelled
// side=fleet); AGENTCORE_FLEET_COMMAND=BINARY also times the built commands as a user runs them.
func TestDoctorFleetBench(t *testing.T) {
	if os.Getenv("AGENTCORE_FLEET_BENCH") != "1" {
		t.Skip("bench: AGENTCORE_FLEET_BENCH=1 (make bench)")
	}
	const n = 100
	if os.Getenv("AGENTCORE_FLEET_MEMPROFILE") != "" {
		// a sample per 2 KiB allocated (the default, 512 KiB, is coarse for a 12 MB run), from the start: the base
		// profile and the final one must be sampled alike
		runtime.MemProfileRate = 2048
	}
	e := newBenchEnv(t)
	e.saveRecord()
	nss := map[string]bool{e.ns: true}
	for range n - 1 {
		nss[e.another(true).ns] = true
	}
	ctx := context.Background()
	// Secrets no setup names (Helm releases, certificates: 16 KiB each), as a cluster holds them: doctor --all -A
	// lists Secrets across namespaces. AGENTCORE_FLEET_OTHER_SECRETS=N (default 0).
	if k, _ := strconv.Atoi(os.Getenv("AGENTCORE_FLEET_OTHER_SECRETS")); k > 0 {
		ns := clustertest.Shared(t).Namespace(t, "other")
		blob := make([]byte, 16<<10)
		for i := range k {
			_, _ = rand.Read(blob)
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("release-%d", i), Namespace: ns}, Data: map[string][]byte{"release": blob}}
			if _, err := e.kube.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// AGENTCORE_FLEET_LATENCY=D delays every Kubernetes, AWS and HTTP call of both sides by D (a remote cluster
	// and AWS; default 0: this machine's loopback, the figure the target is judged on).
	latency, _ := time.ParseDuration(os.Getenv("AGENTCORE_FLEET_LATENCY"))
	var oneCalls, fleetCalls atomic.Int64
	deps, remote := e.deps(e.restCfg), func(cfg *rest.Config, _ *atomic.Int64) Deps { return e.deps(cfg) }
	if latency > 0 {
		remote = func(cfg *rest.Config, calls *atomic.Int64) Deps { return e.remoteDeps(cfg, latency, calls) }
		deps = remote(e.restCfg, &oneCalls)
	}
	pids := e.c.PIDs()
	server := func() time.Duration { return procCPU(pids["kube-apiserver"]) + procCPU(pids["etcd"]) }
	// The API server's page faults in a run, printed with it: where a fault costs 10-13 µs (Firecracker VMs), the
	// runs in which the API server faults in ~2,000 pages (its heap growing back after its runtime returned memory
	// to the system) cost it 20-30 ms more CPU, on the cores the client uses.
	serverFaults := func() int64 { return procFaults(pids["kube-apiserver"]) }
	// The API server digests the objects just created (a few hundred ms of its CPU): measure once it is idle.
	if err := waitIdle(server, 20*time.Second); err != nil {
		t.Log(err)
	}
	cfg := rest.CopyConfig(e.restCfg)
	cfg.QPS, cfg.Burst = FleetQPS, FleetBurst // as doctor --all sets them
	defer startgc.OneShot()()                 // the collector as doctor sets it without its screen, and doctor --all
	conc := DefaultFleetConcurrency
	if v, err := strconv.Atoi(os.Getenv("DOCTOR_CONCURRENCY")); err == nil && v > 0 {
		conc = v
	}
	runs := 8
	if v, err := strconv.Atoi(os.Getenv("AGENTCORE_FLEET_RUNS")); err == nil && v > 0 {
		runs = v
	}
	var kubeCalls atomic.Int64
	var kubeBytes, lastRead atomic.Int64
	// AGENTCORE_FLEET_TRACE=1 prints the last fleet run's requests: when each was sent, its first byte and its
	// last byte came (from the run's start), and its size.
	trace := &reqTrace{on: os.Getenv("AGENTCORE_FLEET_TRACE") == "1"}
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return bytesRT{latencyRT{rt, 0, &kubeCalls}, &kubeBytes, &lastRead, trace}
	}
	fleetDeps := remote(cfg, &fleetCalls)
	if f := os.Getenv("AGENTCORE_FLEET_CPUPROFILE"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(w); err != nil {
			t.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); _ = w.Close() }()
	}
	if f := os.Getenv("AGENTCORE_FLEET_MEMPROFILE"); f != "" { // allocations of the fleet runs: pprof -diff_base FILE.base FILE
		writeHeap(t, f+".base")
		defer writeHeap(t, f)
	}
	// The two sides run alternately (one setup, then the 100), so that both meet the API server in the same state:
	// in the first runs after the setups are created it spends 2-4 times the CPU on the same requests.
	var ones, alls []time.Duration
	var oneNotes, allNotes []string
	var calls, received int64
	var records int
	// what a doctor --all run allocates in this process (with the fake AgentCore and issuer it serves)
	var allocs []string
	ms := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}, {Name: "/gc/cycles/total:gc-cycles"}}
	for range runs {
		if err := waitIdle(server, 10*time.Second); err != nil {
			t.Log(err)
		}
		self0, server0, faults0 := selfCPU(), server(), serverFaults()
		start := time.Now()
		_, rep := New(Options{Namespace: e.ns}, deps).RunAll(ctx, nil)
		d := time.Since(start)
		faults := serverFaults() - faults0
		ones = append(ones, d)
		oneNotes = append(oneNotes, fmt.Sprintf("%s (CPU: client %s, apiserver+etcd %s; API server page faults %d)", d.Round(time.Millisecond),
			(selfCPU()-self0).Round(time.Millisecond), (server()-server0).Round(time.Millisecond), faults))
		if rep.Failed() {
			t.Fatalf("the bench setup must pass:\n%s", strings.Join(failures(rep), "\n"))
		}

		if err := waitIdle(server, 10*time.Second); err != nil {
			t.Log(err)
		}
		kubeCalls.Store(0)
		kubeBytes.Store(0)
		trace.reset()
		self0, server0, faults0 = selfCPU(), server(), serverFaults()
		metrics.Read(ms)
		a0, o0, g0 := ms[0].Value.Uint64(), ms[1].Value.Uint64(), ms[2].Value.Uint64()
		start = time.Now()
		var reps []SetupReport
		var err error
		// labelled, so that a CPU profile can be narrowed to doctor --all: pprof -tagfocus side=fleet
		pprof.Do(ctx, pprof.Labels("side", "fleet"), func(ctx context.Context) {
			reps, err = RunFleet(ctx, FleetOptions{Concurrency: conc}, fleetDeps)
		})
		d = time.Since(start)
		selfUsed, serverUsed, faults := selfCPU()-self0, server()-server0, serverFaults()-faults0
		metrics.Read(ms)
		allocs = append(allocs, fmt.Sprintf("%.1f MiB in %dk objects, %d collections", float64(ms[0].Value.Uint64()-a0)/(1<<20),
			(ms[1].Value.Uint64()-o0)/1000, ms[2].Value.Uint64()-g0))
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, r := range reps {
			if nss[r.Namespace] {
				checked++
				if r.Failed() {
					t.Fatalf("%s failed:\n%s", r.Setup, strings.Join(failures(r.Report), "\n"))
				}
			}
		}
		if checked != n {
			t.Fatalf("checked %d of %d setups", checked, n)
		}
		alls = append(alls, d)
		allNotes = append(allNotes, fmt.Sprintf("%s (last API answer read at %s; CPU: client %s, apiserver+etcd %s; API server page faults %d)", d.Round(time.Millisecond),
			time.Unix(0, lastRead.Load()).Sub(start).Round(time.Millisecond), selfUsed.Round(time.Millisecond), serverUsed.Round(time.Millisecond), faults))
		calls, received, records = kubeCalls.Load(), kubeBytes.Load(), len(reps)
	}
	trace.log(t)
	load, _ := os.ReadFile("/proc/loadavg") // the machine's load: the ratio depends on it
	if f := strings.Fields(string(load)); len(f) >= 3 {
		t.Logf("FIGURES load average %s %s %s", f[0], f[1], f[2])
	}
	one, all := slices.Min(ones), slices.Min(alls)
	t.Logf("FIGURES doctor one setup: %s", strings.Join(oneNotes, ", "))
	t.Logf("FIGURES doctor --all %d setups (%d records in the cluster, concurrency %d): %s; %d API server requests, %d KiB received",
		n, records, conc, strings.Join(allNotes, "; "), calls, received>>10)
	t.Logf("FIGURES doctor --all allocations per run: %s", strings.Join(allocs, "; "))
	if latency > 0 {
		t.Logf("FIGURES every Kubernetes, AWS and HTTP call delayed by %s (AGENTCORE_FLEET_LATENCY): a remote cluster, not the target's loopback", latency)
	}
	t.Logf("FIGURES %d alternate runs: one setup best %s median %s; doctor --all best %s median %s; ratio of the bests %.2f, of the medians %.2f (target <= 3)",
		runs, one.Round(time.Millisecond), median(ones).Round(time.Millisecond), all.Round(time.Millisecond), median(alls).Round(time.Millisecond),
		float64(all)/float64(one), float64(median(alls))/float64(median(ones)))
	if bin := os.Getenv("AGENTCORE_FLEET_COMMAND"); bin != "" && latency == 0 {
		commandFigures(t, e, bin, records, runs, server)
	}
}

// commandFigures times the commands as a user runs them (AGENTCORE_FLEET_COMMAND=the built plugin): `doctor -n NS
// -o json` against `doctor --all -A -o json`, each a new process that reads the kubeconfig and the AWS
// environment, opens its own connections and exits; alternately, each after the API server is idle. The setups
// are the bench's; AWS is the same fake AgentCore, with a local STS for the caller's account.
func commandFigures(t *testing.T, e *env, bin string, records, runs int, server func() time.Duration) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := e.c.WriteKubeconfig(kubeconfig, testcluster.AdminToken, ""); err != nil {
		t.Fatal(err)
	}
	sts := httptest.NewServer(fakeagentcore.STSHandler(e.fake.Account(), "arn:aws:iam::"+e.fake.Account()+":user/bench", "AKIDBENCH"))
	defer sts.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "KUBECONFIG=" + kubeconfig, "NO_COLOR=1",
		"AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL=" + e.fake.URL, "AWS_ENDPOINT_URL_STS=" + sts.URL,
		"AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=bench", "AWS_REGION=" + e.fake.Region(),
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED=true"}
	run := func(args ...string) (time.Duration, []byte) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, errOut.String())
		}
		return d, []byte(out.String())
	}
	var ones, alls []time.Duration
	for range runs {
		if err := waitIdle(server, 10*time.Second); err != nil {
			t.Log(err)
		}
		d, out := run("doctor", "-n", e.ns, "-o", "json")
		var one struct {
			Checks []json.RawMessage `json:"checks"`
		}
		if err := json.Unmarshal(out, &one); err != nil || len(one.Checks) == 0 {
			t.Fatalf("doctor -n %s -o json: %v %.300s", e.ns, err, out)
		}
		ones = append(ones, d)
		if err := waitIdle(server, 10*time.Second); err != nil {
			t.Log(err)
		}
		d, out = run("doctor", "--all", "-A", "-o", "json")
		var all []json.RawMessage
		if err := json.Unmarshal(out, &all); err != nil || len(all) != records {
			t.Fatalf("doctor --all -A -o json: %v, %d setups, want %d", err, len(all), records)
		}
		alls = append(alls, d)
	}
	round := func(ds []time.Duration) string {
		var ss []string
		for _, d := range ds {
			ss = append(ss, d.Round(time.Millisecond).String())
		}
		return strings.Join(ss, ", ")
	}
	t.Logf("FIGURES the commands as a user runs them (a new process each: kubeconfig, AWS environment, its own connections): doctor -n NS: %s; doctor --all -A: %s", round(ones), round(alls))
	t.Logf("FIGURES %d alternate command runs: one setup best %s median %s; doctor --all best %s median %s; ratio of the bests %.2f, of the medians %.2f (target <= 3)",
		runs, slices.Min(ones).Round(time.Millisecond), median(ones).Round(time.Millisecond), slices.Min(alls).Round(time.Millisecond), median(alls).Round(time.Millisecond),
		float64(slices.Min(alls))/float64(slices.Min(ones)), float64(median(alls))/float64(median(ones)))
}

// median is the middle of ds (the mean of the two middle ones for an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// bytesRT counts the bytes of the response bodies the client decodes (after the transport's gzip decoding).
// last is when (UnixNano) the last response body was read to its end.
type bytesRT struct {
	next    http.RoundTripper
	n, last *atomic.Int64
	trace   *reqTrace
}

func (b bytesRT) RoundTrip(r *http.Request) (*http.Response, error) {
	sent := time.Now()
	resp, err := b.next.RoundTrip(r)
	if err == nil {
		var e *traceEntry
		if b.trace.on {
			e = b.trace.add(r, sent, time.Now())
		}
		resp.Body = &countingBody{resp.Body, b.n, b.last, e}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n, last *atomic.Int64
	e       *traceEntry
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	if c.e != nil {
		c.e.bytes.Add(int64(n))
	}
	if err != nil {
		now := time.Now().UnixNano()
		for l := c.last.Load(); l < now && !c.last.CompareAndSwap(l, now); l = c.last.Load() {
		}
		if c.e != nil {
			c.e.done.CompareAndSwap(0, now)
		}
	}
	return n, err
}

// reqTrace keeps a run's requests (bench diagnostics only).
type reqTrace struct {
	on      bool
	mu      sync.Mutex
	start   time.Time
	entries []*traceEntry
}

type traceEntry struct {
	what          string
	sent, headers time.Time
	done, bytes   atomic.Int64
}

func (tr *reqTrace) reset() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.start, tr.entries = time.Now(), nil
}

func (tr *reqTrace) add(r *http.Request, sent, headers time.Time) *traceEntry {
	e := &traceEntry{what: r.Method + " " + r.URL.RequestURI(), sent: sent, headers: headers}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.entries = append(tr.entries, e)
	return e
}

func (tr *reqTrace) log(t *testing.T) {
	if !tr.on {
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	ms := func(d time.Duration) string { return fmt.Sprintf("%5.1f", float64(d)/1e6) }
	for _, e := range tr.entries {
		t.Logf("TRACE sent %s first byte %s last %s ms %7d B  %s", ms(e.sent.Sub(tr.start)), ms(e.headers.Sub(tr.start)),
			ms(time.Unix(0, e.done.Load()).Sub(tr.start)), e.bytes.Load(), e.what)
	}
}

func writeHeap(t *testing.T, path string) {
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := pprof.Lookup("allocs").WriteTo(w, 0); err != nil {
		t.Fatal(err)
	}
}

// waitIdle polls cpu (a process's CPU time) until it grows by less than 10 ms in 200 ms, or the deadline passes.
func waitIdle(cpu func() time.Duration, deadline time.Duration) error {
	end := time.Now().Add(deadline)
	prev := cpu()
	for tick := time.NewTicker(200 * time.Millisecond); time.Now().Before(end); {
		<-tick.C
		now := cpu()
		if now-prev < 10*time.Millisecond {
			tick.Stop()
			return nil
		}
		prev = now
	}
	return fmt.Errorf("the API server was still busy after %s", deadline)
}

// selfCPU is the CPU time (user + system) this process has spent.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time (user + system) process pid has spent, from /proc/PID/stat (0 when unknown).
func procCPU(pid int) time.Duration {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// procFaults is the count of minor page faults process pid has taken, from /proc/PID/stat (0 when unknown).
func procFaults(pid int) int64 {
	f := procStat(pid)
	if len(f) < 8 {
		return 0
	}
	n, _ := strconv.ParseInt(f[7], 10, 64)
	return n
}

// procStat are the fields of /proc/PID/stat after the command's name: state (field 3 of the line) first, so
// field k of the line is at k-3 (nil when unknown).
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// TestListCustomMatchesDynamic: doctor --all's one-pass LIST decoding gives the objects the dynamic client's
// LIST gives, less metadata.managedFields (real objects of every kind doctor lists, with their statuses, in one
// namespace and across all), and the same error for a kind the server does not serve.
func TestListCustomMatchesDynamic(t *testing.T) {
	e := newEnv(t)
	deps := e.deps(e.restCfg)
	ctx := context.Background()
	for _, gvr := range []schema.GroupVersionResource{k8sres.GVRHTTPRoute, k8sres.GVRGateway, k8sres.GVRBackend, k8sres.GVRPolicy} {
		for _, ns := range []string{e.ns, ""} {
			want, err := deps.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := listCustom(ctx, deps, gvr, ns)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Items) == 0 || len(got) != len(want.Items) {
				t.Fatalf("%s in %q: %d objects, the dynamic client lists %d", gvr.Resource, ns, len(got), len(want.Items))
			}
			byRef := leanIndex(got)
			for i := range want.Items {
				w := &want.Items[i]
				if len(w.GetManagedFields()) == 0 {
					t.Fatalf("%s: the server wrote no managedFields: the comparison would not show they are left out", objRef(w))
				}
				unstructured.RemoveNestedField(w.Object, "metadata", "managedFields")
				g := byRef[k8sres.Ref(w.GetNamespace(), w.GetName())]
				if g == nil || !reflect.DeepEqual(g.Object, w.Object) {
					gb, _ := json.Marshal(g)
					wb, _ := json.Marshal(w)
					t.Fatalf("%s differs:\n got  %s\n want %s", objRef(w), gb, wb)
				}
			}
		}
	}
	missing := schema.GroupVersionResource{Group: "agentgateway.dev", Version: "v1alpha1", Resource: "nosuchthings"}
	_, werr := deps.Dynamic.Resource(missing).Namespace(e.ns).List(ctx, metav1.ListOptions{})
	_, gerr := listCustom(ctx, deps, missing, e.ns)
	if !apierrors.IsNotFound(werr) || !apierrors.IsNotFound(gerr) {
		t.Fatalf("unserved kind: dynamic %v, listCustom %v", werr, gerr)
	}
}

// TestRunFleetSharedGatewayPath: two setups whose routes match /agentcore on one Gateway (open to every
// namespace), as the wizard's default path in two namespaces made them. The newer one fails
// resources.route-precedence, the older one passes and names it; doctor --all across namespaces and in the newer
// one's namespace say what the single-setup doctor says.
func TestRunFleetSharedGatewayPath(t *testing.T) {
	e := newEnv(t)
	e.saveRecord()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gw := e.get(gvrGateway, "agw")
	if err := unstructured.SetNestedSlice(gw.Object, []any{map[string]any{"name": "http", "port": int64(8080), "protocol": "HTTP",
		"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}}}}, "spec", "listeners"); err != nil {
		t.Fatal(err)
	}
	gw, err := e.dyn.Resource(gvrGateway).Namespace(e.ns).Update(ctx, gw, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	observed(gw)
	if _, err := e.dyn.Resource(gvrGateway).Namespace(e.ns).UpdateStatus(ctx, gw, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := e.get(gvrRoute, "agentcore").GetCreationTimestamp()
	// The second route must be newer to the second (creation timestamps have no finer grain): wait for the clock.
	eventually(t, "the next second", 2*time.Second, func() (bool, string) { return time.Now().Truncate(time.Second).After(first.Time), "" })

	e2 := e.another(true)
	parent := map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "agw", "namespace": e.ns}
	r2 := e2.get(gvrRoute, "agentcore")
	_ = unstructured.SetNestedSlice(r2.Object, []any{parent}, "spec", "parentRefs")
	r2, err = e.dyn.Resource(gvrRoute).Namespace(e2.ns).Update(ctx, r2, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := e.routeStatus(nil)
	st["parents"].([]any)[0].(map[string]any)["parentRef"] = parent
	r2.Object["status"] = st
	observed(r2)
	if _, err := e.dyn.Resource(gvrRoute).Namespace(e2.ns).UpdateStatus(ctx, r2, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	p2 := e2.get(gvrPolicy, "agentcore")
	pst := policyStatus(nil)
	pst["ancestors"].([]any)[0].(map[string]any)["ancestorRef"] = parent
	p2.Object["status"] = pst
	if _, err := e.dyn.Resource(gvrPolicy).Namespace(e2.ns).UpdateStatus(ctx, p2, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	rec, err := setup.Load(ctx, e.kube, e2.ns)
	if err != nil {
		t.Fatal(err)
	}
	rec.GatewayNamespace = e.ns
	if err := setup.Save(ctx, e.kube, rec, nil); err != nil {
		t.Fatal(err)
	}

	for _, scope := range []string{"", e2.ns} {
		reps, err := RunFleet(ctx, FleetOptions{Namespace: scope}, e.deps(e.restCfg))
		if err != nil {
			t.Fatal(err)
		}
		mine := map[string]SetupReport{}
		for _, r := range reps {
			mine[r.Namespace] = r
		}
		newer := mine[e2.ns]
		if fs := failures(newer.Report); len(fs) != 1 || !strings.Contains(fs[0], IDResourcesPrecedence) ||
			!strings.Contains(fs[0], "HTTPRoute "+e.ns+"/agentcore takes PathPrefix /agentcore for any host before this route's PathPrefix /agentcore") {
			t.Fatalf("scope %q: the newer setup must fail only %s:\n%s", scope, IDResourcesPrecedence, strings.Join(fs, "\n"))
		}
		if f := newer.FirstFailure(); f == nil || f.Fix != "kubectl agentcore wizard -n "+e2.ns+" --path-prefix /"+e2.ns+"/agentcore" {
			t.Fatalf("scope %q: fix %+v", scope, f)
		}
		sameAsSingle(t, e.deps(e.restCfg), Options{}, newer)
		if scope != "" {
			// A probe of the newer setup would be answered by the older one's backend: it is not sent.
			got, _ := e2.run(Options{Namespace: e2.ns, Probe: true}, nil)
			if p := got[IDProbeGateway]; p.Status != Skip || !slices.Contains(p.BlockedBy, IDResourcesPrecedence) {
				t.Fatalf("probe of a shadowed route: %+v", p)
			}
			continue
		}
		older := mine[e.ns]
		if older.Failed() {
			t.Fatalf("the older setup must pass:\n%s", strings.Join(failures(older.Report), "\n"))
		}
		for _, c := range older.Checks {
			if c.ID == IDResourcesPrecedence && !strings.Contains(c.Detail, "it takes the same path from the newer "+e2.ns+"/agentcore") {
				t.Fatalf("the older setup's precedence check must name the route it hides: %q", c.Detail)
			}
		}
		sameAsSingle(t, e.deps(e.restCfg), Options{}, older)
	}
}

// observed marks every condition in o's status as written for its current generation (as the controller does
// once it has read a changed spec).
func observed(o *unstructured.Unstructured) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["observedGeneration"]; ok {
				x["observedGeneration"] = o.GetGeneration()
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(o.Object["status"])
}
