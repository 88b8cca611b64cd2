package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// snapshot is what teardown must give back: the cluster's objects (namespaces, and every object of the kinds the
// wizard writes or the Agent Gateway controller creates per Gateway, by kind/namespace/name), the Cognito pools by
// name, and the runtime's authorizer. Kinds the sandbox does not serve (the Enterprise ones unless asked) are
// left out.
func snapshot(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	nss, err := sb.Cluster.Kube().CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		if n.DeletionTimestamp == nil {
			out["namespace/"+n.Name] = ""
		}
	}
	for _, gvr := range []schema.GroupVersionResource{
		{Version: "v1", Resource: "secrets"}, {Version: "v1", Resource: "configmaps"},
		{Version: "v1", Resource: "services"}, {Version: "v1", Resource: "serviceaccounts"},
		{Group: "apps", Version: "v1", Resource: "deployments"},
		gvrRoute, {Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"},
		{Group: "agentgateway.dev", Version: "v1alpha1", Resource: "agentgatewaybackends"},
		{Group: "agentgateway.dev", Version: "v1alpha1", Resource: "agentgatewaypolicies"},
		{Group: "enterpriseagentgateway.solo.io", Version: "v1alpha1", Resource: "enterpriseagentgatewaypolicies"},
		{Group: "enterpriseagentgateway.solo.io", Version: "v1alpha1", Resource: "enterpriseagentgatewaybackends"},
		{Group: "ratelimit.solo.io", Version: "v1alpha1", Resource: "ratelimitconfigs"},
	} {
		l, err := sb.Cluster.Dynamic().Resource(gvr).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			t.Fatalf("listing %s: %v", gvr.Resource, err)
		}
		for _, o := range l.Items {
			if o.GetNamespace() == "kube-system" || strings.HasPrefix(o.GetName(), "kube-root-ca") {
				continue
			}
			out[gvr.Resource+"/"+o.GetNamespace()+"/"+o.GetName()] = ""
		}
	}
	pools, err := cognito().API.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools.UserPools {
		out["userpool/"+aws.ToString(p.Name)] = aws.ToString(p.Id)
	}
	out["runtime/authorizer"] = string(sb.Fake.Spec(runtimeID(echoARN()))["authorizerConfiguration"])
	return out
}

func diff(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "gone: "+k)
		} else if w != v && !strings.HasPrefix(k, "userpool/") {
			d = append(d, fmt.Sprintf("changed: %s %q → %q", k, v, w))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "left behind: "+k)
		}
	}
	sort.Strings(d)
	return d
}

// 4. Teardown leaves the cluster and the pool as they were before the wizard.
func TestTeardownRestores(t *testing.T) {
	need(t)
	// Start from nothing: remove what the earlier tests set up.
	if _, err := setup.Load(context.Background(), sb.Cluster.Kube(), setup.DefaultNamespace); err == nil {
		if r := kac(t, "teardown", "--yes", "--delete-user-pool"); r.code != 0 {
			t.Fatalf("teardown of the earlier setup: %s", r)
		}
	}
	waitNamespaceGone(t, setup.DefaultNamespace)
	before := snapshot(t)
	// What the controller created for the sandbox's Gateway is there, so the diff below shows teardown leaves it.
	for _, k := range []string{"deployments/", "services/", "serviceaccounts/", "configmaps/"} {
		if _, ok := before[k+sandbox.GatewayNamespace+"/"+sandbox.GatewayName]; !ok {
			t.Errorf("the controller's %s%s/%s is missing before the wizard", k, sandbox.GatewayNamespace, sandbox.GatewayName)
		}
	}
	if _, ok := before["secrets/"+sandbox.GatewayNamespace+"/"+sandbox.GatewayName+"-session-key"]; !ok {
		t.Errorf("the controller's Secret %s-session-key is missing before the wizard", sandbox.GatewayName)
	}
	if before["runtime/authorizer"] != "" && before["runtime/authorizer"] != "null" {
		t.Fatalf("the runtime still has an authorizer before the wizard: %s", before["runtime/authorizer"])
	}

	wizard(t, "rewrite", "--rate-limit", "100/minute", "--rate-limit-kind", "local")
	invokeOK(t, "before teardown")
	during := snapshot(t)
	if len(diff(before, during)) < 5 {
		t.Fatalf("the wizard changed too little to test teardown: %v", diff(before, during))
	}

	r := kac(t, "teardown", "--yes", "--delete-user-pool")
	if r.code != 0 {
		t.Fatalf("teardown: %s", r)
	}
	waitNamespaceGone(t, setup.DefaultNamespace)
	after := snapshot(t)
	if d := diff(before, after); len(d) > 0 {
		t.Fatalf("teardown did not restore the state before the wizard:\n%s\nteardown said:\n%s", strings.Join(d, "\n"), r)
	}
	if r := kac(t, "invoke", "after teardown"); r.code == 0 {
		t.Fatalf("invoke still works after teardown: %s", r)
	}
}

// waitNamespaceGone waits for a deleted namespace to disappear (the sandbox finalizes namespaces, as the namespace
// controller would).
func waitNamespaceGone(t *testing.T, name string) {
	t.Helper()
	eventually(t, 30*time.Second, func() string {
		ns, err := sb.Cluster.Kube().CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return ""
		}
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("namespace %s still exists (phase %s)", name, ns.Status.Phase)
	})
}
