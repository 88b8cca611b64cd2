package proc

import (
	"context"
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

// Exited closes once the process has exited, even before its parent reaps it (a zombie), and at once for a pid
// that names no process; it stays open while the process runs.
func TestExited(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Exited(ctx, cmd.Process.Pid)
	select {
	case <-ch:
		t.Fatal("Exited closed while the process runs")
	case <-time.After(2 * ExitPoll):
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select { // not reaped yet: a zombie
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("Exited did not close within 10s of the kill")
	}
	_ = cmd.Wait()
	select {
	case <-Exited(ctx, cmd.Process.Pid):
	case <-time.After(10 * time.Second):
		t.Fatal("Exited of a reaped pid did not close")
	}
}
