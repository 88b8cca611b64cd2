package rotate_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	actypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const fleetAPI = "https://agents.example.test/"

// fleetRig is a namespace of client-credentials setups minted by the real oidc-provider (short-lived tokens),
// checked against a runtime's authorizer in the fake AgentCore, and rotation service replicas run in-process.
type fleetRig struct {
	t      *testing.T
	kube   kubernetes.Interface
	cfg    *rest.Config
	ns     string
	idp    *oidcserver.Server
	secret string
	arn    string
	ttl    time.Duration
}

func newFleetRig(t *testing.T, ttl time.Duration) *fleetRig {
	c := clustertest.Shared(t)
	r := &fleetRig{t: t, cfg: rest.CopyConfig(c.Config), ns: c.Namespace(t, "fleet"), secret: oidcserver.NewSecret(), ttl: ttl}
	r.kube = kubernetes.NewForConfigOrDie(r.cfg)
	r.idp = oidcservertest.Start(t, oidcserver.Options{AccessTokenTTL: ttl, Resources: map[string]string{fleetAPI: "agents.invoke"},
		Clients: []oidcserver.Client{{ID: "fleet-m2m", Secret: r.secret, AuthMethod: oidcserver.Post}}})
	fake := agentcoretest.Start(t, fakeagentcore.Options{})
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", fake.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	rt, err := fake.AddRuntime(&bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String("fleet_agent"),
		AgentRuntimeArtifact: &actypes.AgentRuntimeArtifactMemberContainerConfiguration{Value: actypes.ContainerConfiguration{ContainerUri: aws.String("img")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &actypes.NetworkConfiguration{NetworkMode: actypes.NetworkModePublic},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.SetAuthorizerJSON(rt.ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"`+r.idp.DiscoveryURL()+`","allowedAudience":["`+fleetAPI+`"]}}`)); err != nil {
		t.Fatal(err)
	}
	r.arn = rt.ARN
	return r
}

func (r *fleetRig) record(name string) *setup.Record {
	return &setup.Record{Namespace: r.ns, Name: name, Region: "us-east-1", RuntimeARN: r.arn, Mode: setup.ModeRewrite,
		IdentityProvider: setup.IdPExternal, Issuer: r.idp.Issuer, DiscoveryURL: r.idp.DiscoveryURL(), Audience: []string{fleetAPI},
		ClientID: "fleet-m2m", TokenSource: setup.TokenSourceClientCredentials, TokenAudience: fleetAPI, AuthMethod: "post",
		TokenUse: setup.TokenUseAccess, GatewayNamespace: "agentgateway-system", GatewayName: "agentgateway-proxy", SecretName: "jwt-" + name}
}

// addSetup saves a record, its credentials Secret and a token Secret holding value ("" = a freshly minted token).
func (r *fleetRig) addSetup(ctx context.Context, name, clientSecret, value string) *setup.Record {
	r.t.Helper()
	rec := r.record(name)
	if err := setup.Save(ctx, r.kube, rec, &setup.Credentials{ClientSecret: clientSecret}); err != nil {
		r.t.Fatal(err)
	}
	if value == "" {
		res, err := clientcreds.Mint(ctx, clientcreds.Request{DiscoveryURL: r.idp.DiscoveryURL(), ClientID: "fleet-m2m", ClientSecret: r.secret,
			Audience: fleetAPI, AuthMethod: clientcreds.AuthPost})
		if err != nil {
			r.t.Fatal(err)
		}
		value = "Bearer " + res.Token
	}
	_, err := r.kube.CoreV1().Secrets(r.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: rec.SecretName},
		Data: map[string][]byte{rotate.KeyAuthorization: []byte(value)}}, metav1.CreateOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	return rec
}

// replica is one in-process rotation service with a client that can be cut off (a crash, as the cluster sees it).
type replica struct {
	id       string
	svc      *rotate.Service
	cancel   context.CancelFunc
	done     chan struct{}
	dead     atomic.Bool
	requests sync.Map // "VERB resource" -> *atomic.Int64
	leading  atomic.Bool
}

type killableTransport struct {
	rt http.RoundTripper
	r  *replica
}

func (k *killableTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if k.r.dead.Load() {
		return nil, errors.New("replica killed")
	}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	res := ""
	for i, p := range parts {
		if p == "namespaces" && i+2 < len(parts) {
			res = parts[i+2]
		}
	}
	if res == "" && len(parts) > 0 {
		res = parts[len(parts)-1]
	}
	verb := req.Method
	if req.URL.Query().Get("watch") == "true" {
		verb = "WATCH"
	}
	n, _ := k.r.requests.LoadOrStore(verb+" "+res, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	return k.rt.RoundTrip(req)
}

func (r *replica) count(key string) int64 {
	n, ok := r.requests.Load(key)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func (r *replica) total() int64 {
	var s int64
	r.requests.Range(func(_, v any) bool { s += v.(*atomic.Int64).Load(); return true })
	return s
}

func (f *fleetRig) startReplica(id string, lease time.Duration) *replica {
	f.t.Helper()
	r := &replica{id: id, done: make(chan struct{})}
	cfg := rest.CopyConfig(f.cfg)
	cfg.QPS, cfg.Burst = 200, 400
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &killableTransport{rt: rt, r: r} })
	kube := kubernetes.NewForConfigOrDie(cfg)
	r.svc = rotate.NewService(rotate.ServiceOptions{
		Fleet: rotate.FleetOptions{Kube: kube, Namespace: f.ns, Deps: rotate.Deps{
			AWSConfig: func(ctx context.Context, region string) (aws.Config, error) {
				return awsops.Load(ctx, awsops.Options{Region: region})
			},
			Identity: "kubectl-agentcore/test (" + id + ")", MinValidity: rotate.LowestMinValidity,
		}},
		LeaseNamespace: f.ns, Identity: id, Listen: "127.0.0.1:0",
		LeaseDuration: lease, RenewDeadline: lease * 3 / 4, RetryPeriod: lease / 8,
		OnLeading: func(b bool) { r.leading.Store(b) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := r.svc.Run(ctx); err != nil {
			f.t.Errorf("replica %s: %v", id, err)
		}
	}()
	f.t.Cleanup(func() { cancel(); <-r.done })
	waitFor(f.t, 10*time.Second, "replica "+id+" listening", func() bool { return r.svc.Addr() != nil })
	return r
}

// kill cuts the replica off the apiserver (no lease release, no writes) and stops it.
func (r *replica) kill() {
	r.dead.Store(true)
	r.cancel()
	<-r.done
}

func (r *replica) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + r.svc.Addr().String() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// write is one change of a token Secret seen by the test's watch.
type write struct {
	at     time.Time
	secret string
	rv     uint64
	by     string
	value  string
	oldExp time.Time
}

// secretWatch checks every version of every token Secret as the apiserver serves it: never empty, always a token
// that verifies against the IdP's keys and the runtime's audience, never expired or inside AgentCore's refusal
// margin; each replacement happened while the old token still had more than the margin left.
type secretWatch struct {
	mu       sync.Mutex
	writes   []write
	problems []string
	minLeft  time.Duration
}

func (f *fleetRig) watchSecrets(ctx context.Context) *secretWatch {
	f.t.Helper()
	sw := &secretWatch{minLeft: time.Hour}
	v := &rotate.AuthorizerValidator{Authorizer: &tokencheck.Authorizer{DiscoveryURL: f.idp.DiscoveryURL(), AllowedAudience: []string{fleetAPI}}}
	w, err := f.kube.CoreV1().Secrets(f.ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	last := map[string]time.Time{}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*corev1.Secret)
			if !ok || !strings.HasPrefix(s.Name, "jwt-") || ev.Type == watch.Deleted {
				continue
			}
			now := time.Now()
			value := string(s.Data[rotate.KeyAuthorization])
			sw.mu.Lock()
			exp, verr := v.Validate(ctx, strings.TrimPrefix(value, "Bearer "))
			switch {
			case value == "":
				sw.problems = append(sw.problems, s.Name+" rv "+s.ResourceVersion+": empty")
			case verr != nil:
				sw.problems = append(sw.problems, fmt.Sprintf("%s rv %s: invalid token: %v", s.Name, s.ResourceVersion, verr))
			case exp.Sub(now) <= rotate.AgentCoreRefusalMargin:
				sw.problems = append(sw.problems, fmt.Sprintf("%s rv %s: token has only %s left", s.Name, s.ResourceVersion, exp.Sub(now)))
			}
			if ev.Type == watch.Modified {
				rv, _ := strconv.ParseUint(s.ResourceVersion, 10, 64)
				old := last[s.Name]
				if left := old.Sub(now); !old.IsZero() && left < sw.minLeft {
					sw.minLeft = left
				}
				if !old.IsZero() && old.Sub(now) <= rotate.AgentCoreRefusalMargin {
					sw.problems = append(sw.problems, fmt.Sprintf("%s replaced when its token had only %s left", s.Name, old.Sub(now)))
				}
				sw.writes = append(sw.writes, write{at: now, secret: s.Name, rv: rv, by: s.Annotations[rotate.AnnotationRotatedBy], value: value, oldExp: old})
			}
			last[s.Name] = exp
			sw.mu.Unlock()
		}
	}()
	return sw
}

func (sw *secretWatch) snapshot() ([]write, []string) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return slices.Clone(sw.writes), slices.Clone(sw.problems)
}

// fleetSize is the number of setups of the leader-kill run: 20 in CI, AGENTCORE_FLEET_SETUPS (make bench: 100).
func fleetSize() int {
	if n, err := strconv.Atoi(os.Getenv("AGENTCORE_FLEET_SETUPS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// TestFleetLeaderKill: N setups with 2-minute tokens, two replicas of the rotation service; the leader is killed
// (cut off from the apiserver, lease not released) after the first renewals. Every version of every Secret is a
// valid token with more than AgentCore's refusal margin left, the writes of the two replicas never interleave
// (resourceVersion order), the survivor renews every setup, a failing setup fails alone (event, status,
// metric), setups created and deleted while it runs are picked up, and /metrics says what happened.
func TestFleetLeaderKill(t *testing.T) {
	n := fleetSize()
	f := newFleetRig(t, 2*time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sw := f.watchSecrets(ctx)
	var recs []*setup.Record
	for i := range n {
		recs = append(recs, f.addSetup(ctx, fmt.Sprintf("s%03d", i), f.secret, ""))
	}
	// One setup whose client secret is wrong: its mints fail, its Secret keeps the valid token it has.
	wrong := "wrong-" + oidcserver.NewSecret()
	bad := f.addSetup(ctx, "broken", wrong, "")
	badSecret, err := f.kube.CoreV1().Secrets(f.ns).Get(ctx, bad.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()

	a := f.startReplica("replica-a", 4*time.Second)
	b := f.startReplica("replica-b", 4*time.Second)
	waitFor(t, 20*time.Second, "a leader", func() bool { return a.leading.Load() || b.leading.Load() })
	leader, standby := a, b
	if b.leading.Load() {
		leader, standby = b, a
	}
	if code, _ := standby.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("standby /readyz %d", code)
	}
	// A setup created while the service runs, minted never: it is rotated at once.
	late := f.addSetup(ctx, "late", f.secret, "Bearer placeholder")
	waitFor(t, 30*time.Second, "the late setup rotated", func() bool {
		s, _ := f.kube.CoreV1().Secrets(f.ns).Get(ctx, late.SecretName, metav1.GetOptions{})
		return s != nil && s.Annotations[rotate.AnnotationRotatedBy] != ""
	})
	_, problems := sw.snapshot()
	problems = slices.DeleteFunc(problems, func(p string) bool { return strings.HasPrefix(p, late.SecretName+" ") }) // its placeholder
	if len(problems) > 0 {
		t.Fatalf("before the kill: %s", strings.Join(problems, "\n"))
	}

	// Kill the leader once it renewed at least half of the setups (about 30 s after they were minted).
	leaderWrites := func(id string) map[string]bool {
		ws, _ := sw.snapshot()
		m := map[string]bool{}
		for _, w := range ws {
			if strings.Contains(w.by, "("+id+")") {
				m[w.secret] = true
			}
		}
		return m
	}
	waitFor(t, 90*time.Second, "the leader renewing half the setups", func() bool { return len(leaderWrites(leader.id)) >= n/2+1 })
	killedAt := time.Now()
	leader.kill()
	t.Logf("killed %s after %s", leader.id, killedAt.Sub(start).Round(time.Second))

	waitFor(t, 30*time.Second, "the standby taking over", func() bool { return standby.leading.Load() })
	t.Logf("%s leads %s after the kill", standby.id, time.Since(killedAt).Round(100*time.Millisecond))
	waitFor(t, 3*time.Minute, "the new leader renewing every setup", func() bool {
		m := leaderWrites(standby.id)
		for _, r := range recs {
			if !m[r.SecretName] {
				return false
			}
		}
		return true
	})
	renewDone := time.Now()

	// Never two writers: in resourceVersion order, the killed leader's writes all come before the new one's.
	writes, problems := sw.snapshot()
	if len(problems) > 0 {
		problems = slices.DeleteFunc(problems, func(p string) bool {
			return strings.HasPrefix(p, late.SecretName+" ") && strings.Contains(p, "invalid token")
		})
	}
	if len(problems) > 0 {
		t.Fatalf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	slices.SortFunc(writes, func(x, y write) int { return int(x.rv - y.rv) })
	var seq []string
	for _, w := range writes {
		id := "?"
		for _, r := range []*replica{a, b} {
			if strings.Contains(w.by, "("+r.id+")") {
				id = r.id
			}
		}
		if len(seq) == 0 || seq[len(seq)-1] != id {
			seq = append(seq, id)
		}
	}
	if !slices.Equal(seq, []string{leader.id, standby.id}) {
		t.Fatalf("writers in resourceVersion order: %v (want %s then %s only)", seq, leader.id, standby.id)
	}
	if after, _ := f.kube.CoreV1().Secrets(f.ns).Get(ctx, bad.SecretName, metav1.GetOptions{}); after.ResourceVersion != badSecret.ResourceVersion {
		t.Fatal("the failing setup's Secret was written")
	}

	// Deleted while running: its series go away.
	if err := f.kube.CoreV1().ConfigMaps(f.ns).Delete(ctx, late.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the deleted setup's metrics gone", func() bool {
		_, body := standby.get(t, "/metrics")
		return !strings.Contains(body, `setup="late"`)
	})

	// Metrics of the new leader.
	code, body := standby.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics %d", code)
	}
	metric := func(name, setupName, extra string) (float64, bool) {
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, name+"{") && strings.Contains(l, `setup="`+setupName+`"`) && strings.Contains(l, extra) {
				v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	for _, r := range recs {
		var c rotate.Claims
		// The Secret and the scrape are read one after the other: a renewal in between is read again.
		for try := 0; ; try++ {
			s, err := f.kube.CoreV1().Secrets(f.ns).Get(ctx, r.SecretName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c, err = rotate.Peek(string(s.Data[rotate.KeyAuthorization])); err != nil {
				t.Fatal(err)
			}
			if v, ok := metric(rotate.MetricExpiry, r.Name, ""); (ok && int64(v) == c.Exp.Unix()) || try == 3 {
				break
			}
			_, body = standby.get(t, "/metrics")
		}
		if v, ok := metric(rotate.MetricExpiry, r.Name, ""); !ok || int64(v) != c.Exp.Unix() {
			t.Fatalf("%s expiry metric %v (%v), Secret's token expires %d", r.Name, v, ok, c.Exp.Unix())
		}
		if v, ok := metric(rotate.MetricRenewals, r.Name, ""); !ok || v < 1 {
			t.Fatalf("%s renewals %v (%v)", r.Name, v, ok)
		}
		if v, ok := metric(rotate.MetricRenewal, r.Name, ""); !ok || v < float64(killedAt.Unix()) {
			t.Fatalf("%s last renewal %v (%v), killed at %d", r.Name, v, ok, killedAt.Unix())
		}
		if v, ok := metric(rotate.MetricDue, r.Name, ""); !ok || v <= float64(time.Now().Unix()) || v >= float64(c.Exp.Unix()) {
			t.Fatalf("%s renewal due %v (%v): want in the future, before expiry %d", r.Name, v, ok, c.Exp.Unix())
		}
	}
	if v, ok := metric(rotate.MetricFailures, bad.Name, `reason="mint"`); !ok || v < 1 {
		t.Fatalf("failing setup: failures{reason=mint} %v (%v)\n%s", v, ok, body)
	}
	if !strings.Contains(body, rotate.MetricLeader+" 1") {
		t.Fatalf("new leader's %s is not 1", rotate.MetricLeader)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, text := standby.get(t, p); code != http.StatusOK {
			t.Fatalf("%s %d %s", p, code, text)
		}
	}

	// Record status and Events.
	evs, err := f.kube.EventsV1().Events(f.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rotatedEv, failedEv := map[string]int{}, map[string][]string{}
	for _, e := range evs.Items {
		if e.Regarding.Kind != "ConfigMap" {
			continue
		}
		switch e.Reason {
		case rotate.EventReasonRotated:
			rotatedEv[e.Regarding.Name]++
		case rotate.EventReasonFailed:
			failedEv[e.Regarding.Name] = append(failedEv[e.Regarding.Name], e.Note)
		}
	}
	for _, r := range recs {
		if rotatedEv[r.Name] < 1 {
			t.Fatalf("no %s event on %s (%v)", rotate.EventReasonRotated, r.Name, rotatedEv)
		}
		cm, err := f.kube.CoreV1().ConfigMaps(f.ns).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st := rotate.ReadStatus(cm)
		if st.LastRotation.Before(killedAt.Truncate(time.Second)) || !st.Next.After(renewDone.Add(-time.Second)) || st.LastError != "" || st.By != standby.id || st.TokenExpires.IsZero() {
			t.Fatalf("%s status %+v", r.Name, st)
		}
	}
	if notes := failedEv[bad.Name]; len(notes) == 0 || !strings.Contains(notes[0], "reason=mint") || strings.Contains(strings.Join(notes, " "), wrong) {
		t.Fatalf("failing setup's events: %q", notes)
	}
	cm, err := f.kube.CoreV1().ConfigMaps(f.ns).Get(ctx, bad.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := rotate.ReadStatus(cm); !strings.HasPrefix(st.LastError, "mint: ") || !strings.Contains(st.LastError, "invalid_client") || st.Failures < 1 {
		t.Fatalf("failing setup's status %+v", st)
	}

	// The figures.
	renewals := 0
	for _, w := range writes {
		if strings.Contains(w.by, "("+standby.id+")") {
			renewals++
		}
	}
	sw.mu.Lock()
	minLeft := sw.minLeft
	sw.mu.Unlock()
	var keys []string
	standby.requests.Range(func(k, _ any) bool { keys = append(keys, k.(string)); return true })
	slices.Sort(keys)
	var per []string
	for _, k := range keys {
		per = append(per, fmt.Sprintf("%s=%d", k, standby.count(k)))
	}
	t.Logf("FIGURES setups=%d writes=%d (new leader %d) min-left-at-replacement=%s takeover-to-all-renewed=%s requests(new leader)=%d [%s]",
		n, len(writes), renewals, minLeft.Round(time.Second), renewDone.Sub(killedAt).Round(time.Second), standby.total(), strings.Join(per, " "))
}
