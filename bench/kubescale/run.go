package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// Ways of rolling the project out.
const (
	ordered   = "ordered"   // mlstack up -d --wait: each service applied once its depends_on holds
	unordered = "unordered" // kubectl apply --server-side of the exported manifests, all at once
)

// runTimeout bounds one rollout, from the child's start to every Deployment available.
const runTimeout = 10 * time.Minute

// trial is one timed rollout.
type trial struct {
	mode      string
	namespace string
	// ready is when the observer saw the last Deployment available; exited when the child exited.
	ready, exited time.Duration
	// maxRSS is the child's peak resident set in KiB (its own and its waited-for children's).
	maxRSS   int64
	timeline map[string]moments
}

// bench is what every trial shares.
type bench struct {
	client     kubernetes.Interface
	kubeconfig string
	context    string
	mlstack    string
	kubectl    string
	projectDir string
	manifests  []string // exported files, kustomization.yaml left out
	services   []service
}

// run rolls the project out in a fresh namespace, times it with the observer, and removes the
// namespace again.
func (b *bench) run(ctx context.Context, mode, namespace string) (trial, error) {
	t := trial{mode: mode, namespace: namespace}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubescale"}}}
	if _, err := b.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return t, fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	defer func() {
		if err := b.deleteNamespace(context.WithoutCancel(ctx), namespace); err != nil {
			fmt.Fprintf(os.Stderr, "kubescale: %v\n", err)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	obs, err := observe(ctx, b.client, namespace, len(b.services))
	if err != nil {
		return t, err
	}
	defer obs.close()
	cmd := b.command(ctx, mode, namespace)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.exited = time.Since(obs.start)
	if err != nil {
		return t, fmt.Errorf("%s rollout in %s: %s: %w\n%s", mode, namespace, cmd, err, out.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.maxRSS = ru.Maxrss
	}
	if t.ready, err = obs.wait(ctx); err != nil {
		return t, fmt.Errorf("%s rollout in %s: %w", mode, namespace, err)
	}
	t.timeline = obs.timeline()
	return t, nil
}

// command is the child process of one rollout.
func (b *bench) command(ctx context.Context, mode, namespace string) *exec.Cmd {
	var cmd *exec.Cmd
	if mode == ordered {
		cmd = exec.CommandContext(ctx, b.mlstack, "--kube-context", b.context, "--namespace", namespace, "up", "-d", "--wait")
	} else {
		args := []string{"--kubeconfig", b.kubeconfig, "--context", b.context, "apply", "--server-side", "-n", namespace}
		for _, f := range b.manifests {
			args = append(args, "-f", f)
		}
		cmd = exec.CommandContext(ctx, b.kubectl, args...)
	}
	cmd.Dir = b.projectDir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+b.kubeconfig, "NO_COLOR=1")
	return cmd
}

// deleteNamespace deletes a namespace and waits, on a watch, until it is gone, so that one run's
// teardown does not load the next.
func (b *bench) deleteNamespace(ctx context.Context, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	err := b.client.CoreV1().Namespaces().Delete(ctx, namespace, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete namespace %s: %w", namespace, err)
	}
	lw := cache.NewListWatchFromClient(b.client.CoreV1().RESTClient(), "namespaces", "", fields.OneTermEqualSelector("metadata.name", namespace))
	_, err = watchtools.UntilWithSync(ctx, lw, &corev1.Namespace{}, func(store cache.Store) (bool, error) {
		return len(store.List()) == 0, nil
	}, func(e watch.Event) (bool, error) { return e.Type == watch.Deleted, nil })
	if err != nil {
		return fmt.Errorf("waiting for namespace %s to be deleted: %w", namespace, err)
	}
	return nil
}
