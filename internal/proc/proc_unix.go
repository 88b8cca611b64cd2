//go:build unix

package proc

import "syscall"

// TerminateGroup asks the process group led by pid to stop (SIGTERM).
func TerminateGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGTERM) }

// KillGroup kills the process group led by pid (SIGKILL).
func KillGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// Terminate asks one process to stop (SIGTERM).
func Terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }

// Kill kills one process (SIGKILL).
func Kill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// Alive reports whether a process with this pid exists.
func Alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }
