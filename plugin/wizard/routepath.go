package wizard

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// checkRoutePath ranks the route this setup would apply against the HTTPRoutes the Gateway already accepted
// (Gateway API precedence, k8sres.RouteSet): a route that would take every request of the setup's path — the
// same path prefix on the same Gateway, from an older route, as the default /agentcore of a setup in another
// namespace — is an error before anything changes, naming a free prefix; one that would take only some requests
// is a warning. A rerun keeps its route's creation time, and its own route is not compared with itself.
func (s *Session) checkRoutePath(ctx context.Context, env *Env) error {
	v, err := s.rankRoutePath(ctx, env)
	if err != nil || v.route == nil {
		return err
	}
	gw := s.Gateway.Ref()
	if v.Taken != "" {
		msg := v.Taken + ". Nothing was changed"
		if v.Free != "" {
			return fmt.Errorf("%s. Give this setup a path of its own: --path-prefix %s", msg, v.Free)
		}
		return fmt.Errorf("%s. Give this setup a path of its own with --path-prefix", msg)
	}
	for _, sh := range v.shadows {
		s.Warnings = append(s.Warnings, strings.Replace(sh.String(), "before this route's", "before this setup's", 1))
	}
	if v.note != "" && len(v.shadows) == 0 {
		s.Warnings = append(s.Warnings, "path "+s.Record.PathPrefix+" on Gateway "+gw+": "+v.note)
	}
	return nil
}

// PathVerdict is what the Gateway's routes leave of a setup's path prefix.
type PathVerdict struct {
	// Taken says which route takes every call to the path, and by which rule ("" when none does).
	Taken string
	// Free is a prefix of the setup's own when the path is taken ("" when none was found).
	Free string

	route   *unstructured.Unstructured
	shadows []k8sres.Shadow
	note    string
}

// CheckPath is checkRoutePath for the terminal wizard's ⑤ page, before the plan: it reads only the cluster (the
// served kinds, the Gateway and its routes), so that a taken path is named, and a free one proposed, where the
// path is typed. The plan checks again.
func CheckPath(ctx context.Context, env *Env, cfg *Config) (PathVerdict, error) {
	if env.Dynamic == nil {
		return PathVerdict{}, nil
	}
	s := &Session{Cfg: cfg}
	var err error
	if s.Kinds, err = k8sres.DiscoverKinds(env.Discovery); err != nil {
		return PathVerdict{}, err
	}
	if s.Gateway, err = k8sres.GetGateway(ctx, env.Dynamic, env.Kube, cfg.GatewayNS, cfg.GatewayN); err != nil {
		return PathVerdict{}, err
	}
	s.Record = s.desiredRecord()
	return s.rankRoutePath(ctx, env)
}

// rankRoutePath is the one ranking of the setup's route (s.Record) among the Gateway's routes.
func (s *Session) rankRoutePath(ctx context.Context, env *Env) (PathVerdict, error) {
	if env.Dynamic == nil {
		return PathVerdict{}, nil
	}
	objs, err := k8sres.BuildManifests(s.manifestSpec(s.Record, ""))
	if err != nil {
		return PathVerdict{}, err
	}
	var v PathVerdict
	for _, o := range objs {
		if o.GetKind() == k8sres.GVKHTTPRoute.Kind {
			v.route = o
		}
	}
	if v.route == nil {
		return v, nil
	}
	routes, note, err := k8sres.GatewayRoutes(ctx, s.Gateway, v.route.GetNamespace(), func(ctx context.Context, ns string) ([]*unstructured.Unstructured, error) {
		return k8sres.ListObjects(ctx, env.Dynamic, k8sres.GVRHTTPRoute, ns)
	})
	if err != nil {
		return v, fmt.Errorf("%s; nothing was changed", trimDot(err.Error()))
	}
	for _, r := range routes {
		if r.GetNamespace() == v.route.GetNamespace() && r.GetName() == v.route.GetName() {
			v.route.SetCreationTimestamp(r.GetCreationTimestamp())
		}
	}
	gw := s.Gateway.Ref()
	set := k8sres.NewRouteSet(gw, routes) // parsed once for the ranking and the free prefix
	p := set.Rank(v.route)
	v.shadows, v.note = p.Shadows, note
	if sh, ok := p.Whole(); ok {
		v.Taken = fmt.Sprintf("HTTPRoute %s on Gateway %s would take every call to this setup's %s, to its own backend: %s", sh.Route, gw, sh.Match, sh.Why)
		v.Free = set.FreePathPrefix(v.route)
	}
	return v, nil
}
