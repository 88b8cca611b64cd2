// Package secretsource reads a secret value (a client secret, a password, a refresh token) from where a
// --*-from flag says: env:VAR, file:PATH (the file's content, surrounding white space trimmed), secret:NAME[/KEY]
// or secret:NAMESPACE/NAME/KEY (a Kubernetes Secret), or prompt (the terminal, without echo). A literal value is
// refused: it would sit in argv and shell history.
package secretsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"k8s.io/client-go/kubernetes"
)

// Source kinds.
const (
	Env    = "env:"
	File   = "file:"
	Secret = "secret:"
	Prompt = "prompt"
)

// Forms is how flag help names the sources, the same for every --*-from flag.
const Forms = "env:VAR, file:PATH, secret:[NAMESPACE/]NAME[/KEY] or prompt"

// Required is the error for a --*-from flag that must be given and was not (callers make it a usage error).
func Required(flag string) error {
	return fmt.Errorf("--%s is required: %s (a secret is never an argument)", flag, Forms)
}

// Kinds are the source prefixes, for shell completion.
var Kinds = []string{Env, File, Secret, Prompt}

// Validate checks a --*-from value without reading it.
func Validate(flag, v string) error {
	switch {
	case v == "", v == Prompt:
		return nil
	case strings.HasPrefix(v, Env) && len(v) > len(Env), strings.HasPrefix(v, File) && len(v) > len(File):
		return nil
	case strings.HasPrefix(v, Secret) && len(v) > len(Secret):
		if n := strings.Count(v, "/"); n > 2 || strings.Contains(v, "//") || strings.HasSuffix(v, "/") {
			return fmt.Errorf("--%s %s: use secret:NAME, secret:NAME/KEY or secret:NAMESPACE/NAME/KEY", flag, v)
		}
		return nil
	}
	// The value is not echoed: it may be the secret itself.
	return fmt.Errorf("--%s: the value is not a source; use env:VAR, file:PATH, secret:NAME[/KEY], secret:NAMESPACE/NAME/KEY or prompt (secrets are never accepted as arguments)", flag)
}

// Ref is a parsed secret: source.
type Ref struct{ Namespace, Name, Key string }

// ParseSecret splits the part after "secret:" into namespace (ns when not given), name and key (defaultKey when
// not given).
func ParseSecret(ref, ns, defaultKey string) Ref {
	parts := strings.Split(ref, "/")
	switch len(parts) {
	case 3:
		return Ref{parts[0], parts[1], parts[2]}
	case 2:
		return Ref{ns, parts[0], parts[1]}
	}
	return Ref{ns, ref, defaultKey}
}

// Read returns the value from's source names. ns is the namespace of secret:NAME[/KEY]; defaultKey the key of
// secret:NAME; label names the value in prompts and errors ("client secret"). prompt is nil when no terminal.
func Read(ctx context.Context, kube kubernetes.Interface, ns, flag, from, defaultKey, label string, prompt func(label string) (string, error)) (string, error) {
	if err := Validate(flag, from); err != nil {
		return "", err
	}
	switch {
	case from == Prompt:
		if prompt == nil {
			return "", fmt.Errorf("--%s prompt: not on a terminal. Use env:VAR or secret:NAME/KEY", flag)
		}
		v, err := prompt(label)
		if err != nil {
			return "", fmt.Errorf("reading the %s: %w", label, err)
		}
		if v == "" {
			return "", fmt.Errorf("the %s is empty", label)
		}
		return v, nil
	case strings.HasPrefix(from, Env):
		name := strings.TrimPrefix(from, Env)
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("--%s env:%s: the environment variable is not set", flag, name)
		}
		return v, nil
	case strings.HasPrefix(from, File):
		path := strings.TrimPrefix(from, File)
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("--%s file:%s: %w", flag, path, unwrapPath(err))
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("--%s file:%s: the file is empty", flag, path)
		}
		return v, nil
	case strings.HasPrefix(from, Secret):
		r := ParseSecret(strings.TrimPrefix(from, Secret), ns, defaultKey)
		if kube == nil {
			return "", fmt.Errorf("--%s %s: no cluster to read the Secret from", flag, from)
		}
		s, err := k8sres.GetSecret(ctx, kube, r.Namespace, r.Name)
		if err != nil {
			return "", err
		}
		v, ok := k8sres.SecretValue(s, r.Key)
		if !ok || v == "" {
			return "", fmt.Errorf("--%s: Secret %s has no key %s", flag, k8sres.Ref(r.Namespace, r.Name), r.Key)
		}
		return v, nil
	}
	return "", fmt.Errorf("--%s: no source given", flag)
}

// Describe names, in words for a hint, where from reads a value (never the value): "$VAR", "file PATH", "the
// KEY key of Secret NS/NAME" (ns and defaultKey as Read takes them) or "the value typed at the prompt".
func Describe(from, ns, defaultKey string) string {
	switch {
	case from == Prompt:
		return "the value typed at the prompt"
	case strings.HasPrefix(from, Env):
		return "$" + strings.TrimPrefix(from, Env)
	case strings.HasPrefix(from, File):
		return "file " + strings.TrimPrefix(from, File)
	case strings.HasPrefix(from, Secret):
		r := ParseSecret(strings.TrimPrefix(from, Secret), ns, defaultKey)
		return "the " + r.Key + " key of Secret " + k8sres.Ref(r.Namespace, r.Name)
	}
	return from
}

// unwrapPath drops the path an *os.PathError repeats (the message names it already).
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
