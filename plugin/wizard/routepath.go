package wizard

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// checkRoutePath ranks the route this setup would apply against the HTTPRoutes the Gateway already accepted
// (Gateway API precedence, k8sres.RouteShadows): a route that would take every request of the setup's path — the
// same path prefix on the same Gateway, from an older route, as the default /agentcore of a setup in another
// namespace — is an error before anything changes, naming a free prefix; one that would take only some requests
// is a warning. A rerun keeps its route's creation time, and its own route is not compared with itself.
func (s *Session) checkRoutePath(ctx context.Context, env *Env) error {
	if env.Dynamic == nil {
		return nil
	}
	objs, err := k8sres.BuildManifests(s.manifestSpec(s.Record, ""))
	if err != nil {
		return err
	}
	var route *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == k8sres.GVKHTTPRoute.Kind {
			route = o
		}
	}
	if route == nil {
		return nil
	}
	routes, note, err := k8sres.GatewayRoutes(ctx, s.Gateway, route.GetNamespace(), func(ctx context.Context, ns string) ([]*unstructured.Unstructured, error) {
		return k8sres.ListObjects(ctx, env.Dynamic, k8sres.GVRHTTPRoute, ns)
	})
	if err != nil {
		return fmt.Errorf("%s; nothing was changed", trimDot(err.Error()))
	}
	for _, r := range routes {
		if r.GetNamespace() == route.GetNamespace() && r.GetName() == route.GetName() {
			route.SetCreationTimestamp(r.GetCreationTimestamp())
		}
	}
	gw := s.Gateway.Ref()
	p := k8sres.RouteShadows(route, gw, routes)
	if sh, ok := p.Whole(); ok {
		msg := fmt.Sprintf("HTTPRoute %s on Gateway %s would take every call to this setup's %s, to its own backend: %s. Nothing was changed", sh.Route, gw, sh.Match, sh.Why)
		if free := k8sres.FreePathPrefix(route, gw, routes); free != "" {
			return fmt.Errorf("%s. Give this setup a path of its own: --path-prefix %s", msg, free)
		}
		return fmt.Errorf("%s. Give this setup a path of its own with --path-prefix", msg)
	}
	for _, sh := range p.Shadows {
		s.Warnings = append(s.Warnings, strings.Replace(sh.String(), "before this route's", "before this setup's", 1))
	}
	if note != "" && len(p.Shadows) == 0 {
		s.Warnings = append(s.Warnings, "path "+s.Record.PathPrefix+" on Gateway "+gw+": "+note)
	}
	return nil
}
