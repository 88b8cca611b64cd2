//go:build tools

// Package tools pins the lint tools `make lint` runs (goimports), apart from the plugin's own module.
package tools

import _ "golang.org/x/tools/cmd/goimports"
