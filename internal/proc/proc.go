// Package proc starts and stops the helper processes of the test cluster and the sandbox (etcd,
// kube-apiserver, kwok, cognito-local) the same way on every platform the plugin is built for: in their own
// process group, killed with the parent where the OS allows it (Linux), stopped group-wide with SIGTERM then
// SIGKILL. The plugin links the sandbox, so this must compile for darwin and windows too.
package proc
