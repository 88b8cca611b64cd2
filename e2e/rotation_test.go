package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/invoke"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// 3. Rotation under load: the Secret starts with a short-lived token, `rotate --watch` runs, a client calls every
// 100 ms through the gateway past the moment AgentCore starts refusing that token: no 401 may be caused by expiry.
//
// rotate never writes a token with less than 5 minutes left (Cognito's shortest validity), so the tokens it mints
// live 5 minutes; the first token (minted here with a 150 s validity) is what has to be replaced in time. By
// default the client runs until 15 s after AgentCore would have refused the first token (about 2 minutes);
// AGENTCORE_E2E_LONG=1 runs three full 5-minute lifetimes instead.
func TestRotationUnderLoad(t *testing.T) {
	need(t)
	wizard(t, "rewrite")
	invokeOK(t, "before rotation")
	rec := record(t)

	const shortLife = 150 // seconds
	first := mintWithValidity(t, shortLife, ciptypes.TimeUnitsTypeSeconds)
	restore := setClientValidity(t, 5, ciptypes.TimeUnitsTypeMinutes) // what rotate will mint
	defer restore()
	putToken(t, first)
	claims, _ := awsops.UnverifiedClaims(first)
	firstExp := time.Unix(int64(claims["exp"].(float64)), 0)
	refusedFrom := firstExp.Add(-60 * time.Second) // AgentCore refuses tokens with under a minute left
	until := refusedFrom.Add(15 * time.Second)
	if os.Getenv("AGENTCORE_E2E_LONG") == "1" {
		until = time.Now().Add(3 * 5 * time.Minute)
	}

	// rotate --watch as a user runs it, stopped with SIGTERM.
	var rotOut, rotErr bytes.Buffer
	rot := exec.Command(bin, "rotate", "--watch", "--no-tui", "--log-format", "json")
	rot.Env = env()
	rot.Stdout, rot.Stderr = &rotOut, &rotErr
	if err := rot.Start(); err != nil {
		t.Fatal(err)
	}
	rotDone := make(chan error, 1)
	go func() { rotDone <- rot.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = rot.Process.Kill()
			<-rotDone
		}
	}()

	// The client: one call every 100 ms through the gateway.
	url := sb.State.GatewayURL + rec.PathPrefix
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	counts := map[int]int{}
	var bad []string
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for now := range tick.C {
		if now.After(until) {
			break
		}
		select {
		case err := <-rotDone:
			stopped = true
			t.Fatalf("rotate --watch exited early (%v):\n%s%s", err, rotOut.String(), rotErr.String())
		default:
		}
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(invoke.DefaultPayload("tick")))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(invoke.SessionHeader, invoke.NewSessionID())
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("calling the gateway: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mu.Lock()
		counts[resp.StatusCode]++
		if resp.StatusCode != 200 {
			bad = append(bad, fmt.Sprintf("%s %d %s", now.Format("15:04:05.000"), resp.StatusCode, strings.TrimSpace(string(body))))
		}
		mu.Unlock()
	}

	_ = rot.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-rotDone:
		stopped = true
		if err != nil {
			t.Errorf("rotate --watch did not stop cleanly on SIGTERM: %v\n%s", err, rotErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("rotate --watch did not stop within 30s of SIGTERM")
	}

	total := 0
	for _, n := range counts {
		total += n
	}
	t.Logf("%d calls through the gateway: %v; first token refused by AgentCore from %s", total, counts, refusedFrom.Format("15:04:05"))
	if len(bad) > 0 {
		t.Errorf("%d calls failed (want 0), first: %s\nrotate:\n%s%s", len(bad), bad[0], rotOut.String(), rotErr.String())
	}
	if want := int(until.Sub(start) / (100 * time.Millisecond)); total < want/2 {
		t.Errorf("only %d calls were made in %s (want about %d)", total, until.Sub(start).Round(time.Second), want)
	}
	// The Secret now holds a token newer than the short-lived one, written by rotate.
	s, err := sb.Cluster.Kube().CoreV1().Secrets(rec.Namespace).Get(context.Background(), rec.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur := strings.TrimPrefix(string(s.Data["Authorization"]), "Bearer ")
	if cur == first {
		t.Fatalf("rotate --watch never replaced the short-lived token\nrotate:\n%s%s", rotOut.String(), rotErr.String())
	}
	cc, _ := awsops.UnverifiedClaims(cur)
	if exp := time.Unix(int64(cc["exp"].(float64)), 0); exp.Before(firstExp) {
		t.Errorf("the Secret's token expires at %s, before the first one (%s)", exp, firstExp)
	}
}
