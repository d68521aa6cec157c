//go:build tools

// Package tools lists the commands this module builds, so `go mod tidy` keeps their dependencies.
package tools

import (
	_ "github.com/temporalio/cli/cmd/temporal"
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
