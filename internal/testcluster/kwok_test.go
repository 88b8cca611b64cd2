package testcluster_test

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// TestKwokServesAppendedLogs follows a pod's log through the real apiserver and kwok: lines already in the
// file arrive first, lines appended while following arrive next.
func TestKwokServesAppendedLogs(t *testing.T) {
	k := clustertest.SharedWithKwok(t)
	ns := k.Namespace(t, "kwok")
	p := k.GatewayProxyPod(t, ns, "gw", "gw-proxy-1")
	p.Append(t, "first line")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc, err := k.Kube().CoreV1().Pods(ns).GetLogs("gw-proxy-1", &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	if !sc.Scan() || sc.Text() != "first line" {
		t.Fatalf("first read = %q, %v", sc.Text(), sc.Err())
	}
	p.Append(t, "appended while following")
	if !sc.Scan() || sc.Text() != "appended while following" {
		t.Fatalf("second read = %q, %v", sc.Text(), sc.Err())
	}
	pod, err := k.Kube().CoreV1().Pods(ns).Get(ctx, "gw-proxy-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Labels[testcluster.GatewayNameLabel] != "gw" || !strings.HasPrefix(pod.Spec.NodeName, "kwok") {
		t.Fatalf("pod labels/node = %v %s", pod.Labels, pod.Spec.NodeName)
	}
}
