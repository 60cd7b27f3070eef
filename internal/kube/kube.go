// Package kube runs a compose project on a Kubernetes cluster: it maps services to objects, applies
// them with server-side apply in dependency order, waits on watches, and runs training Jobs. It is
// the only package that imports client-go.
package kube

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// watchListGate is client-go's switch for streaming lists over watches, which needs etcd 3.5's
// RequestWatchProgress: clusters on etcd 3.4 (the simulated one included) never answer such lists.
const watchListGate = "KUBE_FEATURE_WatchListClient"

// Client-side rate limit of every request mlstack makes to the cluster.
const (
	clientQPS   = 50
	clientBurst = 300
)

// connectTimeout bounds the first request, so a cluster that does not answer is named at once.
const connectTimeout = 10 * time.Second

// Cluster is a connection to one kube context.
type Cluster struct {
	Client kubernetes.Interface
	// Context is the kube context's name; Server its API server's address.
	Context string
	Server  string
	// Namespace is the context's namespace, empty when it sets none.
	Namespace string
}

// Connect reads the kubeconfig as kubectl does (KUBECONFIG, else ~/.kube/config), selects the
// context (kubeContext) and checks that its API server answers.
func Connect(ctx context.Context, kubeContext string) (*Cluster, error) {
	if _, set := os.LookupEnv(watchListGate); !set {
		// Lists stream over watches only where this is on; off works with every API server.
		_ = os.Setenv(watchListGate, "false")
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	raw, err := cfg.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("kube context %q: read the kubeconfig: %w", kubeContext, err)
	}
	if _, ok := raw.Contexts[kubeContext]; !ok {
		return nil, fmt.Errorf("kube context %q: not in the kubeconfig (%s); kubectl config get-contexts lists them", kubeContext, kubeconfigPaths(rules))
	}
	rest, err := cfg.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kube context %q: %w", kubeContext, err)
	}
	rest.UserAgent = "mlstack"
	// client-go's default of 5 requests a second (burst 10) made `up` of 100 services wait on
	// itself: each service is a few applies, and a root's dependents are applied all at once when it
	// becomes ready. The API server's priority and fairness protects it, as for kubectl's discovery.
	rest.QPS, rest.Burst = clientQPS, clientBurst
	client, err := kubernetes.NewForConfig(rest)
	if err != nil {
		return nil, fmt.Errorf("kube context %q: %w", kubeContext, err)
	}
	ns, explicit, err := cfg.Namespace()
	if err != nil || !explicit {
		ns = ""
	}
	c := &Cluster{Client: client, Context: kubeContext, Server: rest.Host, Namespace: ns}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error(); err != nil {
		return nil, fmt.Errorf("kube context %q: the API server at %s does not answer: %w", kubeContext, rest.Host, err)
	}
	return c, nil
}

func kubeconfigPaths(r *clientcmd.ClientConfigLoadingRules) string {
	if p := r.GetExplicitFile(); p != "" {
		return p
	}
	if len(r.Precedence) == 1 {
		return r.Precedence[0]
	}
	return fmt.Sprint(r.Precedence)
}
