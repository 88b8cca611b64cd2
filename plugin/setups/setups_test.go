package setups_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setups"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

// jwt builds an unsigned-but-well-formed token (the list reads exp only; signatures are doctor's business).
func jwt(t *testing.T, exp time.Time) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(map[string]any{"sub": "svc", "exp": exp.Unix()}) + ".c2ln"
}

func TestListTwoRecords(t *testing.T) {
	c := clustertest.Shared(t)
	ctx := context.Background()
	kube := c.Kube()
	nsA, nsB := c.Namespace(t, "setups-a"), c.Namespace(t, "setups-b")

	// A: rewrite with a token Secret and rotation status; B: sigv4 (no token, never rotated).
	a := setup.Record{Namespace: nsA, RuntimeARN: arn, IdentityProvider: setup.IdPCognito}.WithDefaults()
	if err := setup.Save(ctx, kube, &a, &setup.Credentials{ClientSecret: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(42 * time.Minute).Truncate(time.Second)
	token := jwt(t, exp)
	if _, err := kube.CoreV1().Secrets(nsA).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: a.SecretName},
		Data:       map[string][]byte{setup.SecretKey: []byte("Bearer " + token)},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	last := time.Now().Add(-5 * time.Minute).UTC().Truncate(time.Second)
	next := last.Add(30 * time.Minute)
	cm, err := kube.CoreV1().ConfigMaps(nsA).Get(ctx, a.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[rotate.StatusLastRotation] = last.Format(time.RFC3339)
	cm.Annotations[rotate.StatusNext] = next.Format(time.RFC3339)
	cm.Annotations[rotate.StatusLastError] = "mint: connection refused"
	if _, err := kube.CoreV1().ConfigMaps(nsA).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	b := setup.Record{Namespace: nsB, RuntimeARN: arn, Mode: setup.ModeSigV4, IdentityProvider: setup.IdPNone}.WithDefaults()
	if err := setup.Save(ctx, kube, &b, nil); err != nil {
		t.Fatal(err)
	}
	// C: passthrough, the callers' own tokens (a Secret of the old name there is not the gateway's token)
	nsC := c.Namespace(t, "setups-c")
	pc := setup.Record{Namespace: nsC, RuntimeARN: arn, Mode: setup.ModePassthrough, IdentityProvider: setup.IdPExternal,
		DiscoveryURL: "https://idp.example.com/.well-known/openid-configuration", Audience: []string{"app"}}.WithDefaults()
	if err := setup.Save(ctx, kube, &pc, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Secrets(nsC).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt"},
		Data: map[string][]byte{setup.SecretKey: []byte("Bearer " + token)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	rows, err := setups.List(ctx, kube, "")
	if err != nil {
		t.Fatal(err)
	}
	var ra, rb, rc *setups.Row
	for i := range rows {
		if rows[i].Namespace == nsC {
			rc = &rows[i]
		}
		switch rows[i].Namespace {
		case nsA:
			ra = &rows[i]
		case nsB:
			rb = &rows[i]
		}
	}
	if ra == nil || rb == nil {
		t.Fatalf("want both setups listed, got %+v", rows)
	}
	if ra.Setup != nsA+"/"+setup.DefaultRecordName || ra.Mode != "rewrite" || ra.Identity != setup.IdPCognito || ra.Target != setup.TargetRuntime {
		t.Errorf("row A: %+v", *ra)
	}
	if !ra.TokenExpires.Equal(exp) || ra.TokenNote != "" {
		t.Errorf("row A token expiry = %v (%q), want %v", ra.TokenExpires, ra.TokenNote, exp)
	}
	if !ra.Rotation.LastRotation.Equal(last) || !ra.Rotation.Next.Equal(next) || ra.Rotation.LastError != "mint: connection refused" {
		t.Errorf("row A rotation: %+v", ra.Rotation)
	}
	if rb.Mode != "sigv4" || !rb.TokenExpires.IsZero() || rb.TokenNote != setups.NoteNoToken || !rb.Rotation.LastRotation.IsZero() {
		t.Errorf("row B: %+v", *rb)
	}
	now := time.Now()
	if rc == nil || !rc.TokenExpires.IsZero() || rc.TokenNote != setups.NoteCallerToken || rc.Rotated(now) != "—" || rb.Rotated(now) != "—" || ra.Rotated(now) == "—" {
		t.Errorf("row C (passthrough): %+v; ROTATED %q, sigv4's %q", rc, rc.Rotated(now), rb.Rotated(now))
	}
	// The token never leaves the use case.
	js, _ := json.Marshal(rows)
	if strings.Contains(string(js), token[:20]) {
		t.Errorf("rows carry the token: %s", js)
	}

	// One namespace lists only its own; a Secret without the key is named as such.
	if err := kube.CoreV1().Secrets(nsA).Delete(ctx, a.SecretName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	rows, err = setups.List(ctx, kube, nsA)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Namespace != nsA || rows[0].TokenNote != setups.NoteNoSecret {
		t.Errorf("namespace A after deleting the Secret: %+v", rows)
	}
}
