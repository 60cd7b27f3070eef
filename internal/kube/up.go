package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/graph"
)

// UpOptions are `up`'s choices on a cluster.
type UpOptions struct {
	// Services to start, with their dependencies unless NoDeps; all when empty.
	Services []string
	NoDeps   bool
	// Wait waits for every started service to be ready (Deployments available, Jobs complete).
	Wait bool
	// WaitTimeout bounds every wait (DefaultWaitTimeout when zero).
	WaitTimeout time.Duration
	// GPUs is the --gpus policy.
	GPUs gpu.Mode
	// Images maps built services to the pushed references their pods run.
	Images map[string]string
}

// Up applies the project in dependency order: each service's objects are applied the moment its
// depends_on conditions hold on the cluster (service_started: a pod runs; service_healthy: the
// Deployment is available; service_completed_successfully: the Job succeeded).
func (s *Stack) Up(ctx context.Context, o UpOptions) error {
	if err := graph.Validate(s.Project.Services); err != nil {
		return err
	}
	g, err := graph.New(s.Project.Services)
	if err != nil {
		return err
	}
	targets := s.Project.ServiceNames()
	if len(o.Services) > 0 {
		targets = o.Services
		if !o.NoDeps {
			targets = g.Closure(o.Services)
		}
	}
	gpus, err := s.GPUPlan(ctx, o.GPUs, targets, "")
	if err != nil {
		return err
	}
	plan, err := Convert(s.Project, ConvertOptions{Namespace: s.Namespace, Images: o.Images, GPUs: gpus.Counts})
	if err != nil {
		return err
	}
	for _, w := range plan.Warnings {
		s.UI.Warn("%s", w)
	}
	if gpus.Notice != "" {
		s.UI.Notice("%s", gpus.Notice)
	}
	if err := s.ensureNamespace(ctx); err != nil {
		return err
	}
	for _, obj := range plan.Shared {
		if _, err := s.Cluster.Apply(ctx, obj); err != nil {
			return err
		}
	}
	tr, err := NewTracker(ctx, s.Cluster.Client, s.Namespace, s.Selector())
	if err != nil {
		return err
	}
	defer tr.Close()
	byName := map[string]*ServicePlan{}
	for _, sp := range plan.Services {
		byName[sp.Service] = sp
	}
	w := &waiter{s: s, tr: tr, reported: map[string]bool{}}
	ctx, cancel := bounded(ctx, o.WaitTimeout, "the services' dependencies")
	defer cancel()
	err = g.Walk(ctx, targets, false, func(ctx context.Context, name string) error {
		sp := byName[name]
		for _, e := range sp.Deps {
			if !slices.Contains(targets, e.To) {
				continue
			}
			if err := w.condition(ctx, byName[e.To], e.Condition); err != nil {
				return fmt.Errorf("service %q: depends_on %q (%s): %w", name, e.To, e.Condition, err)
			}
		}
		return s.applyService(ctx, tr, sp)
	})
	if err != nil {
		return err
	}
	if !o.Wait {
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, len(targets))
	for i, n := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cond := graph.Healthy
			if byName[n].Job != nil {
				cond = graph.Completed
			}
			errs[i] = w.condition(ctx, byName[n], cond)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	s.UI.Info("%d services ready in namespace %s", len(targets), s.Namespace)
	return nil
}

// applyService applies one service's objects. A one-shot Job whose configuration changed is
// deleted first (a Job's pod template cannot change) and so runs again; an unchanged one is kept.
func (s *Stack) applyService(ctx context.Context, tr *Tracker, sp *ServicePlan) error {
	if sp.Job != nil {
		if old := tr.Job(s.Namespace, sp.Name); old != nil && old.Annotations[annotationConfigHash] != sp.Job.Annotations[annotationConfigHash] {
			if err := s.deleteJob(ctx, tr, sp.Name); err != nil {
				return fmt.Errorf("service %q: replace its Job: %w", sp.Service, err)
			}
		}
	}
	changed := false
	for _, obj := range sp.Objects() {
		c, err := s.Cluster.Apply(ctx, obj)
		if err != nil {
			return fmt.Errorf("service %q: %w", sp.Service, err)
		}
		changed = changed || c
	}
	state := "Unchanged"
	if changed {
		state = "Applied"
	}
	s.UI.Status(sp.Service, state)
	return nil
}

// deleteJob deletes a Job with its pods and waits, on the watch, until it is gone.
func (s *Stack) deleteJob(ctx context.Context, tr *Tracker, name string) error {
	err := s.Cluster.Client.BatchV1().Jobs(s.Namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationBackground)})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return tr.Until(ctx, "Job "+name+" to be deleted", func() (bool, error) { return tr.Job(s.Namespace, name) == nil, nil })
}

// ensureNamespace creates the namespace when it does not exist, labelled as the project's and
// marked so that `down -v` may remove it again.
func (s *Stack) ensureNamespace(ctx context.Context) error {
	_, err := s.Cluster.Client.CoreV1().Namespaces().Get(ctx, s.Namespace, metav1.GetOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("namespace %s: %w", s.Namespace, err)
	}
	ns := &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: s.Namespace, Labels: projectLabels(s.Project.Name),
			Annotations: map[string]string{AnnotationCreatedNamespace: "true"}},
	}
	if _, err := s.Cluster.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: ManagedBy}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", s.Namespace, err)
	}
	s.UI.Status("namespace "+s.Namespace, "Created")
	return nil
}

// waiter waits on services' conditions and reports each unschedulable pod once.
type waiter struct {
	s        *Stack
	tr       *Tracker
	mu       sync.Mutex
	reported map[string]bool
}

// condition waits until the service meets cond, failing at once when its pods or Job fail.
func (w *waiter) condition(ctx context.Context, sp *ServicePlan, cond string) error {
	what := fmt.Sprintf("service %q to be %s", sp.Service, conditionWord(cond))
	return w.tr.Until(ctx, what, func() (bool, error) {
		pods := w.tr.Pods(sp.Service, false)
		if f := w.failure(sp, pods); f != nil {
			f.Detail = w.s.detail(context.WithoutCancel(ctx), f.Pod)
			return false, f
		}
		w.unschedulable(sp, pods)
		if sp.Job != nil {
			done, _ := jobState(sp.Service, w.tr.Job(w.s.Namespace, sp.Name))
			if cond == graph.Started {
				return done || running(pods), nil
			}
			return done, nil
		}
		switch cond {
		case graph.Started:
			return running(pods), nil
		case graph.Completed:
			return false, fmt.Errorf("service %q runs as a Deployment and never completes; it is a Job only when others wait on it with %s", sp.Service, graph.Completed)
		default:
			return available(w.tr.Deployment(w.s.Namespace, sp.Name)), nil
		}
	})
}

func (w *waiter) failure(sp *ServicePlan, pods []*corev1.Pod) *Failure {
	if sp.Job != nil {
		if _, f := jobState(sp.Service, w.tr.Job(w.s.Namespace, sp.Name)); f != nil {
			for _, p := range pods {
				if pf := podFailure(sp.Service, p); pf != nil {
					return pf
				}
			}
			return f
		}
	}
	for _, p := range pods {
		if f := podFailure(sp.Service, p); f != nil {
			return f
		}
	}
	return deploymentFailure(sp.Service, w.tr.Deployment(w.s.Namespace, sp.Name))
}

// unschedulable reports, once per pod, the scheduler's reason; the wait goes on, since a node pool
// may scale up.
func (w *waiter) unschedulable(sp *ServicePlan, pods []*corev1.Pod) {
	for _, p := range pods {
		msg, ok := unschedulable(p)
		if !ok {
			continue
		}
		w.mu.Lock()
		seen := w.reported[p.Name]
		w.reported[p.Name] = true
		w.mu.Unlock()
		if !seen {
			w.s.UI.Notice("service %q: pod %s is unschedulable: %s (waiting: a node pool may scale up)", sp.Service, p.Name, msg)
		}
	}
}

func conditionWord(cond string) string {
	switch cond {
	case graph.Started:
		return "running"
	case graph.Completed:
		return "completed successfully"
	default:
		return "ready"
	}
}

// detail is the pod's last events and log lines, for a failure message; empty when there are none.
func (s *Stack) detail(ctx context.Context, pod string) string {
	if pod == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var b strings.Builder
	evs, err := s.Cluster.Client.CoreV1().Events(s.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + pod})
	if err == nil && len(evs.Items) > 0 {
		items := evs.Items
		slices.SortFunc(items, func(a, b corev1.Event) int { return a.LastTimestamp.Time.Compare(b.LastTimestamp.Time) })
		b.WriteString("last events:\n")
		for _, e := range items[max(0, len(items)-5):] {
			fmt.Fprintf(&b, "  %s %s: %s\n", e.Type, e.Reason, e.Message)
		}
	}
	tail := int64(20)
	logs, err := s.Cluster.Client.CoreV1().Pods(s.Namespace).GetLogs(pod, &corev1.PodLogOptions{TailLines: &tail}).DoRaw(ctx)
	if err == nil && len(logs) > 0 {
		b.WriteString("last log lines:\n")
		for _, l := range strings.Split(strings.TrimRight(string(logs), "\n"), "\n") {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}
