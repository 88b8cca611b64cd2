// Package wizard is the wizard's terminal UI: one page per step built with huh forms inside a Bubble Tea model,
// a progress rail (① Gateway ② Runtime ③ Identity ④ Authorizer ⑤ Resources ⑥ Options ⑦ Verify), defaults
// pre-filled from what was discovered, and a plan page before anything is done. It makes no API calls of its
// own: the command passes Loaders.
package wizard

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
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
	corsOrigins string
	audience    string
	rateLimit   string
	applyNow    bool

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
	m := &Model{ctx: ctx, theme: theme, loaders: l, Answers: &a, width: 100, height: 30, last: map[string]wz.Event{}}
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.corsOrigins = strings.Join(a.CORSOrigins, ", ")
	m.audience = strings.Join(a.Audience, ", ")
	m.rateLimit = a.RateLimit
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
		m.gateways, m.kinds, m.discoverErr, m.discovered = msg.gws, msg.kinds, msg.err, true
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
			if s := msg.String(); s == "q" || s == "enter" {
				return m, tea.Quit
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

func (m *Model) collect() {
	if m.page == 3 {
		m.Answers.SkipAuthorizer = !m.applyNow
	}
	m.Answers.CORSOrigins = splitList(m.corsOrigins)
	m.Answers.Audience = splitList(m.audience)
	m.Answers.RateLimit = strings.TrimSpace(m.rateLimit)
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
		if m.runtimesReady {
			desc = fmt.Sprintf("%d runtime(s) in the region", len(m.runtimes))
			if m.runtimesErr != nil {
				desc = "Could not list runtimes (" + m.runtimesErr.Error() + "): paste the ARN"
			}
		}
		fields = append(fields, huh.NewNote().Title("② Runtime").Description(esc(desc)))
		if len(m.runtimes) > 0 {
			opts := []huh.Option[string]{}
			for _, r := range m.runtimes {
				auth := r.AuthorizerMode()
				if auth == "" {
					auth = "?"
				}
				opts = append(opts, huh.NewOption(fmt.Sprintf("%-28s %-8s %s", r.Name, r.Status, auth), r.ARN))
			}
			if a.RuntimeARN == "" {
				a.RuntimeARN = m.runtimes[0].ARN
			}
			fields = append(fields, huh.NewSelect[string]().Title("Runtime (name, status, authorizer)").Options(opts...).Value(&a.RuntimeARN))
		} else {
			fields = append(fields, huh.NewInput().Title("Runtime ARN").Placeholder("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/name-XXXXXXXXXX").
				Value(&a.RuntimeARN).Validate(func(s string) error {
				_, err := awsops.ParseRuntimeARN(s)
				return err
			}))
		}
		fields = append(fields,
			huh.NewNote().Title("Invocation path").DescriptionFunc(func() string {
				if arn, err := awsops.ParseRuntimeARN(a.RuntimeARN); err == nil {
					return esc(arn.InvocationPath())
				}
				return "(enter a valid ARN)"
			}, &a.RuntimeARN),
			huh.NewSelect[string]().Title("Mode").Options(
				huh.NewOption("rewrite — static backend + URL rewrite (published recipe)", "rewrite"),
				huh.NewOption("native — aws.agentCore backend with a bearer token", "native"),
				huh.NewOption("sigv4 — aws.agentCore backend signed by the proxy's IRSA role", "sigv4"),
			).Value(&a.Mode))
		if a.Mode == "" {
			a.Mode = "rewrite"
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
			huh.NewNote().Title("③ Identity").Description("Found by name and reused, or created: never duplicated."),
			huh.NewSelect[string]().Title("Identity provider").Options(
				huh.NewOption("Cognito (create or reuse pool, client, service user)", wz.IdentityCognito),
				huh.NewOption("External IdP (Auth0, Okta, Entra: discovery URL + audience)", wz.IdentityExternal),
			).Value(&a.Identity))
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
			huh.NewInput().Title("Rate limit (requests/unit)").Placeholder("3/minute").Value(&m.rateLimit).Validate(func(s string) error {
				_, err := k8sres.ParseRateLimit(s)
				return err
			}),
			huh.NewInput().Title("CORS allowed origins (comma-separated)").Placeholder("https://app.example.com").Value(&m.corsOrigins))
	case 6:
		fields = append(fields, huh.NewNote().Title("⑦ Verify").Description(
			"After applying: wait for backend Accepted, route Accepted/ResolvedRefs, policy Accepted/Attached,\n"+
				"run the doctor checks that apply, and show the test call. Next: the plan — nothing is changed before it."))
	}
	groups := []*huh.Group{huh.NewGroup(fields...)}
	if m.page == 2 && a.Mode != "sigv4" {
		if a.UserPoolName == "" && a.UserPoolID == "" {
			a.UserPoolName = "agentcore"
		}
		if a.Username == "" {
			a.Username = "agentcore-gateway"
		}
		groups = append(groups,
			huh.NewGroup(
				huh.NewNote().Title("③ Identity · Cognito").Description(esc("App client with a secret, ALLOW_ADMIN_USER_PASSWORD_AUTH + ALLOW_REFRESH_TOKEN_AUTH;\nthe service user gets a generated strong password (stored in a Secret, never shown).")),
				huh.NewInput().Title("User pool name").Value(&a.UserPoolName),
				huh.NewInput().Title("Service user").Value(&a.Username),
			).WithHideFunc(func() bool { return a.Identity != wz.IdentityCognito }),
			huh.NewGroup(
				huh.NewNote().Title("③ Identity · external IdP").Description("Paste the discovery URL and audience. Get a token from your IdP\n(e.g. a client-credentials call) and save it to a file for the token file field."),
				huh.NewInput().Title("Discovery URL").Placeholder("https://idp.example.com/.well-known/openid-configuration").Value(&a.DiscoveryURL).
					Validate(func(s string) error {
						if a.Identity == wz.IdentityExternal && !strings.HasSuffix(s, "/.well-known/openid-configuration") {
							return fmt.Errorf("ends with /.well-known/openid-configuration")
						}
						return nil
					}),
				huh.NewInput().Title("Audience (comma-separated)").Value(&m.audience),
				huh.NewInput().Title("Token file (optional)").Value(&a.TokenFile),
			).WithHideFunc(func() bool { return a.Identity != wz.IdentityExternal }),
		)
	}
	f := huh.NewForm(groups...).WithShowHelp(true).WithWidth(min(m.width-4, 96))
	if !m.theme.Color {
		f = f.WithTheme(huh.ThemeFunc(huh.ThemeBase))
	}
	return f
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
			var r bytes.Buffer
			PrintResult(&r, t, m.result)
			lines := strings.Split(strings.TrimRight(r.String(), "\n"), "\n")
			if room := m.height - 6; room > 3 && len(lines) > room {
				lines = append(lines[:room-1], t.Faint.Render(fmt.Sprintf(" … %d more line(s): the whole report is printed when you quit", len(lines)-room+1)))
			}
			b.WriteString(strings.Join(lines, "\n") + "\n")
		}
		b.WriteString("\n " + t.Faint.Render("q quit"))
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
