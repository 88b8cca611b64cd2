package cmdutil

import (
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/spf13/cobra"
)

// Every --*-from flag names the same sources and completes them.
func TestSecretSourceFlag(t *testing.T) {
	cmd := &cobra.Command{Use: "x"}
	var v string
	SecretSourceFlag(cmd, &v, "password-from", "the password", "(default: $PW)")
	f := cmd.Flags().Lookup("password-from")
	if f == nil || f.Usage != "the password from "+secretsource.Forms+" (default: $PW)" || !strings.Contains(f.Usage, "file:PATH") {
		t.Fatalf("flag %+v", f)
	}
	complete, ok := cmd.GetFlagCompletionFunc("password-from")
	if !ok {
		t.Fatal("no completion")
	}
	got, _ := complete(cmd, nil, "")
	if !slices.Equal(got, []cobra.Completion{"env:", "file:", "secret:", "prompt"}) {
		t.Fatalf("completion %v", got)
	}
	if err := cmd.ParseFlags([]string{"--password-from", "env:PW"}); err != nil || v != "env:PW" {
		t.Fatalf("parse: %v %q", err, v)
	}
}
