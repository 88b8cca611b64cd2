package rotate

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// DefaultFleetWorkers is how many setups the rotation service rotates at the same time.
const DefaultFleetWorkers = 4

// Failure reasons besides the Stage names (read, mint, validate, write).
const (
	// ReasonConfig: the setup record (or its credentials) does not say how to mint a token.
	ReasonConfig = "config"
)

// FleetOptions configure the rotation service's engine: every setup record in Namespace ("" = all namespaces)
// rotated on its own schedule.
type FleetOptions struct {
	Kube      kubernetes.Interface
	Namespace string
	// Deps wire each setup's Engine (Build); Kube is set from Kube, Prompt is never used.
	Deps        Deps
	RenewBefore RenewBefore
	// Workers is how many setups are rotated at once (0 = DefaultFleetWorkers).
	Workers int
	// Rand returns [0,1) for jitter (default math/rand/v2).
	Rand func() float64
	// Fence guards every write to a Secret (leader election); nil = writes are not fenced.
	Fence *Fence
	// Report receives every outcome (metrics, events, record status, logs), from the worker that had it.
	Report func(context.Context, Outcome)
	// Forget is called when a setup leaves the engine (record deleted, or the engine stops).
	Forget func(SetupRef)
}

// SetupRef names a setup: its record and its token Secret.
type SetupRef struct {
	Namespace string
	Name      string // the record's name
	Secret    string // the token Secret ("" until known)
}

// Key is the record's namespace/name.
func (r SetupRef) Key() string { return r.Namespace + "/" + r.Name }

// Outcome is what one look at a setup did.
type Outcome struct {
	Setup SetupRef
	// Record is the record ConfigMap as the informer has it (events and status go on it).
	Record *corev1.ConfigMap
	Time   time.Time
	// Action is ActionRotated, ActionKept, ActionFresh, or "" for a failure.
	Action string
	Result *Result
	Err    error
	// Reason of a failure: a Stage or ReasonConfig.
	Reason   string
	Failures int
	// Expiry of the token the Secret holds now (zero when unknown); Due is when it is (or was) due for renewal
	// by the policy; Next is when the engine looks again.
	Expiry time.Time
	Due    time.Time
	Next   time.Time
}

// Fleet rotates every setup found by its record. It watches the records with an informer (created and deleted
// setups are picked up while it runs) and keeps one schedule per setup in a delaying work queue; each rotation is
// Engine.Once, the same mint/validate/write as the one-shot command.
type Fleet struct {
	o      FleetOptions
	synced atomic.Bool

	mu     sync.Mutex
	states map[string]*setupState
}

type setupState struct {
	data     map[string]string
	built    *Setup
	ref      SetupRef
	failures int
	lifetime time.Duration // of the last token seen (0 = unknown)
}

// NewFleet returns an engine; Run starts it.
func NewFleet(o FleetOptions) *Fleet {
	if o.Workers <= 0 {
		o.Workers = DefaultFleetWorkers
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	o.Deps.Kube = o.Kube
	o.Deps.Prompt = nil
	o.Deps.AWSConfig = sharedAWSConfig(o.Deps.AWSConfig)
	if o.Deps.Clock == nil {
		o.Deps.Clock = RealClock{}
	}
	return &Fleet{o: o, states: map[string]*setupState{}}
}

// Synced reports whether Run has listed the records and started rotating.
func (f *Fleet) Synced() bool { return f.synced.Load() }

// Setups is how many setups the engine keeps a schedule for.
func (f *Fleet) Setups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.states)
}

// Run rotates until ctx is done; it returns once every rotation in progress has finished.
func (f *Fleet) Run(ctx context.Context) error {
	factory := informers.NewSharedInformerFactoryWithOptions(f.o.Kube, 0, informers.WithNamespace(f.o.Namespace),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = setup.RecordSelector() }))
	inf := factory.Core().V1().ConfigMaps()
	informer, lister := inf.Informer(), inf.Lister()
	queue := workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{Name: "agentcore-rotate"})
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue,
		// The engine's own status annotations change the record too: only a change of its settings counts.
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(*corev1.ConfigMap)
			n, ok2 := newObj.(*corev1.ConfigMap)
			if !ok1 || !ok2 || !maps.Equal(o.Data, n.Data) {
				enqueue(newObj)
			}
		},
		DeleteFunc: enqueue,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		queue.ShutDown()
		return ctx.Err()
	}
	f.synced.Store(true)
	defer f.synced.Store(false)

	var wg sync.WaitGroup
	for range f.o.Workers {
		wg.Go(func() {
			for {
				key, shutdown := queue.Get()
				if shutdown {
					return
				}
				f.process(ctx, queue, key, func(ns, name string) (*corev1.ConfigMap, error) {
					return lister.ConfigMaps(ns).Get(name)
				})
				queue.Done(key)
			}
		})
	}
	<-ctx.Done()
	queue.ShutDown()
	wg.Wait()
	f.mu.Lock()
	states := f.states
	f.states = map[string]*setupState{}
	f.mu.Unlock()
	for _, st := range states {
		f.forget(st.ref)
	}
	return nil
}

// sharedAWSConfig loads the AWS configuration once per region for every setup: one set of credentials and one
// HTTP client (and its connection pool) instead of one per setup. A failed load is retried next time.
func sharedAWSConfig(load func(context.Context, string) (aws.Config, error)) func(context.Context, string) (aws.Config, error) {
	if load == nil {
		return nil
	}
	var mu sync.Mutex
	cfgs := map[string]aws.Config{}
	return func(ctx context.Context, region string) (aws.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := cfgs[region]; ok {
			return c, nil
		}
		c, err := load(ctx, region)
		if err == nil {
			cfgs[region] = c
		}
		return c, err
	}
}

func (f *Fleet) forget(ref SetupRef) {
	if f.o.Forget != nil {
		f.o.Forget(ref)
	}
}

func (f *Fleet) state(key string) *setupState {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.states[key]
	if st == nil {
		st = &setupState{}
		f.states[key] = st
	}
	return st
}

func (f *Fleet) drop(key string) {
	f.mu.Lock()
	st, ok := f.states[key]
	delete(f.states, key)
	f.mu.Unlock()
	if ok {
		f.forget(st.ref)
	}
}

// process looks at one setup: (re)build its engine when its record changed, rotate when due, and schedule the
// next look. The work queue never hands the same key to two workers at once.
func (f *Fleet) process(ctx context.Context, queue workqueue.TypedDelayingInterface[string], key string, get func(ns, name string) (*corev1.ConfigMap, error)) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return
	}
	cm, err := get(ns, name)
	if apierrors.IsNotFound(err) {
		f.drop(key)
		return
	}
	if err != nil {
		return
	}
	st := f.state(key)
	st.ref = SetupRef{Namespace: ns, Name: name, Secret: st.ref.Secret}
	now := f.o.Deps.Clock.Now()
	out := Outcome{Setup: st.ref, Record: cm, Time: now}
	fail := func(reason string, err error, exp time.Time, due time.Time) {
		st.failures++
		out.Action, out.Err, out.Reason, out.Failures, out.Expiry, out.Due = "", err, reason, st.failures, exp, due
		out.Next = now.Add(RetryDelay(st.failures, exp, now, f.o.Rand))
		f.report(ctx, out)
		queue.AddAfter(key, out.Next.Sub(now))
	}

	rec, err := setup.FromConfigMap(cm)
	if err != nil {
		st.built = nil
		fail(ReasonConfig, err, time.Time{}, time.Time{})
		return
	}
	if r := rec.WithDefaults(); !r.Mode.UsesToken() {
		f.drop(key) // sigv4, passthrough and exchange setups hold no token (Mode.WithoutToken)
		return
	} else {
		st.ref.Secret = r.SecretName
		out.Setup = st.ref
	}
	if st.built == nil || !maps.Equal(st.data, cm.Data) {
		s, err := Build(ctx, f.o.Deps, Flags{Record: rec, Namespace: rec.Namespace})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			st.built = nil
			fail(ReasonConfig, err, time.Time{}, time.Time{})
			return
		}
		s.Engine.Store = &fencedStore{Store: s.Engine.Store, fence: f.o.Fence}
		st.built, st.data = s, maps.Clone(cm.Data)
	}

	res, err := st.built.Engine.Once(ctx, Options{DueWithin: f.o.RenewBefore.DueWithin})
	now = f.o.Deps.Clock.Now()
	out.Time = now
	if ctx.Err() != nil || errors.Is(err, ErrNotLeader) {
		return // stopping: the next leader looks again
	}
	if err != nil {
		out.settle(nil, err, f.o.RenewBefore, st.lifetime)
		if out.Reason == string(StageMint) {
			st.built = nil // re-read the credentials Secret next time (it may have been fixed)
		}
		fail(out.Reason, err, out.Expiry, out.Due)
		return
	}
	st.failures = 0
	life := out.settle(res, nil, f.o.RenewBefore, 0)
	exp := out.Expiry
	st.lifetime = life
	out.Next = f.o.RenewBefore.NextRenewal(exp, life, f.o.Rand)
	if wait := out.Next.Sub(now); wait < time.Second {
		out.Next = now.Add(time.Second)
	}
	f.report(ctx, out)
	queue.AddAfter(key, out.Next.Sub(now))
}

func (f *Fleet) report(ctx context.Context, out Outcome) {
	if f.o.Report != nil {
		f.o.Report(ctx, out)
	}
}

// ErrNotLeader is returned by a fenced write when this replica does not (or no longer) hold the lease.
var ErrNotLeader = errors.New("not the leader: this replica no longer holds the rotation lease; the write was not made")

// Fence lets writes through only while this replica leads: Open when leadership starts, Close before the lease is
// released (Close waits for writes in progress). Each write gets at most WriteTimeout and the leadership's
// context, so a replica that fails to renew its lease stops writing before another replica may acquire it.
type Fence struct {
	WriteTimeout time.Duration

	mu   sync.RWMutex
	ctx  context.Context
	open bool
}

// Open lets writes through while ctx (the leadership) lasts.
func (f *Fence) Open(ctx context.Context) {
	f.mu.Lock()
	f.ctx, f.open = ctx, true
	f.mu.Unlock()
}

// Close refuses new writes and waits for those in progress.
func (f *Fence) Close() {
	f.mu.Lock()
	f.open = false
	f.mu.Unlock()
}

// Do runs write with a context bounded by the leadership and WriteTimeout, or returns ErrNotLeader.
func (f *Fence) Do(ctx context.Context, write func(context.Context) error) error {
	if f == nil {
		return write(ctx)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if !f.open || f.ctx.Err() != nil {
		return ErrNotLeader
	}
	timeout := f.WriteTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	wctx, cancel := context.WithTimeout(f.ctx, timeout)
	defer cancel()
	return write(wctx)
}

// fencedStore is a Store whose writes go through a Fence.
type fencedStore struct {
	Store
	fence *Fence
}

func (s *fencedStore) Write(ctx context.Context, prev, value string, exp time.Time, annotations map[string]string) (WriteOutcome, error) {
	var out WriteOutcome
	err := s.fence.Do(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.Store.Write(ctx, prev, value, exp, annotations)
		return err
	})
	return out, err
}

func (s *fencedStore) SaveRefreshToken(ctx context.Context, rt string) error {
	return s.fence.Do(ctx, func(ctx context.Context) error { return s.Store.SaveRefreshToken(ctx, rt) })
}
