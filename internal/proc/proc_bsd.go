//go:build unix && !linux

package proc

import (
	"context"
	"os/exec"
	"syscall"
)

// Own puts cmd in its own process group (no parent-death signal outside Linux: Stop must be called).
func Own(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// Detach starts cmd in a new session, so it outlives the starting process (sandbox up).
func Detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

// waitExit polls (no exit notification for an unrelated process here).
func waitExit(ctx context.Context, pid int) bool { return pollExit(ctx, pid) }

// gone: no process with this pid (a zombie still counts as present here).
func gone(pid int) bool { return !Alive(pid) }
