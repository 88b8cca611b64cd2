package cmdutil

import (
	"context"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
)

// ReadSecretFrom reads a --*-from source (plugin/secretsource): a Kubernetes Secret through the kubeconfig and the
// namespace flag, prompt on the terminal (SecretPrompt), env:, file:.
func ReadSecretFrom(ctx context.Context, f *Factory, flag, from, defaultKey, label string) (string, error) {
	prompt := SecretPrompt(f.IO)
	if strings.HasPrefix(from, secretsource.Secret) {
		ns, err := f.Namespace()
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
