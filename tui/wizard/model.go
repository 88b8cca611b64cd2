// Package wizard is the wizard's terminal UI: one page per step built with huh forms inside a Bubble Tea model,
// a progress rail (① Gateway ② Runtime ③ Identity ④ Authorizer ⑤ Resources ⑥ Options ⑦ Verify), defaults
// pre-filled from what was discovered, and a plan page before anything is done. It makes no API calls of its
// own: the command passes Loaders.
package wizard

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// Loaders are what the TUI may call; the command builds them on the wizard use case.
type Loaders struct {
	// Discover lists the Agent Gateway Gateways and the kinds the cluster serves.
	Discover func(ctx context.Context) ([]k8sres.GatewayInfo, k8sres.Kinds, error)
	// Runtimes lists the runtimes in the region (name, status, authorizer).
	Runtimes func(ctx context.Context) ([]awsops.Runtime, error)
	// Plan validates the answers and computes the plan (reads only).
	Plan func(ctx context.Context, a wz.Answers) (*wz.Plan, error)
	// Apply carries out the last plan, reporting progress.
	Apply func(ctx context.Context, progress func(wz.Event)) (*wz.Result, error)
	// TestCall sends one real request through the gateway of the setup just applied (nil: not offered).
	TestCall func(ctx context.Context) (*wz.TestCall, error)
	// Region is the AWS region the runtimes are listed in ("" when unknown).
	Region string
}

// Pages after the seven steps.
const (
	pagePlan    = 7 // len(wz.Steps)
	pageRunning = pagePlan + 1
	pageDone    = pagePlan + 2
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
	planMsg struct {
		plan *wz.Plan
		err  error
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

// pasteARN is the runtime list's "paste an ARN…" choice.
const pasteARN = "\x00paste"

// Identity page choices.
const (
	idCognitoByName = "cognito"
	idCognitoByID   = "cognito-id"
	idExternal      = "external"
)

// Model is the wizard screen.
type Model struct {
	ctx     context.Context
	theme   style.Theme
	loaders Loaders

	// Answers are bound to the forms; the final answers when the wizard ends.
	Answers *wz.Answers

	page          int
	form          *huh.Form
	width, height int
	spin          spinner.Model

	gateways      []k8sres.GatewayInfo
	kinds         k8sres.Kinds
	discoverErr   error
	discovered    bool
	runtimes      []awsops.Runtime
	runtimesErr   error
	runtimesReady bool

	// form scratch values
	corsOrigins   string
	audience      string
	rateLimit     string
	burst         string
	applyNow      bool
	runtimeChoice string // an ARN from the list, or pasteARN
	pastedARN     string
	idChoice      string // idCognitoByName | idCognitoByID | idExternal
	poolName      string // as shown when the identity page opened (a changed name drops a recorded pool id)
	poolID        string
	clientID      string
	token         string // pasted external IdP token (hidden)

	calling bool // the test call is on its way
	callErr error

	// mu guards the form values that huh's DescriptionFuncs read from their own goroutines (bound through
	// locked accessors) and the discovered kinds they show.
	mu *sync.Mutex

	plan    *wz.Plan
	planErr error
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
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.corsOrigins = strings.Join(a.CORSOrigins, ", ")
	m.audience = strings.Join(a.Audience, ", ")
	m.rateLimit = a.RateLimit
	if a.RateLimitBurst > 0 {
		m.burst = fmt.Sprint(a.RateLimitBurst)
	}
	m.poolID, m.clientID, m.poolName = a.UserPoolID, a.ClientID, a.UserPoolName
	switch {
	case a.Identity == wz.IdentityExternal:
		m.idChoice = idExternal
	case a.UserPoolID != "" && a.UserPoolName == "":
		m.idChoice = idCognitoByID
	default:
		m.idChoice = idCognitoByName
	}
	m.form = m.buildForm()
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
	return tea.Batch(cmds...)
}

// Result is what the run did (nil until done) and its error.
func (m *Model) Result() (*wz.Result, error) { return m.result, m.err }

// Update handles keys, loader results and the forms.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
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
		if m.page == 0 {
			m.form = m.buildForm()
			return m, m.form.Init()
		}
		return m, nil
	case runtimesMsg:
		m.runtimes, m.runtimesErr, m.runtimesReady = msg.rts, msg.err, true
		if m.page == 1 {
			m.form = m.buildForm()
			return m, m.form.Init()
		}
		return m, nil
	case planMsg:
		m.plan, m.planErr = msg.plan, msg.err
		return m, nil
	case eventMsg:
		m.last[msg.Step] = wz.Event(msg)
		return m, m.waitEvent()
	case resultMsg:
		m.result, m.err = msg.res, msg.err
		m.page = pageDone
		return m, nil
	case testCallMsg:
		m.calling = false
		m.callErr = msg.err
		if m.result != nil && msg.call != nil {
			m.result.Call = msg.call
		}
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		switch msg.String() {
		case "ctrl+c":
			m.Quit = m.page < pageRunning
			return m, tea.Quit
		case "esc":
			if m.page > 0 && m.page <= pagePlan {
				m.page--
				m.plan, m.planErr = nil, nil
				m.form = m.buildForm()
				return m, m.form.Init()
			}
		}
		switch m.page {
		case pagePlan:
			switch msg.String() {
			case "q":
				m.Quit = true
				return m, tea.Quit
			case "enter", "y":
				if m.plan != nil && m.loaders.Apply != nil {
					m.page = pageRunning
					return m, m.startApply()
				}
			}
			return m, nil
		case pageRunning:
			return m, nil
		case pageDone:
			switch msg.String() {
			case "q", "enter":
				return m, tea.Quit
			case "t":
				if m.canTestCall() && !m.calling {
					m.calling, m.callErr = true, nil
					return m, m.sendTestCall()
				}
			}
			return m, nil
		}
	}
	if m.page >= pagePlan {
		return m, nil
	}
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	if m.form.State == huh.StateCompleted {
		m.collect()
		m.page++
		if m.page == pagePlan {
			return m, m.computePlan()
		}
		m.form = m.buildForm()
		return m, m.form.Init()
	}
	if m.form.State == huh.StateAborted {
		m.Quit = true
		return m, tea.Quit
	}
	return m, cmd
}

func (m *Model) canTestCall() bool {
	return m.loaders.TestCall != nil && m.result != nil && m.err == nil
}

func (m *Model) sendTestCall() tea.Cmd {
	return tea.Batch(m.spin.Tick, func() tea.Msg {
		c, err := m.loaders.TestCall(m.ctx)
		return testCallMsg{c, err}
	})
}

func (m *Model) collect() {
	a := m.Answers
	switch m.page {
	case 1:
		if m.runtimeChoice == pasteARN || len(m.runtimes) == 0 {
			a.RuntimeARN = strings.TrimSpace(m.pastedARN)
		} else if m.runtimeChoice != "" {
			a.RuntimeARN = m.runtimeChoice
		}
	case 2:
		if a.Mode == "sigv4" {
			break
		}
		switch m.idChoice {
		case idExternal:
			a.Identity = wz.IdentityExternal
			a.Token = strings.TrimSpace(m.token)
		case idCognitoByID:
			a.Identity = wz.IdentityCognito
			a.UserPoolID, a.ClientID = strings.TrimSpace(m.poolID), strings.TrimSpace(m.clientID)
			a.UserPoolName, a.Token = "", ""
		default:
			a.Identity, a.Token = wz.IdentityCognito, ""
			if a.UserPoolName != m.poolName {
				// Another pool name than the recorded one: find or create that pool, not the recorded id.
				a.UserPoolID, a.ClientID = "", ""
			}
		}
	case 3:
		a.SkipAuthorizer = !m.applyNow
	}
	a.CORSOrigins = splitList(m.corsOrigins)
	a.Audience = splitList(m.audience)
	a.RateLimit = strings.TrimSpace(m.rateLimit)
	a.RateLimitBurst = 0
	if n, err := strconv.ParseInt(strings.TrimSpace(m.burst), 10, 32); err == nil && n > 0 {
		a.RateLimitBurst = int32(n)
	}
}

// checkARN validates a pasted runtime ARN as the wizard will: its shape, and its region against --region.
func (m *Model) checkARN(s string) (awsops.RuntimeARN, error) {
	arn, err := awsops.ParseRuntimeARN(strings.TrimSpace(s))
	if err != nil {
		return arn, err
	}
	if r := m.Answers.Region; r != "" && arn.Region != r {
		return arn, fmt.Errorf("the ARN is in region %s but --region is %s", arn.Region, r)
	}
	return arn, nil
}

// arnStatus is the live line under the ARN field: what is wrong, or region, account and invocation path.
func (m *Model) arnStatus(s string) string {
	if strings.TrimSpace(s) == "" {
		return "arn:aws:bedrock-agentcore:<region>:<account>:runtime/<name>-<10 characters>"
	}
	arn, err := m.checkARN(s)
	if err != nil {
		return m.theme.Symbol(style.Fail) + " " + err.Error()
	}
	line := fmt.Sprintf("%s region %s · account %s · runtime %s\ninvocation path %s", m.theme.Symbol(style.Pass), arn.Region, arn.Account, arn.RuntimeID, arn.InvocationPath())
	if l := m.loaders.Region; l != "" && l != arn.Region {
		line += fmt.Sprintf("\n%s the list above is %s; the wizard works in %s for this runtime", m.theme.Symbol(style.Warn), l, arn.Region)
	}
	return line
}

// tokenStatus is the live line under the pasted-token field: the claims that matter, or what is wrong.
func (m *Model) tokenStatus(s string) string {
	s = bearer.Token(s)
	if s == "" {
		return "optional: paste the token here (hidden), or give a token file; else the Secret gets a placeholder"
	}
	claims, err := jwtparts.Claims(s)
	if err != nil {
		return m.theme.Symbol(style.Fail) + " not a JWT: " + err.Error()
	}
	var parts []string
	iss, _ := claims["iss"].(string)
	parts = append(parts, "iss "+iss)
	if aud := claims["aud"]; aud != nil {
		parts = append(parts, fmt.Sprint("aud ", aud))
	}
	if exp, ok := claims["exp"].(float64); ok {
		parts = append(parts, "expires "+style.Relative(time.Unix(int64(exp), 0), time.Now()))
	}
	sym := style.Pass
	issuer := strings.TrimSuffix(m.get(&m.Answers.DiscoveryURL), "/.well-known/openid-configuration")
	if issuer != "" && iss != issuer {
		sym = style.Warn
		parts = append(parts, "iss is not the discovery URL's issuer "+issuer)
	}
	return m.theme.Symbol(sym) + " " + strings.Join(parts, " · ")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, p)
	}
	return out
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

// esc keeps huh's note markup (_ * ` \\) from eating characters of names, paths and errors.
func esc(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "_", `\_`, "*", `\*`, "`", "\\`")
	return r.Replace(s)
}

var nsRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// buildForm is the huh form of the current page, bound to the answers.
func (m *Model) buildForm() *huh.Form {
	a := m.Answers
	var fields []huh.Field
	switch m.page {
	case 0:
		note := "Discovering Agent Gateway Gateways…"
		if m.discovered {
			note = fmt.Sprintf("Cluster serves: %s Agent Gateway kinds", m.kinds.Flavor())
			if m.kinds.RateLimitConfig {
				note += " · RateLimitConfig"
			}
			if m.discoverErr != nil {
				note = "Discovery failed: " + m.discoverErr.Error()
			}
		}
		fields = append(fields, huh.NewNote().Title("① Gateway").Description(esc(note)))
		if len(m.gateways) > 0 {
			var opts []huh.Option[string]
			for _, g := range m.gateways {
				label := g.Ref()
				if ep := g.Endpoint(); ep != "" {
					label += "  " + ep
				}
				opts = append(opts, huh.NewOption(label, g.Ref()))
			}
			fields = append(fields, huh.NewSelect[string]().Title("Gateway").Options(opts...).Value(&a.Gateway))
		} else {
			fields = append(fields, huh.NewInput().Title("Gateway (NAMESPACE/NAME)").Placeholder("agentgateway-system/agentgateway-proxy").
				Value(&a.Gateway).Validate(func(s string) error {
				if s == "" {
					return nil
				}
				ns, n, ok := strings.Cut(s, "/")
				if !ok || !nsRe.MatchString(ns) || !nsRe.MatchString(n) {
					return fmt.Errorf("want NAMESPACE/NAME")
				}
				return nil
			}))
		}
	case 1:
		desc := "Loading runtimes…"
		if m.loaders.Runtimes == nil {
			desc = "Paste the runtime's ARN (no AWS configuration to list runtimes)"
		}
		if m.runtimesReady {
			desc = fmt.Sprintf("%d runtime(s) in %s, or paste an ARN", len(m.runtimes), cmpOr(m.loaders.Region, "the region"))
			if m.runtimesErr != nil {
				desc = "Could not list runtimes (" + m.runtimesErr.Error() + "): paste the ARN"
			}
		}
		fields = append(fields, huh.NewNote().Title("② Runtime").Description(esc(desc)))
		if len(m.runtimes) > 0 {
			opts := []huh.Option[string]{}
			listed := false
			for _, r := range m.runtimes {
				auth := r.AuthorizerMode()
				if auth == "" {
					auth = "?"
				}
				opts = append(opts, huh.NewOption(fmt.Sprintf("%-28s %-8s %s", r.Name, r.Status, auth), r.ARN))
				listed = listed || r.ARN == a.RuntimeARN
			}
			opts = append(opts, huh.NewOption("paste an ARN…", pasteARN))
			switch {
			case m.runtimeChoice != "":
			case listed:
				m.set(&m.runtimeChoice, a.RuntimeARN)
			case a.RuntimeARN != "":
				m.set(&m.runtimeChoice, pasteARN)
				m.set(&m.pastedARN, a.RuntimeARN)
			default:
				m.set(&m.runtimeChoice, m.runtimes[0].ARN)
			}
			fields = append(fields, huh.NewSelect[string]().Title("Runtime (name, status, authorizer)").Options(opts...).Accessor(m.acc(&m.runtimeChoice)))
		} else {
			if m.get(&m.pastedARN) == "" {
				m.set(&m.pastedARN, a.RuntimeARN)
			}
		}
	case 2:
		if a.Identity == "" {
			a.Identity = wz.IdentityCognito
		}
		if a.Mode == "sigv4" {
			fields = append(fields, huh.NewNote().Title("③ Identity").Description("sigv4: no Cognito, no token Secret. The proxy signs with its own AWS credentials."))
			break
		}
		fields = append(fields,
			huh.NewNote().Title("③ Identity").Description("Who mints the token the gateway sends. Cognito objects are found by name or id and reused, or created: never duplicated."),
			huh.NewSelect[string]().Title("Identity").Options(
				huh.NewOption("Cognito: create new, or reuse by name (pool, app client, service user)", idCognitoByName),
				huh.NewOption("Cognito: reuse an existing pool / app client / user by id", idCognitoByID),
				huh.NewOption("External IdP (Auth0, Okta, Entra): discovery URL + audience", idExternal),
			).Value(&m.idChoice))
	case 3:
		fields = append(fields, huh.NewNote().Title("④ Authorizer").Description(
			"The runtime's JWT authorizer will point at the identity's discovery URL (the plan shows current → proposed).\n"+
				"Only the authorizer changes; every other runtime field is kept. Skipped when already equal."),
			huh.NewConfirm().Title("Update the runtime's authorizer?").Affirmative("Yes").Negative("Leave it").Value(&m.applyNow))
		m.applyNow = !a.SkipAuthorizer
	case 4:
		if a.RouteNamespace == "" {
			a.RouteNamespace = "agentcore"
		}
		if a.PathPrefix == "" {
			a.PathPrefix = "/agentcore"
		}
		fields = append(fields, huh.NewNote().Title("⑤ Resources").Description("Backend, policy, HTTPRoute and token Secret: server-side applied, labelled managed-by=kubectl-agentcore."),
			huh.NewInput().Title("Namespace").Value(&a.RouteNamespace).Validate(func(s string) error {
				if !nsRe.MatchString(s) {
					return fmt.Errorf("lower-case letters, digits and '-'")
				}
				return nil
			}),
			huh.NewInput().Title("Path prefix on the gateway").Value(&a.PathPrefix).Validate(func(s string) error {
				if !strings.HasPrefix(s, "/") {
					return fmt.Errorf("starts with /")
				}
				return nil
			}))
	case 5:
		fields = append(fields, huh.NewNote().Title("⑥ Options").Description("Leave empty for none."),
			huh.NewInput().Title("Rate limit (requests/unit)").Placeholder("3/minute").Accessor(m.acc(&m.rateLimit)).Validate(func(s string) error {
				_, err := k8sres.ParseRateLimit(s)
				return err
			}),
			huh.NewInput().Title("Burst (extra requests allowed above the rate, optional)").Placeholder("0").Accessor(m.acc(&m.burst)).
				DescriptionFunc(func() string { return m.burstStatus() }, []any{&m.burst, &m.rateLimit}).
				Validate(func(s string) error {
					_, err := parseBurst(s, m.rateLimit)
					return err
				}),
			huh.NewInput().Title("CORS allowed origins (comma-separated)").Placeholder("https://app.example.com").Value(&m.corsOrigins))
	case 6:
		fields = append(fields, huh.NewNote().Title("⑦ Verify").Description(
			"After applying: wait for backend Accepted, route Accepted/ResolvedRefs, policy Accepted/Attached,\n"+
				"run the doctor checks that apply; then press t to send one real test call through the gateway.\n"+
				"Next: the plan — nothing is changed before it."))
	}
	groups := []*huh.Group{huh.NewGroup(fields...)}
	switch {
	case m.page == 1:
		hasList := len(m.runtimes) > 0
		groups[0] = groups[0].WithHideFunc(func() bool { return len(m.runtimes) == 0 })
		pasteDesc := "Paste the runtime's ARN: it is checked as you type."
		if len(m.runtimes) == 0 {
			pasteDesc = "② Runtime"
		}
		groups = append(groups,
			huh.NewGroup(
				huh.NewNote().Title("② Runtime · paste an ARN").Description(esc(pasteDesc)),
				huh.NewInput().Title("Runtime ARN").Placeholder("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/name-XXXXXXXXXX").
					Accessor(m.acc(&m.pastedARN)).
					DescriptionFunc(func() string { return m.arnStatus(m.get(&m.pastedARN)) }, &m.pastedARN).
					Validate(func(s string) error {
						_, err := m.checkARN(s)
						return err
					}),
			).WithHideFunc(func() bool { return m.runtimeChoice != pasteARN && len(m.runtimes) > 0 }),
			huh.NewGroup(
				huh.NewNote().Title("Invocation path").DescriptionFunc(func() string {
					if arn, err := m.checkARN(m.chosenARN(hasList)); err == nil {
						return esc(arn.InvocationPath())
					}
					return "(no valid ARN yet)"
				}, []any{&m.runtimeChoice, &m.pastedARN}),
				huh.NewSelect[string]().Title("Mode").Options(
					huh.NewOption("rewrite — static backend + URL rewrite (published recipe)", "rewrite"),
					huh.NewOption("native — aws.agentCore backend with a bearer token", "native"),
					huh.NewOption("sigv4 — aws.agentCore backend signed by the proxy's IRSA role", "sigv4"),
				).Value(&a.Mode),
			))
		if a.Mode == "" {
			a.Mode = "rewrite"
		}
	case m.page == 2 && a.Mode != "sigv4":
		if a.UserPoolName == "" && a.UserPoolID == "" {
			a.UserPoolName = "agentcore"
		}
		if a.Username == "" {
			a.Username = "agentcore-gateway"
		}
		groups = append(groups,
			huh.NewGroup(
				huh.NewNote().Title("③ Identity · Cognito").Description(esc("Pool found by name or created; app client with a secret, ALLOW_ADMIN_USER_PASSWORD_AUTH + ALLOW_REFRESH_TOKEN_AUTH; the service user gets a generated strong password (stored in a Secret, never shown).")),
				huh.NewInput().Title("User pool name").Value(&a.UserPoolName).Validate(nonEmpty("a user pool name")),
				huh.NewInput().Title("Service user").Value(&a.Username).Validate(nonEmpty("a user name")),
			).WithHideFunc(func() bool { return m.idChoice != idCognitoByName }),
			huh.NewGroup(
				huh.NewNote().Title("③ Identity · existing Cognito by id").Description(esc("Nothing is created in Cognito. The app client needs a secret and the flows ALLOW_ADMIN_USER_PASSWORD_AUTH + ALLOW_REFRESH_TOKEN_AUTH. The service user gets a new generated password unless the one stored by an earlier run still works.")),
				huh.NewInput().Title("User pool id").Placeholder("us-east-1_AbCdEf123").Accessor(m.acc(&m.poolID)).
					DescriptionFunc(func() string { return idStatus(m.get(&m.poolID), poolIDRe, "region_id, e.g. us-east-1_AbCdEf123") }, &m.poolID).
					Validate(func(s string) error { return idErr(s, poolIDRe, "user pool id", "region_id, e.g. us-east-1_AbCdEf123") }),
				huh.NewInput().Title("App client id").Accessor(m.acc(&m.clientID)).
					DescriptionFunc(func() string { return idStatus(m.get(&m.clientID), clientIDRe, "letters and digits") }, &m.clientID).
					Validate(func(s string) error { return idErr(s, clientIDRe, "app client id", "letters and digits") }),
				huh.NewInput().Title("Service user").Value(&a.Username).Validate(nonEmpty("a user name")),
			).WithHideFunc(func() bool { return m.idChoice != idCognitoByID }),
			huh.NewGroup(
				huh.NewNote().Title("③ Identity · external IdP").Description(esc("The runtime will trust this IdP's tokens (discovery URL + audience). Get a machine token from your IdP, e.g. a client-credentials call (curl -d grant_type=client_credentials -d client_id=… -d client_secret=… -d audience=… https://<idp>/oauth/token), then paste its access_token below (hidden) or give a file holding it. Without a token the Secret gets a placeholder; kubectl agentcore rotate or kubectl can fill it later.")),
				huh.NewInput().Title("Discovery URL").Placeholder("https://idp.example.com/.well-known/openid-configuration").Accessor(m.acc(&a.DiscoveryURL)).
					DescriptionFunc(func() string { return discoveryStatus(m.get(&a.DiscoveryURL)) }, &a.DiscoveryURL).
					Validate(func(s string) error {
						if m.idChoice != idExternal {
							return nil
						}
						return discoveryErr(s)
					}),
				huh.NewInput().Title("Audience (comma-separated)").Value(&m.audience).Validate(func(s string) error {
					if m.idChoice == idExternal && len(splitList(s)) == 0 {
						return fmt.Errorf("at least one audience (the API identifier your tokens carry in aud)")
					}
					return nil
				}),
				huh.NewInput().Title("Paste the token (hidden, optional)").EchoMode(huh.EchoModePassword).Accessor(m.acc(&m.token)).
					DescriptionFunc(func() string { return m.tokenStatus(m.get(&m.token)) }, []any{&m.token, &a.DiscoveryURL}).
					Validate(func(s string) error {
						if strings.TrimSpace(s) == "" {
							return nil
						}
						_, err := jwtparts.Claims(bearer.Token(s))
						return err
					}),
				huh.NewInput().Title("…or a token file (optional)").Value(&a.TokenFile),
			).WithHideFunc(func() bool { return m.idChoice != idExternal }),
		)
	}
	f := huh.NewForm(groups...).WithShowHelp(true).WithWidth(min(m.width-4, 96))
	if !m.theme.Color {
		f = f.WithTheme(huh.ThemeFunc(huh.ThemeBase))
	}
	return f
}

// chosenARN is the runtime picked from the list or pasted (called from huh's goroutines: reads under the lock).
func (m *Model) chosenARN(listed bool) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runtimeChoice == pasteARN || m.runtimeChoice == "" || !listed {
		return m.pastedARN
	}
	return m.runtimeChoice
}

// lockedAccessor binds a form field to a value guarded by the model's lock.
type lockedAccessor[T any] struct {
	mu *sync.Mutex
	p  *T
}

func (l lockedAccessor[T]) Get() T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return *l.p
}

func (l lockedAccessor[T]) Set(v T) {
	l.mu.Lock()
	*l.p = v
	l.mu.Unlock()
}

func (m *Model) acc(p *string) huh.Accessor[string] { return lockedAccessor[string]{m.mu, p} }

func (m *Model) get(p *string) string { return lockedAccessor[string]{m.mu, p}.Get() }

func (m *Model) set(p *string, v string) { lockedAccessor[string]{m.mu, p}.Set(v) }

var (
	poolIDRe   = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	clientIDRe = regexp.MustCompile(`^[\w+]{1,128}$`)
)

func nonEmpty(what string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("enter %s", what)
		}
		return nil
	}
}

func idErr(s string, re *regexp.Regexp, what, want string) error {
	if !re.MatchString(strings.TrimSpace(s)) {
		return fmt.Errorf("not a %s: want %s", what, want)
	}
	return nil
}

func idStatus(s string, re *regexp.Regexp, want string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return want
	case re.MatchString(strings.TrimSpace(s)):
		return "✔"
	}
	return "✖ want " + want
}

func discoveryErr(s string) error {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" || !strings.HasSuffix(u.Path, "/.well-known/openid-configuration") {
		return fmt.Errorf("want https://<issuer>/.well-known/openid-configuration")
	}
	return nil
}

func discoveryStatus(s string) string {
	if strings.TrimSpace(s) == "" {
		return "the issuer + /.well-known/openid-configuration (AgentCore rejects the bare issuer)"
	}
	if err := discoveryErr(s); err != nil {
		return "✖ " + err.Error()
	}
	return "✔ issuer " + strings.TrimSuffix(strings.TrimSpace(s), "/.well-known/openid-configuration")
}

// parseBurst reads the burst field: empty or 0 = none; a burst needs a rate limit.
func parseBurst(s, rate string) (int32, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("a whole number ≥ 0")
	}
	if strings.TrimSpace(rate) == "" {
		return 0, fmt.Errorf("a burst needs a rate limit above")
	}
	return int32(n), nil
}

func (m *Model) burstStatus() string {
	m.mu.Lock()
	burst, rate, kinds := m.burst, m.rateLimit, m.kinds
	m.mu.Unlock()
	n, err := parseBurst(burst, rate)
	switch {
	case err != nil:
		return "✖ " + err.Error()
	case n == 0:
		return "none"
	case kinds.EnterprisePolicy && kinds.RateLimitConfig:
		return fmt.Sprintf("up to %d extra requests in a burst; uses the local (per-proxy) limiter: a RateLimitConfig has no burst", n)
	}
	return fmt.Sprintf("up to %d extra requests in a burst (traffic.rateLimit.local burst)", n)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// View renders header, rail, page and key help.
func (m *Model) View() tea.View {
	var b bytes.Buffer
	t := m.theme
	b.WriteString(" " + t.Title.Render("kubectl agentcore · wizard") + "\n")
	b.WriteString(" " + m.rail() + "\n")
	b.WriteString(" " + strings.Repeat("─", max(10, min(m.width-2, 96))) + "\n")
	switch {
	case m.page < pagePlan:
		b.WriteString(m.form.View())
		b.WriteString("\n " + t.Faint.Render("enter next · esc back · ctrl+c quit"))
	case m.page == pagePlan:
		switch {
		case m.planErr != nil:
			b.WriteString(" " + t.Symbol(style.Fail) + " " + m.planErr.Error() + "\n\n " + t.Faint.Render("esc back · q quit"))
		case m.plan == nil:
			b.WriteString(" " + m.spin.View() + " computing the plan (dry run against the cluster and AWS)…\n")
		default:
			PrintPlan(&b, t, m.plan)
			if m.plan.Changes == 0 {
				b.WriteString("\n " + t.Faint.Render("enter run verify · esc back · q quit"))
			} else {
				b.WriteString("\n " + t.Bold.Render("enter apply") + t.Faint.Render(" · esc back · q quit (nothing changed yet)"))
			}
		}
	case m.page == pageRunning:
		for _, s := range wz.Steps {
			e, ok := m.last[s.Name]
			sym := t.Symbol(style.Skip)
			if ok {
				switch e.Status {
				case "running":
					sym = m.spin.View()
				case "done":
					sym = t.Symbol(style.Pass)
				case "failed":
					sym = t.Symbol(style.Fail)
				}
			}
			fmt.Fprintf(&b, " %s %-14s %s\n", sym, StepLabel(s.Name), t.Faint.Render(e.Detail))
		}
	case m.page == pageDone:
		if m.err != nil {
			b.WriteString(" " + t.Symbol(style.Fail) + " " + m.err.Error() + "\n")
		} else if m.result != nil {
			// The test call's answer comes first when room is short: it is what the user just asked for.
			var r, c bytes.Buffer
			res := *m.result
			if res.Call != nil {
				res.Call, res.TestCall = nil, ""
			}
			PrintResult(&r, t, &res)
			if m.result.Call != nil {
				PrintTestCall(&c, t, m.result.Call)
			}
			lines := strings.Split(strings.TrimRight(r.String(), "\n"), "\n")
			callLines := 0
			if c.Len() > 0 {
				callLines = strings.Count(c.String(), "\n")
			}
			if room := m.height - 6 - callLines; room > 3 && len(lines) > room {
				lines = append(lines[:room-1], t.Faint.Render(fmt.Sprintf(" … %d more line(s): the whole report is printed when you quit", len(lines)-room+1)))
			}
			b.WriteString(strings.Join(lines, "\n") + "\n" + c.String())
		}
		switch {
		case m.calling:
			b.WriteString(" " + m.spin.View() + " sending a test call through the gateway…\n")
		case m.callErr != nil:
			b.WriteString(" " + t.Symbol(style.Fail) + " test call: " + m.callErr.Error() + "\n")
		}
		keys := "q quit"
		if m.canTestCall() && !m.calling {
			keys = "t send a test call through the gateway · q quit"
			if m.result.Call != nil {
				keys = "t send it again · q quit"
			}
		}
		b.WriteString("\n " + t.Faint.Render(keys))
	}
	v := tea.NewView(b.String())
	v.AltScreen = true
	return v
}

func (m *Model) rail() string {
	t := m.theme
	var parts []string
	for i, s := range wz.Steps {
		label := StepLabel(s.Name)
		switch {
		case i == m.page:
			parts = append(parts, t.Selected.Render(label))
		case i < m.page:
			parts = append(parts, t.Green.Render(label))
		default:
			parts = append(parts, t.Faint.Render(label))
		}
	}
	if m.page >= pagePlan {
		parts = append(parts, t.Selected.Render("Plan"))
	} else {
		parts = append(parts, t.Faint.Render("Plan"))
	}
	return strings.Join(parts, " ")
}
