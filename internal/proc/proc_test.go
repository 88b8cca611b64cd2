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

func TestProcessStartStop(t *testing.T) {
	exited := make(chan struct{})
	p, err := Start(exec.Command("sleep", "30"), func() { close(exited) })
	if err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	if !Alive(p.PID()) {
		t.Fatal("started process not alive")
	}
	stopped := make(chan struct{})
	go func() { p.Stop(); p.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(StopGrace + 10*time.Second):
		t.Fatal("Stop did not return")
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	select {
	case <-exited:
	default:
		t.Fatal("the exit hook did not run before Done")
	}
	if port, err := FreePort(); err != nil || port <= 0 {
		t.Fatalf("FreePort = %d, %v", port, err)
	}
}
