package kube

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Tracker holds the project's pods, Deployments and Jobs as the API server's watches report them
// (informers: one list, then a watch, re-listed when a watch expires), and wakes waiters on every
// change. Waiters re-read the whole current state each time, so a missed or stale event never
// decides anything.
type Tracker struct {
	pods   corelisters.PodLister
	deps   appslisters.DeploymentLister
	jobs   batchlisters.JobLister
	rss    appslisters.ReplicaSetLister
	mu     sync.Mutex
	wake   chan struct{}
	stop   context.CancelFunc
	synced []cache.InformerSynced
}

// NewTracker starts watching the objects that match selector in namespace; Close stops it.
func NewTracker(ctx context.Context, client kubernetes.Interface, namespace, selector string) (*Tracker, error) {
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	t := &Tracker{wake: make(chan struct{})}
	pi, di, ji, ri := f.Core().V1().Pods(), f.Apps().V1().Deployments(), f.Batch().V1().Jobs(), f.Apps().V1().ReplicaSets()
	t.pods, t.deps, t.jobs, t.rss = pi.Lister(), di.Lister(), ji.Lister(), ri.Lister()
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { t.changed() },
		UpdateFunc: func(any, any) { t.changed() },
		DeleteFunc: func(any) { t.changed() },
	}
	for _, inf := range []cache.SharedIndexInformer{pi.Informer(), di.Informer(), ji.Informer(), ri.Informer()} {
		if _, err := inf.AddEventHandler(h); err != nil {
			return nil, fmt.Errorf("watch namespace %s: %w", namespace, err)
		}
		t.synced = append(t.synced, inf.HasSynced)
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t.stop = cancel
	f.Start(wctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), t.synced...) {
		cancel()
		return nil, fmt.Errorf("watch namespace %s: the first list did not finish: %w", namespace, context.Cause(ctx))
	}
	return t, nil
}

// Close stops the watches.
func (t *Tracker) Close() { t.stop() }

func (t *Tracker) changed() {
	t.mu.Lock()
	close(t.wake)
	t.wake = make(chan struct{})
	t.mu.Unlock()
}

func (t *Tracker) waker() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.wake
}

// Until re-evaluates check on every change until it reports done or an error, or ctx ends; the
// error then names what was waited for.
func (t *Tracker) Until(ctx context.Context, what string, check func() (bool, error)) error {
	for {
		w := t.waker()
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, context.Cause(ctx))
		case <-w:
		}
	}
}

// Pods lists the current pods of a service (one-off ones too when oneOff is true; only them then).
func (t *Tracker) Pods(service string, oneOff bool) []*corev1.Pod {
	sel := labels.SelectorFromSet(map[string]string{labelService: Name(service), labelOneOff: oneOffValue(oneOff)})
	pods, _ := t.pods.List(sel)
	return pods
}

// AllPods lists every pod of the project the tracker sees.
func (t *Tracker) AllPods() []*corev1.Pod {
	pods, _ := t.pods.List(labels.Everything())
	return pods
}

// Deployment returns a service's Deployment, or nil.
func (t *Tracker) Deployment(namespace, name string) *appsv1.Deployment {
	d, err := t.deps.Deployments(namespace).Get(name)
	if err != nil {
		return nil
	}
	return d
}

// Job returns a Job by name, or nil.
func (t *Tracker) Job(namespace, name string) *batchv1.Job {
	j, err := t.jobs.Jobs(namespace).Get(name)
	if err != nil {
		return nil
	}
	return j
}

// AllReplicaSets lists the project's ReplicaSets (Deployments' pod templates carry its labels).
func (t *Tracker) AllReplicaSets() []*appsv1.ReplicaSet {
	rss, _ := t.rss.List(labels.Everything())
	return rss
}
