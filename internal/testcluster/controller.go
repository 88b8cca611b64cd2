package testcluster

// The real open-source Agent Gateway controller (v1.4.1, built into .testbin/bin/agentgateway-controller by
// tools/agentgateway) against the test apiserver. It writes every status of the open-source kinds (GatewayClass,
// Gateway, HTTPRoute, AgentgatewayBackend, AgentgatewayPolicy) and creates per-Gateway objects (Deployment,
// Service, ServiceAccount, ConfigMap, Secret <gw>-session-key). Our main runs it with every listener on
// 127.0.0.1:0, leader election and metrics off, so each test package can run its own. No proxy connects to it.
//
// Use:
//
//	func TestMain(m *testing.M) { testcluster.Main(m) }
//
//	c := testcluster.SharedWithController(t) // the package's cluster, with the controller running
//
// or Options{Controller: true} for Start, or (*Cluster).StartController on a running cluster.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	// ControllerBinary is the controller's file name in BinDir().
	ControllerBinary = "agentgateway-controller"
	// GatewayClassName is the GatewayClass the controller creates and accepts.
	GatewayClassName = "agentgateway"
	// ControllerName is the controllerName of that GatewayClass.
	ControllerName = "agentgateway.dev/agentgateway"
	// ControllerNamespace is the controller's POD_NAMESPACE (need not exist with leader election off).
	ControllerNamespace = "agentgateway-system"
)

// GatewayClassGVR is gateway.networking.k8s.io/v1 gatewayclasses.
var GatewayClassGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}

// MissingController reports whether the controller binary is not built in binDir.
func MissingController(binDir string) bool {
	_, err := os.Stat(filepath.Join(binDir, ControllerBinary))
	return err != nil
}

// StartController runs the Agent Gateway controller from binDir (empty: BinDir()) against this cluster (its
// kubeconfig file) and waits until GatewayClass agentgateway is Accepted. It is stopped by Stop, before the
// apiserver. Its log is <Dir>/agentgateway-controller.log.
func (c *Cluster) StartController(ctx context.Context, binDir string) error {
	if binDir == "" {
		binDir = BinDir()
	}
	if MissingController(binDir) {
		return fmt.Errorf("%s not built in %s: run `make testbin`", ControllerBinary, binDir)
	}
	if c.Kubeconfig == "" {
		return fmt.Errorf("the cluster has no kubeconfig file for the controller")
	}
	env := []string{
		"KUBECONFIG=" + c.Kubeconfig,
		"POD_NAMESPACE=" + ControllerNamespace,
		"AGW_CONTROLLER_NAME=" + ControllerName,
		"AGW_AGENTGATEWAY_CLASS_NAME=" + GatewayClassName,
	}
	if err := c.spawnEnv(filepath.Join(binDir, ControllerBinary), filepath.Join(c.Dir, ControllerBinary+".log"), env); err != nil {
		return err
	}
	ctrlProc := c.procs[len(c.procs)-1]
	dc := c.Dynamic()
	deadline := time.Now().Add(90 * time.Second)
	var last string
	for {
		select {
		case <-ctrlProc.done:
			return fmt.Errorf("%s exited early: %s", ControllerBinary, c.logTail(ControllerBinary))
		default:
		}
		gc, err := dc.Resource(GatewayClassGVR).Get(ctx, GatewayClassName, metav1.GetOptions{})
		switch {
		case err != nil:
			last = err.Error()
		case conditionTrue(gc, "Accepted"):
			return nil
		default:
			last = "GatewayClass " + GatewayClassName + " not Accepted yet"
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s after 90s: %s", ControllerBinary, last, c.logTail(ControllerBinary))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func conditionTrue(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}

var (
	ctrlOnce sync.Once
	ctrlErr  error
)

// SharedWithController is Shared with the Agent Gateway controller running on it (started on first use, stopped
// by Main). When the controller is not built the test is skipped (or fails, under AGENTCORE_REQUIRE_TESTBIN=1).
// Every test of the package that uses the shared cluster then sees the controller's statuses: a package either
// lets the controller write statuses or writes them by hand, not both.
func SharedWithController(t testing.TB) *Cluster {
	t.Helper()
	c := Shared(t)
	if MissingController(BinDir()) {
		msg := fmt.Sprintf("real Agent Gateway controller unavailable: %s not built in %s (run `make testbin`)", ControllerBinary, BinDir())
		if Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctrlOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		ctrlErr = c.StartController(ctx, "")
	})
	if ctrlErr != nil {
		t.Fatalf("starting the Agent Gateway controller: %v", ctrlErr)
	}
	return c
}

// Private starts a cluster of the test's own (stopped when the test ends; its logs are kept and named when the
// test fails), for tests that must not share statuses with the package's other tests, e.g. Options{Controller:
// true} in a package whose other tests write statuses by hand. Missing binaries skip the test (or fail it, under
// AGENTCORE_REQUIRE_TESTBIN=1).
func Private(t testing.TB, o Options) *Cluster {
	t.Helper()
	bin := o.BinDir
	if bin == "" {
		bin = BinDir()
	}
	missing := Missing(bin)
	if o.Controller && MissingController(bin) {
		missing = append(missing, ControllerBinary)
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("real test cluster unavailable: %v not built in %s (run `make testbin`)", missing, bin)
		if Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "agentcore-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, dir, o)
	if err != nil {
		t.Fatalf("starting a test cluster (logs in %s): %v", dir, err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("test cluster logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return c
}
