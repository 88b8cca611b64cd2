// Package k8sres is everything the plugin does with Kubernetes objects: manifests, server-side apply, statuses,
// Secrets, gateway discovery and pod logs. No UI code lives here.
package k8sres

import (
	"errors"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/clientcmd"
)

// ErrNoKubeconfig says no cluster is configured at all (no kubeconfig, no --server, not in a pod).
var ErrNoKubeconfig = errors.New("no kubeconfig found: no cluster is configured. Set KUBECONFIG or pass --kubeconfig")

// ExplainConfig turns a kubeconfig loading error into one line with the next step; the result unwraps to err.
func ExplainConfig(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case clientcmd.IsEmptyConfig(err):
		return explain.New(err, ErrNoKubeconfig.Error())
	case errors.Is(err, os.ErrNotExist), strings.Contains(err.Error(), "no such file or directory"):
		return explain.Newf(err, "loading kubeconfig: %s. Check --kubeconfig or KUBECONFIG", firstLine(err))
	case strings.Contains(err.Error(), "context") && strings.Contains(err.Error(), "does not exist"):
		return explain.Newf(err, "loading kubeconfig: %s. List contexts with kubectl config get-contexts", firstLine(err))
	}
	return explain.Newf(err, "loading kubeconfig: %s", firstLine(err))
}

// Explain turns an API error into one line naming the verb and resource, with what to do next.
// what is what the caller was doing, e.g. "reading Secret agentcore/agentcore-jwt". The result unwraps to err, so
// apierrors.IsNotFound and friends still answer on it.
func Explain(what string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "because it is being terminated"):
		return explain.Newf(err, "%s: its namespace is being deleted (Terminating). Wait until it is gone, or use another namespace", what)
	case apierrors.IsForbidden(err):
		return explain.Newf(err, "%s: forbidden (%s). Ask your cluster admin for RBAC", what, forbiddenDetail(err))
	case apierrors.IsNotFound(err):
		return explain.Newf(err, "%s: not found", what)
	case apierrors.IsUnauthorized(err):
		return explain.Newf(err, "%s: the cluster rejected the credentials (401). Refresh your kubeconfig login", what)
	case isUnreachable(err):
		return explain.Newf(err, "%s: cluster unreachable (%s). Check the kube context and network", what, firstLine(err))
	}
	return explain.Newf(err, "%s: %s", what, firstLine(err))
}

// forbiddenDetail extracts `cannot <verb> resource "<r>"` from the API server's message.
func forbiddenDetail(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "cannot "); i >= 0 {
		rest := msg[i:]
		if j := strings.Index(rest, " in API group"); j >= 0 {
			rest = rest[:j]
		}
		if j := strings.Index(rest, ": "); j >= 0 {
			rest = rest[:j]
		}
		return strings.ReplaceAll(rest, `"`, "")
	}
	return "permission denied"
}

func isUnreachable(err error) bool {
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no such host") || strings.Contains(s, "i/o timeout")
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, ". ")
}
