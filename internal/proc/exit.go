package proc

import (
	"context"
	"time"
)

// ExitPoll is how often Exited looks at a process where the OS gives no exit notification.
const ExitPoll = 250 * time.Millisecond

// Exited returns a channel that is closed once process pid has exited — a zombie counts, it only waits for its
// parent to reap it — (at once when there is no such process). On Linux it waits on a pidfd, which also cannot
// be fooled by a new process reusing the pid; elsewhere, or when pidfd_open is refused, it polls every ExitPoll.
// Nothing is closed when ctx ends first.
func Exited(ctx context.Context, pid int) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		if waitExit(ctx, pid) {
			close(ch)
		}
	}()
	return ch
}

// pollExit checks gone every ExitPoll; true when it reported the process gone, false when ctx ended first.
func pollExit(ctx context.Context, pid int) bool {
	t := time.NewTicker(ExitPoll)
	defer t.Stop()
	for {
		if gone(pid) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}
