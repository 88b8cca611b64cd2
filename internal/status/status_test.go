package status

import "testing"

func TestOK(t *testing.T) {
	for s, want := range map[Status]bool{Pass: true, Warn: true, Fail: false, Skip: false, Running: false, Pending: false} {
		if s.OK() != want {
			t.Errorf("%s.OK() = %v", s, !want)
		}
	}
}
