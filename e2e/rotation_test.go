package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/invoke"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// 3. Rotation under load: the app client issues 2-minute tokens, `rotate --watch --min-validity 90s` runs, and a
// client calls through the gateway every 100 ms for three full token lifetimes. Every call must answer 200 (no
// 401 from an expiring token), rotate must have rotated at least once per lifetime (it rotates each token with
// 90 s left — halfway through the minute AgentCore still accepts it — so about every 30 s), and it stops cleanly
// on SIGTERM. About 6½ minutes.
func TestRotationUnderLoad(t *testing.T) {
	const (
		lifetime  = 2 * time.Minute
		lifetimes = 3
	)
	need(t)
	wizard(t, "rewrite")
	invokeOK(t, "before rotation")
	rec := record(t)

	restore := setClientValidity(t, int32(lifetime/time.Minute), ciptypes.TimeUnitsTypeMinutes)
	defer restore()
	first := mint(t).IDToken
	if life := tokenLifetime(t, first); life != lifetime {
		t.Fatalf("cognito-local issued a token living %s, want %s", life, lifetime)
	}
	putToken(t, first)

	// rotate --watch as a user runs it (JSON log lines on stderr), stopped with SIGTERM.
	var rotOut, rotErr bytes.Buffer
	rot := exec.Command(bin, "rotate", "--watch", "--no-tui", "--log-format", "json", "--min-validity", "90s")
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

	// The client: one call every 100 ms through the gateway for three token lifetimes. The first failure
	// ends the run 5 s later (enough to see whether it was a blip or the token expired).
	url := sb.State.GatewayURL + rec.PathPrefix
	client := &http.Client{Timeout: 10 * time.Second}
	counts := map[int]int{}
	var bad []string
	start := time.Now()
	until := start.Add(lifetimes * lifetime)
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
		counts[resp.StatusCode]++
		if resp.StatusCode != http.StatusOK {
			if len(bad) == 0 {
				until = now.Add(5 * time.Second)
			}
			bad = append(bad, fmt.Sprintf("%s %d %s", now.Format("15:04:05.000"), resp.StatusCode, strings.TrimSpace(string(body))))
		}
	}
	ran := time.Since(start)

	_ = rot.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-rotDone:
		stopped = true
		if err != nil {
			t.Errorf("rotate --watch did not stop cleanly on SIGTERM: %v\n%s", err, rotErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("rotate --watch did not stop within 30s of SIGTERM")
	}
	rotLog := rotOut.String() + rotErr.String()

	total := 0
	for _, n := range counts {
		total += n
	}
	ev := rotateEvents(t, rotErr.String())
	t.Logf("%d calls through the gateway in %s: %v; rotate: %d rotations, %d failures, last line %q",
		total, ran.Round(time.Second), counts, len(ev.rotated), ev.failed, ev.last)
	if len(bad) > 0 {
		t.Errorf("%d of %d calls were not 200 (want 0), first: %s\ngateway access lines that were not 200:\n%s\nrotate:\n%s",
			len(bad), total, bad[0], gatewayFailures(t, start), rotLog)
	}
	if want := int(lifetimes * lifetime / (100 * time.Millisecond)); total < want/2 {
		t.Errorf("only %d calls were made in %s (want about %d)", total, ran.Round(time.Second), want)
	}

	// rotate really did the work: at least once per lifetime, every new token short-lived, never a failure.
	if want := max(3, int(ran/lifetime)); len(ev.rotated) < want {
		t.Errorf("rotate rotated %d times in %s of %s tokens, want at least %d\nrotate:\n%s", len(ev.rotated), ran.Round(time.Second), lifetime, want, rotLog)
	}
	// Each token was replaced while AgentCore still had a good while to accept it (its last minute is refused):
	// with 2-minute tokens rotate acts with 90 s left, so the gateway has ≥ 15 s of slack to pick the new one up.
	// A threshold at lifetime/2 (60 s, the old cap) would replace tokens at the very moment they are refused.
	minOldLeft := time.Duration(1<<63 - 1)
	for i, r := range ev.rotated {
		if r.Lifetime != lifetime.String() || r.RotateWhenLeft != rotate.Threshold(lifetime).String() {
			t.Errorf("a rotation minted a token living %q rotated with %q left; want %s and %s\nrotate:\n%s",
				r.Lifetime, r.RotateWhenLeft, lifetime, rotate.Threshold(lifetime), rotLog)
			break
		}
		at, err1 := time.Parse(time.RFC3339Nano, r.Time)
		old, err2 := time.Parse(time.RFC3339, r.OldExpiresAt)
		if err1 != nil || err2 != nil {
			t.Errorf("rotation %d: unreadable time %q or oldExpiresAt %q", i+1, r.Time, r.OldExpiresAt)
			continue
		}
		minOldLeft = min(minOldLeft, old.Sub(at))
	}
	if len(ev.rotated) > 0 {
		t.Logf("least time left on a token when rotate replaced it: %s", minOldLeft.Round(100*time.Millisecond))
		if minOldLeft < rotate.AgentCoreRefusalMargin+15*time.Second {
			t.Errorf("rotate replaced a token with only %s left; AgentCore refuses from %s, so that is cutting it too close\nrotate:\n%s",
				minOldLeft.Round(100*time.Millisecond), rotate.AgentCoreRefusalMargin, rotLog)
		}
	}
	if ev.failed > 0 {
		t.Errorf("rotate reported %d failed rotations\nrotate:\n%s", ev.failed, rotLog)
	}
	if ev.last != "stopped" {
		t.Errorf("rotate's last log line is %q, want \"stopped\" after SIGTERM\nrotate:\n%s", ev.last, rotLog)
	}

	// The Secret holds a token rotate wrote, newer than the first and still well inside AgentCore's window.
	s, err := sb.Cluster.Kube().CoreV1().Secrets(rec.Namespace).Get(context.Background(), rec.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur := strings.TrimPrefix(string(s.Data["Authorization"]), "Bearer ")
	if cur == first {
		t.Fatalf("rotate --watch never replaced the first token\nrotate:\n%s", rotLog)
	}
	if left := time.Until(tokenExpiry(t, cur)); left <= rotate.AgentCoreRefusalMargin {
		t.Errorf("after rotate stopped, the Secret's token has %s left: AgentCore refuses it already", left.Round(time.Second))
	}
}

// rotated is one "token rotated" line of rotate --watch --log-format json.
type rotated struct {
	Time           string `json:"time"`
	Lifetime       string `json:"lifetime"`
	RotateWhenLeft string `json:"rotateWhenLeft"`
	OldExpiresAt   string `json:"oldExpiresAt"`
}

type watchLog struct {
	rotated []rotated
	failed  int
	last    string // msg of the last line
}

// rotateEvents reads rotate's JSON log; every line must be JSON.
func rotateEvents(t *testing.T, stderr string) watchLog {
	t.Helper()
	var w watchLog
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m struct {
			Msg   string `json:"msg"`
			Level string `json:"level"`
		}
		if err := json.Unmarshal(line, &m); err != nil {
			t.Errorf("rotate --log-format json wrote a line that is not JSON: %q", line)
			continue
		}
		w.last = m.Msg
		switch {
		case m.Msg == "token rotated":
			var r rotated
			_ = json.Unmarshal(line, &r)
			w.rotated = append(w.rotated, r)
		case m.Level == "ERROR":
			w.failed++
		}
	}
	return w
}

// gatewayFailures is the gateway's access lines for the route that were not 200 since t0 (at most ten).
func gatewayFailures(t *testing.T, t0 time.Time) string {
	t.Helper()
	var out []string
	for _, l := range logLines(t, "--route", "agentcore/agentcore", "--since", "15m") {
		ts, _ := time.Parse(time.RFC3339Nano, l.Time)
		if l.Status != http.StatusOK && !ts.Before(t0) && len(out) < 10 {
			b, _ := json.Marshal(l)
			out = append(out, "  "+string(b))
		}
	}
	if len(out) == 0 {
		return "  (none found by logs)"
	}
	return strings.Join(out, "\n")
}

func tokenExpiry(t *testing.T, tok string) time.Time {
	t.Helper()
	c, err := jwtparts.Claims(tok)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := c["exp"].(float64)
	return time.Unix(int64(exp), 0)
}

func tokenLifetime(t *testing.T, tok string) time.Duration {
	t.Helper()
	c, err := jwtparts.Claims(tok)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := c["exp"].(float64)
	iat, _ := c["iat"].(float64)
	return time.Duration(exp-iat) * time.Second
}
