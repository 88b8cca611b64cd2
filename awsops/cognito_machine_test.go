package awsops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal/cognitotest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
)

func TestDomainPrefix(t *testing.T) {
	for _, c := range []struct{ name, id, want string }{
		{"agentcore", "us-east-1_AbC123", "agentcore-abc123"},
		{"My Cognito_Pool", "local_Xy", "my-pool-xy"},
		{"AWS amazon", "eu-west-1_awsZ", "xz"},
		{strings.Repeat("a", 80), "local_q", strings.Repeat("a", 63)},
	} {
		if got := awsops.DomainPrefix(c.name, c.id); got != c.want {
			t.Errorf("DomainPrefix(%q, %q) = %q, want %q", c.name, c.id, got, c.want)
		}
	}
}

// EnsureMachine through the real SDK against cognito-local and its front (the internal/cognitoextra fake for
// resource servers and domains): everything created once, nothing twice, the plan read-only and right, an existing
// client missing the flow updated, a taken domain prefix skipped, deletes idempotent.
func TestEnsureMachine(t *testing.T) {
	cog := cognitotest.Shared(t)
	c := awsops.NewCognito(cog.AWSConfig())
	ctx := context.Background()
	spec := awsops.MachineSpec{PoolName: "machine-" + t.Name(), ResourceServer: "agentcore", Scopes: []string{"invoke"}, ClientName: "m2m"}

	steps, err := c.PlanMachine(ctx, spec)
	if err != nil || len(steps) != 4 || steps[0].Action != plan.Create || steps[2].Resource != "domain" {
		t.Fatalf("plan for a new pool: %v %+v", err, steps)
	}
	id, err := c.EnsureMachine(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !id.CreatedPool || !id.CreatedResourceServer || !id.CreatedDomain || !id.CreatedClient || id.Client.Secret == "" {
		t.Fatalf("first run must create everything: %+v", id)
	}
	if want := awsops.DomainPrefix(spec.PoolName, id.Pool.ID); id.Domain != want ||
		id.TokenURL != "https://"+want+".auth.us-east-1.amazoncognito.com/oauth2/token" {
		t.Fatalf("domain %q token URL %q", id.Domain, id.TokenURL)
	}
	_, d, err := c.DescribeAppClient(ctx, id.Pool.ID, id.Client.ID)
	if err != nil || !aws.ToBool(d.AllowedOAuthFlowsUserPoolClient) || len(d.AllowedOAuthFlows) != 1 ||
		d.AllowedOAuthFlows[0] != ciptypes.OAuthFlowTypeClientCredentials || strings.Join(d.AllowedOAuthScopes, " ") != "agentcore/invoke" {
		t.Fatalf("app client: %v %+v", err, d)
	}

	again, err := c.EnsureMachine(ctx, spec)
	if err != nil || again.CreatedPool || again.CreatedResourceServer || again.CreatedDomain || again.CreatedClient ||
		again.Client.ID != id.Client.ID || again.Domain != id.Domain || again.Client.Secret != id.Client.Secret {
		t.Fatalf("second run must find everything: %v %+v", err, again)
	}
	for _, st := range again.Steps {
		if st.Action != plan.Unchanged {
			t.Fatalf("second run changed %s", st.Resource)
		}
	}
	steps, err = c.PlanMachine(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if st.Action != plan.Unchanged {
			t.Fatalf("plan after the run: %+v", steps)
		}
	}

	// A second scope: the resource server gains it, the client is updated.
	spec2 := spec
	spec2.Scopes = []string{"invoke", "admin"}
	steps, err = c.PlanMachine(ctx, spec2)
	if err != nil || steps[1].Action != plan.Update || steps[3].Action != plan.Update {
		t.Fatalf("plan for a new scope: %v %+v", err, steps)
	}
	if _, err := c.EnsureMachine(ctx, spec2); err != nil {
		t.Fatal(err)
	}
	_, d, _ = c.DescribeAppClient(ctx, id.Pool.ID, id.Client.ID)
	if strings.Join(d.AllowedOAuthScopes, " ") != "agentcore/invoke agentcore/admin" {
		t.Fatalf("scopes after the update: %v", d.AllowedOAuthScopes)
	}

	// Another pool whose derived prefix is taken gets the next free one; an explicit taken prefix is refused.
	api := c.API.(*cip.Client)
	other, err := c.EnsureMachine(ctx, awsops.MachineSpec{PoolName: "other-" + t.Name(), ResourceServer: "agentcore", Scopes: []string{"invoke"},
		ClientName: "m2m", DomainPrefix: id.Domain})
	if err == nil || !strings.Contains(err.Error(), "--domain-prefix") {
		t.Fatalf("an explicit taken prefix: %v %+v", err, other)
	}
	taken := awsops.DomainPrefix(other.Pool.Name, other.Pool.ID)
	squat, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("squat-" + t.Name())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{Domain: aws.String(taken), UserPoolId: squat.UserPool.Id}); err != nil {
		t.Fatal(err)
	}
	o2, err := c.EnsureMachine(ctx, awsops.MachineSpec{PoolID: other.Pool.ID, ResourceServer: "agentcore", Scopes: []string{"invoke"}, ClientName: "m2m"})
	if err != nil || o2.Domain != taken+"-2" || !o2.CreatedDomain {
		t.Fatalf("a taken derived prefix must move on to the next free one: %v %q", err, o2.Domain)
	}
	for _, p := range []*string{aws.String(other.Pool.ID), squat.UserPool.Id} {
		if _, err := api.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: p}); err != nil {
			t.Fatal(err)
		}
	}

	// Deletes: each once, then "already gone".
	for i, want := range []bool{true, false} {
		if ok, err := c.DeleteAppClient(ctx, id.Pool.ID, id.Client.ID); err != nil || ok != want {
			t.Fatalf("delete client #%d: %v %v", i, ok, err)
		}
		if ok, err := c.DeleteDomain(ctx, id.Pool.ID, id.Domain); err != nil || ok != want {
			t.Fatalf("delete domain #%d: %v %v", i, ok, err)
		}
		if ok, err := c.DeleteResourceServer(ctx, id.Pool.ID, "agentcore"); err != nil || ok != want {
			t.Fatalf("delete resource server #%d: %v %v", i, ok, err)
		}
	}
	if _, err := c.DeleteUserPool(ctx, id.Pool.ID); err != nil {
		t.Fatal(err)
	}
}
