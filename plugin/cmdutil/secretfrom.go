package cmdutil

import (
	"context"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
)

// ReadSecretFrom reads a --*-from source (plugin/secretsource): a Kubernetes Secret through the kubeconfig and the
// namespace flag, prompt on the terminal (SecretPrompt), env:, file:.
func ReadSecretFrom(ctx context.Context, f *Factory, flag, from, defaultKey, label string) (string, error) {
	return readSecretFrom(ctx, f, f.Namespace, flag, from, defaultKey, label)
}

// ReadSecretFromIn is ReadSecretFrom with secret:NAME[/KEY] in namespace ns (where the command works, e.g. the
// wizard's route namespace) instead of the namespace flag's.
func ReadSecretFromIn(ctx context.Context, f *Factory, ns, flag, from, defaultKey, label string) (string, error) {
	return readSecretFrom(ctx, f, func() (string, error) { return ns, nil }, flag, from, defaultKey, label)
}

func readSecretFrom(ctx context.Context, f *Factory, namespace func() (string, error), flag, from, defaultKey, label string) (string, error) {
	prompt := SecretPrompt(f.IO)
	if strings.HasPrefix(from, secretsource.Secret) {
		ns, err := namespace()
		if err != nil {
			return "", err
		}
		kc, err := f.KubeClient()
		if err != nil {
			return "", err
		}
		return secretsource.Read(ctx, kc, ns, flag, from, defaultKey, label, prompt)
	}
	return secretsource.Read(ctx, nil, "", flag, from, defaultKey, label, prompt)
}
