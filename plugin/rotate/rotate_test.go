package rotate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const client = "client-abc"

func newEngine(t *testing.T, is *issuer, clock rotate.Clock, store rotate.Store, audience string) (*rotate.Engine, *fakeMinter) {
	m := &fakeMinter{t: t, is: is, clock: clock, client: client, ttl: time.Hour}
	return &rotate.Engine{
		Minter:    m,
		Validator: &rotate.AuthorizerValidator{Authorizer: rotate.ImpliedAuthorizer(is.DiscoveryURL(), audience, rotate.TokenUseID, nil)},
		Store:     store,
		Clock:     clock,
		Creds:     rotate.Credentials{UserPoolID: "local_pool", ClientID: client, Username: "svc", Password: "pw", RefreshToken: "rt-1"},
	}, m
}

func TestOncePrefersRefreshAndStoresRotatedRefreshToken(t *testing.T) {
	is := newIssuer(t)
	clock := &fakeClock{now: time.Now()}
	st := &memStore{}
	e, m := newEngine(t, is, clock, st, client)
	m.rotateRT = "rt-2"
	st.value = "Bearer " + is.sign(t, client, "cognito-uuid-user", clock.Now().Add(-50*time.Minute), time.Hour)

	res, err := e.Once(context.Background(), rotate.Options{})
	if err != nil {
		t.Fatalf("Once: %v", err)
	}
	if res.Action != rotate.ActionRotated || res.Method != rotate.MethodRefresh {
		t.Fatalf("action %s method %s, want rotated via refresh-token", res.Action, res.Method)
	}
	if m.password.Load() != 0 {
		t.Fatal("the password must not be used when the refresh token works")
	}
	if m.lastUser != "cognito-uuid-user" {
		t.Fatalf("refresh used username %q, want the stored token's cognito:username", m.lastUser)
	}
	if st.rt != "rt-2" || !res.RefreshTokenRotated || e.Creds.RefreshToken != "rt-2" {
		t.Fatalf("rotated refresh token not stored (store %q, result %v)", st.rt, res.RefreshTokenRotated)
	}
	if strings.Contains(res.Token, ".") && len(res.Token) > 60 {
		t.Fatalf("result token not masked: %s", res.Token)
	}
}

func TestOnceFallsBackToPasswordWhenRefreshRefused(t *testing.T) {
	is := newIssuer(t)
	clock := &fakeClock{now: time.Now()}
	st := &memStore{}
	e, m := newEngine(t, is, clock, st, client)
	m.failRefresh = errors.New("the refresh token is no longer valid (NotAuthorizedException)")
	res, err := e.Once(context.Background(), rotate.Options{})
	if err != nil {
		t.Fatalf("Once: %v", err)
	}
	if res.Method != rotate.MethodPassword || !strings.Contains(res.Note, "refresh token was refused") {
		t.Fatalf("method %s note %q, want the password fallback explained", res.Method, res.Note)
	}
	// Cognito not reachable at all: no point trying the password too.
	m.failRefresh = fmt.Errorf("refreshing: %w", rotate.ErrUnreachable)
	before := m.password.Load()
	if _, err := e.Once(context.Background(), rotate.Options{Force: true}); !errors.Is(err, rotate.ErrUnreachable) || m.password.Load() != before {
		t.Fatalf("unreachable Cognito: err %v, password tried %d times", err, m.password.Load()-before)
	}
	m.failRefresh = errors.New("the refresh token is no longer valid (NotAuthorizedException)")
	m.failPassword = errors.New("incorrect username or password (NotAuthorizedException)")
	_, err = e.Once(context.Background(), rotate.Options{Force: true})
	if err == nil || !strings.Contains(err.Error(), "refresh token is no longer valid") || !strings.Contains(err.Error(), "incorrect username or password") {
		t.Fatalf("both failing must name both reasons, got %v", err)
	}
}

func TestOnceNeverWritesARefusedToken(t *testing.T) {
	is := newIssuer(t)
	clock := &fakeClock{now: time.Now()}
	old := "Bearer " + is.sign(t, client, "u", clock.Now().Add(-55*time.Minute), time.Hour)
	st := &memStore{value: old}
	e, _ := newEngine(t, is, clock, st, "another-client") // the authorizer wants another audience
	_, err := e.Once(context.Background(), rotate.Options{})
	var re *rotate.Error
	if !errors.As(err, &re) || re.Stage != rotate.StageValidate {
		t.Fatalf("want a validate-stage error, got %v", err)
	}
	if !strings.Contains(err.Error(), "authorizer.audience") || !strings.Contains(err.Error(), "keeps the old token") {
		t.Fatalf("error must name the audience check and say the old token stays: %v", err)
	}
	if st.writes != 0 || st.value != old {
		t.Fatal("a refused token was written")
	}

	// A token from another issuer (signature does not verify) is refused too.
	other := newIssuer(t)
	e2, m2 := newEngine(t, is, clock, st, client)
	m2.is = other
	if _, err := e2.Once(context.Background(), rotate.Options{Force: true}); err == nil || st.writes != 0 {
		t.Fatalf("a token signed by another key must be refused, got %v (writes %d)", err, st.writes)
	}

	// A token that lives less than 5 minutes (the default minimum validity) is refused …
	e3, m3 := newEngine(t, is, clock, st, client)
	m3.ttl = 3 * time.Minute
	if _, err := e3.Once(context.Background(), rotate.Options{Force: true}); err == nil || !strings.Contains(err.Error(), "less than the minimum validity 5m") || st.writes != 0 {
		t.Fatalf("a 3-minute token must be refused, got %v", err)
	}
	// … unless the engine is told a shorter minimum (a short-lived test pool), which is still enforced.
	e3.MinValidity = 2 * time.Minute
	if res, err := e3.Once(context.Background(), rotate.Options{Force: true}); err != nil || res.Action != rotate.ActionRotated || st.writes != 1 {
		t.Fatalf("a 3-minute token with MinValidity 2m must be written, got %+v %v", res, err)
	}
	m3.ttl = 100 * time.Second
	if _, err := e3.Once(context.Background(), rotate.Options{Force: true}); err == nil || !strings.Contains(err.Error(), "less than the minimum validity 2m") || st.writes != 1 {
		t.Fatalf("a 100 s token with MinValidity 2m must be refused, got %v", err)
	}
	for d, ok := range map[time.Duration]bool{rotate.LowestMinValidity: true, 5 * time.Minute: true, 89 * time.Second: false, 0: false, -time.Minute: false} {
		if err := rotate.ValidateMinValidity(d); (err == nil) != ok {
			t.Errorf("ValidateMinValidity(%s) = %v, want ok=%v", d, err, ok)
		}
	}
}

func TestOnceSkipsFreshAndDryRunWritesNothing(t *testing.T) {
	is := newIssuer(t)
	clock := &fakeClock{now: time.Now()}
	st := &memStore{value: "Bearer " + is.sign(t, client, "u", clock.Now().Add(-10*time.Minute), time.Hour)}
	e, m := newEngine(t, is, clock, st, client)
	res, err := e.Once(context.Background(), rotate.Options{})
	if err != nil || res.Action != rotate.ActionFresh || m.Calls() != 0 {
		t.Fatalf("fresh token: action %v err %v mints %d, want fresh without minting", res, err, m.Calls())
	}
	res, err = e.Once(context.Background(), rotate.Options{MinRemaining: 55 * time.Minute})
	if err != nil || res.Action != rotate.ActionRotated {
		t.Fatalf("--min-remaining 55m must rotate a token with 50m left: %+v %v", res, err)
	}
	writes := st.writes
	res, err = e.Once(context.Background(), rotate.Options{DryRun: true})
	if err != nil || res.Action != rotate.ActionDryRun || st.writes != writes || res.NewExpiry == nil {
		t.Fatalf("dry run: %+v %v writes %d→%d", res, err, writes, st.writes)
	}
}

// A rotation says what it writes (or would) in the plan vocabulary of the wizard and teardown.
func TestOnceChangesInPlanWords(t *testing.T) {
	is := newIssuer(t)
	clock := &fakeClock{now: time.Now()}
	st := &memStore{value: "Bearer " + is.sign(t, client, "u", clock.Now().Add(-10*time.Minute), time.Hour)}
	e, _ := newEngine(t, is, clock, st, client)
	for _, c := range []struct {
		o    rotate.Options
		want plan.Action
	}{
		{rotate.Options{}, plan.Unchanged}, // fresh
		{rotate.Options{DryRun: true}, plan.Update},
		{rotate.Options{Force: true}, plan.Update},
	} {
		res, err := e.Once(context.Background(), c.o)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Changes) != 1 || res.Changes[0].Action != c.want || res.Changes[0].Target != "Secret "+res.Secret ||
			res.Changes[0].Kind != plan.KindKubernetes || plan.Changes(res.Changes) != map[bool]int{true: 1}[c.want.Changes()] {
			t.Fatalf("%+v (%s): changes %+v, want one %s of Secret %s", c.o, res.Action, res.Changes, c.want, res.Secret)
		}
	}
}

func TestThresholdAndBackoff(t *testing.T) {
	// max(5 min, 20% of the lifetime), capped at (lifetime + 60 s AgentCore refusal margin)/2: rotation happens
	// at the latest halfway through the usable window (lifetime − margin), so margin + half of it is left.
	for _, c := range []struct {
		life, want time.Duration
		why        string
	}{
		{time.Hour, 12 * time.Minute, "20% of an hour; the cap (30m30s) does not bite"},
		{24 * time.Hour, 288 * time.Minute, "20% of a day"},
		{15 * time.Minute, 5 * time.Minute, "the 5-minute floor; cap 7m30s"},
		{10 * time.Minute, 5 * time.Minute, "the floor; cap 5m30s"},
		{5 * time.Minute, 180 * time.Second, "capped: 60 s margin + half of the 4 usable minutes"},
		{3 * time.Minute, 120 * time.Second, "capped: 60 s margin + 60 s"},
		{2 * time.Minute, 90 * time.Second, "capped: 60 s margin + 30 s (lifetime/2 would be 60 s: refused already)"},
		{90 * time.Second, 75 * time.Second, "capped at the lowest --min-validity: 60 s margin + 15 s"},
		{0, 12 * time.Minute, "unknown lifetime: assume an hour"},
	} {
		got := rotate.Threshold(c.life)
		if got != c.want {
			t.Errorf("Threshold(%s) = %s, want %s (%s)", c.life, got, c.want, c.why)
		}
		// Never earlier than halfway through the usable window (no re-minting in a tight loop) …
		if c.life > 0 && got > (c.life+rotate.AgentCoreRefusalMargin)/2 {
			t.Errorf("Threshold(%s) = %s rotates before the middle of the usable window", c.life, got)
		}
		// … and always while AgentCore still accepts the token, with time to spare.
		if c.life >= rotate.LowestMinValidity && got <= rotate.AgentCoreRefusalMargin {
			t.Errorf("Threshold(%s) = %s: at or inside AgentCore's refusal margin", c.life, got)
		}
	}
	one := func() float64 { return 0.999999 }
	half := func() float64 { return 0 }
	prev := time.Duration(0)
	for n := 1; n <= 10; n++ {
		d := rotate.Backoff(n, one)
		if d < prev || d > rotate.BackoffMax {
			t.Fatalf("Backoff(%d) = %s: must grow and stay under %s", n, d, rotate.BackoffMax)
		}
		if lo := rotate.Backoff(n, half); lo < d/2-time.Millisecond || lo > d {
			t.Fatalf("jitter range wrong: %s vs %s", lo, d)
		}
		prev = d
	}
	if rotate.Backoff(1, one) > 6*time.Second || rotate.Backoff(20, one) < 4*time.Minute {
		t.Fatal("backoff must start near 5s and cap near 5m")
	}
}

// TestWatchSimulatedDay runs the watch loop over a simulated day of 1-hour tokens against the real apiserver
// Secret: the Secret never holds a token with less than 60 s left, and Cognito is called about once per
// rotation (24–31 times), not in a loop. A burst of Cognito outages is retried with growing backoff.
func TestWatchSimulatedDay(t *testing.T) {
	c := clustertest.Shared(t)
	ns := c.Namespace(t, "rotate-day")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	is := newIssuer(t)
	start := time.Now().Truncate(time.Second)
	clock := &fakeClock{now: start}
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst = 1000, 1000 // the simulated day reads the Secret a few hundred times in seconds
	kube := kubernetes.NewForConfigOrDie(cfg)
	initial := "Bearer " + is.sign(t, client, "svc-user", start.Add(-5*time.Minute), time.Hour)
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt", Namespace: ns},
		StringData: map[string]string{"Authorization": initial}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	store := &rotate.KubeStore{Kube: kube, Namespace: ns, Name: "agentcore-jwt"}
	e, m := newEngine(t, is, clock, store, client)

	var minLeft = 24 * time.Hour
	var failures, rotations int
	var maxBackoff time.Duration
	sleeps := 0
	clock.onSleep = func(from, to time.Time) {
		sleeps++
		if to.Sub(from) < time.Second {
			t.Errorf("slept only %s: a tight loop", to.Sub(from))
		}
		st, err := store.Read(context.Background())
		if err != nil {
			t.Errorf("reading the Secret: %v", err)
			cancel()
			return
		}
		if left := st.Claims.Exp.Sub(to); left < minLeft {
			minLeft = left
		}
		if to.Sub(start) >= 24*time.Hour {
			cancel()
		}
	}
	// Eight hours in, Cognito is unreachable for four attempts (each tries the refresh token, then the password).
	outage := false
	err := e.Watch(ctx, rotate.WatchOptions{OnEvent: func(ev rotate.Event) {
		switch ev.Kind {
		case rotate.EventRotated:
			rotations++
		case rotate.EventFailed:
			failures++
			if d := ev.Next.Sub(ev.Time); d > maxBackoff {
				maxBackoff = d
			}
		}
		if !outage && ev.Time.Sub(start) > 8*time.Hour {
			outage = true
			m.mu.Lock()
			m.failN, m.failErr = 8, errUnreachable
			m.mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	calls := m.Calls()
	t.Logf("simulated day: %d rotations, %d Cognito calls, %d failures, %d wake-ups, min remaining %s, largest backoff %s", rotations, calls, failures, sleeps, minLeft, maxBackoff)
	if sleeps > 250 {
		t.Fatalf("%d wake-ups in a day: the loop polls too often (want about one per 10 minutes plus retries)", sleeps)
	}
	if minLeft < 60*time.Second {
		t.Fatalf("the Secret held a token with only %s left", minLeft)
	}
	if normal := calls - 8; normal < 24 || normal > 31 || rotations < 24 || rotations > 31 {
		t.Fatalf("Cognito called %d times (8 of them in the outage) for %d rotations in a day; want about 24–30", calls, rotations)
	}
	if failures != 4 || maxBackoff < 20*time.Second || maxBackoff > rotate.BackoffMax {
		t.Fatalf("outage: %d failures, largest backoff %s; want 4 failures with growing backoff", failures, maxBackoff)
	}
}

// TestWatchShortLivedTokens runs the loop over a simulated hour of 2-minute tokens (a test pool, MinValidity
// 90 s): threshold 90 s, so each token is replaced with 90 s left — 30 s before AgentCore starts refusing it —
// every 21–30 s; a freshly minted token found at start is not re-minted at once.
func TestWatchShortLivedTokens(t *testing.T) {
	is := newIssuer(t)
	start := time.Now().Truncate(time.Second)
	clock := &fakeClock{now: start}
	st := &memStore{value: "Bearer " + is.sign(t, client, "svc-user", start, 2*time.Minute)}
	e, m := newEngine(t, is, clock, st, client)
	m.ttl = 2 * time.Minute
	e.MinValidity = 90 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	minLeft := time.Hour
	clock.onSleep = func(from, to time.Time) {
		if to.Sub(from) < time.Second {
			t.Errorf("slept only %s: a tight loop", to.Sub(from))
		}
		cur, _ := st.Read(context.Background())
		if left := cur.Claims.Exp.Sub(to); left < minLeft {
			minLeft = left
		}
		if to.Sub(start) >= time.Hour {
			cancel()
		}
	}
	var kinds []rotate.EventKind
	var failed []string
	err := e.Watch(ctx, rotate.WatchOptions{OnEvent: func(ev rotate.Event) {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == rotate.EventFailed {
			failed = append(failed, ev.Err.Error())
		}
		if ev.Kind == rotate.EventRotated && ev.Threshold != 90*time.Second {
			t.Errorf("rotated with threshold %s for 2-minute tokens, want 90s", ev.Threshold)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	rotations := 0
	for _, k := range kinds {
		if k == rotate.EventRotated {
			rotations++
		}
	}
	t.Logf("simulated hour of 2-minute tokens: %d rotations, %d Cognito calls, min remaining %s", rotations, m.Calls(), minLeft)
	if len(failed) > 0 {
		t.Fatalf("failures: %v", failed)
	}
	if len(kinds) < 2 || kinds[1] != rotate.EventFresh {
		t.Fatalf("a fresh 2-minute token at start must be left alone first, events %v", kinds[:min(len(kinds), 4)])
	}
	if minLeft <= rotate.AgentCoreRefusalMargin+15*time.Second {
		t.Fatalf("the Secret held a token with only %s left (AgentCore refuses from %s)", minLeft, rotate.AgentCoreRefusalMargin)
	}
	// One rotation every 30 s (lifetime − threshold) minus the early-wake jitter (up to threshold/10 = 9 s):
	// every 21–30 s, so 120–171 in the hour; never more (a loop) and never fewer (late).
	if rotations < 115 || rotations > 176 || m.Calls() != int64(rotations) {
		t.Fatalf("%d rotations / %d Cognito calls in an hour of 2-minute tokens; want one every 21–30 s (120–171)", rotations, m.Calls())
	}
}

func TestWatchStopsCleanlyAndHonoursTrigger(t *testing.T) {
	is := newIssuer(t)
	clock := rotate.RealClock{}
	st := &memStore{value: "Bearer " + is.sign(t, client, "u", time.Now(), time.Hour)}
	e, m := newEngine(t, is, clock, st, client)
	ctx, cancel := context.WithCancel(context.Background())
	trigger := make(chan struct{}, 1)
	events := make(chan rotate.Event, 16)
	done := make(chan error, 1)
	go func() {
		done <- e.Watch(ctx, rotate.WatchOptions{Trigger: trigger, OnEvent: func(ev rotate.Event) { events <- ev }})
	}()
	waitFor := func(k rotate.EventKind) rotate.Event {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case ev := <-events:
				if ev.Kind == k {
					return ev
				}
			case <-timeout:
				t.Fatalf("no %s event", k)
			}
		}
	}
	waitFor(rotate.EventFresh)
	trigger <- struct{}{}
	if ev := waitFor(rotate.EventRotated); ev.Result == nil || m.Calls() != 1 {
		t.Fatalf("trigger must rotate once, got %+v (calls %d)", ev, m.Calls())
	}
	cancel()
	waitFor(rotate.EventStopping)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Watch returned %v on shutdown, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Watch did not stop")
	}
}

// orderStore logs the order of Store calls and can fail a write.
type orderStore struct {
	memStore
	log      []string
	writeErr error
	rtErr    error
}

func (s *orderStore) Write(ctx context.Context, prev, value string, exp time.Time, a map[string]string) (rotate.WriteOutcome, error) {
	s.log = append(s.log, "token")
	if s.writeErr != nil {
		return rotate.WriteOutcome{}, s.writeErr
	}
	return s.memStore.Write(ctx, prev, value, exp, a)
}

func (s *orderStore) SaveRefreshToken(ctx context.Context, rt string) error {
	s.log = append(s.log, "refresh-token")
	if s.rtErr != nil {
		return s.rtErr
	}
	return s.memStore.SaveRefreshToken(ctx, rt)
}

// A rotated refresh token is stored before the new token is written (Cognito kills the old one within a minute),
// also when the token write then fails, when the new token is refused, and in a dry run; when storing it fails,
// nothing else is written.
func TestRotatedRefreshTokenIsStoredFirst(t *testing.T) {
	is := newIssuer(t)
	clock := &fakeClock{now: time.Now()}

	st := &orderStore{}
	e, m := newEngine(t, is, clock, st, client)
	m.rotateRT = "rt-2"
	if _, err := e.Once(context.Background(), rotate.Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(st.log, ",") != "refresh-token,token" {
		t.Fatalf("store calls %v, want the refresh token first", st.log)
	}

	st = &orderStore{writeErr: errors.New("the apiserver is gone")}
	e, m = newEngine(t, is, clock, st, client)
	m.rotateRT = "rt-3"
	if _, err := e.Once(context.Background(), rotate.Options{}); err == nil {
		t.Fatal("a failed token write must fail the rotation")
	}
	if st.rt != "rt-3" || e.Creds.RefreshToken != "rt-3" {
		t.Fatalf("the rotated refresh token was lost when the token write failed (stored %q)", st.rt)
	}

	st = &orderStore{}
	e, m = newEngine(t, is, clock, st, "another-client") // the authorizer refuses the new token
	m.rotateRT = "rt-4"
	if _, err := e.Once(context.Background(), rotate.Options{}); err == nil || st.writes != 0 {
		t.Fatalf("a refused token must not be written (err %v, writes %d)", err, st.writes)
	}
	if st.rt != "rt-4" {
		t.Fatal("the rotated refresh token was lost when the new token was refused")
	}

	st = &orderStore{}
	e, m = newEngine(t, is, clock, st, client)
	m.rotateRT = "rt-5"
	if res, err := e.Once(context.Background(), rotate.Options{DryRun: true}); err != nil || st.rt != "rt-5" || st.writes != 0 || !res.RefreshTokenRotated {
		t.Fatalf("dry run: err %v, stored %q, writes %d", err, st.rt, st.writes)
	}

	st = &orderStore{rtErr: errors.New("forbidden")}
	e, m = newEngine(t, is, clock, st, client)
	m.rotateRT = "rt-6"
	_, err := e.Once(context.Background(), rotate.Options{})
	var re *rotate.Error
	if !errors.As(err, &re) || re.Stage != rotate.StageWrite || st.writes != 0 || !strings.Contains(err.Error(), "storing the new one failed") {
		t.Fatalf("a failed refresh-token save: err %v, writes %d", err, st.writes)
	}
}
