// Command kubectl-agentcore is the kubectl plugin `kubectl agentcore`.
package main

import (
	"os"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/root"
)

func main() { os.Exit(root.Execute()) }
