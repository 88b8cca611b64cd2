package testcluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
	sharedDir  string
	nsCounter  atomic.Int64
)

// Required reports whether a missing test binary must fail the test instead of skipping it. `make test` and CI
// set AGENTCORE_REQUIRE_TESTBIN=1 so a broken testbin build can never pass as a skip.
func Required() bool { return os.Getenv("AGENTCORE_REQUIRE_TESTBIN") == "1" }

// Shared returns the package's one test cluster, starting it on first use. Use Main in TestMain so it is
// stopped when the package's tests end. When the binaries are not built the test is skipped with the reason
// (or fails, under AGENTCORE_REQUIRE_TESTBIN=1).
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if m := Missing(BinDir()); len(m) > 0 {
		msg := fmt.Sprintf("real test cluster unavailable: %s not built in %s (run `make testbin`)", strings.Join(m, ", "), BinDir())
		if Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "agentcore-cluster-")
		if sharedErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		shared, sharedErr = Start(ctx, sharedDir, Options{})
		if sharedErr == nil {
			for _, n := range shared.Notes {
				fmt.Fprintln(os.Stderr, "testcluster: "+n)
			}
		}
	})
	if sharedErr != nil {
		t.Fatalf("starting the test cluster: %v", sharedErr)
	}
	for _, n := range shared.Notes {
		t.Log(n)
	}
	return shared
}

// Main runs the package's tests and stops the shared cluster afterwards.
func Main(m *testing.M) {
	code := m.Run()
	stopKwokShared(code)
	if shared != nil {
		shared.Stop()
	}
	if sharedDir != "" && code == 0 {
		os.RemoveAll(sharedDir)
	} else if sharedDir != "" {
		fmt.Fprintf(os.Stderr, "testcluster: logs kept in %s\n", sharedDir)
	}
	os.Exit(code)
}

// Namespace creates a fresh namespace (with its default ServiceAccount, which no controller makes here) for
// one test and deletes it when the test ends.
func (c *Cluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid()%10000, nsCounter.Add(1))
	ctx := context.Background()
	kc := c.Kube()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	if _, err := kc.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating default ServiceAccount in %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = kc.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}
