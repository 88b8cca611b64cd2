package logs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Gateway is the Gateway whose proxy pods are followed, and where that choice came from.
type Gateway struct {
	Namespace, Name string
	// From is "flag", "setup record <ns/name>" or "the only Agent Gateway in the cluster".
	From string
}

// Ref is namespace/name.
func (g Gateway) Ref() string { return k8sres.Ref(g.Namespace, g.Name) }

// ParseGatewayRef parses --gateway NS/NAME (NAME alone uses defaultNS).
func ParseGatewayRef(s, defaultNS string) (Gateway, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok {
		ns, name = defaultNS, s
	}
	for _, part := range []string{ns, name} {
		if errs := validation.IsDNS1123Subdomain(part); len(errs) > 0 {
			return Gateway{}, fmt.Errorf("invalid --gateway %q: use NAMESPACE/NAME", s)
		}
	}
	return Gateway{Namespace: ns, Name: name, From: "flag"}, nil
}

// ResolveGateway picks the Gateway: --gateway when given (flag), else the setup record's Gateway (namespace =
// the -n namespace when given explicitly, else the only record), else the only Agent Gateway in the cluster.
func ResolveGateway(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, flag, defaultNS, explicitNS string) (Gateway, error) {
	if flag != "" {
		return ParseGatewayRef(flag, defaultNS)
	}
	rec, recErr := setup.Resolve(ctx, kube, explicitNS)
	if recErr == nil && rec != nil && rec.GatewayName != "" {
		return Gateway{Namespace: rec.GatewayNamespace, Name: rec.GatewayName, From: "setup record " + rec.Ref()}, nil
	}
	gws, err := k8sres.ListAgentGateways(ctx, dyn, nil)
	if err != nil {
		return Gateway{}, err
	}
	switch len(gws) {
	case 1:
		return Gateway{Namespace: gws[0].Namespace, Name: gws[0].Name, From: "the only Agent Gateway in the cluster"}, nil
	case 0:
		why := "no setup record and no Agent Gateway found in the cluster"
		if recErr != nil && !errors.Is(recErr, setup.ErrNotFound) {
			why = strings.TrimSuffix(recErr.Error(), ".") + ", and no Agent Gateway found"
		}
		return Gateway{}, errors.New("finding the gateway: " + why + ". Pass --gateway NAMESPACE/NAME")
	}
	var refs []string
	for _, g := range gws {
		refs = append(refs, g.Ref())
	}
	return Gateway{}, fmt.Errorf("finding the gateway: %d Agent Gateways found (%s). Pass --gateway NAMESPACE/NAME", len(gws), strings.Join(refs, ", "))
}

// HintWindow is how far back the home screen's hint looks.
const HintWindow = 5 * time.Minute

// Recent401s counts the 401 and 403 access lines of the gateway's proxy pods in the last window, reading at
// most 2 MiB per container and never following (for the home screen: cheap and bounded by ctx).
func Recent401s(ctx context.Context, kube kubernetes.Interface, gw Gateway, window time.Duration, now time.Time) (n401, n403 int, err error) {
	pods, err := k8sres.ListProxyPods(ctx, kube, gw.Namespace, gw.Name)
	if err != nil {
		return 0, 0, err
	}
	var v View
	for _, p := range pods {
		for _, c := range p.Spec.Containers {
			err := k8sres.StreamContainerLogs(ctx, kube, gw.Namespace, p.Name, k8sres.LogStreamOptions{
				Container: c.Name, Since: now.Add(-window), Tail: -1, LimitBytes: 2 << 20,
			}, func(l k8sres.LogLine) error {
				Parse(l.Data, &v)
				switch {
				case !v.Access:
				case v.Status == 401:
					n401++
				case v.Status == 403:
					n403++
				}
				return nil
			})
			if err != nil {
				return n401, n403, err
			}
		}
	}
	return n401, n403, nil
}
