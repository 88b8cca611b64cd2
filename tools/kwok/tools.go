//go:build tools

// Package kwok pins sigs.k8s.io/kwok (the fake kubelet that serves pod logs from files in the test cluster);
// see the Makefile's testbin target and internal/testcluster/kwok.go.
package kwok

import _ "sigs.k8s.io/kwok/cmd/kwok"
