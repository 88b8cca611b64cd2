package wizard

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/charmbracelet/x/ansi"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

type fakeLoaders struct {
	mu      sync.Mutex
	planned wz.Answers
	applied bool
	calls   int
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
			return &wz.Plan{Mode: a.Mode, Gateway: a.Gateway, RuntimeARN: a.RuntimeARN, Flavor: "oss", Changes: 2, Items: []plan.Item{
				{Step: wz.StepIdentity, Kind: "aws", Action: plan.Create, Target: "user-pool agentcore", Call: "CreateUserPool"},
				{Step: wz.StepResources, Kind: "kubernetes", Action: plan.Create, Target: "HTTPRoute agentcore/agentcore"},
			}}, nil
		},
		Apply: func(_ context.Context, progress func(wz.Event)) (*wz.Result, error) {
			progress(wz.Event{Step: wz.StepIdentity, Status: "done"})
			f.mu.Lock()
			f.applied = true
			f.mu.Unlock()
			return &wz.Result{Changed: 2, Changes: []plan.Item{{Step: wz.StepResources, Action: plan.Create, Target: "HTTPRoute agentcore/agentcore"}}}, nil
		},
		TestCall: func(context.Context) (*wz.TestCall, error) {
			f.mu.Lock()
			f.calls++
			f.mu.Unlock()
			return &wz.TestCall{Sent: true, URL: "http://lb.example.com:8080/agentcore", Status: 401, Summary: "401 Claim 'aud' value mismatch",
				CheckID: "authorizer.audience", Cause: "AgentCore's JWT authorizer found no allowed audience"}, nil
		},
	}
}

// TestWizardPages walks every page at a fixed size: discovered defaults pre-filled (the default gateway is
// chosen over the first one listed), the rail, validation, the plan page before anything runs, then apply.
func TestWizardPages(t *testing.T) {
	d := start(t, wz.Answers{}, 110, 35)
	fl := d.fl
	d.waitFor("① Gateway", "② Runtime", "⑦ Verify", "agentgateway-system/agentgateway-proxy", "lb.example.com:8080", "oss Agent Gateway kinds")
	d.enter() // gateway select (default pre-selected)
	d.waitFor("1 runtime in the region", "payments_agent", "READY")
	d.enter() // runtime
	d.waitFor("Invocation path", "Mode")
	d.enter() // mode
	d.waitFor("reuse an existing pool / app client / user by id")
	d.enter() // identity = cognito by name
	d.waitFor("pool name")
	d.next() // pool name
	d.next() // service user
	d.waitFor("runtime's authorizer?")
	d.enter()
	d.waitFor("prefix on the gateway")
	d.next() // namespace
	d.next() // path prefix
	d.waitFor("(requests/unit)")
	d.typ("3/day")
	d.enter()
	d.waitFor("unit must be second, minute or hour")
	for range 3 {
		d.key(tea.KeyBackspace)
	}
	d.typ("minute")
	d.next()
	d.typ("4")
	d.waitFor("up to 4 extra requests in a burst")
	d.next() // burst
	d.next() // CORS origins (empty)
	d.waitFor("nothing is changed before it")
	d.enter()
	d.waitFor("Plan · rewrite", "+ create    user-pool agentcore", "(nothing changed yet)")
	fl.mu.Lock()
	applied := fl.applied
	fl.mu.Unlock()
	if applied {
		t.Fatal("nothing may be applied before the plan is confirmed")
	}
	d.enter()
	d.waitFor("2 changes applied", "t send a test call through the gateway")
	// ⑦ t sends one real request (through the loader) and shows the classified answer.
	d.letter('t')
	d.waitFor("401 Claim 'aud' value mismatch", "authorizer.audience", "t send it again")
	final := d.quit(keyQ)
	a := fl.planned
	if a.Gateway != "agentgateway-system/agentgateway-proxy" || a.RuntimeARN != arn || a.Mode != "rewrite" || a.Identity != "cognito" ||
		a.UserPoolName != "agentcore" || a.RouteNamespace != "agentcore" || a.RateLimit != "3/minute" || a.RateLimitBurst != 4 || a.SkipAuthorizer {
		t.Fatalf("answers: %+v", a)
	}
	if res, err := final.Result(); err != nil || res == nil || !fl.applied || res.Call == nil || res.Call.Status != 401 {
		t.Fatalf("result %v %v", res, err)
	}
	if fl.calls != 1 {
		t.Fatalf("test calls sent: %d", fl.calls)
	}
}

// TestRuntimePasteARN: the runtime list always offers "paste an ARN…"; the pasted ARN is checked as you type
// (shape, then region against --region) and the url-encoded invocation path is shown.
func TestRuntimePasteARN(t *testing.T) {
	d := start(t, wz.Answers{Gateway: "team/edge", Region: "us-east-1", Mode: "sigv4"}, 120, 35, func(l *Loaders) { l.Region = "us-east-1" })
	d.enter()
	d.waitFor("payments_agent", "paste an ARN…")
	d.down()
	d.enter()
	d.waitFor("it is checked as you type")
	d.typ("arn:aws:bedrock-agentcore:us-east-1:12345:runtime/x")
	d.waitFor("✖", "12 digits")
	d.clear()
	d.typ("arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/other_agent-Zz99Yy88Xx")
	d.waitFor("region eu-west-1 but --region is")
	d.enter() // refused: stays on the field (huh shows the Validate error as well)
	d.waitFor("* the runtime ARN is in region")
	d.clear()
	pasted := "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/other_agent-Zz99Yy88Xx"
	d.typ(pasted)
	d.waitFor("✔ region us-east-1", "invocation path /runtimes/arn%3Aaws%3A", "Zz99Yy88Xx/invocations")
	d.enter()
	d.waitFor("Mode")
	if a := d.planned("Plan · sigv4"); a.RuntimeARN != pasted {
		t.Fatalf("planned ARN %q", a.RuntimeARN)
	}
}

// TestIdentityByIDAndExternal: the identity page offers an existing pool/client/user by id (checked as typed)
// and an external IdP with discovery URL, audience and a pasted token (hidden).
func TestIdentityByIDAndExternal(t *testing.T) {
	toIdentity := func(t *testing.T) *driver {
		d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn}, 120, 40)
		d.toIdentity("reuse an existing pool / app client / user by id")
		return d
	}

	t.Run("by id", func(t *testing.T) {
		d := toIdentity(t)
		d.down()
		d.enter()
		d.waitFor("pool id", "Nothing is created in Cognito")
		d.typ("nope")
		d.waitFor("✖ not a user pool id: want region_id")
		d.enter()
		d.waitFor("* not a user pool id")
		d.clear()
		d.typ("us-east-1_AbCdEf123")
		d.waitFor("✔")
		d.next()
		d.typ("5pk1q2abcdefgh")
		d.waitUntil("✔ under both ids", func(f frame) bool { return strings.Count(f.screen, "✔") == 2 })
		d.next()
		a := d.planned("Plan · rewrite") // service user: the default
		if a.Identity != "cognito" || a.UserPoolID != "us-east-1_AbCdEf123" || a.ClientID != "5pk1q2abcdefgh" || a.UserPoolName != "" || a.Username != "agentcore-gateway" {
			t.Fatalf("answers %+v", a)
		}
	})

	t.Run("external IdP", func(t *testing.T) {
		d := toIdentity(t)
		d.downs(2)
		d.enter()
		d.waitFor("Discovery URL")
		d.typ("https://idp.example.com/")
		d.waitFor("✖ want https://<issuer>/.well-known/openid-configuration")
		d.typ(".well-known/openid-configuration")
		d.waitFor("✔ issuer https://idp.example.com")
		d.next()
		d.enter()
		d.waitFor("at least one audience")
		d.typ("https://api.example.com")
		d.next()
		// Minting comes before the file and pasting, the last resort: client id, secret, its source, the file
		// are left empty; the paste field is the last one.
		for range 4 {
			d.next()
		}
		d.waitFor("┃ …or paste the token", "enter submit") // the last field has the focus: enter submits the page
		tok := testJWT(t, `{"iss":"https://idp.example.com","aud":"https://api.example.com","exp":4102444800}`)
		d.paste(tok)
		d.waitFor("✔ iss https://idp.example.com")
		a := d.planned("Plan · rewrite")
		if a.Identity != "external" || a.DiscoveryURL != "https://idp.example.com/.well-known/openid-configuration" ||
			len(a.Audience) != 1 || a.Audience[0] != "https://api.example.com" || a.Token != tok {
			t.Fatalf("answers %+v", a)
		}
	})
}

// TestIdentityCognitoMachine: the identity page offers the Cognito machine client; chosen with the keys, its
// defaults go to the plan; answers given beforehand (flags, a record) come back unchanged.
func TestIdentityCognitoMachine(t *testing.T) {
	walk := func(t *testing.T, a wz.Answers, choose bool) wz.Answers {
		a.Gateway, a.RuntimeARN = "team/edge", arn
		d := start(t, a, 120, 40)
		d.toIdentity("Cognito machine client: client credentials")
		if choose {
			d.downs(3)
		}
		d.enter()
		d.waitFor("Resource server identifier")
		return d.planned("Plan · rewrite")
	}
	t.Run("chosen", func(t *testing.T) {
		a := walk(t, wz.Answers{}, true)
		if a.Identity != wz.IdentityCognitoMachine || a.UserPoolName != "agentcore" || a.Username != "" || a.Token != "" {
			t.Fatalf("answers %+v", a)
		}
	})
	t.Run("given", func(t *testing.T) {
		a := walk(t, wz.Answers{Identity: wz.IdentityCognitoMachine, UserPoolName: "pool-m2m", ResourceServer: "https://agents.example.com",
			Scopes: []string{"invoke", "read"}, DomainPrefix: "agents-m2m"}, false)
		if a.Identity != wz.IdentityCognitoMachine || a.UserPoolName != "pool-m2m" || a.ResourceServer != "https://agents.example.com" ||
			strings.Join(a.Scopes, " ") != "invoke read" || a.DomainPrefix != "agents-m2m" || a.Username != "" {
			t.Fatalf("answers %+v", a)
		}
	})
}

// TestIdentityExternalClientCredentials: the external IdP page keeps a client id and a secret source given
// beforehand (flags, a record) and sends them to the plan (where the token is minted); prompt is refused as a
// source inside the screen (the hidden field takes the secret instead).
func TestIdentityExternalClientCredentials(t *testing.T) {
	d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Identity: wz.IdentityExternal, DiscoveryURL: "https://idp.example.com/.well-known/openid-configuration",
		Audience: []string{"https://api.example.com"}, ClientID: "m2m-client", ClientSecretFrom: "env:M2M_SECRET"}, 120, 50)
	d.toIdentity("External IdP")
	d.enter()
	d.waitFor("Discovery URL")
	got := d.planned("Plan · rewrite")
	if got.Identity != wz.IdentityExternal || got.ClientID != "m2m-client" || got.ClientSecretFrom != "env:M2M_SECRET" || got.Token != "" ||
		strings.Join(got.Audience, ",") != "https://api.example.com" {
		t.Fatalf("answers %+v", got)
	}
}

func testJWT(t *testing.T, claims string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("sig"))
}

// TestWizardQuitOnPlanChangesNothing: q on the plan page leaves without applying; esc goes back a page.
func TestWizardQuitOnPlanChangesNothing(t *testing.T) {
	d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "sigv4"}, 100, 30)
	d.enter()
	d.waitFor("payments_agent")
	d.key(tea.KeyEscape)
	d.waitFor("Cluster serves")
	d.toIdentity("sigv4: no Cognito")
	d.enterUntil("Plan · sigv4")
	final := d.quit(keyQ)
	d.fl.mu.Lock()
	defer d.fl.mu.Unlock()
	if !final.Quit || d.fl.applied {
		t.Fatalf("quit %v applied %v", final.Quit, d.fl.applied)
	}
	if !strings.HasPrefix(d.fl.planned.Gateway, "team/edge") {
		t.Fatalf("flag default must win over discovery: %q", d.fl.planned.Gateway)
	}
}

// TestRuntimeListsAgentCoreGateways: the ② page lists the region's AgentCore Gateways after the runtimes; picking
// one makes it the target (no runtime ARN) and shows the MCP URL the route will rewrite to.
func TestRuntimeListsAgentCoreGateways(t *testing.T) {
	const gwID = "tools-gw-abcdef0123"
	d := start(t, wz.Answers{Gateway: "team/edge", Region: "us-east-1", Mode: "rewrite"}, 140, 35, func(l *Loaders) {
		l.Region = "us-east-1"
		l.AgentCoreGateways = func(context.Context) ([]types.GatewaySummary, error) {
			return []types.GatewaySummary{{GatewayId: aws.String(gwID), Name: aws.String("tools-gw"), Status: types.GatewayStatusReady, AuthorizerType: types.AuthorizerTypeAwsIam}}, nil
		}
	})
	d.enter()
	d.waitFor("payments_agent", "tools-gw", "AWS_IAM (AgentCore Gateway, MCP)", "1 runtime and 1 AgentCore Gateway in")
	d.down()
	d.enter()
	d.waitFor("its MCP URL https://"+gwID+".gateway.", "bedrock-agentcore.us-east-1.amazonaws.com/mcp", "passthrough — ", "exchange — ")
	d.down() // native: refused for a gateway, the page stays
	d.enter()
	d.waitFor("native calls runtimes only: an AgentCore Gateway takes rewrite, passthrough or exchange")
	d.key(tea.KeyUp)
	d.enterTo(pageAuthorizer, "The AgentCore Gateway's inbound JWT authorizer", "Update the AgentCore Gateway's authorizer?")
	if a := d.planned("Plan · rewrite"); a.AgentCoreGateway != gwID || a.RuntimeARN != "" {
		t.Fatalf("planned target: runtime %q, gateway %q", a.RuntimeARN, a.AgentCoreGateway)
	}
}

// TestCallerModesPages: the mode list offers passthrough and exchange; the identity page then asks for the
// callers' identity provider (and, for exchange, the token service and the gateway's client there, its secret
// typed hidden) instead of a Cognito or service identity, and the plan gets those answers.
func TestCallerModesPages(t *testing.T) {
	walk := func(t *testing.T, downs int) *driver {
		d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn}, 120, 40)
		d.enter()
		d.waitFor("payments_agent")
		d.enter()
		d.waitFor("Invocation path", "the caller's own token", "exchanged at a token service")
		d.downs(downs)
		d.enter()
		d.waitFor("Callers bring their own tokens", "Discovery URL")
		d.typ("https://idp.example.com/.well-known/openid-configuration")
		d.waitFor("issuer https://idp.example.com")
		d.next()
		d.typ("web, mobile")
		return d
	}
	t.Run("passthrough", func(t *testing.T) {
		a := walk(t, 3).planned("Plan · passthrough")
		if a.Mode != "passthrough" || a.DiscoveryURL != "https://idp.example.com/.well-known/openid-configuration" || strings.Join(a.Audience, ",") != "web,mobile" ||
			a.Identity != "" || a.UserPoolName != "" || a.Username != "" {
			t.Fatalf("answers %+v", a)
		}
	})
	t.Run("exchange", func(t *testing.T) {
		d := walk(t, 4)
		d.next()
		d.waitFor("┃ Token service discovery URL")
		d.next() // token service discovery URL: the callers'
		d.enter()
		d.waitFor("the gateway's client id")
		d.typ("agentgateway")
		d.next()
		d.typ("s3cret")
		d.next()
		d.next() // where the secret is: typed above
		d.waitFor("┃ Audience to ask for")
		d.typ("agentcore")
		d.next()
		d.typ("invoke")
		a := d.planned("Plan · exchange")
		if a.Mode != "exchange" || a.ExchangeClientID != "agentgateway" || a.ExchangeClientSecret != "s3cret" || a.ExchangeClientSecretFrom != "" ||
			a.ExchangeAudience != "agentcore" || strings.Join(a.ExchangeScopes, ",") != "invoke" || strings.Join(a.Audience, ",") != "web,mobile" {
			t.Fatalf("answers %+v", a)
		}
	})
}

// TestOneHelpLine: a step page has one help line (the wizard's, the focused field's keys first), one separator
// (" · ", none of huh's "•"), and on the tall ③ external IdP page it stays on screen: the form scrolls inside the
// room the header and the help line leave. Pasting the token is the last field (the last resort).
func TestOneHelpLine(t *testing.T) {
	const height = 24
	check := func(t *testing.T, d *driver, what string) string {
		t.Helper()
		v := d.quit(keyCtrlC).View().Content
		lines := strings.Split(strings.TrimRight(v, "\n"), "\n")
		help := lines[len(lines)-1]
		if len(lines) > height || !strings.Contains(help, "esc previous step · ctrl+c quit") || strings.Contains(v, "•") ||
			strings.Count(v, "ctrl+c quit") != 1 {
			t.Fatalf("%s: want %d lines at most, ending in the one help line, no •:\n%s", what, height, v)
		}
		return v
	}
	start := func(t *testing.T) *driver {
		return start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Identity: wz.IdentityExternal}, 100, height)
	}
	t.Run("gateway", func(t *testing.T) { check(t, start(t), "① Gateway") })
	t.Run("identity select", func(t *testing.T) {
		d := start(t)
		d.toIdentity("External IdP")
		if v := check(t, d, "③ Identity"); !strings.Contains(v, "↑ up · ↓ down") {
			t.Fatalf("the select's keys are not in the help line:\n%s", v)
		}
	})
	t.Run("external IdP, last field", func(t *testing.T) {
		d := start(t)
		d.toIdentity("External IdP")
		d.enter()
		d.waitFor("Discovery URL")
		d.typ("https://idp.example.com/.well-known/openid-configuration")
		d.waitFor("✔ issuer")
		d.next()
		d.typ("https://api.example.com")
		for range 5 {
			d.next()
		}
		d.waitFor("enter submit") // the last field has the focus
		v := check(t, d, "③ external IdP")
		if !strings.Contains(v, "┃ …or paste the token") {
			t.Fatalf("the last field is not the paste field:\n%s", v)
		}
		if i, j := strings.Index(v, "Client id"), strings.Index(v, "paste the token"); i >= 0 && i > j {
			t.Fatalf("pasting is not after minting:\n%s", v)
		}
	})
}

// TestHelpLineAt80: on the mode page at 80 columns the select's keys and the wizard's do not fit as they are: the
// line is said shorter (↑/↓ as one entry, shift+tab "prev" beside esc "back") and nothing is cut, quit included.
func TestHelpLineAt80(t *testing.T) {
	d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Identity: wz.IdentityExternal}, 80, 24)
	d.toMode()
	d.waitFor("passthrough")
	v := d.quit(keyCtrlC).View().Content
	lines := strings.Split(strings.TrimRight(ansi.Strip(v), "\n"), "\n")
	help := strings.TrimSpace(lines[len(lines)-1])
	if help != "↑/↓ move · / filter · shift+tab prev · enter submit · esc back · ctrl+c quit" {
		t.Fatalf("help line at 80 columns: %q", help)
	}
}

// TestNarrowField: only an enabled ↑ and ↓ side by side become one entry; shift+tab is "prev" whatever its help said.
func TestNarrowField(t *testing.T) {
	b := func(k, help string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, help)) }
	off := b("up", "up")
	off.SetEnabled(false)
	say := func(bs []key.Binding) string {
		var s []string
		for _, x := range bs {
			if x.Enabled() {
				s = append(s, x.Help().Key+" "+x.Help().Desc)
			}
		}
		return strings.Join(s, " · ")
	}
	for _, c := range []struct {
		in   []key.Binding
		want string
	}{
		{[]key.Binding{b("up", "up"), b("down", "down"), b("shift+tab", "back")}, "↑/↓ move · shift+tab prev"},
		{[]key.Binding{off, b("down", "down"), b("enter", "next")}, "down down · enter next"},
		{[]key.Binding{b("down", "down"), b("up", "up")}, "down down · up up"},
	} {
		if got := say(narrowField(c.in)); got != c.want {
			t.Errorf("narrowField: %q, want %q", got, c.want)
		}
	}
}

// TestPlanPageWraps: a plan line longer than the screen is wrapped at spaces, every word on screen.
func TestPlanPageWraps(t *testing.T) {
	long := "password: setup team-b/agentcore-setup signs in as the same service user agentcore-gateway (pool us-east-1_AbCdEf123) and gets its new password"
	const width = 90
	d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "sigv4"}, width, 30, func(l *Loaders) {
		l.Plan = func(_ context.Context, a wz.Answers) (*wz.Plan, error) {
			return &wz.Plan{Mode: a.Mode, Gateway: a.Gateway, RuntimeARN: a.RuntimeARN, Flavor: "oss", Changes: 1, Items: []plan.Item{
				{Step: wz.StepIdentity, Kind: "kubernetes", Action: plan.Update, Target: "Secret team-b/agentcore-setup-credentials", Detail: long},
			}}, nil
		}
	})
	d.enterUntil("Plan · sigv4")
	v := d.quit(keyQ).View().Content
	var joined []string
	for _, l := range strings.Split(v, "\n") {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line of %d cells (screen %d): %q", w, width, l)
		}
		joined = append(joined, strings.TrimSpace(l))
	}
	if !strings.Contains(strings.Join(joined, " "), long) {
		t.Fatalf("the plan line lost words:\n%s", v)
	}
}

// cognitoPlan is an 11-change Cognito plan whose lines (the authorizer's diff among them) are taller than a 30-row
// screen, as the planner prints it for a first setup in rewrite mode.
func cognitoPlan(a wz.Answers) *wz.Plan {
	diff := strings.Join([]string{"--- current", "+++ proposed", "@@ -1,3 +1,9 @@", " {", "-  \"AuthorizerType\": \"AWS_IAM\"",
		"+  \"CustomJWTAuthorizer\": {", "+    \"AllowedAudience\": [", "+      \"4e0kq2oj5m5hfkq3r3u5b7a9c1\"", "+    ],",
		"+    \"DiscoveryUrl\": \"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/openid-configuration\"",
		"+  }", " }"}, "\n")
	items := []plan.Item{
		{Step: wz.StepIdentity, Kind: "aws", Action: plan.Create, Target: "user-pool agentcore", Call: "CreateUserPool"},
		{Step: wz.StepIdentity, Kind: "aws", Action: plan.Create, Target: "user-pool-domain agentcore-123456789012", Call: "CreateUserPoolDomain"},
		{Step: wz.StepIdentity, Kind: "aws", Action: plan.Create, Target: "resource-server agentcore", Call: "CreateResourceServer"},
		{Step: wz.StepIdentity, Kind: "aws", Action: plan.Create, Target: "app-client agentcore-gateway", Call: "CreateUserPoolClient"},
		{Step: wz.StepIdentity, Kind: "aws", Action: plan.Create, Target: "user agentcore-gateway", Call: "AdminCreateUser", Detail: "the service user the gateway signs in as"},
		{Step: wz.StepIdentity, Kind: "kubernetes", Action: plan.Create, Target: "Secret agentcore/agentcore-setup-credentials", Detail: "the service user's password and the app client's secret"},
		{Step: wz.StepAuthorizer, Kind: "aws", Action: plan.Update, Target: "runtime payments_agent", Call: "UpdateAgentRuntime", Detail: "AWS_IAM → CUSTOM_JWT", Diff: diff},
		{Step: wz.StepResources, Kind: "kubernetes", Action: plan.Create, Target: "Namespace agentcore"},
		{Step: wz.StepResources, Kind: "kubernetes", Action: plan.Create, Target: "AgentgatewayBackend agentcore/agentcore"},
		{Step: wz.StepResources, Kind: "kubernetes", Action: plan.Create, Target: "HTTPRoute agentcore/agentcore"},
		{Step: wz.StepResources, Kind: "kubernetes", Action: plan.Create, Target: "ConfigMap agentcore/agentcore-setup", Detail: "setup record for doctor, rotate and teardown"},
	}
	return &wz.Plan{Mode: a.Mode, Gateway: a.Gateway, RuntimeARN: a.RuntimeARN, Flavor: "oss", Changes: plan.Changes(items), Items: items}
}

// planScreen checks a plan page frame of a plan taller than the screen: height lines, the last one (the screen's last
// row) the help line with the scroll keys.
func planScreen(t *testing.T, v string, height int) []string {
	t.Helper()
	lines := strings.Split(v, "\n")
	help := lines[len(lines)-1]
	if len(lines) != height || !strings.Contains(help, "enter apply · esc previous step · q quit · ↑/↓ scroll · pgup/pgdn page · home/end top/bottom") {
		t.Fatalf("want %d lines ending in the help line with the scroll keys, got %d:\n%s", height, len(lines), v)
	}
	return lines
}

// TestPlanPageScrolls walks to the plan page of an 11-change Cognito plan on a 100x30 screen: the plan is taller
// than the room above the help line, so it shows its first lines with the help line on the last row; end brings
// its last line ("11 changes.") into view and the help line stays put; enter still applies.
func TestPlanPageScrolls(t *testing.T) {
	const width, height = 100, 30
	d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "rewrite"}, width, height, func(l *Loaders) {
		l.Plan = func(_ context.Context, a wz.Answers) (*wz.Plan, error) { return cognitoPlan(a), nil }
	})
	d.enterUntil("home/end top/bottom")
	d.key(tea.KeyEnd)
	d.waitFor("11 changes.")
	final := d.quit(keyQ)
	lines := planScreen(t, final.View().Content, height)
	if !strings.Contains(lines[len(lines)-3], "11 changes.") {
		t.Fatalf("after end the plan's last line is not right above the help line:\n%s", strings.Join(lines, "\n"))
	}
	if !final.Quit {
		t.Fatal("q on the plan page did not quit")
	}
}

// TestPlanPageScrollKeys drives the model directly through the plan page's keys on a 100x30 screen: the first
// frame shows the plan's top and not its last line, ↓ and pgdn move down, end reaches the last line, home goes
// back, the help line is the last row of every frame, and enter (the page's confirm key) still applies.
func TestPlanPageScrollKeys(t *testing.T) {
	const width, height = 100, 30
	fl := &fakeLoaders{}
	l := fl.loaders()
	l.Plan = func(_ context.Context, a wz.Answers) (*wz.Plan, error) { return cognitoPlan(a), nil }
	m := New(context.Background(), wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "rewrite"}, style.New(false, false), l)
	m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	m.page = pagePlan
	m.Update(m.computePlan()())
	frame := func() string { return m.View().Content }
	first := planScreen(t, frame(), height)
	if !strings.Contains(first[3], "Plan · rewrite") || strings.Contains(frame(), "11 changes.") {
		t.Fatalf("the first frame is not the plan's top without its last line:\n%s", frame())
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	if v := planScreen(t, frame(), height); strings.Contains(v[3], "Plan · rewrite") {
		t.Fatalf("↓ did not scroll:\n%s", frame())
	}
	for i := 0; i < 5 && !strings.Contains(frame(), "11 changes."); i++ {
		m.Update(tea.KeyPressMsg{Code: tea.KeyPgDown})
		planScreen(t, frame(), height)
	}
	if !strings.Contains(frame(), "11 changes.") {
		t.Fatalf("pgdn never reached the plan's last line:\n%s", frame())
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyHome})
	if v := planScreen(t, frame(), height); !strings.Contains(v[3], "Plan · rewrite") {
		t.Fatalf("home did not go back to the top:\n%s", frame())
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnd})
	if v := planScreen(t, frame(), height); !strings.Contains(v[len(v)-3], "11 changes.") {
		t.Fatalf("end did not show the last line above the help line:\n%s", frame())
	}
	for _, l := range strings.Split(frame(), "\n") {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line of %d cells (screen %d): %q", w, width, l)
		}
	}
	if _, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter}); m.page != pageRunning || cmd == nil {
		t.Fatalf("enter on the scrolled plan page did not apply (page %d)", m.page)
	}
}

// A setup where callers bring their own token (passthrough, exchange) is not offered the test call, which sends the
// gateway's own token; the done page says how to send a caller's token instead.
func TestNoTestCallForCallerModes(t *testing.T) {
	fl := &fakeLoaders{}
	m := New(context.Background(), wz.Answers{}, style.New(false, false), fl.loaders())
	m.width, m.height = 110, 35
	for _, mode := range []setup.Mode{setup.ModePassthrough, setup.ModeExchange} {
		m.result = &wz.Result{Changed: 1, Record: setup.Record{Mode: mode}}
		if m.canTestCall() {
			t.Fatalf("%s: the test call is offered", mode)
		}
		m.page = pageDone
		if txt := strings.Join(m.text(), "\n"); !strings.Contains(txt, "invoke --bearer-from") {
			t.Fatalf("%s: the done page does not say how to send a caller's token:\n%s", mode, txt)
		}
	}
	m.result = &wz.Result{Changed: 1, Record: setup.Record{Mode: setup.ModeRewrite}}
	if !m.canTestCall() {
		t.Fatal("rewrite: the test call is not offered")
	}
}

// longResult is what a first Cognito setup's run reports: its 11 changes, the line that counts them and 30 verify findings, taller than a
// short screen; its first line is the first change, its last the last finding.
func longResult() *wz.Result {
	res := &wz.Result{Record: setup.Record{Namespace: "agentcore", Name: "agentcore-setup", Mode: setup.ModeRewrite}}
	for _, it := range cognitoPlan(wz.Answers{}).Items {
		res.Changes = append(res.Changes, plan.Item{Step: it.Step, Action: it.Action, Target: it.Target})
		res.Changed++
	}
	for i := 1; i <= 30; i++ {
		res.Verify = append(res.Verify, wz.VerifyCheck{Status: "pass", Detail: fmt.Sprintf("finding %02d", i)})
	}
	res.Verify[29].Detail = "finding 30, the last line"
	return res
}

// resultScreen checks a result page frame of a text taller than the screen: height lines, the scroll position on
// the row above the last one, the help line with the scroll keys on the last row; it returns the lines.
func resultScreen(t *testing.T, v string, height int, pos string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(v, "\n"), "\n")
	help := lines[len(lines)-1]
	if len(lines) != height || !strings.Contains(help, "q quit · ↑/↓ scroll · pgup/pgdn page · home/end top/bottom") ||
		!strings.Contains(lines[len(lines)-2], pos) {
		t.Fatalf("want %d lines ending in the position %q and the help line with the scroll keys, got %d:\n%s", height, pos, len(lines), v)
	}
	return lines
}

// TestResultPageScrolls: on an 80x16 screen the result page of a long run shows its first lines in a viewport with
// the position and the scroll keys; end brings the last line into view, home the first one back, pgdn and ↓ move
// down; the test call's answer (the text's end) is brought into view when it comes.
func TestResultPageScrolls(t *testing.T) {
	const width, height = 80, 16
	const first, last = "+ create    user-pool agentcore", "✔ finding 30, the last line"
	d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "sigv4"}, width, height, func(l *Loaders) {
		l.Apply = func(context.Context, func(wz.Event)) (*wz.Result, error) { return longResult(), nil }
	})
	d.enterUntil("Plan · sigv4")
	d.enter()
	top := "lines 1–11 of 43 (top)"
	v := d.waitFor(first, top)
	if resultScreen(t, v, height, top); strings.Contains(v, last) {
		t.Fatalf("the first frame shows the last line:\n%s", v)
	}
	d.key(tea.KeyEnd)
	lines := resultScreen(t, d.waitFor(last, "(end)"), height, "lines 33–43 of 43 (end)")
	if !strings.Contains(lines[len(lines)-3], last) || strings.Contains(strings.Join(lines, "\n"), first) {
		t.Fatalf("after end the last line is not right above the position:\n%s", strings.Join(lines, "\n"))
	}
	d.key(tea.KeyHome)
	lines = resultScreen(t, d.waitFor(first, "(top)"), height, top)
	if !strings.Contains(lines[3], first) {
		t.Fatalf("after home the first line is not the first one under the header:\n%s", strings.Join(lines, "\n"))
	}
	d.key(tea.KeyPgDown)
	resultScreen(t, d.waitFor("lines 12–22 of 43"), height, "lines 12–22 of 43 (34%)")
	d.key(tea.KeyDown)
	resultScreen(t, d.waitFor("lines 13–23 of 43"), height, "lines 13–23 of 43 (38%)")
	d.letter('t')
	v = d.waitFor("401 Claim 'aud' value mismatch", "authorizer.audience", "t test call again", "(end)")
	resultScreen(t, v, height, "lines 37–47 of 47 (end)")
	for _, l := range strings.Split(v, "\n") {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line of %d cells (screen %d): %q", w, width, l)
		}
	}
	d.quit(keyQ)
}

// TestPageIntroStaysInView: a page's intro (what the page is, what to enter) is its form's header. On an 80x20
// screen the ② mode page keeps "Invocation path" above the path its live line shows, and the ③ external IdP page
// keeps its whole intro above the fields while the focus goes down to the last one; on an 80x14 screen the intro
// is cut to its first line, ending in "…", so that the focused field keeps its rows. The help line is the last one.
func TestPageIntroStaysInView(t *testing.T) {
	const intro, introEnd = "③ Identity · external IdP", "kubectl agentcore rotate or kubectl can fill later."
	toLastField := func(t *testing.T, height int) string {
		d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Identity: wz.IdentityExternal, DiscoveryURL: "https://idp.example.com/.well-known/openid-configuration",
			Audience: []string{"https://api.example.com"}}, 80, height)
		d.enter()
		d.waitFor("payments_agent")
		d.enter()
		d.waitFor("┃ Mode")
		if height >= 20 {
			d.waitFor("Invocation path", "Ab12Cd34Ef/invocations")
		}
		d.enter()
		d.waitFor("External IdP")
		d.enter()
		d.waitFor("┃ Discovery URL")
		for range 6 { // discovery URL and audience (given), client id, secret, where the secret is, token file
			d.next()
		}
		v := d.waitFor("┃ …or paste the token", "┃ >")
		lines := strings.Split(strings.TrimRight(v, "\n"), "\n")
		if len(lines) > height || !strings.Contains(lines[len(lines)-1], "ctrl+c quit") || !strings.Contains(v, intro) ||
			!strings.Contains(v, "The runtime will trust this IdP's tokens") {
			t.Fatalf("want at most %d lines with the intro on top and the help line last:\n%s", height, v)
		}
		return v
	}
	t.Run("80x20", func(t *testing.T) {
		if v := toLastField(t, 20); !strings.Contains(v, introEnd) {
			t.Fatalf("the intro is not whole:\n%s", v)
		}
	})
	t.Run("80x14", func(t *testing.T) {
		if v := toLastField(t, 14); strings.Contains(v, introEnd) || !strings.Contains(v, "The…") {
			t.Fatalf("the intro is not cut to one line ending in …:\n%s", v)
		}
	})
}

// TestPathTakenOnResourcesPage: submitting ⑤ asks CheckPath; a path another route takes keeps the page open,
// saying by what, with the free path proposed as the field's value; submitting that goes on to ⑥, and the plan
// gets it. While the check is under way the page says so; esc leaves the page and its late answer is dropped.
func TestPathTakenOnResourcesPage(t *testing.T) {
	const taken = "HTTPRoute agentcore/agentcore on Gateway team/edge would take every call to this setup's PathPrefix /agentcore, to its own backend: the same match, and the older route ranks first"
	var mu sync.Mutex
	var asked []string
	release := make(chan struct{})
	hold := true
	d := start(t, wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "sigv4", RouteNamespace: "team-b"}, 120, 35, func(l *Loaders) {
		l.CheckPath = func(_ context.Context, a wz.Answers) (wz.PathVerdict, error) {
			mu.Lock()
			asked = append(asked, a.RouteNamespace+" "+a.PathPrefix)
			wait := hold
			mu.Unlock()
			if wait {
				<-release
			}
			if a.PathPrefix == "/agentcore" {
				return wz.PathVerdict{Taken: taken, Free: "/team-b/agentcore"}, nil
			}
			return wz.PathVerdict{}, nil
		}
	})
	// enterTo reads the frame once per enter: a loop that read it again after its check raced a page that moved
	// on in between, sent an enter the wizard rightly ignored, and waited for a change that never came.
	toResources := func() { d.enterTo(pageResources, "prefix on the gateway") }
	toResources()
	d.next()  // namespace
	d.enter() // path prefix: the check starts and is held
	d.waitFor("checking that no other route on Gateway team/edge takes /agentcore…")
	d.key(tea.KeyEscape)
	d.waitUntil("④ again", func(f frame) bool { return f.page == pageAuthorizer })
	mu.Lock()
	hold = false
	mu.Unlock()
	close(release) // the held answer comes late: dropped
	toResources()
	d.next()
	d.enter()
	v := d.waitFor("✖ "+taken[:60], "Proposed instead: /team-b/agentcore (enter keeps it).")
	if f := d.frame(); f.page != pageResources || !strings.Contains(v, "/team-b/agentcore") {
		t.Fatalf("page %d after a taken path:\n%s", f.page, v)
	}
	d.next()  // namespace
	d.enter() // the proposed path
	d.waitFor("(requests/unit)")
	d.enterUntil("Plan · sigv4")
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"team-b /agentcore", "team-b /agentcore", "team-b /team-b/agentcore"}; !slices.Equal(asked, want) {
		t.Fatalf("CheckPath asked %q, want %q", asked, want)
	}
	d.fl.mu.Lock()
	defer d.fl.mu.Unlock()
	if d.fl.planned.PathPrefix != "/team-b/agentcore" {
		t.Fatalf("planned path %q", d.fl.planned.PathPrefix)
	}
}
