//go:build tools

package main

// The protoc plugins gen-api.sh runs, pinned here: protoc-gen-go at the agentgateway module's protobuf version.
import (
	_ "google.golang.org/grpc/cmd/protoc-gen-go-grpc"
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
)
