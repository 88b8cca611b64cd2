package setups

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setups"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// isolate keeps a test from the machine's kubeconfig and AWS configuration: an empty KUBECONFIG and HOME.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "kubeconfig"))
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws-credentials"))
}

// TestFlagsToOptions: the command line becomes Options through the runF seam; bad values and combinations are
// usage errors (exit 2) before anything is read.
func TestFlagsToOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want *Options // nil: a usage error
	}{
		{"default", nil, &Options{Output: cmdutil.OutputText, Timeout: time.Minute}},
		{"every namespace with the doctor, as JSON", []string{"-A", "--doctor", "-o", "json"},
			&Options{AllNamespaces: true, Doctor: true, Output: cmdutil.OutputJSON, OutputSet: true, Timeout: time.Minute}},
		{"namespace and every namespace", []string{"-n", "team", "-A"}, nil},
		{"bad output", []string{"-o", "wide"}, nil},
		{"non-positive timeout", []string{"--timeout", "0s"}, nil},
		{"an argument", []string{"team"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, res := cmdtest.Parse(NewCmd, tc.args...)
			cmdtest.Expect(t, got, res, tc.want, func(o *Options) { o.f = nil })
		})
	}
}

// TestSetupsCommand: against the real API server, the table and the JSON say each setup's token time left (from
// the Secret's exp, the token never printed), the rotation service's status with its last error, and a setup
// without a Secret says so; --doctor adds the doctor's counts and exits 3 when a setup fails.
func TestSetupsCommand(t *testing.T) {
	c := clustertest.Shared(t)
	isolate(t)
	ctx := context.Background()
	kube := c.Kube()
	withToken, without := c.Namespace(t, "setupscmd-token"), c.Namespace(t, "setupscmd-none")
	for _, ns := range []string{withToken, without} {
		rec := &setup.Record{Namespace: ns, Name: setup.DefaultRecordName, Mode: setup.ModeRewrite, Region: "us-east-1",
			RuntimeARN:       "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/cmd_agent-Ab12Cd34Ef",
			GatewayNamespace: ns, GatewayName: "agw", RouteName: "agentcore", BackendName: "agentcore", PolicyName: "agentcore",
			SecretName: "agentcore-jwt", ClientID: "5pk1q2abcdefghijklmnop"}
		if err := setup.Save(ctx, kube, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	exp := now.Add(90 * time.Minute)
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	token := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(map[string]any{"sub": "svc", "exp": exp.Unix()}) + ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
	if _, err := kube.CoreV1().Secrets(withToken).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt", Namespace: withToken},
		Data: map[string][]byte{setup.SecretKey: []byte("Bearer " + token)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm, err := kube.CoreV1().ConfigMaps(withToken).Get(ctx, setup.DefaultRecordName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[rotate.StatusLastError] = "mint: the identity provider refused the client secret"
	cm.Annotations[rotate.StatusFailures] = "2"
	cm.Annotations[rotate.StatusNext] = now.Add(-3 * time.Minute).Format(time.RFC3339)
	if _, err := kube.CoreV1().ConfigMaps(withToken).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, "default"); err != nil {
		t.Fatal(err)
	}
	agentcoretest.UseForAWS(t, "http://127.0.0.1:1") // nothing behind these records answers
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	env := cmdtest.Env{Factory: func(f *cmdutil.Factory) { f.Now = func() time.Time { return now } }}
	run := func(args ...string) cmdtest.Result {
		res := cmdtest.Run(env, func(f *cmdutil.Factory) *cobra.Command { return NewCmd(f, nil) }, append([]string{"--kubeconfig", kc}, args...)...)
		for _, leak := range []string{token, "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"} {
			if strings.Contains(res.Out+res.ErrOut, leak) {
				t.Fatalf("setups %v printed the token", args)
			}
		}
		return res
	}

	res := run("-n", withToken)
	if res.Code() != 0 {
		t.Fatalf("exit %d: %v\n%s", res.Code(), res.Err, res.ErrOut)
	}
	for _, want := range []string{"Setups · namespace " + withToken, withToken + "/agentcore-setup", "1h30m left", "never", "retry overdue 3m",
		withToken + "/agentcore-setup: last rotation failed (2 in a row): mint: the identity provider refused the client secret", "1 setup"} {
		if !strings.Contains(res.Out, want) {
			t.Errorf("the table lacks %q:\n%s", want, res.Out)
		}
	}
	if strings.Contains(res.Out, without) || strings.Contains(res.Out, "DOCTOR") {
		t.Errorf("-n %s listed another namespace or a doctor column:\n%s", withToken, res.Out)
	}

	res = run("-A", "-o", "json")
	if res.Code() != 0 {
		t.Fatalf("exit %d: %v", res.Code(), res.Err)
	}
	var rows []setups.Row
	if err := json.Unmarshal([]byte(res.Out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, res.Out)
	}
	got := map[string]setups.Row{}
	for _, r := range rows {
		got[r.Namespace] = r
	}
	if r := got[withToken]; !r.TokenExpires.Equal(exp) || r.Rotation.Failures != 2 || r.Doctor != nil {
		t.Errorf("%s: %+v", withToken, r)
	}
	if r := got[without]; r.TokenNote != setups.NoteNoSecret || !r.TokenExpires.IsZero() {
		t.Errorf("%s: %+v", without, r)
	}
	if !strings.Contains(res.Out, `"tokenExpires": "`+exp.Format(time.RFC3339)+`"`) {
		t.Errorf("the token's expiry is not RFC 3339 UTC:\n%s", res.Out)
	}

	// No Gateway, route or runtime behind these records: the doctor fails them.
	res = run("-n", without, "--doctor", "-o", "json")
	if res.Code() != cmdutil.ExitFindings {
		t.Fatalf("--doctor on a failing setup: exit %d (%v), want %d", res.Code(), res.Err, cmdutil.ExitFindings)
	}
	rows = nil
	if err := json.Unmarshal([]byte(res.Out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Doctor == nil || rows[0].Doctor.Fail == 0 {
		t.Fatalf("--doctor rows: %+v", rows)
	}
	res = run("-n", without, "--doctor")
	if want := "✖" + strconv.Itoa(rows[0].Doctor.Fail); !strings.Contains(res.Out, "DOCTOR") || !strings.Contains(res.Out, want) {
		t.Errorf("the table lacks the doctor's %q:\n%s", want, res.Out)
	}
}

// The home screen's Setups hint: the setups of the namespace and, in amber, the failing and the overdue
// renewals; nothing without records.
func TestHint(t *testing.T) {
	c := clustertest.Shared(t)
	ctx := context.Background()
	kube := c.Kube()
	ns := c.Namespace(t, "setupshint")
	now := time.Now().UTC().Truncate(time.Second)
	if _, ok := HintFor(ctx, kube, ns, now); ok {
		t.Fatal("a hint without records")
	}
	status := map[string]map[string]string{
		"ok":      {rotate.StatusNext: now.Add(time.Hour).Format(time.RFC3339)},
		"failing": {rotate.StatusLastError: "mint: refused", rotate.StatusFailures: "1", rotate.StatusNext: now.Add(time.Minute).Format(time.RFC3339)},
		"late":    {rotate.StatusNext: now.Add(-10 * time.Minute).Format(time.RFC3339)},
		"on-time": {rotate.StatusNext: now.Add(-time.Minute).Format(time.RFC3339)}, // within the grace
	}
	for name, a := range status {
		rec := &setup.Record{Namespace: ns, Name: name, Mode: setup.ModeRewrite, RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/hint_agent-Ab12Cd34Ef"}
		if err := setup.Save(ctx, kube, rec, nil); err != nil {
			t.Fatal(err)
		}
		cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Annotations = a
		if _, err := kube.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	h, ok := HintFor(ctx, kube, ns, now)
	if !ok || h.Text != "4 setups · 1 failing renewal · 1 overdue renewal" || h.Status != style.Warn {
		t.Fatalf("hint %+v (%v)", h, ok)
	}
}
