package proc

import (
	"os/exec"
	"syscall"
)

// Own puts cmd in its own process group and has the kernel kill it when the starting process dies.
func Own(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// Detach starts cmd in a new session, so it outlives the starting process (sandbox up).
func Detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
