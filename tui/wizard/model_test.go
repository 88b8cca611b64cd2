package wizard

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

type fakeLoaders struct {
	mu      sync.Mutex
	planned wz.Answers
	applied bool
}

func (f *fakeLoaders) loaders() Loaders {
	return Loaders{
		Discover: func(context.Context) ([]k8sres.GatewayInfo, k8sres.Kinds, error) {
			return []k8sres.GatewayInfo{
				{Namespace: "team", Name: "edge", Addresses: []string{"10.0.0.9"}, Listeners: []k8sres.Listener{{Protocol: "HTTP", Port: 80}}},
				{Namespace: "agentgateway-system", Name: "agentgateway-proxy", Addresses: []string{"lb.example.com"}, Listeners: []k8sres.Listener{{Protocol: "HTTP", Port: 8080}}},
			}, k8sres.Kinds{Gateway: true, HTTPRoute: true, Backend: true, Policy: true}, nil
		},
		Runtimes: func(context.Context) ([]awsops.Runtime, error) {
			return []awsops.Runtime{{Name: "payments_agent", ARN: arn, Status: "READY", AuthorizerLoaded: true}}, nil
		},
		Plan: func(_ context.Context, a wz.Answers) (*wz.Plan, error) {
			f.mu.Lock()
			f.planned = a
			f.mu.Unlock()
			return &wz.Plan{Mode: a.Mode, Gateway: a.Gateway, RuntimeARN: a.RuntimeARN, Flavor: "oss", Changes: 2, Items: []wz.Item{
				{Step: wz.StepIdentity, Kind: "aws", Action: wz.ActionCreate, Target: "user-pool agentcore", Call: "CreateUserPool"},
				{Step: wz.StepResources, Kind: "kubernetes", Action: wz.ActionCreate, Target: "HTTPRoute agentcore/agentcore"},
			}}, nil
		},
		Apply: func(_ context.Context, progress func(wz.Event)) (*wz.Result, error) {
			progress(wz.Event{Step: wz.StepIdentity, Status: "done"})
			f.mu.Lock()
			f.applied = true
			f.mu.Unlock()
			return &wz.Result{Changed: 2, Changes: []wz.Change{{Step: wz.StepResources, Action: wz.ActionCreate, Target: "HTTPRoute agentcore/agentcore"}}}, nil
		},
	}
}

func waitFor(t *testing.T, tm *teatest.TestModel, what ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range what {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func enter(tm *teatest.TestModel) { tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) }

// TestWizardPages walks every page at a fixed size: discovered defaults pre-filled (the default gateway is
// chosen over the first one listed), the rail, validation, the plan page before anything runs, then apply.
func TestWizardPages(t *testing.T) {
	fl := &fakeLoaders{}
	m := New(context.Background(), wz.Answers{}, style.New(false, false), fl.loaders())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(110, 35))

	waitFor(t, tm, "① Gateway", "② Runtime", "⑦ Verify", "agentgateway-system/agentgateway-proxy", "lb.example.com:8080", "oss Agent Gateway kinds")
	enter(tm) // gateway select (default pre-selected)
	waitFor(t, tm, "runtime(s) in the region", "payments_agent", "READY")
	enter(tm) // runtime
	enter(tm) // mode
	waitFor(t, tm, "Identity provider")
	enter(tm) // identity = cognito
	waitFor(t, tm, "User pool name")
	enter(tm)
	enter(tm)
	waitFor(t, tm, "Update the runtime's authorizer?")
	enter(tm)
	waitFor(t, tm, "Path prefix on the gateway")
	enter(tm)
	enter(tm)
	waitFor(t, tm, "Rate limit (requests/unit)")
	tm.Type("3/day")
	enter(tm)
	waitFor(t, tm, "unit must be second, minute or hour")
	for range 3 {
		tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	tm.Type("minute")
	enter(tm)
	enter(tm) // CORS origins (empty)
	waitFor(t, tm, "Next: the plan")
	enter(tm)
	waitFor(t, tm, "Plan · rewrite", "+ create    user-pool agentcore", "(nothing changed yet)")
	if fl.applied {
		t.Fatal("nothing may be applied before the plan is confirmed")
	}
	enter(tm)
	waitFor(t, tm, "2 change(s) applied", "q quit")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	a := fl.planned
	if a.Gateway != "agentgateway-system/agentgateway-proxy" || a.RuntimeARN != arn || a.Mode != "rewrite" || a.Identity != "cognito" ||
		a.UserPoolName != "agentcore" || a.RouteNamespace != "agentcore" || a.RateLimit != "3/minute" || a.SkipAuthorizer {
		t.Fatalf("answers: %+v", a)
	}
	if res, err := final.Result(); err != nil || res == nil || !fl.applied {
		t.Fatalf("result %v %v", res, err)
	}
}

// TestWizardQuitOnPlanChangesNothing: q on the plan page leaves without applying; esc goes back a page.
func TestWizardQuitOnPlanChangesNothing(t *testing.T) {
	fl := &fakeLoaders{}
	m := New(context.Background(), wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "sigv4"}, style.New(false, false), fl.loaders())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "team/edge")
	enter(tm)
	waitFor(t, tm, "payments_agent")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	waitFor(t, tm, "Cluster serves")
	enter(tm)
	waitFor(t, tm, "payments_agent")
	enter(tm)
	enter(tm)
	waitFor(t, tm, "sigv4: no Cognito")
	for range 8 {
		enter(tm)
	}
	waitFor(t, tm, "Plan · sigv4")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !final.Quit || fl.applied {
		t.Fatalf("quit %v applied %v", final.Quit, fl.applied)
	}
	if !strings.HasPrefix(fl.planned.Gateway, "team/edge") {
		t.Fatalf("flag default must win over discovery: %q", fl.planned.Gateway)
	}
}
