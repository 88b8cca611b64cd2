package doctor

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
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
	if n := disc.Load(); n > 3 { // /api, /apis, /version once
		t.Fatalf("%d discovery requests for %d setups: discovery is not shared", n, len(reps))
	}
	if n := gets.Load(); n > 0 {
		t.Fatalf("%d GETs of single objects for %d setups: the objects must come from one LIST per kind", n, len(reps))
	}
	if n := reviews.Load(); n > 8 { // the 8 questions of one setup, each asked for every namespace at once
		t.Fatalf("%d access reviews for %d setups: each question must be asked once", n, len(reps))
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"setup":"`+broken.ns+`/agentcore-setup"`) || !strings.Contains(string(b), `"checks":[`) ||
		!strings.Contains(string(b), `"summary":{`) {
		t.Fatalf("document: %v %.200s", err, b)
	}
}

// TestDoctorFleetBench: doctor --all over 100 setups against one setup's doctor (make bench; skipped unless
// AGENTCORE_FLEET_BENCH=1). Target: at most 3 times as long.
func TestDoctorFleetBench(t *testing.T) {
	if os.Getenv("AGENTCORE_FLEET_BENCH") != "1" {
		t.Skip("bench: AGENTCORE_FLEET_BENCH=1 (make bench)")
	}
	const n = 100
	e := newBenchEnv(t)
	e.saveRecord()
	nss := map[string]bool{e.ns: true}
	for range n - 1 {
		nss[e.another(true).ns] = true
	}
	deps := e.deps(e.restCfg)
	ctx := context.Background()
	var one time.Duration
	for range 3 { // the best of three: a warm client, as in the fleet run
		start := time.Now()
		_, rep := New(Options{Namespace: e.ns}, deps).RunAll(ctx, nil)
		if d := time.Since(start); one == 0 || d < one {
			one = d
		}
		if rep.Failed() {
			t.Fatalf("the bench setup must pass:\n%s", strings.Join(failures(rep), "\n"))
		}
	}
	cfg := rest.CopyConfig(e.restCfg)
	cfg.QPS, cfg.Burst = FleetQPS, FleetBurst // as doctor --all sets them
	conc := DefaultFleetConcurrency
	if v, err := strconv.Atoi(os.Getenv("DOCTOR_CONCURRENCY")); err == nil && v > 0 {
		conc = v
	}
	var kubeCalls atomic.Int64
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return latencyRT{rt, 0, &kubeCalls} }
	start := time.Now()
	reps, err := RunFleet(ctx, FleetOptions{Concurrency: conc}, e.deps(cfg))
	all := time.Since(start)
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
	t.Logf("FIGURES doctor one setup %s; doctor --all %d setups (%d records in the cluster, concurrency %d) %s, %d API server requests; ratio %.2f (target <= 3)",
		one.Round(time.Millisecond), n, len(reps), conc, all.Round(time.Millisecond), kubeCalls.Load(), float64(all)/float64(one))
}
