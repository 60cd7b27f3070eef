package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/graph"
)

// JobOptions are a one-off Job's choices (`train` and `run` on a cluster).
type JobOptions struct {
	Service string
	// Command replaces the service's command when set.
	Command []string
	// Env adds KEY=VALUE variables to the service's environment.
	Env []string
	// GPUs is the --gpus policy; Training gives the service the flag's GPUs without a reservation.
	GPUs     gpu.Mode
	Training bool
	// NoDeps skips starting the service's dependencies.
	NoDeps bool
	// Images maps built services to their pushed references.
	Images map[string]string
	// WaitTimeout bounds the dependencies' wait and the wait for the pod to start.
	WaitTimeout time.Duration
	// Stdout receives the pod's log stream.
	Stdout io.Writer
	// Started is called once the Job's pod runs.
	Started func(JobStarted)
}

// JobStarted describes a running one-off Job.
type JobStarted struct {
	Job, Pod, Node, Image string
	// Entrypoint and Command are the container's command and args as the Job runs them.
	Entrypoint, Command []string
	Env                 []string
	StartedAt           time.Time
	// GPUsRequested and GPUsGranted describe the GPU policy's outcome ("none" when nothing).
	GPUsRequested, GPUsGranted string
}

// ErrInterrupted is returned, wrapped, when the context ended a one-off Job, which was deleted.
var ErrInterrupted = errors.New("interrupted: the Job was deleted")

// RunJob runs the service once as a Job (backoffLimit 0, labelled one-off) after its dependencies
// hold, streams its pod's logs and returns its container's exit code. When ctx ends first the Job
// is deleted.
func (s *Stack) RunJob(ctx context.Context, o JobOptions) (int, error) {
	svc, ok := s.Project.Services[o.Service]
	if !ok {
		return 0, fmt.Errorf("no service %q in the project", o.Service)
	}
	g, err := graph.New(s.Project.Services)
	if err != nil {
		return 0, err
	}
	plan, err := s.GPUPlan(ctx, o.GPUs, []string{o.Service}, trainingName(o))
	if err != nil {
		return 0, err
	}
	if plan.Notice != "" {
		s.UI.Notice("%s", plan.Notice)
	}
	if !o.NoDeps {
		var deps []string
		for _, e := range g.Deps(o.Service) {
			deps = append(deps, e.To)
		}
		if len(deps) > 0 {
			if err := s.Up(ctx, UpOptions{Services: deps, GPUs: o.GPUs, Images: o.Images, WaitTimeout: o.WaitTimeout}); err != nil {
				return 0, err
			}
			if err := s.waitDeps(ctx, g, o); err != nil {
				return 0, err
			}
		}
	}
	if len(o.Command) > 0 {
		svc.Command = o.Command
	}
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		if svc.Environment == nil {
			svc.Environment = map[string]*string{}
		}
		svc.Environment[k] = &v
	}
	s.Project.Services[o.Service] = svc
	one, err := Convert(s.Project, ConvertOptions{Namespace: s.Namespace, Images: o.Images, GPUs: plan.Counts})
	if err != nil {
		return 0, err
	}
	var sp *ServicePlan
	for _, p := range one.Services {
		if p.Service == o.Service {
			sp = p
		}
	}
	job := oneOffJob(s.Project.Name, sp, randomSuffix())
	if err := s.ensureNamespace(ctx); err != nil {
		return 0, err
	}
	tr, err := NewTracker(ctx, s.Cluster.Client, s.Namespace, ServiceSelector(s.Project.Name, o.Service))
	if err != nil {
		return 0, err
	}
	defer tr.Close()
	if _, err := s.Cluster.Client.BatchV1().Jobs(s.Namespace).Create(ctx, job, metav1.CreateOptions{FieldManager: ManagedBy}); err != nil {
		return 0, fmt.Errorf("service %q: create Job %s: %w", o.Service, job.Name, err)
	}
	s.UI.Status("Job "+job.Name, "Created")
	code, err := s.followJob(ctx, tr, job, sp, plan, o)
	if ctx.Err() != nil {
		// Ctrl-C: the Job and its pod go, as the one-off container does on Docker.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = s.Cluster.Client.BatchV1().Jobs(s.Namespace).Delete(dctx, job.Name, metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationBackground)})
		return 130, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	return code, err
}

func trainingName(o JobOptions) string {
	if o.Training {
		return o.Service
	}
	return ""
}

// waitDeps waits for the conditions the service itself puts on its dependencies.
func (s *Stack) waitDeps(ctx context.Context, g *graph.Graph, o JobOptions) error {
	plan, err := Convert(s.Project, ConvertOptions{Namespace: s.Namespace, Images: o.Images})
	if err != nil {
		return err
	}
	byName := map[string]*ServicePlan{}
	for _, sp := range plan.Services {
		byName[sp.Service] = sp
	}
	tr, err := NewTracker(ctx, s.Cluster.Client, s.Namespace, s.Selector())
	if err != nil {
		return err
	}
	defer tr.Close()
	w := &waiter{s: s, tr: tr, reported: map[string]bool{}}
	ctx, cancel := bounded(ctx, o.WaitTimeout, fmt.Sprintf("service %q's dependencies", o.Service))
	defer cancel()
	for _, e := range g.Deps(o.Service) {
		if err := w.condition(ctx, byName[e.To], e.Condition); err != nil {
			return fmt.Errorf("service %q: depends_on %q (%s): %w", o.Service, e.To, e.Condition, err)
		}
	}
	return nil
}

// oneOffJob is the Job of a one-off run: the service's pod, labelled one-off, never retried.
func oneOffJob(project string, sp *ServicePlan, suffix string) *batchv1.Job {
	var tmpl corev1.PodTemplateSpec
	switch {
	case sp.Job != nil:
		tmpl = *sp.Job.Spec.Template.DeepCopy()
	default:
		tmpl = *sp.Deployment.Spec.Template.DeepCopy()
	}
	l := serviceLabels(project, sp.Service, true)
	tmpl.Labels = l
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	tmpl.Spec.Containers[0].ReadinessProbe = nil
	return &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: JobName(sp.Service, suffix), Labels: l,
			Annotations: map[string]string{AnnotationService: sp.Service}},
		Spec: batchv1.JobSpec{BackoffLimit: ptr(int32(0)), Template: tmpl},
	}
}

func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// followJob waits for the Job's pod to start, streams its logs, and returns its exit code.
func (s *Stack) followJob(ctx context.Context, tr *Tracker, job *batchv1.Job, sp *ServicePlan, plan GPUPlan, o JobOptions) (int, error) {
	w := &waiter{s: s, tr: tr, reported: map[string]bool{}}
	var pod *corev1.Pod
	sctx, cancel := bounded(ctx, o.WaitTimeout, fmt.Sprintf("Job %s's pod to start", job.Name))
	err := tr.Until(sctx, fmt.Sprintf("Job %s's pod to start", job.Name), func() (bool, error) {
		pods := jobPods(tr.Pods(sp.Service, true), job.Name)
		w.unschedulable(sp, pods)
		for _, p := range pods {
			if p.Spec.NodeName != "" && p.Status.Phase != corev1.PodPending {
				pod = p
				return true, nil
			}
			if f := podFailure(sp.Service, p); f != nil {
				return false, f
			}
		}
		return false, nil
	})
	cancel()
	if err != nil {
		return 0, err
	}
	c := job.Spec.Template.Spec.Containers[0]
	st := JobStarted{Job: job.Name, Pod: pod.Name, Node: pod.Spec.NodeName, Image: c.Image, Entrypoint: c.Command, Command: c.Args, StartedAt: time.Now()}
	if pod.Status.StartTime != nil {
		st.StartedAt = pod.Status.StartTime.Time
	}
	for _, e := range c.Env {
		st.Env = append(st.Env, e.Name+"="+e.Value)
	}
	st.GPUsRequested, st.GPUsGranted = plan.Describe(RequestedGPUs(s.Project.Services[sp.Service]), sp.Service)
	if o.Training && st.GPUsRequested == "none" && o.GPUs.Kind != gpu.Auto && o.GPUs.Kind != gpu.None {
		st.GPUsRequested = o.GPUs.String()
	}
	s.UI.Status("Job "+job.Name, "Running on node "+pod.Spec.NodeName)
	if o.Started != nil {
		o.Started(st)
	}
	if o.Stdout != nil {
		if err := s.streamLogs(ctx, pod.Name, o.Stdout); err != nil {
			s.UI.Notice("logs of pod %s: %v", pod.Name, err)
		}
	}
	var code int
	err = tr.Until(ctx, fmt.Sprintf("Job %s to finish", job.Name), func() (bool, error) {
		for _, p := range jobPods(tr.Pods(sp.Service, true), job.Name) {
			if p.Name != pod.Name {
				continue
			}
			if n, done := exitCode(p); done {
				code = n
				return true, nil
			}
		}
		return false, nil
	})
	return code, err
}

// jobPods keeps the pods the Job controller made for the named Job.
func jobPods(pods []*corev1.Pod, job string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Labels[batchv1.JobNameLabel] == job {
			out = append(out, p)
		}
	}
	return out
}

// exitCode is the pod's container exit code once it has terminated.
func exitCode(p *corev1.Pod) (int, bool) {
	for _, cs := range p.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil {
			return int(t.ExitCode), true
		}
	}
	switch p.Status.Phase {
	case corev1.PodSucceeded:
		return 0, true
	case corev1.PodFailed:
		return 1, true
	}
	return 0, false
}

// streamLogs copies a pod's log stream to w until the container ends.
func (s *Stack) streamLogs(ctx context.Context, pod string, w io.Writer) error {
	rc, err := s.Cluster.Client.CoreV1().Pods(s.Namespace).GetLogs(pod, &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
