package kube

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/ui"
)

// The simulated cluster cannot show a job's real output and exit code; these tests run the same
// code against client-go's fake clientset, playing the kubelet's part by hand.

func node(name string, gpus int64) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{}}}
	if gpus > 0 {
		n.Status.Allocatable[GPUResource] = *resource.NewQuantity(gpus, resource.DecimalSI)
	}
	return n
}

func fakeStack(t *testing.T, yaml string, objs ...runtime.Object) (*Stack, *fake.Clientset, *bytes.Buffer) {
	t.Helper()
	c := fake.NewClientset(objs...)
	var out bytes.Buffer
	s := &Stack{Cluster: &Cluster{Client: c, Context: "test"}, Project: load(t, yaml), Namespace: "ns", UI: ui.Test(nil, &out, &out)}
	return s, c, &out
}

func withTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// nextAdded waits for the watch to report a new object.
func nextAdded(t *testing.T, w watch.Interface) runtime.Object {
	t.Helper()
	for {
		select {
		case ev := <-w.ResultChan():
			if ev.Type == watch.Added {
				return ev.Object
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no object was created")
		}
	}
}

func TestRunJobReturnsExitCodeAndStreamsLogs(t *testing.T) {
	s, c, out := fakeStack(t, "services:\n  training:\n    image: trainer:1\n", node("cpu-0", 0))
	ctx := withTimeout(t)
	w, err := c.BatchV1().Jobs("ns").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	var started JobStarted
	go func() {
		code, err := s.RunJob(ctx, JobOptions{Service: "training", Training: true, Stdout: out, Started: func(st JobStarted) { started = st }})
		done <- result{code, err}
	}()
	job := nextAdded(t, w).(*batchv1.Job)
	if *job.Spec.BackoffLimit != 0 || job.Labels["com.docker.compose.oneoff"] != "True" {
		t.Errorf("job: backoffLimit %d, labels %v", *job.Spec.BackoffLimit, job.Labels)
	}
	labels := job.Spec.Template.Labels
	labels[batchv1.JobNameLabel] = job.Name
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: job.Name + "-x", Namespace: "ns", Labels: labels},
		Spec:   corev1.PodSpec{NodeName: "cpu-0"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if _, err := c.CoreV1().Pods("ns").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3}}}}}
	if _, err := c.CoreV1().Pods("ns").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.code != 3 {
		t.Fatalf("RunJob = %d, %v; want exit code 3", r.code, r.err)
	}
	if started.Node != "cpu-0" || started.Job != job.Name {
		t.Errorf("started = %+v", started)
	}
	// The fake API server answers every log request with "fake logs".
	if !strings.Contains(out.String(), "fake logs") {
		t.Errorf("the pod's logs were not streamed:\n%s", out)
	}
}

func TestRunJobInterruptedDeletesJob(t *testing.T) {
	s, c, _ := fakeStack(t, "services:\n  training:\n    image: trainer:1\n", node("cpu-0", 0))
	ctx, cancel := context.WithCancel(withTimeout(t))
	w, err := c.BatchV1().Jobs("ns").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.RunJob(ctx, JobOptions{Service: "training"})
		done <- err
	}()
	nextAdded(t, w)
	cancel()
	if err := <-done; !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	jobs, _ := c.BatchV1().Jobs("ns").List(context.Background(), metav1.ListOptions{})
	if len(jobs.Items) != 0 {
		t.Errorf("Ctrl-C left Job %s", jobs.Items[0].Name)
	}
}

func TestGPUAllWithoutGPUNodeFailsBeforeApplying(t *testing.T) {
	yaml := "services:\n  training:\n    image: t\n    deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: 1}]}}}\n"
	s, c, _ := fakeStack(t, yaml, node("cpu-0", 0))
	mode, _ := gpu.ParseFlag("all")
	err := s.Up(withTimeout(t), UpOptions{GPUs: mode})
	if !errors.Is(err, gpu.ErrNoGPU) {
		t.Fatalf("err = %v, want ErrNoGPU", err)
	}
	if nss, _ := c.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); len(nss.Items) != 0 {
		t.Errorf("something was created: namespace %s", nss.Items[0].Name)
	}
}

func TestGPUPolicy(t *testing.T) {
	yaml := "services:\n  training:\n    image: t\n    deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: 2}]}}}\n  web:\n    image: w\n"
	for _, c := range []struct {
		flag   string
		gpus   int64
		want   int64
		notice bool
		err    string
	}{
		{"auto", 0, 0, true, ""},
		{"auto", 4, 2, false, ""},
		{"all", 4, 4, false, ""},
		{"3", 4, 3, false, ""},
		{"8", 4, 0, false, "no node can hold 8"},
		{"none", 4, 0, false, ""},
	} {
		s, _, _ := fakeStack(t, yaml, node("cpu-0", 0), node("gpu-0", c.gpus))
		mode, _ := gpu.ParseFlag(c.flag)
		plan, err := s.GPUPlan(context.Background(), mode, []string{"training", "web"}, "")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("--gpus %s with %d: err = %v, want %q", c.flag, c.gpus, err, c.err)
			}
			continue
		}
		if err != nil || plan.Counts["training"] != c.want || (plan.Notice != "") != c.notice || plan.Counts["web"] != 0 {
			t.Errorf("--gpus %s with %d GPUs: plan %+v, err %v; want %d", c.flag, c.gpus, plan, err, c.want)
		}
	}
}

func TestUpAppliesInDependencyOrder(t *testing.T) {
	yaml := `
services:
  db:
    image: postgres
    healthcheck: {test: ["CMD", "true"]}
  api:
    image: api
    depends_on: {db: {condition: service_healthy}}
`
	s, c, _ := fakeStack(t, yaml, node("cpu-0", 0))
	ctx := withTimeout(t)
	w, err := c.AppsV1().Deployments("ns").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Up(ctx, UpOptions{}) }()
	db := nextAdded(t, w).(*appsv1.Deployment)
	if db.Name != "db" {
		t.Fatalf("first Deployment = %s, want db", db.Name)
	}
	if _, err := c.AppsV1().Deployments("ns").Get(ctx, "api", metav1.GetOptions{}); err == nil {
		t.Fatal("api was applied before db was available")
	}
	db.Status = appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
	if _, err := c.AppsV1().Deployments("ns").UpdateStatus(ctx, db, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if api := nextAdded(t, w).(*appsv1.Deployment); api.Name != "api" {
		t.Fatalf("second Deployment = %s, want api", api.Name)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestUpNamesAFailingDependency(t *testing.T) {
	yaml := `
services:
  db:
    image: postgres
    healthcheck: {test: ["CMD", "true"]}
  api:
    image: api
    depends_on: {db: {condition: service_healthy}}
`
	s, c, _ := fakeStack(t, yaml, node("cpu-0", 0))
	ctx := withTimeout(t)
	w, _ := c.AppsV1().Deployments("ns").Watch(ctx, metav1.ListOptions{})
	done := make(chan error, 1)
	go func() { done <- s.Up(ctx, UpOptions{}) }()
	db := nextAdded(t, w).(*appsv1.Deployment)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-1", Namespace: "ns", Labels: db.Spec.Template.Labels},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off"}}}}}}
	if _, err := c.CoreV1().Pods("ns").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var f *Failure
	if !errors.As(err, &f) || f.Service != "db" || f.Reason != "CrashLoopBackOff" {
		t.Fatalf("err = %v, want db's CrashLoopBackOff", err)
	}
	if _, err := c.AppsV1().Deployments("ns").Get(ctx, "api", metav1.GetOptions{}); err == nil {
		t.Error("api was applied although db failed")
	}
}

func TestDownDeletesOnlyLabelled(t *testing.T) {
	s, c, _ := fakeStack(t, "services:\n  web:\n    image: w\n", node("cpu-0", 0))
	ctx := withTimeout(t)
	if err := s.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	other := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: "ns", Labels: map[string]string{"app": "theirs"}}}
	if _, err := c.AppsV1().Deployments("ns").Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Down(ctx, DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	deps, _ := c.AppsV1().Deployments("ns").List(ctx, metav1.ListOptions{})
	if len(deps.Items) != 1 || deps.Items[0].Name != "theirs" {
		t.Errorf("Deployments left: %v", deps.Items)
	}
	if _, err := c.CoreV1().Namespaces().Get(ctx, "ns", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace with someone else's Deployment was removed: %v", err)
	}
}
