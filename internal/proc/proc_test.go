package proc

import (
	"os/exec"
	"testing"
	"time"
)

func TestOwnTerminateGroup(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	Own(cmd)
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if !Alive(cmd.Process.Pid) {
		t.Fatal("started process not alive")
	}
	if err := TerminateGroup(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = KillGroup(cmd.Process.Pid)
		t.Fatal("process group did not stop on TerminateGroup")
	}
}
