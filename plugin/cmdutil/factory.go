// Package cmdutil holds what every command shares: the Factory (streams, kubectl and AWS flags, lazy clients),
// exit codes and the one-line error convention, and the -o output helpers.
package cmdutil

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Factory gives commands their dependencies. Nothing is loaded until asked for: `version`, `--help` and shell
// completion never read a kubeconfig or AWS configuration.
type Factory struct {
	IO        *IOStreams
	KubeFlags *genericclioptions.ConfigFlags
	AWS       awsops.Options
	NoColor   bool
	Verbose   bool
	// Now is the clock; tests replace it.
	Now func() time.Time

	restOnce sync.Once
	rest     *rest.Config
	restErr  error

	awsMu  sync.Mutex
	awsCfg *aws.Config
}

// New returns a Factory on the given streams with the kubectl flag set (not yet bound to a command).
func New(io *IOStreams) *Factory {
	return &Factory{
		IO:        io,
		KubeFlags: genericclioptions.NewConfigFlags(true).WithWarningPrinter(io.IOStreams),
		Now:       time.Now,
	}
}

// RESTConfig loads the kubeconfig once (honouring --kubeconfig, --context, --server, … and KUBECONFIG).
func (f *Factory) RESTConfig() (*rest.Config, error) {
	f.restOnce.Do(func() {
		cfg, err := f.KubeFlags.ToRESTConfig()
		if err != nil {
			f.restErr = k8sres.ExplainConfig(err)
			return
		}
		// client-go falls back to http://localhost:8080 when nothing is configured; say so instead.
		if raw, err := f.KubeFlags.ToRawKubeConfigLoader().RawConfig(); err == nil && len(raw.Clusters) == 0 &&
			(f.KubeFlags.APIServer == nil || *f.KubeFlags.APIServer == "") && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
			f.restErr = k8sres.ErrNoKubeconfig
			return
		}
		cfg.UserAgent = "kubectl-agentcore/" + Version
		f.rest = cfg
	})
	return f.rest, f.restErr
}

// KubeClient is the typed client for core objects.
func (f *Factory) KubeClient() (kubernetes.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// Dynamic is the dynamic client for custom resources (Agent Gateway, Gateway API).
func (f *Factory) Dynamic() (dynamic.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return dynamic.NewForConfig(cfg)
}

// Discovery finds which kinds the cluster serves.
func (f *Factory) Discovery() (discovery.DiscoveryInterface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return discovery.NewDiscoveryClientForConfig(cfg)
}

// NamespaceFlag is -n as given ("" when not given): for a command where only an explicit namespace counts.
func (f *Factory) NamespaceFlag() string {
	if f.KubeFlags.Namespace == nil {
		return ""
	}
	return *f.KubeFlags.Namespace
}

// Namespace is -n, else the kubeconfig context's namespace, else "default".
func (f *Factory) Namespace() (string, error) {
	ns, _, err := f.KubeFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", k8sres.ExplainConfig(err)
	}
	return ns, nil
}

// KubeContext is the name of the kube context in use (for headers), or "" when none.
func (f *Factory) KubeContext() (string, error) {
	if f.KubeFlags.Context != nil && *f.KubeFlags.Context != "" {
		return *f.KubeFlags.Context, nil
	}
	raw, err := f.KubeFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return "", k8sres.ExplainConfig(err)
	}
	return raw.CurrentContext, nil
}

// AWSConfig resolves the AWS configuration once per Factory. No network call is made.
func (f *Factory) AWSConfig(ctx context.Context) (aws.Config, error) {
	f.awsMu.Lock()
	defer f.awsMu.Unlock()
	if f.awsCfg != nil {
		return *f.awsCfg, nil
	}
	cfg, err := awsops.Load(ctx, f.AWS)
	if err != nil {
		return aws.Config{}, err
	}
	f.awsCfg = &cfg
	return cfg, nil
}
