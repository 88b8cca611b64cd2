//go:build unix && !linux

package proc

import (
	"os/exec"
	"syscall"
)

// Own puts cmd in its own process group (no parent-death signal outside Linux: Stop must be called).
func Own(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// Detach starts cmd in a new session, so it outlives the starting process (sandbox up).
func Detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
