// Package wizard is the wizard's terminal UI: one page per step built with huh forms inside a Bubble Tea model,
// a progress rail (① Gateway ② Runtime ③ Identity ④ Authorizer ⑤ Resources ⑥ Options ⑦ Verify), defaults
// pre-filled from what was discovered, and a plan page before anything is done. It makes no API calls of its
// own: the command passes Loaders. Answers are checked with plugin/wizard's validators, the same ones the plan
// applies to flags.
//
// Files: model.go (state, navigation, loader commands), pages.go (one builder per step, in order), fields.go
// (field bindings and the live lines under fields), view.go (header, rail, plan/run/done pages, keys).
package wizard

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/keys"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// Loaders are what the TUI may call; the command builds them on the wizard use case.
type Loaders struct {
	// Discover lists the Agent Gateway Gateways and the kinds the cluster serves.
	Discover func(ctx context.Context) ([]k8sres.GatewayInfo, k8sres.Kinds, error)
	// Runtimes lists the runtimes in the region (name, status, authorizer).
	Runtimes func(ctx context.Context) ([]awsops.Runtime, error)
	// AgentCoreGateways lists the region's AgentCore Gateways (MCP), the other kind of target.
	AgentCoreGateways func(ctx context.Context) ([]types.GatewaySummary, error)
	// Plan validates the answers and computes the plan (reads only).
	Plan func(ctx context.Context, a wz.Answers) (*wz.Plan, error)
	// Apply carries out the last plan, reporting progress.
	Apply func(ctx context.Context, progress func(wz.Event)) (*wz.Result, error)
	// CheckPath ranks the route the answers would apply among the Gateway's routes, when ⑤ is submitted: a path
	// another route takes is named there, with a free one proposed (nil: only the plan checks it).
	CheckPath func(ctx context.Context, a wz.Answers) (wz.PathVerdict, error)
	// TestCall sends one real request through the gateway of the setup just applied (nil: not offered).
	TestCall func(ctx context.Context) (*wz.TestCall, error)
	// Region is the AWS region the runtimes are listed in ("" when unknown).
	Region string
}

// page is where the wizard is: one of the seven steps (a form each), then the plan, the run and its result.
type page int

const (
	pageGateway    page = iota // ① Gateway
	pageRuntime                // ② Runtime
	pageIdentity               // ③ Identity
	pageAuthorizer             // ④ Authorizer
	pageResources              // ⑤ Resources
	pageOptions                // ⑥ Options
	pageVerify                 // ⑦ Verify (what happens after applying)
	pagePlan                   // the plan: nothing is changed before enter here
	pageRunning                // applying, step by step
	pageDone                   // the result, and the test call
)

type (
	discoveredMsg struct {
		gws   []k8sres.GatewayInfo
		kinds k8sres.Kinds
		err   error
	}
	runtimesMsg struct {
		rts []awsops.Runtime
		err error
	}
	agentCoreGatewaysMsg struct {
		gws []types.GatewaySummary
		err error
	}
	planMsg struct {
		plan *wz.Plan
		err  error
	}
	pathMsg struct {
		seq int
		v   wz.PathVerdict
		err error
	}
	eventMsg  wz.Event
	resultMsg struct {
		res *wz.Result
		err error
	}
	testCallMsg struct {
		call *wz.TestCall
		err  error
	}
)

// Model is the wizard screen.
type Model struct {
	ctx     context.Context
	theme   style.Theme
	loaders Loaders
	keys    keyMap
	help    help.Model

	// Answers are bound to the forms; the final answers when the wizard ends.
	Answers *wz.Answers

	page          page
	form          *huh.Form
	formWidth     int      // the form's width, set when it is built
	formRoom      int      // the height the form was given (fitForm; 0: not yet)
	headers       []header // the form's page headers, fitted to the screen's height
	width, height int
	spin          spinner.Model

	gateways      []k8sres.GatewayInfo
	kinds         k8sres.Kinds
	discoverErr   error
	discovered    bool
	runtimes      []awsops.Runtime
	runtimesErr   error
	runtimesReady bool
	// agentCoreGateways are listed after the runtimes on the ② page.
	agentCoreGateways []types.GatewaySummary

	// form scratch values, turned into answers when their page is submitted
	corsOrigins   string
	audience      string
	rateLimit     string
	burst         string
	applyNow      bool
	runtimeChoice string // an ARN from the list, or pasteARN
	pastedARN     string
	idChoice      string // idCognitoByName | idCognitoByID | idCognitoMachine | idExternal
	scopes        string // the Cognito machine client's scope names, comma-separated
	ccClientID    string // external IdP by client credentials: the client id
	ccSecret      string // …and its secret typed (hidden)
	xSecret       string // mode exchange: the token service client's secret typed (hidden)
	xScopes       string // …and the scopes asked for, comma-separated
	poolName      string // as shown when the identity page opened (a changed name drops a recorded pool id)
	poolID        string
	clientID      string
	token         string // pasted external IdP token (hidden)

	// ⑤'s path check: under way (its sequence number, 0 for none; a later one or leaving the page drops an
	// earlier answer), and what the last one found taken ("" when none)
	pathSeq, checking int
	pathNote          string

	calling bool // the test call is on its way
	callErr error

	// mu guards the form values that huh's DescriptionFuncs read from their own goroutines (bound through
	// locked accessors) and the discovered kinds they show.
	mu *sync.Mutex

	plan    *wz.Plan
	planErr error
	vp      viewport.Model // the plan and result pages' text, scrolled when taller than the screen
	events  chan wz.Event
	last    map[string]wz.Event
	result  *wz.Result
	err     error

	// Quit reports whether the user left before applying.
	Quit bool
}

// New builds the model; a holds the defaults (flags, --config, an earlier setup record).
func New(ctx context.Context, a wz.Answers, theme style.Theme, l Loaders) *Model {
	m := &Model{ctx: ctx, theme: theme, loaders: l, Answers: &a, width: 100, height: 30, last: map[string]wz.Event{}, mu: &sync.Mutex{}}
	m.keys = newKeyMap()
	m.help = keys.NewHelp(theme)
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.vp = viewport.New(viewport.WithWidth(m.width-1), viewport.WithHeight(m.height-5))
	m.corsOrigins = strings.Join(a.CORSOrigins, ", ")
	m.audience = strings.Join(a.Audience, ", ")
	m.rateLimit = a.RateLimit
	if a.RateLimitBurst > 0 {
		m.burst = fmt.Sprint(a.RateLimitBurst)
	}
	m.poolID, m.clientID, m.poolName = a.UserPoolID, a.ClientID, a.UserPoolName
	m.scopes = strings.Join(a.Scopes, ", ")
	m.xScopes = strings.Join(a.ExchangeScopes, ", ")
	switch {
	case a.Identity == wz.IdentityExternal:
		m.idChoice = idExternal
		m.ccClientID = a.ClientID
	case a.Identity == wz.IdentityCognitoMachine:
		m.idChoice = idCognitoMachine
	case a.UserPoolID != "" && a.UserPoolName == "":
		m.idChoice = idCognitoByID
	default:
		m.idChoice = idCognitoByName
	}
	m.buildForm()
	return m
}

// Init starts discovery and the first form.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.form.Init(), m.spin.Tick}
	if m.loaders.Discover != nil {
		cmds = append(cmds, func() tea.Msg {
			gws, k, err := m.loaders.Discover(m.ctx)
			return discoveredMsg{gws, k, err}
		})
	}
	if m.loaders.Runtimes != nil {
		cmds = append(cmds, func() tea.Msg {
			rts, err := m.loaders.Runtimes(m.ctx)
			return runtimesMsg{rts, err}
		})
	}
	if m.loaders.AgentCoreGateways != nil {
		cmds = append(cmds, func() tea.Msg {
			gws, err := m.loaders.AgentCoreGateways(m.ctx)
			return agentCoreGatewaysMsg{gws, err}
		})
	}
	return tea.Batch(cmds...)
}

// Result is what the run did (nil until done) and its error.
func (m *Model) Result() (*wz.Result, error) { return m.result, m.err }

// Update handles keys, loader results and the forms.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width - 2)
		if m.page < pagePlan {
			m.fitHeaders()
			return m, m.updateForm(tea.WindowSizeMsg{Width: msg.Width, Height: m.formHeight()})
		}
		m.layout()
		return m, nil
	case discoveredMsg:
		m.mu.Lock()
		m.kinds = msg.kinds
		m.mu.Unlock()
		m.gateways, m.discoverErr, m.discovered = msg.gws, msg.err, true
		if m.Answers.Gateway == "" {
			if g, ok := k8sres.DefaultGateway(m.gateways); ok {
				m.Answers.Gateway = g.Ref()
			}
		}
		return m, m.rebuildIfOn(pageGateway)
	case runtimesMsg:
		m.runtimes, m.runtimesErr, m.runtimesReady = msg.rts, msg.err, true
		return m, m.rebuildIfOn(pageRuntime)
	case agentCoreGatewaysMsg:
		if msg.err != nil {
			return m, nil // the runtimes and the paste field remain
		}
		m.agentCoreGateways = msg.gws
		return m, m.rebuildIfOn(pageRuntime)
	case pathMsg:
		if m.page != pageResources || msg.seq != m.checking {
			return m, nil // the user left the page, or submitted it again
		}
		m.checking = 0
		if msg.err != nil || msg.v.Taken == "" {
			m.pathNote = "" // the plan checks again (and says what could not be read)
			return m, m.next()
		}
		m.pathNote = msg.v.Taken + "."
		if msg.v.Free != "" {
			m.pathNote += " Proposed instead: " + msg.v.Free + " (enter keeps it)."
			m.Answers.PathPrefix = msg.v.Free
		}
		m.buildForm()
		return m, m.form.Init()
	case planMsg:
		m.plan, m.planErr = msg.plan, msg.err
		m.layout()
		m.vp.GotoTop()
		return m, nil
	case eventMsg:
		m.last[msg.Step] = wz.Event(msg)
		return m, m.waitEvent()
	case resultMsg:
		m.result, m.err = msg.res, msg.err
		m.page = pageDone
		m.layout()
		m.vp.GotoTop()
		return m, nil
	case testCallMsg:
		m.calling = false
		m.callErr = msg.err
		if m.result != nil && msg.call != nil {
			m.result.Call = msg.call
		}
		// The answer is the text's last lines: brought into view.
		m.layout()
		m.vp.GotoBottom()
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		if done, cmd := m.handleKey(msg); done {
			return m, cmd
		}
	}
	if m.page >= pagePlan {
		return m, nil
	}
	return m, m.updateForm(msg)
}

// handleKey handles the keys of the wizard itself; done=false hands the key on to the page's form.
func (m *Model) handleKey(msg tea.KeyPressMsg) (done bool, cmd tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Interrupt):
		m.Quit = m.page < pageRunning
		return true, tea.Quit
	case key.Matches(msg, k.Back) && m.page > pageGateway && m.page <= pagePlan:
		m.page--
		m.checking, m.pathNote = 0, ""
		m.plan, m.planErr = nil, nil
		m.buildForm()
		return true, m.form.Init()
	}
	switch m.page {
	case pagePlan:
		switch {
		case key.Matches(msg, k.Quit):
			m.Quit = true
			return true, tea.Quit
		case key.Matches(msg, k.Apply) && m.plan != nil && m.loaders.Apply != nil:
			m.page = pageRunning
			return true, m.startApply()
		case key.Matches(msg, k.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.layout()
		case m.plan != nil || m.planErr != nil:
			m.scroll(msg)
		}
		return true, nil
	case pageRunning:
		return true, nil
	case pageDone:
		switch {
		case key.Matches(msg, k.Quit), key.Matches(msg, k.Close):
			return true, tea.Quit
		case key.Matches(msg, k.TestCall) && m.canTestCall() && !m.calling:
			m.calling, m.callErr = true, nil
			m.layout() // the status line takes a row
			return true, m.sendTestCall()
		case key.Matches(msg, k.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.layout()
		default:
			m.scroll(msg)
		}
		return true, nil
	}
	return false, nil
}

// updateForm passes msg to the page's form; a completed form collects its answers and opens the next page.
func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
		m.fitForm()
	}
	switch m.form.State {
	case huh.StateCompleted:
		if collect := steps[m.page].collect; collect != nil {
			collect(m)
		}
		if m.page == pageResources && m.loaders.CheckPath != nil {
			if m.checking != 0 {
				return nil
			}
			return m.checkPath()
		}
		return m.next()
	case huh.StateAborted:
		m.Quit = true
		return tea.Quit
	}
	return cmd
}

// next opens the page after the one submitted (the plan is computed when it is next).
func (m *Model) next() tea.Cmd {
	m.page++
	if m.page == pagePlan {
		return m.computePlan()
	}
	m.buildForm()
	return m.form.Init()
}

// checkPath asks whether another route on the Gateway takes ⑤'s path (pathMsg answers).
func (m *Model) checkPath() tea.Cmd {
	m.pathSeq++
	m.checking = m.pathSeq
	a, seq := *m.Answers, m.pathSeq
	return func() tea.Msg {
		v, err := m.loaders.CheckPath(m.ctx, a)
		return pathMsg{seq, v, err}
	}
}

// rebuildIfOn rebuilds the form when p is the page shown (a loader's answer changes its fields).
func (m *Model) rebuildIfOn(p page) tea.Cmd {
	if m.page != p {
		return nil
	}
	m.buildForm()
	return m.form.Init()
}

// canTestCall: the test call sends the gateway's own token, so a setup where callers bring theirs (passthrough,
// exchange) is not offered one (the done page says how to send a caller's token instead).
func (m *Model) canTestCall() bool {
	return m.loaders.TestCall != nil && m.result != nil && m.err == nil && !m.result.Record.Mode.CallerToken()
}

func (m *Model) sendTestCall() tea.Cmd {
	return tea.Batch(m.spin.Tick, func() tea.Msg {
		c, err := m.loaders.TestCall(m.ctx)
		return testCallMsg{c, err}
	})
}

func (m *Model) computePlan() tea.Cmd {
	a := *m.Answers
	return func() tea.Msg {
		if m.loaders.Plan == nil {
			return planMsg{err: fmt.Errorf("no planner")}
		}
		p, err := m.loaders.Plan(m.ctx, a)
		return planMsg{p, err}
	}
}

func (m *Model) startApply() tea.Cmd {
	m.events = make(chan wz.Event, 64)
	ch := m.events
	run := func() tea.Msg {
		res, err := m.loaders.Apply(m.ctx, func(e wz.Event) {
			select {
			case ch <- e:
			default:
			}
		})
		close(ch)
		return resultMsg{res, err}
	}
	return tea.Batch(run, m.waitEvent())
}

func (m *Model) waitEvent() tea.Cmd {
	ch := m.events
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return nil
		}
		return eventMsg(e)
	}
}
