package style

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestWrapHangingKeepsCommandsWhole: a command in wrapped text is never split as prose is. One that fits on a
// row moves to a row of its own; one longer than a row is broken between its arguments with " \" ("--flag
// value" kept on one row), and the prose after it starts a row of its own; a shell comment's rows stay comments;
// styles do not count as width. The word kubectl in prose (not followed by a command or a flag) wraps as prose.
func TestWrapHangingKeepsCommandsWhole(t *testing.T) {
	invoke := " callers bring their own token: send one with kubectl agentcore invoke --bearer-from env:VAR|file:F|prompt"
	for _, c := range []struct {
		name  string
		line  string
		width int
		want  []string
	}{
		{"a row of its own", invoke, 70, []string{
			" callers bring their own token: send one with",
			"   kubectl agentcore invoke --bearer-from env:VAR|file:F|prompt",
		}},
		{"styled", " " + New(true, false).Faint.Render(invoke[1:]), 70, []string{
			" callers bring their own token: send one with",
			"   kubectl agentcore invoke --bearer-from env:VAR|file:F|prompt",
		}},
		{"where it is, in parentheses", "   ✖ Secret team-b/jwt not found. Create it (kubectl agentcore wizard) or name another with --secret", 60, []string{
			"   ✖ Secret team-b/jwt not found. Create it",
			"     (kubectl agentcore wizard) or name another with",
			"     --secret",
		}},
		{"a shell comment", "   # a caller's token through http://127.0.0.1:43115/agentcore; doctor -n agentcore --token-from env:CALLER_TOKEN checks it", 60, []string{
			"   # a caller's token through",
			"   # http://127.0.0.1:43115/agentcore; doctor -n agentcore",
			"   # --token-from env:CALLER_TOKEN checks it",
		}},
		{"a command and its comment", " test call: kubectl agentcore invoke -n agentcore --bearer-from env:CALLER_TOKEN 'hello'   # a caller's token through http://127.0.0.1:43115/agentcore; doctor checks it", 79, []string{
			" test call:",
			"   kubectl agentcore invoke -n agentcore --bearer-from env:CALLER_TOKEN 'hello'",
			"   # a caller's token through http://127.0.0.1:43115/agentcore; doctor checks",
			"   # it",
		}},
		{"the word in prose", "   the kubectl helper on your PATH reads the kubeconfig kubectl uses, and nothing else", 40, []string{
			"   the kubectl helper on your PATH reads",
			"     the kubeconfig kubectl uses, and",
			"     nothing else",
		}},
		{"a parenthesis after it", "   then kubectl agentcore wizard -n team-y --audience <allowed audience> (it re-derives the authorizer from the new token).", 70, []string{
			"   then",
			"     kubectl agentcore wizard -n team-y --audience <allowed audience>",
			"     (it re-derives the authorizer from the new token).",
		}},
		{"an AWS CLI command", "   or set it: aws cognito-idp admin-set-user-password --user-pool-id us-east-1_AbCdEf --username agentcore-svc --permanent", 60, []string{
			"   or set it:",
			"     aws cognito-idp admin-set-user-password \\",
			"       --user-pool-id us-east-1_AbCdEf \\",
			"       --username agentcore-svc --permanent",
		}},
		{"the AWS CLI in prose", "   the aws CLI on your PATH reads the same profile aws uses, and nothing else", 40, []string{
			"   the aws CLI on your PATH reads the",
			"     same profile aws uses, and nothing",
			"     else",
		}},
		{"a flag first", "   list them with kubectl -n team-a get secrets -l app.kubernetes.io/managed-by=kubectl-agentcore", 60, []string{
			"   list them with",
			"     kubectl -n team-a get secrets \\",
			"       -l app.kubernetes.io/managed-by=kubectl-agentcore",
		}},
		{"longer than a row", "     Put a new one in with kubectl agentcore wizard -n team-a --identity external --discovery-url https://idp.example.com/openid --token-file FILE, or let the plugin mint and rotate it.", 60, []string{
			"     Put a new one in with",
			"       kubectl agentcore wizard -n team-a \\",
			"         --identity external \\",
			"         --discovery-url https://idp.example.com/openid \\",
			"         --token-file FILE,",
			"       or let the plugin mint and rotate it.",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, r := range WrapHanging(c.line, c.width) {
				got = append(got, ansi.Strip(r))
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("wrapped at %d:\n%s\nwant\n%s", c.width, strings.Join(got, "|\n"), strings.Join(c.want, "|\n"))
			}
		})
	}
}
