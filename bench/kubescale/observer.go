package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// serviceLabel is compose's service label, which mlstack's objects and the exported manifests carry.
const serviceLabel = "com.docker.compose.service"

// moments are when the observer first saw a service's Deployment, a running pod of it, and the
// Deployment available, as offsets from the run's start.
type moments struct {
	created, running, ready time.Duration
}

// observer times one run from the cluster's side: informers (a list, then a watch) on the
// namespace's Deployments and pods, recording when each service's objects appear and become ready.
// Both ways of rolling out are timed by it alone, so neither is judged by its own report.
type observer struct {
	start time.Time
	want  int
	mu    sync.Mutex
	seen  map[string]*moments
	ready int
	done  chan struct{}
	stop  context.CancelFunc
}

// observe starts watching namespace, which must be empty, for want services; the run's time zero is
// when it returns, watching.
func observe(ctx context.Context, client kubernetes.Interface, namespace string, want int) (*observer, error) {
	o := &observer{want: want, seen: map[string]*moments{}, done: make(chan struct{})}
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace))
	di, pi := f.Apps().V1().Deployments().Informer(), f.Core().V1().Pods().Informer()
	onDeployment := func(obj any) {
		if d, ok := obj.(*appsv1.Deployment); ok {
			o.deployment(d)
		}
	}
	onPod := func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok {
			o.pod(p)
		}
	}
	if _, err := di.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: onDeployment, UpdateFunc: func(_, n any) { onDeployment(n) }}); err != nil {
		return nil, fmt.Errorf("watch Deployments in %s: %w", namespace, err)
	}
	if _, err := pi.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: onPod, UpdateFunc: func(_, n any) { onPod(n) }}); err != nil {
		return nil, fmt.Errorf("watch pods in %s: %w", namespace, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	o.stop = cancel
	f.Start(wctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), di.HasSynced, pi.HasSynced) {
		cancel()
		return nil, fmt.Errorf("watch namespace %s: the first list did not finish: %w", namespace, context.Cause(ctx))
	}
	o.mu.Lock()
	o.start = time.Now()
	o.mu.Unlock()
	return o, nil
}

// close stops the watches.
func (o *observer) close() { o.stop() }

func (o *observer) moment(service string) *moments {
	m := o.seen[service]
	if m == nil {
		m = &moments{created: -1, running: -1, ready: -1}
		o.seen[service] = m
	}
	return m
}

func (o *observer) deployment(d *appsv1.Deployment) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Since(o.start)
	m := o.moment(d.Labels[serviceLabel])
	if m.created < 0 {
		m.created = now
	}
	if m.ready < 0 && available(d) {
		m.ready = now
		o.ready++
		if o.ready == o.want {
			close(o.done)
		}
	}
}

func (o *observer) pod(p *corev1.Pod) {
	if p.Status.Phase != corev1.PodRunning {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Since(o.start)
	if m := o.moment(p.Labels[serviceLabel]); m.running < 0 {
		m.running = now
	}
}

// wait returns when every service's Deployment is available, with the moment the last became so.
func (o *observer) wait(ctx context.Context) (time.Duration, error) {
	select {
	case <-o.done:
	case <-ctx.Done():
		o.mu.Lock()
		defer o.mu.Unlock()
		return 0, fmt.Errorf("waiting for %d Deployments to be available (%d are): %w", o.want, o.ready, context.Cause(ctx))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var last time.Duration
	for _, m := range o.seen {
		last = max(last, m.ready)
	}
	return last, nil
}

// timeline is a copy of what was seen, by service.
func (o *observer) timeline() map[string]moments {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]moments{}
	for s, m := range o.seen {
		out[s] = *m
	}
	return out
}

// available is `kubectl rollout status`'s test: the current spec observed, and every replica
// updated and available.
func available(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration < d.Generation {
		return false
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Status.UpdatedReplicas >= want && d.Status.AvailableReplicas >= want && d.Status.Replicas == d.Status.UpdatedReplicas
}
