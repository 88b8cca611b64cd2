// Package proc starts and stops the helper processes of the test cluster and the sandbox (etcd,
// kube-apiserver, kwok, cognito-local) the same way on Linux, macOS and Windows: in their own
// process group, killed with the parent where the OS allows it (Linux), stopped group-wide with SIGTERM then
// SIGKILL. Only the sandbox (cmd/agentcore-sandbox) and tests use it; it compiles for darwin and windows too.
package proc
