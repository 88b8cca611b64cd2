package doctor

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/tuitest"
)

// fakeRun streams a fixed plan: results are released one by one through the returned channel so the test
// sees the screen fill in.
func fakeRun(release chan dr.Result, runs *atomic.Int32) StartFunc {
	plan := []dr.Result{
		{ID: "cluster.reachable", Category: "cluster", Title: "reachable", Status: dr.Pending},
		{ID: "token.expiring", Category: "token", Title: "time left", Status: dr.Pending},
		{ID: "authorizer.audience", Category: "authorizer", Title: "audience", Status: dr.Pending},
	}
	return func() ([]dr.Result, <-chan dr.Result) {
		runs.Add(1)
		out := make(chan dr.Result)
		go func() {
			defer close(out)
			for r := range release {
				out <- r
				if r.ID == "authorizer.audience" && r.Status != dr.Running {
					return
				}
			}
		}()
		return append([]dr.Result(nil), plan...), out
	}
}

func TestDoctorScreenFillsInSelectsAndCopies(t *testing.T) {
	release := make(chan dr.Result, 10)
	var runs atomic.Int32
	m := New("agentcore/agentcore → …:runtime/payments_agent-Ab12…", fakeRun(release, &runs), style.New(false, false))
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(100, 20))
	// First frame: the plan, nothing finished.
	tuitest.WaitFor(t, tm, "reachable", "audience")

	release <- dr.Result{ID: "cluster.reachable", Category: "cluster", Title: "reachable", Status: dr.Running}
	tuitest.WaitFor(t, tm, "checking…") // the spinner
	release <- dr.Result{ID: "cluster.reachable", Category: "cluster", Title: "reachable", Status: dr.Pass, Detail: "Kubernetes v1.36.4"}
	release <- dr.Result{ID: "token.expiring", Category: "token", Title: "time left", Status: dr.Warn, Detail: "expires in 6m", Fix: "kubectl agentcore rotate --watch"}
	release <- dr.Result{ID: "authorizer.audience", Category: "authorizer", Title: "audience", Status: dr.Fail,
		Detail: "this is a Cognito access token (no aud)", Hint: "Use the ID token, or set allowedClients=[5pk1q2]", Fix: "kubectl agentcore rotate --token-use id"}
	tuitest.WaitFor(t, tm, "✖ audience", "done in")

	// select the failing check and open its detail
	tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tuitest.WaitFor(t, tm, "authorizer.audience", "Use the ID token", "esc back") // the detail
	tm.Send(tea.KeyPressMsg{Code: 'c', Text: "c"})
	tuitest.WaitFor(t, tm, "fix copied to the clipboard")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape}) // back to the list
	// r re-runs: a second run starts with the plan again
	tm.Send(tea.KeyPressMsg{Code: 'r', Text: "r"})
	tuitest.Wait(t, tm, "a second run", func(string) bool { return runs.Load() == 2 })
	release <- dr.Result{ID: "authorizer.audience", Category: "authorizer", Title: "audience", Status: dr.Pass, Detail: "aud ok"}
	tuitest.WaitFor(t, tm, "aud ok")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tuitest.Final(t, tm).(Model)
	if final.cursor != 2 || final.detail {
		t.Fatalf("cursor %d detail %v", final.cursor, final.detail)
	}
	out := final.Render()
	if !strings.Contains(out, "authorizer ▸ ✔ audience") {
		t.Fatalf("the selected row after the re-run:\n%s", out)
	}
	if !strings.Contains(out, "Doctor · agentcore/agentcore") || !strings.Contains(out, "1 ✔  0 ‼  0 ✖") {
		t.Fatalf("header:\n%s", out)
	}
}

func TestRenderFitsWidthAndScrolls(t *testing.T) {
	var plan []dr.Result
	for i := 0; i < 40; i++ {
		plan = append(plan, dr.Result{ID: "resources.x", Category: "resources", Title: "check", Status: dr.Fail,
			Detail: strings.Repeat("a very long detail ", 20)})
	}
	m := New("x", nil, style.New(false, false))
	m.results, m.width, m.height, m.cursor = plan, 80, 15, 39
	out := m.Render()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > 15 {
		t.Fatalf("%d lines for a 15-line terminal", len(lines))
	}
	for _, l := range lines {
		if w := len([]rune(l)); w > 80 {
			t.Fatalf("line wider than 80: %d %q", w, l)
		}
	}
	if !bytes.Contains([]byte(out), []byte("▸")) {
		t.Fatalf("the selected (last) row must be scrolled into view:\n%s", out)
	}
}

// The detail pane wraps a fix longer than the screen as a command stays copyable: broken between its arguments
// with shell continuations, each "--flag value" whole (only a single argument wider than the screen is cut), and
// no line wider than the screen. Before, the fix wrapped as prose: "--agent-runtime-id" at the end of one line,
// its value on the next, and no continuations.
func TestDetailWrapsTheFixAsACommand(t *testing.T) {
	fix := "aws bedrock-agentcore-control update-agent-runtime --agent-runtime-id echo_agent-qKYf4OUxxZ --authorizer-configuration '{\"customJWTAuthorizer\":{\"discoveryUrl\":\"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf/.well-known/openid-configuration\",\"allowedAudience\":[\"5pk1q2\"]}}'"
	m := New("x", nil, style.New(false, false))
	m.results = []dr.Result{{ID: "authorizer.audience", Category: "authorizer", Title: "audience", Status: dr.Fail, Detail: "aud is not allowed", Fix: fix}}
	m.width, m.height, m.detail = 90, 40, true
	out := m.Render()
	var joined strings.Builder
	in, continued := false, 0
	for _, l := range strings.Split(out, "\n") {
		if w := lipgloss.Width(l); w > 90 {
			t.Errorf("line wider than 90: %d %q", w, l)
		}
		if _, rest, ok := strings.Cut(l, "fix        "); ok && !in {
			in, l = true, rest
		} else if !in {
			continue
		} else if strings.Contains(l, "────") {
			break
		}
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "--agent-runtime-id") && !strings.HasPrefix(l, "--agent-runtime-id echo_agent-qKYf4OUxxZ") || strings.HasSuffix(l, "--agent-runtime-id") {
			t.Errorf("a flag split from its value: %q", l)
		}
		if c, ok := strings.CutSuffix(l, ` \`); ok {
			joined.WriteString(c + " ")
			continued++
			continue
		}
		joined.WriteString(l) // a piece of an argument wider than the screen: the next line goes on with it
	}
	if continued == 0 || joined.String() != fix {
		t.Errorf("the lines copied together are not the command (%d continuations):\n got %s\nwant %s\n%s", continued, joined.String(), fix, out)
	}
}
