package doctor

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Check ids. They are stable: docs/checks.md lists each with what it means.
const (
	IDClusterReachable   = "cluster.reachable"
	IDClusterPermissions = "cluster.permissions"
	IDClusterKinds       = "cluster.agentgateway-kinds"
)

func (d *Doctor) clusterChecks() []Check {
	st := d.st
	return []Check{
		{ID: IDClusterReachable, Category: CatCluster, Title: "reachable", Run: func(ctx context.Context) Outcome {
			v, err := st.version.get(ctx)
			if err != nil {
				return fail(k8sres.Explain("reaching the API server "+d.deps.Server, err).Error(),
					"Check the kube context (kubectl config current-context), the network/VPN and your login.", "")
			}
			return pass("Kubernetes %s at %s", v.GitVersion, d.deps.Server)
		}},
		{ID: IDClusterPermissions, Category: CatCluster, Title: "permissions", Deps: []string{IDClusterReachable}, Run: d.checkPermissions},
		{ID: IDClusterKinds, Category: CatCluster, Title: "Agent Gateway kinds", Deps: []string{IDClusterReachable}, Run: func(ctx context.Context) Outcome {
			k, err := st.kinds.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			if err := k.Require(); err != nil {
				return fail(err.Error(), "doctor reads Gateway API routes and Agent Gateway backends and policies; without their CRDs there is nothing to check.", "")
			}
			switch k.Flavor() {
			case "enterprise":
				return pass("Enterprise Agent Gateway kinds (EnterpriseAgentgatewayPolicy%s)", map[bool]string{true: ", EnterpriseAgentgatewayBackend", false: ""}[k.EnterpriseBackend])
			default:
				return pass("open-source Agent Gateway kinds (agentgateway.dev/v1alpha1)")
			}
		}},
	}
}

type access struct {
	verb, group, resource, namespace string
	// optional accesses only count when the kind is served.
	onlyIf func() bool
}

func (a access) String() string {
	r := a.resource
	if a.group != "" {
		r += "." + a.group
	}
	if a.namespace == "" {
		return a.verb + " " + r + " (all namespaces)"
	}
	return a.verb + " " + r + " in " + a.namespace
}

// accessWanted is what doctor reads, as access questions: the route's kinds and the record in the route's
// namespace, Gateways in the Gateway's (o.Gateway's, else the record's, else the default gateway namespace), the
// token Secret in its own. served says whether an optional kind is served (nil: every question counts).
// doctor --all asks the same questions ahead of the setups' runs (fleetShare.askAhead).
func accessWanted(o Options, served func() (k8sres.Kinds, bool)) []access {
	ns := cmp.Or(o.Route.Namespace, o.Namespace, setup.DefaultNamespace)
	gwNS := o.Gateway.Namespace
	if gwNS == "" && o.Route.IsZero() && o.Record != nil {
		gwNS = o.Record.WithDefaults().GatewayNamespace
	}
	gwNS = cmp.Or(gwNS, setup.DefaultGatewayNamespace)
	secNS := cmp.Or(o.Secret.Namespace, ns)
	if served == nil {
		served = func() (k8sres.Kinds, bool) { return k8sres.Kinds{}, false }
	}
	oss := func(has func(k8sres.Kinds) bool) func() bool {
		return func() bool { k, ok := served(); return !ok || has(k) }
	}
	enterprise := func(has func(k8sres.Kinds) bool) func() bool {
		return func() bool { k, _ := served(); return has(k) }
	}
	want := []access{
		{verb: "get", group: k8sres.GroupGatewayAPI, resource: "httproutes", namespace: ns},
		{verb: "get", group: k8sres.GroupGatewayAPI, resource: "gateways", namespace: gwNS},
		{verb: "get", group: k8sres.GroupOSS, resource: "agentgatewaybackends", namespace: ns, onlyIf: oss(func(k k8sres.Kinds) bool { return k.Backend })},
		{verb: "list", group: k8sres.GroupOSS, resource: "agentgatewaypolicies", namespace: ns, onlyIf: oss(func(k k8sres.Kinds) bool { return k.Policy })},
		{verb: "get", group: k8sres.GroupEnterprise, resource: "enterpriseagentgatewaybackends", namespace: ns, onlyIf: enterprise(func(k k8sres.Kinds) bool { return k.EnterpriseBackend })},
		{verb: "list", group: k8sres.GroupEnterprise, resource: "enterpriseagentgatewaypolicies", namespace: ns, onlyIf: enterprise(func(k k8sres.Kinds) bool { return k.EnterprisePolicy })},
	}
	if o.Route.IsZero() {
		want = append(want, access{verb: "get", resource: "configmaps", namespace: ns})
	}
	if o.Token == "" {
		want = append(want, access{verb: "get", resource: "secrets", namespace: secNS})
	}
	return want
}

func (d *Doctor) checkPermissions(ctx context.Context) Outcome {
	o := d.opts
	// Gateways are asked about where the setup's Gateway is: the record says (read once for the run), or the
	// route's parentRef when flags name the route alone. What cannot be read is resources.setup's finding; the
	// question then stays in the default gateway namespace.
	switch {
	case !o.Gateway.IsZero():
	case o.Route.IsZero() && o.Record == nil:
		if rec, err := d.st.record.get(ctx); err == nil && rec != nil {
			o.Record = rec
		}
	case !o.Route.IsZero():
		if t, err := d.st.target.get(ctx); err == nil {
			o.Gateway = t.gatewayRef
		}
	}
	var kindsOK bool
	var kinds k8sres.Kinds
	var kindsOnce sync.Once
	want := accessWanted(o, func() (k8sres.Kinds, bool) {
		kindsOnce.Do(func() {
			k, err := d.st.kinds.get(ctx)
			kinds, kindsOK = k, err == nil
		})
		return kinds, kindsOK
	})
	type answer struct {
		a       access
		allowed bool
		err     error
	}
	answers := make([]answer, len(want))
	var user string
	var wg sync.WaitGroup
	f := d.deps.fleet
	for i, a := range want {
		if f != nil {
			if ok, err, known := f.allowed(ctx, d.deps, a, true); known {
				answers[i] = answer{a: a, err: err, allowed: ok}
				continue
			}
		}
		wg.Go(func() {
			if f != nil {
				ok, err, _ := f.allowed(ctx, d.deps, a, false)
				answers[i] = answer{a: a, err: err, allowed: ok}
				return
			}
			r, err := d.deps.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
				Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
					Verb: a.verb, Group: a.group, Resource: a.resource, Namespace: a.namespace}},
			}, metav1.CreateOptions{})
			answers[i] = answer{a: a, err: err, allowed: err == nil && r.Status.Allowed}
		})
	}
	if f != nil {
		user, _ = f.user.get(ctx)
	} else {
		wg.Go(func() {
			r, err := d.deps.Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err == nil {
				user = r.Status.UserInfo.Username
			}
		})
	}
	wg.Wait()
	var denied []string
	resources := map[string][]string{} // by namespace ("" = cluster-wide)
	for _, an := range answers {
		if an.a.onlyIf != nil && !an.a.onlyIf() {
			continue
		}
		if an.err != nil {
			return fail(k8sres.Explain("asking the API server what you may read (SelfSubjectAccessReview)", an.err).Error(), "", "")
		}
		if !an.allowed {
			denied = append(denied, "cannot "+an.a.String())
			r := an.a.resource
			if an.a.group != "" {
				r += "." + an.a.group
			}
			if !slices.Contains(resources[an.a.namespace], r) {
				resources[an.a.namespace] = append(resources[an.a.namespace], r)
			}
		}
	}
	if len(denied) == 0 {
		return pass("may read everything doctor checks (%d access reviews)", len(answers))
	}
	who := "you"
	if user != "" {
		who = "user " + user
	}
	// The fix grants what was denied where it was denied: a Role per namespace (least privilege), a ClusterRole
	// only for a question across namespaces.
	var fixes []string
	for _, ns := range slices.Sorted(maps.Keys(resources)) {
		if user == "" {
			break // nobody to bind the role to
		}
		rs := resources[ns]
		sort.Strings(rs)
		if ns == "" {
			fixes = append(fixes, fmt.Sprintf("kubectl create clusterrole agentcore-doctor --verb=get,list --resource=%s && kubectl create clusterrolebinding agentcore-doctor --clusterrole=agentcore-doctor --user=%s",
				strings.Join(rs, ","), user))
			continue
		}
		fixes = append(fixes, fmt.Sprintf("kubectl create role agentcore-doctor -n %s --verb=get,list --resource=%s && kubectl create rolebinding agentcore-doctor -n %s --role=agentcore-doctor --user=%s",
			ns, strings.Join(rs, ","), ns, user))
	}
	fix := strings.Join(fixes, " && ")
	return fail(who+" "+strings.Join(denied, "; "),
		"doctor only reads; ask your cluster admin for these read permissions (the fix is what an admin would run), or check the token and authorizer offline with --token-file and --authorizer-file.",
		fix)
}
