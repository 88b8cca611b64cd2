package token

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/tuitest"
)

const iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for the screen.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func inspectAt(clk *clock) InspectFunc {
	return func(_ context.Context, raw string) (*tokencheck.Report, error) {
		tok, err := tokencheck.Parse(raw)
		if err != nil {
			return nil, err
		}
		return tokencheck.Inspect(tok, clk.Now(), nil, false), nil
	}
}

func TestCountdownTicks(t *testing.T) {
	clk := &clock{t: t0}
	raw := tokentest.EC(t, "k").Mint(t, tokentest.CognitoID(iss, "5pk1q2", t0, 41*time.Minute))
	tok, err := tokencheck.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Theme: style.New(false, false), Now: clk.Now, Report: tokencheck.Inspect(tok, t0, nil, false)})
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(100, 40))

	tuitest.WaitFor(t, tm, "cognito-id", "expires in 41m00s ✔")
	// The once-a-second tick reads the injected clock: under 10 minutes left the header warns (‼), under a minute
	// it fails (✖).
	clk.Set(t0.Add(32 * time.Minute))
	tuitest.WaitFor(t, tm, "expires in 9m00s ‼")
	clk.Set(t0.Add(40*time.Minute + 30*time.Second))
	tuitest.WaitFor(t, tm, "expires in 30s ✖")
	clk.Set(t0.Add(43 * time.Minute))
	tm.Send(tickMsg(time.Now())) // processed before the q below
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tuitest.Final(t, tm).(Model)
	out := final.Render()
	if strings.Contains(out, raw) || strings.Contains(out, strings.Split(raw, ".")[2]) {
		t.Fatal("the raw token is on screen")
	}
	for _, w := range []string{"Token · cognito-id", "expired 2m00s ago ✖", "✖ expiry          expired 2m ago", "aud=5pk1q2 → allowedAudience containing 5pk1q2", "q quit"} {
		if !strings.Contains(out, w) {
			t.Errorf("screen lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "n new token") {
		t.Error("no Inspect function, yet the help offers a new token")
	}
	// The screen fits the terminal: header + rule + viewport + rule + help = height.
	if n := strings.Count(out, "\n") + 1; n != 40 {
		t.Errorf("screen is %d lines, terminal 40", n)
	}
}

func TestAsksForTokenMaskedThenShowsIt(t *testing.T) {
	clk := &clock{t: t0}
	raw := tokentest.RSA(t, "r").Mint(t, tokentest.Okta("https://dev.okta.com/oauth2/default", "api://default", "0oa1", t0, time.Hour))
	m := New(Options{Theme: style.New(false, false), Now: clk.Now, Inspect: inspectAt(clk)})
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(100, 30))
	tuitest.WaitFor(t, tm, "Paste the token", "token ›")

	// Enter with nothing: a hint, still on the input page.
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tuitest.WaitFor(t, tm, "nothing pasted yet")

	// A malformed paste: the reason, still on the input page.
	tm.Send(tea.PasteMsg{Content: "not-a-jwt"})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tuitest.WaitFor(t, tm, "a JWT: one segment, a JWT has three")

	tm.Send(tea.PasteMsg{Content: "Bearer " + raw})
	parts := strings.Split(raw, ".")
	if s := tuitest.WaitFor(t, tm, "•••••"); strings.Contains(s, parts[1]) || strings.Contains(s, parts[2]) {
		t.Fatalf("the pasted token is on screen:\n%s", s)
	}
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tuitest.WaitFor(t, tm, "okta · Okta token", "expires in 1h00m00s", "n new token")

	// n asks for another token.
	tm.Send(tea.KeyPressMsg{Code: 'n', Text: "n"})
	tuitest.WaitFor(t, tm, "Paste the token")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	final := tuitest.Final(t, tm).(Model)
	if final.Report() != nil {
		t.Error("report kept after n")
	}
	// Nothing the terminal received may contain the token (all of it: no wait reads the output stream).
	out, err := io.ReadAll(tm.FinalOutput(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(parts[2])) || bytes.Contains(out, []byte(parts[1])) {
		t.Fatal("the token was echoed to the terminal")
	}
}

func TestScrollAndResize(t *testing.T) {
	clk := &clock{t: t0}
	raw := tokentest.EC(t, "k").Mint(t, tokentest.Entra("https://login.microsoftonline.com/t/v2.0", "api://agent", "azp1", t0, time.Hour))
	tok, _ := tokencheck.Parse(raw)
	m := New(Options{Theme: style.New(false, true), Now: clk.Now, Report: tokencheck.Inspect(tok, t0, nil, false)})
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(80, 12))
	tuitest.WaitFor(t, tm, "entra", "OK") // ASCII symbols
	tm.Send(tea.KeyPressMsg{Code: 'G', Text: "G"})
	tuitest.WaitFor(t, tm, "ver  2.0") // the last claim (sorted) is visible after G
	tm.Send(tea.WindowSizeMsg{Width: 120, Height: 50})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	final := tuitest.Final(t, tm).(Model)
	if final.width != 120 || final.vp.Height() != 46 {
		t.Errorf("resize: width %d viewport height %d", final.width, final.vp.Height())
	}
}

// The countdown through Update alone, frame by frame, with the injected clock.
func TestCountdownFrames(t *testing.T) {
	clk := &clock{t: t0}
	raw := tokentest.EC(t, "k").Mint(t, tokentest.CognitoID(iss, "5pk1q2", t0, 41*time.Minute))
	tok, _ := tokencheck.Parse(raw)
	var m tea.Model = New(Options{Theme: style.New(false, false), Now: clk.Now, Report: tokencheck.Inspect(tok, t0, nil, false)})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	steps := []struct {
		at   time.Duration
		want string
	}{
		{0, "expires in 41m00s ✔"},
		{5 * time.Second, "expires in 40m55s ✔"},
		{32 * time.Minute, "expires in 9m00s ‼"},
		{40*time.Minute + 30*time.Second, "expires in 30s ✖"},
		{41 * time.Minute, "expired now ✖"},
		{44*time.Minute + 5*time.Second, "expired 3m05s ago ✖"},
	}
	for _, s := range steps {
		clk.Set(t0.Add(s.at))
		var cmd tea.Cmd
		m, cmd = m.Update(tickMsg(clk.Now()))
		if cmd == nil {
			t.Fatal("a tick must schedule the next tick")
		}
		head := strings.SplitN(m.(Model).Render(), "\n", 2)[0]
		if !strings.HasSuffix(head, s.want) {
			t.Errorf("at +%s header %q, want …%q", s.at, head, s.want)
		}
	}
}

func TestVerifyKey(t *testing.T) {
	clk := &clock{t: time.Now()}
	k := tokentest.RSA(t, "r")
	is := tokentest.NewIssuer(t, k)
	raw := k.Mint(t, tokentest.CognitoID(is.Issuer, "5pk1q2", clk.Now(), time.Hour))
	tok, _ := tokencheck.Parse(raw)
	calls := 0
	verify := func(ctx context.Context, got string) (*tokencheck.Report, error) {
		calls++
		if got != raw {
			t.Errorf("verify got another token")
		}
		tk, err := tokencheck.Parse(got)
		if err != nil {
			return nil, err
		}
		v := tokencheck.Verify(ctx, tk, tokencheck.Sources{})
		return tokencheck.Inspect(tk, clk.Now(), &v, false), nil
	}
	m := New(Options{Theme: style.New(false, false), Now: clk.Now, Report: tokencheck.Inspect(tok, clk.Now(), nil, false), Verify: verify})
	tm := teatest.NewTestModel(t, tuitest.Probe(m), teatest.WithInitialTermSize(160, 40))
	tuitest.WaitFor(t, tm, "v verify", "not checked (add --verify)")
	tm.Send(tea.KeyPressMsg{Code: 'v', Text: "v"})
	tuitest.WaitFor(t, tm, "verified (kid r, RS256) with "+is.URL+"/.well-known/jwks.json")
	tm.Send(tea.KeyPressMsg{Code: 'v', Text: "v"}) // already verified: nothing to do
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tuitest.Final(t, tm).(Model)
	if calls != 1 || final.Report().Signature == nil || !final.Report().Signature.Verified {
		t.Fatalf("calls %d signature %+v", calls, final.Report().Signature)
	}
	if strings.Contains(final.Render(), "v verify") {
		t.Error("v still offered after verification")
	}
}

func TestWrapHanging(t *testing.T) {
	line := "   iss=" + strings.Repeat("abcdefghij", 8)
	got := style.WrapHanging(line, 30)
	if len(got) < 3 {
		t.Fatalf("not wrapped: %q", got)
	}
	joined := got[0]
	for i, l := range got {
		if w := len(l); w > 30 {
			t.Errorf("line %d is %d wide", i, w)
		}
		if i > 0 {
			if !strings.HasPrefix(l, "     ") || strings.HasPrefix(l, "      ") {
				t.Errorf("continuation %q not indented by 5", l)
			}
			joined += strings.TrimPrefix(l, "     ")
		}
	}
	if joined != line {
		t.Errorf("text lost in wrapping:\n%q\n%q", joined, line)
	}
	if got := style.WrapHanging("short", 30); len(got) != 1 || got[0] != "short" {
		t.Errorf("%q", got)
	}
}

// TestWrapHangingAtSpaces: lines wrap between words ("eu-west-3" and "byte" stay whole), styled text keeps its
// escape codes and is measured by what shows, and columns (runs of spaces) inside a line are kept.
func TestWrapHangingAtSpaces(t *testing.T) {
	th := style.New(true, false)
	line := "   " + th.Faint.Render("region") + "     the issuer is in eu-west-3 but the runtime's authorizer is in us-east-1; compared byte for byte"
	for _, width := range []int{20, 27, 33, 41, 58} {
		got := style.WrapHanging(line, width)
		if len(got) < 2 {
			t.Fatalf("width %d: not wrapped: %q", width, got)
		}
		var words []string
		for i, l := range got {
			plain := ansi.Strip(l)
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("width %d: line %d is %d wide: %q", width, i, w, plain)
			}
			if i > 0 && (!strings.HasPrefix(plain, "     ") || strings.HasPrefix(plain, "      ")) {
				t.Errorf("width %d: continuation %q not indented by 5", width, plain)
			}
			words = append(words, strings.Fields(plain)...)
		}
		if want := strings.Fields(ansi.Strip(line)); strings.Join(words, " ") != strings.Join(want, " ") {
			t.Errorf("width %d: words split or lost:\n got %q\nwant %q", width, words, want)
		}
		if first := ansi.Strip(got[0]); !strings.HasPrefix(first, "   region     the") {
			t.Errorf("width %d: the first line lost its columns: %q", width, first)
		}
	}
}
