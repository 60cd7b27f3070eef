// Package kubesim holds the integration tests of mlstack on the simulated cluster of `make kube-sim`
// (a real API server, scheduler and controllers; kwok's nodes cpu-0, cpu-1 and gpu-0). `make
// kube-test` runs them; they need MLSTACK_KUBECONFIG and fail without it when MLSTACK_KUBE_REQUIRED
// is set, as CI sets it.
package kubesim
