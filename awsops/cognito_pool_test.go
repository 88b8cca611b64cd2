package awsops

import (
	"context"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
)

// TestPoolStepByIDOrName: the pool step EnsureIdentity and EnsureMachine share (ensurePool) and the pool the plans
// start from (plannedPool), on cognito-local: a pool named is created once then found; a pool given by id is read
// (its name and ARN: a pool found by name has no ARN, ListUserPools does not give it) and never changed; an id that names no pool is an error naming it; no pool yet plans "".
func TestPoolStepByIDOrName(t *testing.T) {
	c, _ := newCognito(t)
	ctx := context.Background()
	name := "poolstep-" + t.Name()
	if id, err := c.plannedPool(ctx, "", name); err != nil || id != "" {
		t.Fatalf("plannedPool before the pool exists = %q, %v; want \"\"", id, err)
	}
	created, step, err := c.ensurePool(ctx, "", name, PoolOptions{})
	if err != nil || created.ID == "" || created.Name != name || created.ARN == "" {
		t.Fatalf("ensurePool by name = %+v, %v", created, err)
	}
	if want := (PlanStep{Resource: "user-pool", Name: name, ID: created.ID, Action: plan.Create}); step != want {
		t.Fatalf("step %+v, want %+v", step, want)
	}
	t.Cleanup(func() { _, _ = c.DeleteUserPool(context.Background(), created.ID) })
	found, step, err := c.ensurePool(ctx, "", name, PoolOptions{})
	if err != nil || found.ID != created.ID || found.Name != name || step != (PlanStep{Resource: "user-pool", Name: name, ID: created.ID, Action: plan.Unchanged}) {
		t.Fatalf("ensurePool by name again = %+v %+v, %v", found, step, err)
	}
	byID, step, err := c.ensurePool(ctx, created.ID, "ignored-name", PoolOptions{})
	if err != nil || byID != created {
		t.Fatalf("ensurePool by id = %+v, %v; want %+v", byID, err, created)
	}
	if want := (PlanStep{Resource: "user-pool", Name: name, ID: created.ID, Action: plan.Unchanged}); step != want {
		t.Fatalf("step by id %+v, want %+v", step, want)
	}
	if n := poolsNamed(t, c, "ignored-name"); n != 0 {
		t.Fatalf("ensurePool by id created a pool by name (%d)", n)
	}
	for _, tc := range []struct{ id, name string }{{created.ID, "ignored-name"}, {"", name}} {
		if got, err := c.plannedPool(ctx, tc.id, tc.name); err != nil || got != created.ID {
			t.Fatalf("plannedPool(%q, %q) = %q, %v; want %s", tc.id, tc.name, got, err, created.ID)
		}
	}
	if _, _, err := c.ensurePool(ctx, "us-east-1_NoSuchPool", "", PoolOptions{}); err == nil || !strings.Contains(err.Error(), "reading user pool us-east-1_NoSuchPool") {
		t.Fatalf("ensurePool of a missing id: %v", err)
	}

	// EnsureIdentity on the pool given by id: its step is that pool, unchanged.
	id, err := c.EnsureIdentity(ctx, IdentitySpec{PoolID: created.ID, Client: ClientSpec{Name: "gateway"}, Username: "svc"})
	if err != nil || id.Pool != created || id.Steps[0] != (PlanStep{Resource: "user-pool", Name: name, ID: created.ID, Action: plan.Unchanged}) {
		t.Fatalf("EnsureIdentity by pool id: %v %+v", err, id.Steps)
	}
}
