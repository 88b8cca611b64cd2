package wizard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// verify waits (up to Env.VerifyTimeout) for the controller's statuses: backend Accepted, route Accepted and
// ResolvedRefs, policies Accepted and Attached; then runs Env.Verify (the doctor checks that apply).
func verify(ctx context.Context, env *Env, rec *setup.Record) []VerifyCheck {
	timeout := env.VerifyTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	type target struct {
		id   string
		gvk  schema.GroupVersionKind
		name string
		want func(*unstructured.Unstructured) (bool, string)
	}
	bgv, _ := schema.ParseGroupVersion(rec.BackendAPIVersion)
	pgv, _ := schema.ParseGroupVersion(rec.PolicyAPIVersion)
	targets := []target{
		{"resources.backend-accepted", bgv.WithKind(rec.BackendKind), rec.BackendName, backendAccepted},
		{"resources.route-accepted", k8sres.GVKHTTPRoute, rec.RouteName, routeAccepted},
	}
	if rec.PolicyName != "" && rec.PolicyKind != "" {
		targets = append(targets, target{"resources.policy-attached", pgv.WithKind(rec.PolicyKind), rec.PolicyName, policyAttached})
	}
	if rec.JWTPolicyName != "" && rec.PolicyKind != "" {
		targets = append(targets, target{"resources.jwt-policy-attached", pgv.WithKind(rec.PolicyKind), rec.JWTPolicyName, policyAttached})
	}
	if rec.TrafficPolicyName != "" && rec.PolicyKind != "" {
		targets = append(targets, target{"resources.traffic-policy-attached", pgv.WithKind(rec.PolicyKind), rec.TrafficPolicyName, policyAttached})
	}
	deadline := time.Now().Add(timeout)
	var out []VerifyCheck
	for _, t := range targets {
		for {
			obj := getLive(ctx, env, objRef(t.gvk, rec.Namespace, t.name))
			ok, detail := false, "not found"
			if obj != nil {
				ok, detail = t.want(obj)
				if ok {
					if stale := k8sres.StaleConditions(obj); len(stale) > 0 {
						ok, detail = false, "status is for an older generation: "+strings.Join(stale, ", ")
					}
				}
			}
			what := t.gvk.Kind + " " + k8sres.Ref(rec.Namespace, t.name)
			if ok {
				out = append(out, VerifyCheck{ID: t.id, Status: "pass", Detail: what + ": " + detail})
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				st, hint := "fail", ""
				if obj != nil && !k8sres.HasStatus(obj) {
					st = "warn"
					hint = fmt.Sprintf("no controller has written a status yet: check that Agent Gateway runs (kubectl get pods -n %s) and that Gateway %s is Programmed", rec.GatewayNamespace, rec.Gateway())
				}
				out = append(out, VerifyCheck{ID: t.id, Status: st, Detail: what + ": " + detail, Hint: hint})
				break
			}
			env.emit(StepVerify, "running", "waiting for "+what)
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	if env.Verify != nil {
		more, err := env.Verify(ctx, rec)
		if err != nil {
			out = append(out, VerifyCheck{ID: "doctor", Status: "warn", Detail: "doctor checks did not run: " + err.Error()})
		}
		out = append(out, more...)
	}
	return out
}

func objRef(gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func backendAccepted(o *unstructured.Unstructured) (bool, string) {
	c, ok := k8sres.FindCondition(k8sres.ObjectConditions(o), "Accepted")
	if !ok {
		return false, "no Accepted condition yet"
	}
	return c.True(), c.String()
}

func routeAccepted(o *unstructured.Unstructured) (bool, string) {
	ps := k8sres.RouteParents(o)
	if len(ps) == 0 {
		return false, "no parent status yet"
	}
	var details []string
	all := true
	for _, p := range ps {
		for _, t := range []string{"Accepted", "ResolvedRefs"} {
			c, ok := p.Condition(t)
			if !ok || !c.True() {
				all = false
				if ok {
					details = append(details, p.Ref+" "+c.String())
				} else {
					details = append(details, p.Ref+" no "+t)
				}
			}
		}
	}
	if all {
		return true, "Accepted, ResolvedRefs"
	}
	return false, strings.Join(details, "; ")
}

// policyAttached wants every ancestor Accepted (not PartiallyValid) and Attached. The Agent Gateway controller
// leaves Attached out while a policy is PartiallyValid (e.g. "secret ns/name not found") and keeps an old
// Attached=True when the policy turns PartiallyValid again, so PartiallyValid decides; its summary ancestor
// (StatusSummary, Attached=False reason Pending) names a target that does not exist yet.
func policyAttached(o *unstructured.Unstructured) (bool, string) {
	ps := k8sres.PolicyAncestors(o)
	if len(ps) == 0 {
		return false, "no ancestor status yet"
	}
	attached := false
	for _, p := range ps {
		acc, ok1 := p.Condition("Accepted")
		att, ok2 := p.Condition("Attached")
		switch {
		case p.Summary && ok2 && !att.True():
			return false, "not attached: " + att.Text()
		case p.Summary:
		case !ok1:
			return false, p.Ref + ": not Accepted yet"
		case acc.Reason == "PartiallyValid":
			return false, "PartiallyValid: " + acc.Text()
		case !acc.True():
			return false, acc.String()
		case ok2 && !att.True():
			return false, p.Ref + ": " + att.String()
		default:
			attached = true
		}
	}
	if !attached {
		return false, "not Accepted/Attached yet"
	}
	return true, "Accepted, Attached"
}
