package k8sres

import (
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestExplain(t *testing.T) {
	secrets := schema.GroupResource{Resource: "secrets"}
	cases := []struct {
		err  error
		want []string
	}{
		{apierrors.NewForbidden(secrets, "agentcore-jwt", errors.New(`User "limited" cannot update resource "secrets" in API group "" in the namespace "agentcore"`)),
			[]string{"forbidden (cannot update resource secrets)", "RBAC"}},
		{apierrors.NewForbidden(secrets, "x", errors.New(`unable to create new content in namespace agentcore because it is being terminated`)),
			[]string{"being deleted (Terminating)"}},
		{apierrors.NewNotFound(secrets, "agentcore-jwt"), []string{"not found"}},
		{apierrors.NewUnauthorized("bad token"), []string{"rejected the credentials"}},
		{errors.New(`Get "https://127.0.0.1:1/api": dial tcp 127.0.0.1:1: connect: connection refused`), []string{"cluster unreachable"}},
	}
	for _, c := range cases {
		explained := Explain("updating Secret agentcore/agentcore-jwt", c.err)
		if !errors.Is(explained, c.err) {
			t.Errorf("Explain(%v) lost its cause", c.err)
		}
		got := explained.Error()
		if !strings.HasPrefix(got, "updating Secret agentcore/agentcore-jwt: ") || strings.Contains(got, "\n") {
			t.Errorf("bad shape: %q", got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("Explain(%v) = %q, want it to contain %q", c.err, got, w)
			}
		}
	}
}

// The explanation replaces the message, not the cause: callers can still ask the API machinery what happened.
func TestExplainKeepsAPIStatus(t *testing.T) {
	err := Explain("reading Secret a/b", apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "b"))
	if err.Error() != "reading Secret a/b: not found" {
		t.Fatalf("message changed: %q", err)
	}
	if !apierrors.IsNotFound(err) {
		t.Fatal("apierrors.IsNotFound is false after Explain")
	}
	if apierrors.IsForbidden(err) {
		t.Fatal("apierrors.IsForbidden is true for a NotFound")
	}
}
