package rotate_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// heapMiB is the live heap after a full collection.
func heapMiB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// syntheticToken is an unsigned JWT that only says when it expires: a setup holding it is fresh for a day, so
// the service schedules it and mints nothing.
func syntheticToken(now time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return "Bearer " + enc([]byte(`{"alg":"none"}`)) + "." +
		enc(fmt.Appendf(nil, `{"iat":%d,"exp":%d}`, now.Add(-time.Hour).Unix(), now.Add(23*time.Hour).Unix())) + ".c2ln"
}

// TestFleetBench is the rotation service's scale bench (make bench; skipped unless AGENTCORE_FLEET_BENCH=1): the
// throughput of renewing 100 due setups (renewals/s, API requests per renewal) and the service's live heap with
// 100 and with 1,000 setup records (900 synthetic: fresh for a day, nothing to mint).
func TestFleetBench(t *testing.T) {
	if os.Getenv("AGENTCORE_FLEET_BENCH") != "1" {
		t.Skip("bench: AGENTCORE_FLEET_BENCH=1 (make bench)")
	}
	const n, total = 100, 1000
	f := newFleetRig(t, 10*time.Minute)
	ctx := context.Background()
	for i := range n {
		f.addSetup(ctx, fmt.Sprintf("s%03d", i), f.secret, "Bearer placeholder")
	}
	base := heapMiB()
	start := time.Now()
	r := f.startReplica("bench", 15*time.Second)
	waitFor(t, 5*time.Minute, "every setup rotated", func() bool {
		_, body := r.get(t, "/metrics")
		return strings.Count(body, rotate.MetricRenewals+"{") >= n
	})
	elapsed := time.Since(start)
	counts := map[string]int64{}
	for _, k := range []string{"GET secrets", "PUT secrets", "PATCH configmaps", "POST events", "GET leases", "PUT leases", "POST leases", "GET configmaps", "WATCH configmaps"} {
		counts[k] = r.count(k)
	}
	perRenewal := float64(counts["GET secrets"]+counts["PUT secrets"]+counts["PATCH configmaps"]+counts["POST events"]) / n
	heap100 := heapMiB() - base

	now := time.Now()
	for i := n; i < total; i++ {
		rec := f.record(fmt.Sprintf("syn%04d", i))
		if err := setup.Save(ctx, f.kube, rec, &setup.Credentials{ClientSecret: "synthetic"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.kube.CoreV1().Secrets(f.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: rec.SecretName},
			Data: map[string][]byte{rotate.KeyAuthorization: []byte(syntheticToken(now))}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Minute, "1,000 setups scheduled", func() bool {
		code, body := r.get(t, "/metrics")
		return code == http.StatusOK && strings.Count(body, rotate.MetricExpiry+"{") >= total
	})
	heap1000 := heapMiB() - base
	t.Logf("FIGURES renewals=%d in %s: %.1f renewals/s (4 workers, local IdP); API requests per renewal %.2f (GET secret %d, PUT secret %d, PATCH record %d, POST event %d; plus %d lease and %d list/watch for the run); heap of the service: %.1f MiB at %d setups, %.1f MiB at %d setups",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), perRenewal, counts["GET secrets"], counts["PUT secrets"],
		counts["PATCH configmaps"], counts["POST events"], counts["GET leases"]+counts["PUT leases"]+counts["POST leases"],
		counts["GET configmaps"]+counts["WATCH configmaps"], heap100, n, heap1000, total)
}
