package testcluster

// The real open-source Agent Gateway controller (v1.4.1, built into .testbin/bin/agentgateway-controller by
// tools/agentgateway) against the test apiserver. It writes every status of the open-source kinds (GatewayClass,
// Gateway, HTTPRoute, AgentgatewayBackend, AgentgatewayPolicy) and creates per-Gateway objects (Deployment,
// Service, ServiceAccount, ConfigMap, Secret <gw>-session-key). Our main runs it with every listener on
// 127.0.0.1:0, leader election and metrics off, so each test package can run its own. No proxy connects to it.
//
// Use:
//
//	c := clustertest.Private(t, testcluster.Options{Controller: true}) // a test's own cluster with the controller
//
// or Options{Controller: true} for Start, or (*Cluster).StartController on a running cluster.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	// ControllerNamespace is the controller's POD_NAMESPACE. Leader election is off, but StartController creates
	// it: the controller keeps the JWKS it fetches for traffic.jwtAuthentication (jwks.remote) as ConfigMaps there,
	// and without it such a policy stays Accepted=PartiallyValid "jwks keyset … isn't available".
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
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ControllerNamespace}}
	if _, err := c.Kube().CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the controller's namespace %s: %w", ControllerNamespace, err)
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
		case <-ctrlProc.Done():
			return fmt.Errorf("%s exited early: %s", ControllerBinary, c.LogTail(ControllerBinary))
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
			return fmt.Errorf("%s: %s after 90s: %s", ControllerBinary, last, c.LogTail(ControllerBinary))
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
