package proc

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Own puts cmd in its own process group and has the kernel kill it when the starting process dies.
func Own(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// Detach starts cmd in a new session, so it outlives the starting process (sandbox up).
func Detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

// waitExit waits on a pidfd for pid's exit (readable once the process has terminated, zombie or reaped), in
// ExitPoll slices so ctx is noticed; without pidfd_open (kernels before 5.3, seccomp) it polls.
func waitExit(ctx context.Context, pid int) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ESRCH {
		return true
	}
	if err != nil {
		return pollExit(ctx, pid)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for ctx.Err() == nil {
		n, err := unix.Poll(fds, int(ExitPoll/time.Millisecond))
		if err != nil && err != unix.EINTR {
			return pollExit(ctx, pid)
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// gone: no process, or one that exited and waits to be reaped (state Z in /proc/PID/stat).
func gone(pid int) bool {
	if !Alive(pid) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}
