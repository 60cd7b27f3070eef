//go:build tools

// Package tools pins Docker Compose v5, the reference `make bench` measures mlstack against.
package tools

import _ "github.com/docker/compose/v5/cmd"
