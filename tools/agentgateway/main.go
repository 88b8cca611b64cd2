// Command agentgateway-controller runs the open-source Agent Gateway controller (github.com/agentgateway/agentgateway
// v1.4.1, package controller/pkg/setup) for tests and the sandbox: every listener on 127.0.0.1 with an ephemeral port,
// leader election off, metrics off, so several can run side by side on one machine. Its stock main binds 0.0.0.0 on
// fixed ports (xDS 9978, health 9093, metrics 9092, admin 9095).
//
// Configuration is the controller's own: KUBECONFIG for the cluster and its AGW_* environment (POD_NAMESPACE,
// AGW_CONTROLLER_NAME, AGW_AGENTGATEWAY_CLASS_NAME, AGW_LOG_LEVEL …). It prints one line "xds <addr>" once its
// listener is bound and runs until SIGINT/SIGTERM.
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/agentgateway/agentgateway/controller/pkg/setup"
	"github.com/agentgateway/agentgateway/controller/pkg/wellknown"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "error: agentgateway controller: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	// Leader election off everywhere the controller reads it (statuses would otherwise wait for a Lease).
	if err := os.Setenv("AGW_DISABLE_LEADER_ELECTION", "true"); err != nil {
		return err
	}
	// The admin server listens on localhost:<AdminPort>; 0 picks a free port.
	wellknown.AdminPort = 0

	xds, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("xDS listener: %w", err)
	}
	s, err := setup.New(setup.Options{
		XDSListener: xds,
		CtrlMgrOptions: func(ctx context.Context) *ctrl.Options {
			return &ctrl.Options{
				BaseContext:            func() context.Context { return ctx },
				Scheme:                 runtime.NewScheme(),
				HealthProbeBindAddress: "127.0.0.1:0",
				Metrics:                metricsserver.Options{BindAddress: "0"},
				LeaderElection:         false,
			}
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("xds %s\n", xds.Addr())
	return s.Start(ctrl.SetupSignalHandler())
}
