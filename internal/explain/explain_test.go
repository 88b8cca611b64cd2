package explain

import (
	"errors"
	"io/fs"
	"testing"
)

func TestMessageIsTheExplanationAndCauseStaysReachable(t *testing.T) {
	err := Newf(fs.ErrNotExist, "reading %s: not there. Create it", "x")
	if err.Error() != "reading x: not there. Create it" {
		t.Fatalf("message %q", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("errors.Is lost the cause")
	}
	var e *Error
	if !errors.As(err, &e) || e.Cause != fs.ErrNotExist {
		t.Fatalf("errors.As: %#v", e)
	}
	if errors.Unwrap(New(nil, "plain")) != nil {
		t.Fatal("a nil cause must unwrap to nil")
	}
}
