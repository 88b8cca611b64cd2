package cmdutil

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestFailKeepsTheLineAndTheCause(t *testing.T) {
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "jwt")
	err := Fail("reading Secret ns/jwt", notFound, "Run the wizard")
	if want := `reading Secret ns/jwt: secrets "jwt" not found. Run the wizard`; err.Error() != want {
		t.Fatalf("line %q, want %q", err, want)
	}
	if !apierrors.IsNotFound(err) || !errors.Is(err, notFound) {
		t.Fatal("the cause is gone: apierrors.IsNotFound / errors.Is are false")
	}
	// Wrapped again by a caller, the cause is still there.
	if !apierrors.IsNotFound(fmt.Errorf("setup: %w", err)) {
		t.Fatal("lost the cause through %w")
	}
	if Fail("x", nil, "") == nil || Fail("x", nil, "").Error() != "x" {
		t.Fatal("Fail without a cause")
	}
}

func TestExitCodeSeesThroughFail(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("plain"), ExitFailure},
		{UsageErrorf("bad flag"), ExitUsage},
		{Fail("checking", UsageErrorf("--x: bad"), ""), ExitUsage},
		{fmt.Errorf("outer: %w", ErrFindings), ExitFindings},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
