// Package proc starts and stops the helper processes of the test cluster and the sandbox (etcd,
// kube-apiserver, kwok, the controller, cognito-local, oidc-provider) the same way on Linux, macOS and Windows: in their own
// process group, killed with the parent where the OS allows it (Linux), stopped group-wide with SIGTERM then
// SIGKILL. Only the sandbox (cmd/agentcore-sandbox) and tests use it; it compiles for darwin and windows too.
package proc

import (
	"net"
	"os/exec"
	"sync"
	"time"
)

// StopGrace is how long Stop waits after SIGTERM before it kills the group.
const StopGrace = 5 * time.Second

// Process is a helper process started in its own process group by Start and waited for in the background: the
// one way the test cluster's parts, cognito-local and oidc-provider are run and stopped.
type Process struct {
	Cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
	// exited runs after the process has exited and been waited for (closing a log file, a pipe).
	exited func()
}

// Start starts cmd in its own process group (Own); exited, when not nil, runs once the process has exited.
func Start(cmd *exec.Cmd, exited func()) (*Process, error) {
	Own(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{Cmd: cmd, done: make(chan struct{}), exited: exited}
	go func() {
		_ = cmd.Wait()
		if p.exited != nil {
			p.exited()
		}
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// PID is the process id (the group's id too).
func (p *Process) PID() int { return p.Cmd.Process.Pid }

// Stop asks the whole group to stop (SIGTERM), kills it when it has not exited after StopGrace, and waits.
// Calling it again does nothing.
func (p *Process) Stop() {
	p.once.Do(func() {
		_ = TerminateGroup(p.PID())
		select {
		case <-p.done:
		case <-time.After(StopGrace):
			_ = KillGroup(p.PID())
			<-p.done
		}
	})
}

// FreePort is a TCP port on 127.0.0.1 that nothing listens on now (another process may take it before it is
// used: callers retry on "address in use").
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
