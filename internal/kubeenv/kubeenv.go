// Package kubeenv names the environment variables that select a Kubernetes cluster. It imports
// nothing, so the mlstack binary (which does not link client-go) and internal/kube share them.
package kubeenv

// Context and registry environment variables, read where --kube-context and --registry are not given.
const (
	Context  = "MLSTACK_KUBE_CONTEXT"
	Registry = "MLSTACK_REGISTRY"
)
