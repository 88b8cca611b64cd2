//go:build tools

// Package testbin pins the real kube-apiserver for the test cluster; see the Makefile's testbin target.
package testbin

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
