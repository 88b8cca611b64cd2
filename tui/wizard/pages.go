package wizard

// This file: the seven step pages, in order. Each builder returns its form groups bound to the answers (and
// fills its defaults); each collector turns the page's scratch values into answers when the page is submitted.
// Validation is plugin/wizard's: the pages never accept what the plan would refuse.

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/charmbracelet/x/ansi"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// steps are the step pages, indexed by page: what each shows and what it collects.
var steps = [pagePlan]struct {
	build   func(*Model) []*huh.Group
	collect func(*Model) // nil: the fields are bound to the answers directly
}{
	pageGateway:    {(*Model).gatewayPage, nil},
	pageRuntime:    {(*Model).runtimePage, (*Model).collectRuntime},
	pageIdentity:   {(*Model).identityPage, (*Model).collectIdentity},
	pageAuthorizer: {(*Model).authorizerPage, (*Model).collectAuthorizer},
	pageResources:  {(*Model).resourcesPage, nil},
	pageOptions:    {(*Model).optionsPage, (*Model).collectOptions},
	pageVerify:     {(*Model).verifyPage, nil},
}

// intro is a page's group whose title and description (what the page is and what to enter) are the group's
// header: huh keeps it above the fields, which scroll in the room left below it when the page is taller than the
// screen (a note as the first field would scroll out of view with them). A page with nothing to ask is one note.
func (m *Model) intro(title, desc string, fields ...huh.Field) *huh.Group {
	if len(fields) == 0 {
		return huh.NewGroup(huh.NewNote().Title(title).Description(esc(desc)))
	}
	g := huh.NewGroup(fields...).Title(title)
	m.headers = append(m.headers, header{g, desc})
	return g
}

// header is a page group's description as written, fitted to the screen by fitHeaders.
type header struct {
	g    *huh.Group
	desc string
}

// minFieldRows is the room the fields keep under a page's header: a field's title, its live line and its input.
const minFieldRows = 6

// fitHeaders gives each page group's description the rows the screen can spare: all of it while the fields keep
// minFieldRows rows, else its first lines ending in "…" (one at least), so a short screen still shows the field
// being filled in.
func (m *Model) fitHeaders() {
	spare := max(1, m.formHeight()-minFieldRows-3) // less the title and the blank lines after it and the description
	for _, h := range m.headers {
		lines := strings.Split(lipgloss.Wrap(h.desc, m.formWidth, ",.-; "), "\n") // as huh wraps it
		if len(lines) > spare {
			lines = lines[:spare]
			lines[spare-1] = ansi.Truncate(strings.TrimRight(lines[spare-1], " "), m.formWidth-1, "") + "…"
		}
		h.g.Description(strings.Join(lines, "\n"))
	}
}

// formTheme is huh's theme (Charm's in colour, the base one without) with the group header drawn as a note is:
// indented as the fields, the note's title style, a blank line before the fields.
func formTheme(color bool) huh.Theme {
	base := huh.ThemeCharm
	if !color {
		base = huh.ThemeBase
	}
	return huh.ThemeFunc(func(dark bool) *huh.Styles {
		s := base(dark)
		indent := s.Blurred.Card.GetHorizontalFrameSize()
		s.Group.Title = s.Blurred.NoteTitle.PaddingLeft(indent)
		s.Group.Description = lipgloss.NewStyle().PaddingLeft(indent).MarginBottom(1)
		return s
	})
}

// buildForm makes the huh form of the current step page the one shown, with all the room it has.
func (m *Model) buildForm() {
	var groups []*huh.Group
	m.headers, m.formWidth, m.formRoom = nil, min(m.width-4, 96), 0
	if m.page < pagePlan {
		groups = steps[m.page].build(m)
	}
	m.fitHeaders()
	// huh's own help line is off: its keys are in the wizard's one help line (keyMap).
	m.form = huh.NewForm(groups...).WithShowHelp(false).WithWidth(m.formWidth).WithTheme(formTheme(m.theme.Color))
	m.fitForm()
}

// formHeight is the room the form has: the screen less the header (3 lines) and the help line (2).
func (m *Model) formHeight() int { return max(8, m.height-5) }

// fitForm gives the form all the room it has (formHeight): its groups' fields scroll inside it when taller than
// that, under the page's header, and a field whose live line grows as the user types (an ARN's invocation path, a
// discovery URL's issuer) keeps the rows it needs instead of pushing the page's first lines out of view (huh sizes
// a group to the tallest one as drawn when the form opens).
func (m *Model) fitForm() {
	if room := m.formHeight(); m.formRoom != room {
		m.form.WithHeight(room)
		m.formRoom = room
	}
}

// ① Gateway: the discovered Agent Gateway Gateways to pick from (the default one pre-selected), or a
// NAMESPACE/NAME to type when none was found.
func (m *Model) gatewayPage() []*huh.Group {
	a := m.Answers
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
	var fields []huh.Field
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
		fields = append(fields, huh.NewInput().Title("Gateway (NAMESPACE/NAME)").
			Placeholder(setup.DefaultGatewayNamespace+"/"+setup.DefaultGatewayName).
			Value(&a.Gateway).Validate(optional(wz.CheckGateway)))
	}
	return []*huh.Group{m.intro(StepLabel(wz.StepGateway), note, fields...)}
}

// ② Runtime: the region's runtimes to pick from, or "paste an ARN…" (checked as typed, region included); then
// the invocation path it gives and the mode.
func (m *Model) runtimePage() []*huh.Group {
	a := m.Answers
	if a.Mode == "" {
		a.Mode = string(setup.ModeRewrite)
	}
	title := StepLabel(wz.StepRuntime)
	desc := "Loading runtimes…"
	if m.loaders.Runtimes == nil {
		desc = "Paste the runtime's ARN (no AWS configuration to list runtimes)"
	}
	if m.runtimesReady {
		desc = fmt.Sprintf("%s in %s, or paste an ARN", words.Count(len(m.runtimes), "runtime"), cmp.Or(m.loaders.Region, "the region"))
		if n := len(m.agentCoreGateways); n > 0 {
			desc = fmt.Sprintf("%s and %s in %s, or paste an ARN", words.Count(len(m.runtimes), "runtime"), words.Count(n, "AgentCore Gateway"), cmp.Or(m.loaders.Region, "the region"))
		}
		if m.runtimesErr != nil {
			desc = "Could not list runtimes (" + m.runtimesErr.Error() + "): paste the ARN"
		}
	}
	hasList := len(m.runtimes)+len(m.agentCoreGateways) > 0
	var pick []huh.Field
	if hasList {
		pick = append(pick, m.runtimeSelect())
	} else if m.get(&m.pastedARN) == "" {
		m.set(&m.pastedARN, cmp.Or(a.RuntimeARN, a.AgentCoreGateway))
	}
	pasteDesc := "Paste the runtime's ARN, or an AgentCore Gateway's id or ARN: it is checked as you type."
	if !hasList {
		pasteDesc = title
	}
	return []*huh.Group{
		m.intro(title, desc, pick...).WithHideFunc(func() bool { return !hasList }),
		m.intro(title+" · paste an ARN", pasteDesc,
			huh.NewInput().Title("Runtime ARN or AgentCore Gateway").Placeholder("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/name-XXXXXXXXXX").
				Accessor(m.acc(&m.pastedARN)).
				DescriptionFunc(func() string { return m.arnStatus(m.get(&m.pastedARN)) }, &m.pastedARN).
				Validate(m.checkTarget),
		).WithHideFunc(func() bool { return hasList && m.get(&m.runtimeChoice) != pasteARN }),
		huh.NewGroup(
			huh.NewNote().Title("Invocation path").DescriptionFunc(func() string {
				if arn, err := m.checkARN(m.chosenARN(hasList)); err == nil {
					return esc(arn.InvocationPath())
				}
				if id, arn, err := wz.CheckAgentCoreGateway(m.chosenARN(hasList), m.Answers.Region); err == nil {
					region := cmp.Or(m.Answers.Region, m.loaders.Region)
					if arn != nil {
						region = arn.Region
					}
					return esc("AgentCore Gateway: the route rewrites to its MCP URL " + awsops.GatewayMCPURL(id, region) + " (rewrite, passthrough or exchange)")
				}
				return "(no valid ARN yet)"
			}, []any{&m.runtimeChoice, &m.pastedARN}),
			huh.NewSelect[string]().Title("Mode").Options(
				huh.NewOption("rewrite — static backend + URL rewrite (published recipe)", string(setup.ModeRewrite)),
				huh.NewOption("native — aws.agentCore backend with a bearer token", string(setup.ModeNative)),
				huh.NewOption("sigv4 — aws.agentCore backend signed by the proxy's IRSA role", string(setup.ModeSigV4)),
				huh.NewOption("passthrough — the caller's own token, validated at the gateway and sent on", string(setup.ModePassthrough)),
				huh.NewOption("exchange — the caller's token, validated, then exchanged at a token service (RFC 8693)", string(setup.ModeExchange)),
			).Value(&a.Mode).Validate(func(mode string) error {
				// Agent Gateway's aws.agentCore backend (native, sigv4) calls runtimes only.
				if _, _, err := wz.CheckAgentCoreGateway(m.chosenARN(hasList), m.Answers.Region); err == nil &&
					(mode == string(setup.ModeNative) || mode == string(setup.ModeSigV4)) {
					return fmt.Errorf("%s calls runtimes only: an AgentCore Gateway takes rewrite, passthrough or exchange", mode)
				}
				return nil
			}),
		),
	}
}

// runtimeSelect is the list of runtimes plus "paste an ARN…", on the answer's runtime when it is listed.
func (m *Model) runtimeSelect() huh.Field {
	a := m.Answers
	var opts []huh.Option[string]
	listed, sel := false, a.RuntimeARN
	for _, r := range m.runtimes {
		auth := r.AuthorizerMode()
		if auth == "" {
			auth = "?"
		}
		opts = append(opts, huh.NewOption(fmt.Sprintf("%-28s %-8s %s", r.Name, r.Status, auth), r.ARN))
		listed = listed || r.ARN == a.RuntimeARN
	}
	gwID, _ := awsops.GatewayIDFrom(a.AgentCoreGateway)
	for _, g := range m.agentCoreGateways {
		id := aws.ToString(g.GatewayId)
		opts = append(opts, huh.NewOption(fmt.Sprintf("%-28s %-8s %s (AgentCore Gateway, MCP)", aws.ToString(g.Name), g.Status, g.AuthorizerType), id))
		if gwID != "" && id == gwID {
			listed, sel = true, id
		}
	}
	opts = append(opts, huh.NewOption("paste an ARN…", pasteARN))
	target := cmp.Or(a.RuntimeARN, a.AgentCoreGateway)
	switch {
	case m.get(&m.runtimeChoice) != "":
	case listed:
		m.set(&m.runtimeChoice, sel)
	case target != "":
		m.set(&m.runtimeChoice, pasteARN)
		m.set(&m.pastedARN, target)
	default:
		m.set(&m.runtimeChoice, opts[0].Value)
	}
	return huh.NewSelect[string]().Title("Target: runtime or AgentCore Gateway (name, status, authorizer)").Options(opts...).Accessor(m.acc(&m.runtimeChoice))
}

func (m *Model) collectRuntime() {
	v := strings.TrimSpace(m.chosenARN(len(m.runtimes)+len(m.agentCoreGateways) > 0))
	m.Answers.RuntimeARN, m.Answers.AgentCoreGateway = v, ""
	if _, err := awsops.ParseRuntimeARN(v); err != nil {
		if _, gerr := awsops.GatewayIDFrom(v); gerr == nil {
			m.Answers.RuntimeARN, m.Answers.AgentCoreGateway = "", v
		}
	}
}

// Identity page choices.
const (
	idCognitoByName  = "cognito"
	idCognitoByID    = "cognito-id"
	idExternal       = "external"
	idCognitoMachine = "cognito-machine"
)

// ③ Identity: who mints the gateway's token: Cognito by name (found or created), existing Cognito objects by
// id, or an external IdP (discovery URL, audience, optionally the token). Nothing to ask in sigv4 mode.
func (m *Model) identityPage() []*huh.Group {
	a := m.Answers
	title := StepLabel(wz.StepIdentity)
	if a.Identity == "" {
		a.Identity = wz.IdentityCognito
	}
	if a.Mode == string(setup.ModeSigV4) {
		return []*huh.Group{m.intro(title, "sigv4: no Cognito, no token Secret. The proxy signs with its own AWS credentials.")}
	}
	if m.callerMode() {
		return m.callerIdentityPage(title)
	}
	if a.UserPoolName == "" && a.UserPoolID == "" {
		a.UserPoolName = setup.DefaultUserPoolName
	}
	if a.Username == "" {
		a.Username = setup.DefaultUsername
	}
	shownUnless := func(choice string) func() bool { return func() bool { return m.idChoice != choice } }
	return []*huh.Group{
		m.intro(title, "Who mints the token the gateway sends. Cognito objects are found by name or id and reused, or created: never duplicated.",
			huh.NewSelect[string]().Title("Identity").Options(
				huh.NewOption("Cognito: create new, or reuse by name (pool, app client, service user)", idCognitoByName),
				huh.NewOption("Cognito: reuse an existing pool / app client / user by id", idCognitoByID),
				huh.NewOption("External IdP (Auth0, Okta, Entra): discovery URL + audience", idExternal),
				huh.NewOption("Cognito machine client: client credentials (resource server, scopes, domain, app client)", idCognitoMachine),
			).Value(&m.idChoice)),
		m.intro(title+" · Cognito", "Pool found by name or created; app client with a secret, ALLOW_ADMIN_USER_PASSWORD_AUTH + ALLOW_REFRESH_TOKEN_AUTH; the service user gets a generated strong password (stored in a Secret, never shown).",
			huh.NewInput().Title("User pool name").Value(&a.UserPoolName).Validate(nonEmpty("a user pool name")),
			huh.NewInput().Title("Service user").Value(&a.Username).Validate(nonEmpty("a user name")),
		).WithHideFunc(shownUnless(idCognitoByName)),
		m.intro(title+" · existing Cognito by id", "Nothing is created in Cognito. The app client needs a secret and the flows ALLOW_ADMIN_USER_PASSWORD_AUTH + ALLOW_REFRESH_TOKEN_AUTH. The service user gets a new generated password unless the one stored by an earlier run still works.",
			huh.NewInput().Title("User pool id").Placeholder("us-east-1_AbCdEf123").Accessor(m.acc(&m.poolID)).
				DescriptionFunc(func() string {
					return m.checkStatus(m.get(&m.poolID), wz.CheckUserPoolID, "region_id, e.g. us-east-1_AbCdEf123")
				}, &m.poolID).
				Validate(onlyFor(m, idCognitoByID, wz.CheckUserPoolID)),
			huh.NewInput().Title("App client id").Accessor(m.acc(&m.clientID)).
				DescriptionFunc(func() string { return m.checkStatus(m.get(&m.clientID), wz.CheckClientID, "letters and digits") }, &m.clientID).
				Validate(onlyFor(m, idCognitoByID, wz.CheckClientID)),
			huh.NewInput().Title("Service user").Value(&a.Username).Validate(nonEmpty("a user name")),
		).WithHideFunc(shownUnless(idCognitoByID)),
		m.intro(title+" · Cognito machine client", "No user: an app client with a secret for the client-credentials grant. The resource server and its scopes, a user-pool domain (its /oauth2/token mints the token; prefix from the pool unless given, availability checked) and the app client are found or created. The runtime then allows this client and these scopes.",
			huh.NewInput().Title("User pool name").Value(&a.UserPoolName).Validate(onlyFor(m, idCognitoMachine, nonEmpty("a user pool name"))),
			huh.NewInput().Title("Resource server identifier").Placeholder(wz.DefaultMachineResourceServer).Value(&a.ResourceServer),
			huh.NewInput().Title("Scopes (comma-separated)").Placeholder(wz.DefaultMachineScope).Value(&m.scopes),
			huh.NewInput().Title("Domain prefix (optional)").Placeholder("derived from the pool").Value(&a.DomainPrefix),
		).WithHideFunc(shownUnless(idCognitoMachine)),
		m.intro(title+" · external IdP", "The runtime will trust this IdP's tokens (discovery URL + audience). The gateway's token: best minted by the plugin by client credentials (rotate renews it), else read from a file; pasting it is the last resort (nothing renews a pasted token). Without any, the Secret gets a placeholder that kubectl agentcore rotate or kubectl can fill later.",
			huh.NewInput().Title("Discovery URL").Placeholder("https://idp.example.com"+wz.DiscoverySuffix).Accessor(m.acc(&a.DiscoveryURL)).
				DescriptionFunc(func() string { return m.discoveryStatus(m.get(&a.DiscoveryURL)) }, &a.DiscoveryURL).
				Validate(onlyFor(m, idExternal, wz.CheckDiscoveryURL)),
			huh.NewInput().Title("Audience (comma-separated)").Value(&m.audience).Validate(onlyFor(m, idExternal, func(s string) error {
				if len(splitList(s)) == 0 {
					return fmt.Errorf("at least one audience (the API identifier your tokens carry in aud)")
				}
				return nil
			})),
			huh.NewNote().Title("Let the plugin mint the token (client credentials)").Description(esc("With a client id the wizard mints the token itself before anything changes (audience above = the one audience to ask for) and rotate renews it; the secret goes to the setup's credentials Secret, never on screen.")),
			huh.NewInput().Title("Client id").Value(&m.ccClientID),
			huh.NewInput().Title("Client secret (hidden)").EchoMode(huh.EchoModePassword).Value(&m.ccSecret),
			huh.NewInput().Title("…or where the secret is").Placeholder("env:VAR or secret:[NAMESPACE/]NAME/KEY").Value(&a.ClientSecretFrom).
				Validate(onlyFor(m, idExternal, func(s string) error {
					s = strings.TrimSpace(s)
					if s == "" {
						return nil
					}
					if s == secretsource.Prompt {
						return errors.New("type the secret in the hidden field above instead of prompt")
					}
					return secretsource.Validate("client-secret-from", s)
				})),
			huh.NewInput().Title("…or a token file (no client id)").Value(&a.TokenFile),
			huh.NewInput().Title("…or paste the token (hidden; last resort: not renewed)").EchoMode(huh.EchoModePassword).Accessor(m.acc(&m.token)).
				DescriptionFunc(func() string { return m.tokenStatus(m.get(&m.token)) }, []any{&m.token, &a.DiscoveryURL}).
				Validate(func(s string) error {
					if strings.TrimSpace(s) == "" {
						return nil
					}
					_, err := wz.PastedToken(s)
					return err
				}),
		).WithHideFunc(shownUnless(idExternal)),
	}
}

// callerMode reports whether the chosen mode carries the callers' own tokens (passthrough, exchange).
func (m *Model) callerMode() bool {
	md, err := setup.ParseMode(m.Answers.Mode)
	return err == nil && md.CallerToken()
}

// callerIdentityPage asks, in the caller-token modes, for the callers' identity provider (discovery URL and the
// audiences of their tokens) and, for exchange, the token service: its discovery URL (default: the callers'), the
// gateway's client there (id, secret typed hidden or where it is), the audience and scopes asked for.
func (m *Model) callerIdentityPage(title string) []*huh.Group {
	a := m.Answers
	exchange := a.Mode == string(setup.ModeExchange)
	whose := "the runtime's"
	if a.AgentCoreGateway != "" {
		whose = "the AgentCore Gateway's"
	}
	desc := "Callers bring their own tokens. The gateway validates them (traffic.jwtAuthentication: this IdP's issuer, keys and the audiences below) and sends them on (backend.auth.passthrough); " + whose + " authorizer trusts the same IdP. No token Secret, nothing to rotate."
	if exchange {
		desc = "Callers bring their own tokens. The gateway validates them (traffic.jwtAuthentication: this IdP's issuer, keys and the audiences below), then exchanges each at the token service (RFC 8693, backend.auth.oauthTokenExchange) for a token " + whose + " authorizer accepts."
	}
	groups := []*huh.Group{m.intro(title+" · callers' identity provider", desc,
		huh.NewInput().Title("Discovery URL").Placeholder("https://idp.example.com"+wz.DiscoverySuffix).Accessor(m.acc(&a.DiscoveryURL)).
			DescriptionFunc(func() string { return m.discoveryStatus(m.get(&a.DiscoveryURL)) }, &a.DiscoveryURL).
			Validate(wz.CheckDiscoveryURL),
		huh.NewInput().Title("Audience of the callers' tokens (comma-separated)").Value(&m.audience).Validate(func(s string) error {
			if len(splitList(s)) == 0 {
				return fmt.Errorf("at least one audience (what the callers' tokens carry in aud)")
			}
			return nil
		}),
	)}
	if !exchange {
		return groups
	}
	return append(groups, m.intro(title+" · token service", "Where the gateway exchanges the callers' tokens, as its own client. The client's secret goes into a Secret the gateway reads, never on screen.",
		huh.NewInput().Title("Token service discovery URL (optional)").Placeholder("the callers' identity provider").Value(&a.ExchangeDiscoveryURL).
			Validate(func(s string) error {
				if strings.TrimSpace(s) == "" {
					return nil
				}
				return wz.CheckDiscoveryURL(s)
			}),
		huh.NewInput().Title("Client id").Value(&a.ExchangeClientID).Validate(nonEmpty("the gateway's client id at the token service")),
		huh.NewInput().Title("Client secret (hidden)").EchoMode(huh.EchoModePassword).Value(&m.xSecret),
		huh.NewInput().Title("…or where the secret is").Placeholder("env:VAR, file:PATH or secret:[NAMESPACE/]NAME/KEY").Value(&a.ExchangeClientSecretFrom).
			Validate(func(s string) error {
				s = strings.TrimSpace(s)
				switch {
				case s == "" && strings.TrimSpace(m.xSecret) == "":
					return errors.New("type the client secret above, or say where it is")
				case s == "":
					return nil
				case s == secretsource.Prompt:
					return errors.New("type the secret in the hidden field above instead of prompt")
				}
				return secretsource.Validate("exchange-client-secret-from", s)
			}),
		huh.NewInput().Title("Audience to ask for (optional)").Placeholder("the one audience above").Value(&a.ExchangeAudience),
		huh.NewInput().Title("Scopes (comma-separated, optional)").Value(&m.xScopes),
	))
}

func (m *Model) collectIdentity() {
	a := m.Answers
	if a.Mode == string(setup.ModeSigV4) {
		return
	}
	if m.callerMode() {
		a.Identity, a.Token, a.TokenFile, a.ClientID, a.ClientSecret, a.ClientSecretFrom = "", "", "", "", "", ""
		a.UserPoolName, a.UserPoolID, a.Username, a.ClientName, a.TokenUse = "", "", "", "", ""
		a.Audience = splitList(m.audience)
		if a.Mode == string(setup.ModeExchange) {
			a.ExchangeClientSecret = strings.TrimSpace(m.xSecret)
			a.ExchangeScopes = splitList(m.xScopes)
		}
		return
	}
	switch m.idChoice {
	case idExternal:
		a.Identity = wz.IdentityExternal
		a.Token = strings.TrimSpace(m.token)
		a.Audience = splitList(m.audience)
		a.ClientID, a.ClientSecret = strings.TrimSpace(m.ccClientID), strings.TrimSpace(m.ccSecret)
		a.ClientSecretFrom = strings.TrimSpace(a.ClientSecretFrom)
		if a.ClientID != "" {
			a.Token, a.TokenFile = "", "" // minted by client credentials instead
		}
	case idCognitoMachine:
		a.Identity, a.Token, a.Username = wz.IdentityCognitoMachine, "", ""
		a.Scopes = splitList(m.scopes)
		if a.UserPoolName != m.poolName {
			a.UserPoolID, a.ClientID = "", ""
		}
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
}

// ④ Authorizer: whether to point the target's JWT authorizer (a runtime's, or an AgentCore Gateway's inbound
// one) at the identity (the plan shows the change).
func (m *Model) authorizerPage() []*huh.Group {
	m.applyNow = !m.Answers.SkipAuthorizer
	what, whose := "The runtime's JWT authorizer", "runtime"
	if m.Answers.AgentCoreGateway != "" {
		what, whose = "The AgentCore Gateway's inbound JWT authorizer (type CUSTOM_JWT)", "AgentCore Gateway"
	}
	return []*huh.Group{m.intro(StepLabel(wz.StepAuthorizer),
		what+" will point at the identity's discovery URL (the plan shows current → proposed).\n"+
			"Only the authorizer changes; every other "+whose+" field, and authorizer settings the wizard does not manage (a privateEndpoint, custom claims), are kept. Skipped when already equal.",
		huh.NewConfirm().Title("Update the "+whose+"'s authorizer?").Affirmative("Yes").Negative("Leave it").Value(&m.applyNow),
	)}
}

func (m *Model) collectAuthorizer() { m.Answers.SkipAuthorizer = !m.applyNow }

// ⑤ Resources: where the backend, policy, route and Secret go, and the path on the gateway.
func (m *Model) resourcesPage() []*huh.Group {
	a := m.Answers
	if a.RouteNamespace == "" {
		a.RouteNamespace = setup.DefaultNamespace
	}
	if a.PathPrefix == "" {
		a.PathPrefix = setup.DefaultPathPrefix
	}
	what := "Backend, policy, HTTPRoute and token Secret"
	switch setup.Mode(a.Mode) {
	case setup.ModeSigV4:
		what = "Backend, policy and HTTPRoute (no token Secret: the proxy signs with its AWS role)"
	case setup.ModePassthrough:
		what = "Backends, policies (the callers' JWT check, passthrough) and HTTPRoute; no token Secret"
	case setup.ModeExchange:
		what = "Backends, policies (the callers' JWT check, token exchange), HTTPRoute and the token service's client Secret"
	}
	return []*huh.Group{m.intro(StepLabel(wz.StepResources), what+": server-side applied, labelled managed-by=kubectl-agentcore.",
		huh.NewInput().Title("Namespace").Value(&a.RouteNamespace).Validate(wz.CheckNamespace),
		m.pathInput(&a.PathPrefix),
	)}
}

// pathInput is ⑤'s path field; after a path check found the path taken, it says by what, and the free path
// proposed is its value.
func (m *Model) pathInput(v *string) huh.Field {
	in := huh.NewInput().Title("Path prefix on the gateway").Value(v).Validate(wz.CheckPathPrefix)
	if m.pathNote != "" {
		in.Description(m.theme.Symbol(style.Fail) + " " + m.pathNote)
	}
	return in
}

// ⑥ Options: rate limit (and its burst) and CORS, all optional.
func (m *Model) optionsPage() []*huh.Group {
	return []*huh.Group{m.intro(StepLabel(wz.StepOptions), "Leave empty for none.",
		huh.NewInput().Title("Rate limit (requests/unit)").Placeholder("3/minute").Accessor(m.acc(&m.rateLimit)).Validate(func(s string) error {
			_, err := k8sres.ParseRateLimit(s)
			return err
		}),
		huh.NewInput().Title("Burst (extra requests allowed above the rate, optional)").Placeholder("0").Accessor(m.acc(&m.burst)).
			DescriptionFunc(func() string { return m.burstStatus() }, []any{&m.burst, &m.rateLimit}).
			Validate(func(s string) error {
				_, err := m.checkBurst(s, m.get(&m.rateLimit))
				return err
			}),
		huh.NewInput().Title("CORS allowed origins (comma-separated)").Placeholder("https://app.example.com").Value(&m.corsOrigins),
	)}
}

func (m *Model) collectOptions() {
	a := m.Answers
	a.RateLimit = strings.TrimSpace(m.rateLimit)
	a.RateLimitBurst, _ = wz.ParseBurst(m.burst) // validated on the page
	a.CORSOrigins = splitList(m.corsOrigins)
}

// ⑦ Verify: what happens after applying; the plan comes next.
func (m *Model) verifyPage() []*huh.Group {
	return []*huh.Group{m.intro(StepLabel(wz.StepVerify),
		"After applying: wait for backend Accepted, route Accepted/ResolvedRefs, policy Accepted/Attached, "+
			"run the doctor checks that apply; then press t to send one real test call through the gateway.\n"+
			"Next: the plan — nothing is changed before it.")}
}
