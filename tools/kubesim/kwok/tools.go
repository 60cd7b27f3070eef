//go:build tools

// Package kwok pins the kwok command that simulates the nodes of `make kube-sim`.
package kwok

import _ "sigs.k8s.io/kwok/cmd/kwok"
