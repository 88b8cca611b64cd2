package rotate

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// FleetFieldManager is the field manager of the rotation service's writes to setup records.
const FleetFieldManager = "kubectl-agentcore-rotator"

// EventController is the reporting controller of the rotation service's Events.
const EventController = "kubectl-agentcore.dev/rotator"

// Default lease timings (client-go's usual ones): a replica that cannot renew stops writing after RenewDeadline
// and the others take over after LeaseDuration; writes get at most the difference.
const (
	DefaultLeaseName     = "agentcore-rotate"
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

var metav1PatchOptions = metav1.PatchOptions{FieldManager: FleetFieldManager}

// ServiceOptions configure `rotate --watch --all`: the Fleet behind leader election, with metrics and probes.
type ServiceOptions struct {
	Fleet FleetOptions
	// LeaseNamespace/LeaseName is the coordination.k8s.io Lease; Identity names this replica (the pod name).
	LeaseNamespace string
	LeaseName      string
	Identity       string
	LeaseDuration  time.Duration
	RenewDeadline  time.Duration
	RetryPeriod    time.Duration
	// Listen is the address of /metrics, /healthz and /readyz ("" = no HTTP server).
	Listen string
	// Log receives every outcome (after metrics, Events and status).
	Log func(Outcome)
	// OnLeading is told when this replica starts (true) and stops (false) leading.
	OnLeading func(bool)
}

// Service is a running rotation service replica.
type Service struct {
	o        ServiceOptions
	Registry *prometheus.Registry
	Metrics  *Metrics
	fleet    atomic.Pointer[Fleet]
	leading  atomic.Bool
	healthz  *leaderelection.HealthzAdaptor
	addr     atomic.Value // net.Addr
}

// NewService prepares a replica; Run starts it.
func NewService(o ServiceOptions) *Service {
	if o.LeaseName == "" {
		o.LeaseName = DefaultLeaseName
	}
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = DefaultLeaseDuration
	}
	if o.RenewDeadline <= 0 {
		o.RenewDeadline = DefaultRenewDeadline
	}
	if o.RetryPeriod <= 0 {
		o.RetryPeriod = DefaultRetryPeriod
	}
	reg := prometheus.NewRegistry()
	return &Service{o: o, Registry: reg, Metrics: NewMetrics(reg), healthz: leaderelection.NewLeaderHealthzAdaptor(o.RenewDeadline)}
}

// Addr is the HTTP server's address once Run listens (nil before).
func (s *Service) Addr() net.Addr {
	a, _ := s.addr.Load().(net.Addr)
	return a
}

// Leading reports whether this replica holds the lease now.
func (s *Service) Leading() bool { return s.leading.Load() }

// Handler serves /metrics, /healthz (the lease is renewed in time while leading) and /readyz (standing by, or
// leading with the records listed).
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.healthz.Check(r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if f := s.fleet.Load(); s.leading.Load() && (f == nil || !f.Synced()) {
			http.Error(w, "leading, setup records not listed yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// Run campaigns for the lease and, while leading, rotates every setup; it returns when ctx is done and, if it
// led, after its writers have stopped and the lease was released.
func (s *Service) Run(ctx context.Context) error {
	o := s.o
	kube := o.Fleet.Kube
	if o.Listen != "" {
		ln, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return err
		}
		s.addr.Store(ln.Addr())
		srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: kube.EventsV1()})
	if err := broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		return err
	}
	defer broadcaster.Shutdown()
	rep := &Reporter{Kube: kube, Recorder: broadcaster.NewRecorder(scheme.Scheme, EventController), Metrics: s.Metrics,
		Identity: o.Identity, Log: o.Log}

	fence := &Fence{WriteTimeout: o.LeaseDuration - o.RenewDeadline}
	lock := &fencedLock{Interface: &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: o.LeaseNamespace, Name: o.LeaseName},
		Client:     kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: o.Identity},
	}, fence: fence}
	var leaders sync.WaitGroup
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   o.LeaseDuration,
			RenewDeadline:   o.RenewDeadline,
			RetryPeriod:     o.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            o.LeaseName,
			WatchDog:        s.healthz,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lctx context.Context) {
					leaders.Add(1)
					defer leaders.Done()
					if lctx.Err() != nil {
						return
					}
					s.lead(lctx, fence, rep)
				},
				// The fence closes here too when the lease was lost without a release (renewal failed).
				OnStoppedLeading: fence.Close,
			},
		})
		if err != nil {
			return err
		}
		s.healthz.SetLeaderElection(le)
		le.Run(ctx)
		leaders.Wait()
	}
	return nil
}

// lead runs the fleet while this replica holds the lease (lctx).
func (s *Service) lead(lctx context.Context, fence *Fence, rep *Reporter) {
	o := s.o
	fence.Open(lctx)
	s.leading.Store(true)
	s.Metrics.Leader.Set(1)
	if o.OnLeading != nil {
		o.OnLeading(true)
	}
	fo := o.Fleet
	fo.Fence = fence
	fo.Report = rep.Report
	fo.Forget = s.Metrics.Forget
	f := NewFleet(fo)
	s.fleet.Store(f)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
				s.Metrics.Setups.Set(float64(f.Setups()))
			}
		}
	}()
	_ = f.Run(lctx) // returns after every write in progress finished
	s.leading.Store(false)
	s.Metrics.Leader.Set(0)
	s.Metrics.Setups.Set(0)
	if o.OnLeading != nil {
		o.OnLeading(false)
	}
}

// fencedLock closes the Fence before the lease is released (an update with no holder), so the writers have
// stopped before another replica can acquire the lease.
type fencedLock struct {
	resourcelock.Interface
	fence *Fence
}

func (l *fencedLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	if ler.HolderIdentity == "" {
		l.fence.Close()
	}
	return l.Interface.Update(ctx, ler)
}
