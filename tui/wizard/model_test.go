package wizard

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
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
	waitFor(t, tm, "Invocation path", "Mode")
	enter(tm) // mode
	waitFor(t, tm, "reuse an existing pool / app client / user by id")
	enter(tm) // identity = cognito by name
	waitFor(t, tm, "pool name")
	enter(tm)
	enter(tm)
	waitFor(t, tm, "runtime's authorizer?")
	enter(tm)
	waitFor(t, tm, "prefix on the gateway")
	enter(tm)
	enter(tm)
	waitFor(t, tm, "(requests/unit)")
	tm.Type("3/day")
	enter(tm)
	waitFor(t, tm, "unit must be second, minute or hour")
	for range 3 {
		tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	tm.Type("minute")
	enter(tm)
	waitFor(t, tm, "┃")
	tm.Type("4")
	waitFor(t, tm, "up to 4 extra requests in a burst")
	enter(tm) // burst
	enter(tm) // CORS origins (empty)
	waitFor(t, tm, "nothing is changed before it")
	enter(tm)
	waitFor(t, tm, "Plan · rewrite", "+ create    user-pool agentcore", "(nothing changed yet)")
	if fl.applied {
		t.Fatal("nothing may be applied before the plan is confirmed")
	}
	enter(tm)
	waitFor(t, tm, "2 change(s) applied", "t send a test call through the gateway")
	// ⑦ t sends one real request (through the loader) and shows the classified answer.
	tm.Send(tea.KeyPressMsg{Code: 't', Text: "t"})
	waitFor(t, tm, "401 Claim 'aud' value mismatch", "authorizer.audience", "t send it again")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
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

func press(tm *teatest.TestModel, c rune) { tm.Send(tea.KeyPressMsg{Code: c}) }

// enterUntil presses enter one at a time, each after the screen has had time to change, until want shows (the
// plan page: pressing on past it would apply).
func enterUntil(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	var seen []byte
	buf := make([]byte, 64*1024)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		enter(tm)
		step := time.Now().Add(250 * time.Millisecond)
		for time.Now().Before(step) {
			n, _ := tm.Output().Read(buf)
			seen = append(seen, buf[:n]...)
			if bytes.Contains(seen, []byte(want)) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Fatalf("%q never showed", want)
}

// nextField submits the focused field and waits until the focus bar is drawn on the next one (huh moves focus
// through a command, so keys typed right after enter could land in the old field).
func nextField(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	enter(tm)
	waitFor(t, tm, "┃")
}

func clearField(tm *teatest.TestModel) { tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) }

// TestRuntimePasteARN: the runtime list always offers "paste an ARN…"; the pasted ARN is checked as you type
// (shape, then region against --region) and the url-encoded invocation path is shown.
func TestRuntimePasteARN(t *testing.T) {
	fl := &fakeLoaders{}
	l := fl.loaders()
	l.Region = "us-east-1"
	m := New(context.Background(), wz.Answers{Gateway: "team/edge", Region: "us-east-1", Mode: "sigv4"}, style.New(false, false), l)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 35))
	waitFor(t, tm, "team/edge")
	enter(tm)
	waitFor(t, tm, "payments_agent", "paste an ARN…")
	press(tm, tea.KeyDown)
	enter(tm)
	waitFor(t, tm, "it is checked as you type")
	tm.Type("arn:aws:bedrock-agentcore:us-east-1:12345:runtime/x")
	waitFor(t, tm, "✖", "12 digits")
	clearField(tm)
	tm.Type("arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/other_agent-Zz99Yy88Xx")
	waitFor(t, tm, "region eu-west-1 but --region is")
	enter(tm) // refused: stays on the field (huh shows the Validate error as well)
	waitFor(t, tm, "* the runtime ARN is in region")
	clearField(tm)
	pasted := "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/other_agent-Zz99Yy88Xx"
	tm.Type(pasted)
	waitFor(t, tm, "✔ region us-east-1", "invocation path /runtimes/arn%3Aaws%3A", "Zz99Yy88Xx/invocations")
	enter(tm)
	waitFor(t, tm, "Mode")
	enterUntil(t, tm, "Plan · sigv4")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.planned.RuntimeARN != pasted {
		t.Fatalf("planned ARN %q", fl.planned.RuntimeARN)
	}
}

// TestIdentityByIDAndExternal: the identity page offers an existing pool/client/user by id (checked as typed)
// and an external IdP with discovery URL, audience and a pasted token (hidden).
func TestIdentityByIDAndExternal(t *testing.T) {
	toIdentity := func(t *testing.T) (*fakeLoaders, *teatest.TestModel) {
		fl := &fakeLoaders{}
		m := New(context.Background(), wz.Answers{Gateway: "team/edge", RuntimeARN: arn}, style.New(false, false), fl.loaders())
		tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
		waitFor(t, tm, "team/edge")
		enter(tm)
		waitFor(t, tm, "payments_agent")
		enter(tm)
		waitFor(t, tm, "Invocation path", "Mode")
		enter(tm)
		waitFor(t, tm, "reuse an existing pool / app client / user by id")
		return fl, tm
	}
	finish := func(t *testing.T, fl *fakeLoaders, tm *teatest.TestModel) wz.Answers {
		enterUntil(t, tm, "Plan · rewrite")
		tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
		tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
		fl.mu.Lock()
		defer fl.mu.Unlock()
		return fl.planned
	}

	t.Run("by id", func(t *testing.T) {
		fl, tm := toIdentity(t)
		press(tm, tea.KeyDown)
		enter(tm)
		waitFor(t, tm, "pool id", "Nothing is created in Cognito")
		tm.Type("nope")
		waitFor(t, tm, "✖ not a user pool id: want region_id")
		enter(tm)
		waitFor(t, tm, "not a user pool id")
		clearField(tm)
		tm.Type("us-east-1_AbCdEf123")
		waitFor(t, tm, "✔")
		nextField(t, tm)
		tm.Type("5pk1q2abcdefgh")
		waitFor(t, tm, "✔")
		nextField(t, tm)
		enter(tm) // service user (default)
		a := finish(t, fl, tm)
		if a.Identity != "cognito" || a.UserPoolID != "us-east-1_AbCdEf123" || a.ClientID != "5pk1q2abcdefgh" || a.UserPoolName != "" || a.Username != "agentcore-gateway" {
			t.Fatalf("answers %+v", a)
		}
	})

	t.Run("external IdP", func(t *testing.T) {
		fl, tm := toIdentity(t)
		press(tm, tea.KeyDown)
		press(tm, tea.KeyDown)
		enter(tm)
		waitFor(t, tm, "Discovery URL")
		tm.Type("https://idp.example.com/")
		waitFor(t, tm, "✖ want https://<issuer>/.well-known/openid-configuration")
		tm.Type(".well-known/openid-configuration")
		waitFor(t, tm, "✔ issuer https://idp.example.com")
		nextField(t, tm)
		enter(tm)
		waitFor(t, tm, "at least one audience")
		tm.Type("https://api.example.com")
		nextField(t, tm)
		// Minting comes before the file and pasting, the last resort: client id, secret, its source, the file
		// are left empty; the paste field is the last one.
		for range 4 {
			enter(tm)
		}
		waitFor(t, tm, "submit") // the last field (pasting) has the focus: enter submits the page
		tok := testJWT(t, `{"iss":"https://idp.example.com","aud":"https://api.example.com","exp":4102444800}`)
		tm.Type(tok)
		waitFor(t, tm, "✔ iss https://idp.example.com")
		enter(tm)
		a := finish(t, fl, tm)
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
		fl := &fakeLoaders{}
		a.Gateway, a.RuntimeARN = "team/edge", arn
		m := New(context.Background(), a, style.New(false, false), fl.loaders())
		tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
		waitFor(t, tm, "team/edge")
		enter(tm)
		waitFor(t, tm, "payments_agent")
		enter(tm)
		waitFor(t, tm, "Invocation path", "Mode")
		enter(tm)
		waitFor(t, tm, "Cognito machine client: client credentials")
		if choose {
			press(tm, tea.KeyDown)
			press(tm, tea.KeyDown)
			press(tm, tea.KeyDown)
		}
		enter(tm)
		waitFor(t, tm, "Resource server identifier")
		enterUntil(t, tm, "Plan · rewrite")
		tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
		tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
		fl.mu.Lock()
		defer fl.mu.Unlock()
		return fl.planned
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
	fl := &fakeLoaders{}
	a := wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Identity: wz.IdentityExternal, DiscoveryURL: "https://idp.example.com/.well-known/openid-configuration",
		Audience: []string{"https://api.example.com"}, ClientID: "m2m-client", ClientSecretFrom: "env:M2M_SECRET"}
	m := New(context.Background(), a, style.New(false, false), fl.loaders())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 50))
	waitFor(t, tm, "team/edge")
	enter(tm)
	waitFor(t, tm, "payments_agent")
	enter(tm)
	waitFor(t, tm, "Invocation path", "Mode")
	enter(tm)
	waitFor(t, tm, "External IdP")
	enter(tm)
	waitFor(t, tm, "Discovery URL")
	enterUntil(t, tm, "Plan · rewrite")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	fl.mu.Lock()
	got := fl.planned
	fl.mu.Unlock()
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
	waitFor(t, tm, "Invocation path", "Mode")
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

// TestRuntimeListsAgentCoreGateways: the ② page lists the region's AgentCore Gateways after the runtimes; picking
// one makes it the target (no runtime ARN) and shows the MCP URL the route will rewrite to.
func TestRuntimeListsAgentCoreGateways(t *testing.T) {
	fl := &fakeLoaders{}
	l := fl.loaders()
	l.Region = "us-east-1"
	const gwID = "tools-gw-abcdef0123"
	l.AgentCoreGateways = func(context.Context) ([]types.GatewaySummary, error) {
		return []types.GatewaySummary{{GatewayId: aws.String(gwID), Name: aws.String("tools-gw"), Status: types.GatewayStatusReady, AuthorizerType: types.AuthorizerTypeAwsIam}}, nil
	}
	m := New(context.Background(), wz.Answers{Gateway: "team/edge", Region: "us-east-1", Mode: "rewrite"}, style.New(false, false), l)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 35))
	waitFor(t, tm, "team/edge")
	enter(tm)
	waitFor(t, tm, "payments_agent", "tools-gw", "AWS_IAM (AgentCore Gateway, MCP)", "1 runtime(s) and 1 AgentCore Gateway(s)")
	press(tm, tea.KeyDown)
	enter(tm)
	waitFor(t, tm, "its MCP URL https://"+gwID+".gateway.", "bedrock-agentcore.us-east-1.amazonaws.com/mcp")
	enterUntil(t, tm, "Plan · rewrite")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.planned.AgentCoreGateway != gwID || fl.planned.RuntimeARN != "" {
		t.Fatalf("planned target: runtime %q, gateway %q", fl.planned.RuntimeARN, fl.planned.AgentCoreGateway)
	}
}

// TestCallerModesPages: the mode list offers passthrough and exchange; the identity page then asks for the
// callers' identity provider (and, for exchange, the token service and the gateway's client there, its secret
// typed hidden) instead of a Cognito or service identity, and the plan gets those answers.
func TestCallerModesPages(t *testing.T) {
	walk := func(t *testing.T, downs int) (*fakeLoaders, *teatest.TestModel) {
		fl := &fakeLoaders{}
		m := New(context.Background(), wz.Answers{Gateway: "team/edge", RuntimeARN: arn}, style.New(false, false), fl.loaders())
		tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
		waitFor(t, tm, "team/edge")
		enter(tm)
		waitFor(t, tm, "payments_agent")
		enter(tm)
		waitFor(t, tm, "Invocation path", "the caller's own token", "exchanged at a token service")
		for range downs {
			press(tm, tea.KeyDown)
		}
		enter(tm)
		waitFor(t, tm, "Callers bring their own tokens", "Discovery URL")
		tm.Type("https://idp.example.com/.well-known/openid-configuration")
		waitFor(t, tm, "issuer https://idp.example.com")
		nextField(t, tm)
		tm.Type("web, mobile")
		return fl, tm
	}
	finish := func(t *testing.T, fl *fakeLoaders, tm *teatest.TestModel, mode string) wz.Answers {
		enterUntil(t, tm, "Plan · "+mode)
		tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
		tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
		fl.mu.Lock()
		defer fl.mu.Unlock()
		return fl.planned
	}
	t.Run("passthrough", func(t *testing.T) {
		fl, tm := walk(t, 3)
		a := finish(t, fl, tm, "passthrough")
		if a.Mode != "passthrough" || a.DiscoveryURL != "https://idp.example.com/.well-known/openid-configuration" || strings.Join(a.Audience, ",") != "web,mobile" ||
			a.Identity != "" || a.UserPoolName != "" || a.Username != "" {
			t.Fatalf("answers %+v", a)
		}
	})
	t.Run("exchange", func(t *testing.T) {
		fl, tm := walk(t, 4)
		enter(tm)
		waitFor(t, tm, "token service", "Client id")
		nextField(t, tm) // token service discovery URL: the callers'
		enter(tm)
		waitFor(t, tm, "the gateway's client id")
		tm.Type("agentgateway")
		nextField(t, tm)
		tm.Type("s3cret")
		nextField(t, tm)
		enter(tm) // where the secret is: typed above
		waitFor(t, tm, "the one audience above")
		tm.Type("agentcore")
		nextField(t, tm)
		tm.Type("invoke")
		a := finish(t, fl, tm, "exchange")
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
	check := func(t *testing.T, tm *teatest.TestModel, what string) string {
		t.Helper()
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		v := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model).View().Content
		lines := strings.Split(strings.TrimRight(v, "\n"), "\n")
		help := lines[len(lines)-1]
		if len(lines) > height || !strings.Contains(help, "esc previous step · ctrl+c quit") || strings.Contains(v, "•") ||
			strings.Count(v, "ctrl+c quit") != 1 {
			t.Fatalf("%s: want %d lines at most, ending in the one help line, no •:\n%s", what, height, v)
		}
		return v
	}
	start := func(t *testing.T) *teatest.TestModel {
		fl := &fakeLoaders{}
		m := New(context.Background(), wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Identity: wz.IdentityExternal}, style.New(false, false), fl.loaders())
		tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, height))
		waitFor(t, tm, "team/edge")
		return tm
	}
	t.Run("gateway", func(t *testing.T) { check(t, start(t), "① Gateway") })
	t.Run("identity select", func(t *testing.T) {
		tm := start(t)
		enter(tm)
		waitFor(t, tm, "payments_agent")
		enter(tm)
		waitFor(t, tm, "Invocation path", "Mode")
		enter(tm)
		waitFor(t, tm, "External IdP")
		if v := check(t, tm, "③ Identity"); !strings.Contains(v, "↑ up · ↓ down") {
			t.Fatalf("the select's keys are not in the help line:\n%s", v)
		}
	})
	t.Run("external IdP, last field", func(t *testing.T) {
		tm := start(t)
		enter(tm)
		waitFor(t, tm, "payments_agent")
		enter(tm)
		waitFor(t, tm, "Invocation path", "Mode")
		enter(tm)
		waitFor(t, tm, "External IdP")
		enter(tm)
		waitFor(t, tm, "Discovery URL")
		tm.Type("https://idp.example.com/.well-known/openid-configuration")
		waitFor(t, tm, "✔ issuer")
		enter(tm)
		tm.Type("https://api.example.com")
		for range 5 {
			enter(tm)
		}
		waitFor(t, tm, "submit") // the last field has the focus
		v := check(t, tm, "③ external IdP")
		if !strings.Contains(v, "┃ …or paste the token") {
			t.Fatalf("the last field is not the paste field:\n%s", v)
		}
		if i, j := strings.Index(v, "Client id"), strings.Index(v, "paste the token"); i >= 0 && i > j {
			t.Fatalf("pasting is not after minting:\n%s", v)
		}
	})
}

// TestPlanPageWraps: a plan line longer than the screen is wrapped at spaces, every word on screen.
func TestPlanPageWraps(t *testing.T) {
	fl := &fakeLoaders{}
	l := fl.loaders()
	long := "password: setup team-b/agentcore-setup signs in as the same service user agentcore-gateway (pool us-east-1_AbCdEf123) and gets its new password"
	l.Plan = func(_ context.Context, a wz.Answers) (*wz.Plan, error) {
		return &wz.Plan{Mode: a.Mode, Gateway: a.Gateway, RuntimeARN: a.RuntimeARN, Flavor: "oss", Changes: 1, Items: []plan.Item{
			{Step: wz.StepIdentity, Kind: "kubernetes", Action: plan.Update, Target: "Secret team-b/agentcore-setup-credentials", Detail: long},
		}}, nil
	}
	m := New(context.Background(), wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "sigv4"}, style.New(false, false), l)
	const width = 90
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(width, 30))
	waitFor(t, tm, "team/edge")
	enterUntil(t, tm, "Plan · sigv4")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	v := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model).View().Content
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
// its last line ("11 change(s).") into view and the help line stays put; enter still applies.
func TestPlanPageScrolls(t *testing.T) {
	const width, height = 100, 30
	fl := &fakeLoaders{}
	l := fl.loaders()
	l.Plan = func(_ context.Context, a wz.Answers) (*wz.Plan, error) { return cognitoPlan(a), nil }
	m := New(context.Background(), wz.Answers{Gateway: "team/edge", RuntimeARN: arn, Mode: "rewrite"}, style.New(false, false), l)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(width, height))
	waitFor(t, tm, "team/edge")
	enterUntil(t, tm, "home/end top/bottom")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnd})
	waitFor(t, tm, "11 change(s).")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	lines := planScreen(t, final.View().Content, height)
	if !strings.Contains(lines[len(lines)-3], "11 change(s).") {
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
	if !strings.Contains(first[3], "Plan · rewrite") || strings.Contains(frame(), "11 change(s).") {
		t.Fatalf("the first frame is not the plan's top without its last line:\n%s", frame())
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	if v := planScreen(t, frame(), height); strings.Contains(v[3], "Plan · rewrite") {
		t.Fatalf("↓ did not scroll:\n%s", frame())
	}
	for i := 0; i < 5 && !strings.Contains(frame(), "11 change(s)."); i++ {
		m.Update(tea.KeyPressMsg{Code: tea.KeyPgDown})
		planScreen(t, frame(), height)
	}
	if !strings.Contains(frame(), "11 change(s).") {
		t.Fatalf("pgdn never reached the plan's last line:\n%s", frame())
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyHome})
	if v := planScreen(t, frame(), height); !strings.Contains(v[3], "Plan · rewrite") {
		t.Fatalf("home did not go back to the top:\n%s", frame())
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnd})
	if v := planScreen(t, frame(), height); !strings.Contains(v[len(v)-3], "11 change(s).") {
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
		var b bytes.Buffer
		m.viewDone(&b)
		if !strings.Contains(b.String(), "invoke --bearer-from") {
			t.Fatalf("%s: the done page does not say how to send a caller's token:\n%s", mode, b.String())
		}
	}
	m.result = &wz.Result{Changed: 1, Record: setup.Record{Mode: setup.ModeRewrite}}
	if !m.canTestCall() {
		t.Fatal("rewrite: the test call is not offered")
	}
}
