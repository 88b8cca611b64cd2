// Command kubectl-agentcore is the kubectl plugin `kubectl agentcore`.
package main

import (
	"os"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/startgc"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/root"
)

func main() {
	startgc.Restore()
	os.Exit(root.Execute())
}
