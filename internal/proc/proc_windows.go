//go:build windows

package proc

import (
	"context"
	"os"
	"os/exec"
)

// Own leaves cmd as it is on Windows (no process groups here).
func Own(cmd *exec.Cmd) {}

// Detach leaves cmd as it is on Windows.
func Detach(cmd *exec.Cmd) {}

func kill(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// TerminateGroup stops the process (Windows has no SIGTERM: it is killed).
func TerminateGroup(pid int) error { return kill(pid) }

// KillGroup kills the process.
func KillGroup(pid int) error { return kill(pid) }

// Terminate stops the process.
func Terminate(pid int) error { return kill(pid) }

// Kill kills the process.
func Kill(pid int) error { return kill(pid) }

// Alive reports whether a process with this pid exists.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// waitExit polls.
func waitExit(ctx context.Context, pid int) bool { return pollExit(ctx, pid) }

func gone(pid int) bool { return !Alive(pid) }
