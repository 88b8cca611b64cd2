package planview

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

func TestWrite(t *testing.T) {
	th := style.New(false, false)
	items := []plan.Item{
		{Step: "gateway", Action: plan.Unchanged, Target: "Gateway gw/gw", Call: "never shown for unchanged"},
		{Step: "identity", Kind: plan.KindAWS, Action: plan.Create, Target: "user pool agentcore", Call: "cognito-idp:CreateUserPool"},
		{Step: "identity", Action: plan.Skip, Target: "runtime rt authorizer", Detail: "--skip-authorizer"},
		{Step: "resources", Action: plan.Update, Target: "HTTPRoute ns/rt", Diff: "-a\n+b\n"},
		{Step: "resources", Action: plan.Delete, Target: "Secret ns/jwt"},
	}
	var b bytes.Buffer
	Write(&b, th, Doc{Header: "Plan · test", Items: items, Warnings: []string{"careful"}, Nothing: "unused",
		StepLabel: func(s string) string { return "[" + s + "]" }})
	want := `Plan · test
 [gateway]
   = unchanged Gateway gw/gw
 [identity]
   + create    user pool agentcore  [cognito-idp:CreateUserPool]
   ○ skip      runtime rt authorizer  --skip-authorizer
 [resources]
   ~ update    HTTPRoute ns/rt
       -a
       +b
   - delete    Secret ns/jwt
 ‼ careful
 3 changes.
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	Write(&b, th, Doc{Items: items[:1], Nothing: "Nothing to remove."})
	if want := "   = unchanged Gateway gw/gw\n Nothing to remove.\n"; b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

// With a width, a line longer than it wraps at spaces, continuations indented under the item's text, every word
// kept (a plan line is never cut at the screen's edge); without one an item stays one line.
func TestWriteWraps(t *testing.T) {
	th := style.New(false, false)
	it := plan.Item{Step: "identity", Action: plan.Update, Target: "Secret team-b/agentcore-setup-credentials",
		Detail: "password: setup team-b/agentcore-setup signs in as the same service user agentcore-gateway (pool us-east-1_AbCdEf123) and gets its new password"}
	var b bytes.Buffer
	Write(&b, th, Doc{Items: []plan.Item{it}, Width: 60})
	want := `   ~ update    Secret team-b/agentcore-setup-credentials
     password: setup team-b/agentcore-setup signs in as the
     same service user agentcore-gateway (pool
     us-east-1_AbCdEf123) and gets its new password
 1 change.
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	Write(&b, th, Doc{Items: []plan.Item{it}})
	if got := strings.Count(b.String(), "\n"); got != 2 {
		t.Fatalf("without a width the item is one line, got:\n%s", b.String())
	}
}
