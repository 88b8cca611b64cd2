package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// Output formats every command accepts with -o.
const (
	OutputText = "text"
	OutputJSON = "json"
	OutputYAML = "yaml"
)

// AddOutputFlag registers -o/--output with the given allowed values (the first is the default).
func AddOutputFlag(cmd *cobra.Command, target *string, allowed ...string) {
	if len(allowed) == 0 {
		allowed = []string{OutputText, OutputJSON, OutputYAML}
	}
	*target = allowed[0]
	cmd.Flags().StringVarP(target, "output", "o", allowed[0], fmt.Sprintf("output format: %s", joinOr(allowed)))
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return allowed, cobra.ShellCompDirectiveNoFileComp
	})
}

// ValidateOutput returns a usage error when format is not one of allowed.
func ValidateOutput(format string, allowed ...string) error {
	if len(allowed) == 0 {
		allowed = []string{OutputText, OutputJSON, OutputYAML}
	}
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return UsageErrorf("unknown output format %q: use %s", format, joinOr(allowed))
}

// PrintStructured writes v as indented JSON or as YAML. JSON keys come from the struct tags (camelCase).
func PrintStructured(w io.Writer, format string, v any) error {
	switch format {
	case OutputJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	case OutputYAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("PrintStructured: unsupported format %q", format)
}

func joinOr(xs []string) string {
	s := ""
	for i, x := range xs {
		switch {
		case i == 0:
		case i == len(xs)-1:
			s += " or "
		default:
			s += ", "
		}
		s += x
	}
	return s
}
