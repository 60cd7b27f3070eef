//go:build tools

// Package k8s pins the Kubernetes control-plane commands that `make kube-sim` builds; the imports
// let `go mod tidy` resolve their dependencies. It is never compiled into mlstack.
package k8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)
