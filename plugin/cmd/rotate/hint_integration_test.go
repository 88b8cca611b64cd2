package rotate_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	rotatecmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func unsignedJWT(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(fmt.Sprintf(`{"exp":%d,"iat":%d}`, exp.Unix(), exp.Add(-time.Hour).Unix()))) + ".c2ln"
}

// TestHomeHint: the home screen's note next to Rotate reads the setup's Secret.
func TestHomeHint(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "rotate-hint")
	kube := c.Kube()
	ctx := context.Background()
	now := time.Now()

	if _, ok := rotatecmd.HintFor(ctx, kube, ns, now); ok {
		t.Fatal("no setup record: the hint must stay empty")
	}
	rec := &setup.Record{Namespace: ns, Name: setup.DefaultRecordName, RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-0123456789",
		GatewayName: "gw", SecretName: "agentcore-jwt", UserPoolID: "us-east-1_x", ClientID: "c", Username: "u"}
	if err := setup.Save(ctx, kube, rec, nil); err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt", Namespace: ns}, StringData: map[string]string{"Authorization": "Bearer " + unsignedJWT(now.Add(12*time.Minute+30*time.Second))}}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		exp    time.Duration
		text   string
		status style.Status
	}{
		{12*time.Minute + 30*time.Second, "token expires in 12m", style.Warn},
		{41*time.Minute + 30*time.Second, "token expires in 41m", style.Pass},
		{-3 * time.Minute, "token expired 3m ago", style.Fail},
	} {
		s, _ := kube.CoreV1().Secrets(ns).Get(ctx, "agentcore-jwt", metav1.GetOptions{})
		s.Data["Authorization"] = []byte("Bearer " + unsignedJWT(now.Add(tc.exp)))
		if _, err := kube.CoreV1().Secrets(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		h, ok := rotatecmd.HintFor(ctx, kube, ns, now)
		if !ok || h.Text != tc.text || h.Status != tc.status {
			t.Fatalf("exp %s: hint %+v ok=%v, want %q %s", tc.exp, h, ok, tc.text, tc.status)
		}
	}
}
