package kubesim

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/runs"
)

const chain = `
services:
  db:
    image: postgres:16
    healthcheck: {test: ["CMD-SHELL", "pg_isready"], interval: 2s}
  migrate:
    image: app:1
    command: ["migrate"]
    depends_on: {db: {condition: service_healthy}}
  api:
    image: app:1
    ports: ["8080"]
    healthcheck: {test: ["CMD", "true"]}
    depends_on: {migrate: {condition: service_completed_successfully}}
  web:
    image: web:1
    depends_on: {api: {condition: service_healthy}}
`

// readyOrder records, from watch events, the order in which the namespace's Deployments became
// available and its Jobs completed (object timestamps have one-second resolution; events do not).
func readyOrder(t *testing.T, p *project) func() []string {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ns := kube.Name(p.name)
	var mu sync.Mutex
	var order []string
	add := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	// Informers re-list and re-watch on their own, so the observer survives a watch the server closes.
	f := informers.NewSharedInformerFactoryWithOptions(p.c, 0, informers.WithNamespace(ns))
	seen := func(obj any) {
		switch o := obj.(type) {
		case *appsv1.Deployment:
			if o.Status.AvailableReplicas >= 1 {
				add(o.Name)
			}
		case *batchv1.Job:
			if o.Status.Succeeded >= 1 {
				add(o.Name)
			}
		}
	}
	h := cache.ResourceEventHandlerFuncs{AddFunc: seen, UpdateFunc: func(_, o any) { seen(o) }}
	for _, inf := range []cache.SharedIndexInformer{f.Apps().V1().Deployments().Informer(), f.Batch().V1().Jobs().Informer()} {
		if _, err := inf.AddEventHandler(h); err != nil {
			t.Fatal(err)
		}
	}
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(order)
	}
}

func TestUpFollowsDependsOnAndDownLeavesNothing(t *testing.T) {
	p := newProject(t, chain)
	order := readyOrder(t, p)
	p.mustRun("up", "-d", "--wait", "--wait-timeout", "180")
	if got, want := order(), []string{"db", "migrate", "api", "web"}; !slices.Equal(got, want) {
		t.Fatalf("services became ready in the order %v, want %v", got, want)
	}
	ns := kube.Name(p.name)
	before, err := p.c.AppsV1().Deployments(ns).Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := p.mustRun("up", "-d", "--wait", "--wait-timeout", "180")
	after, _ := p.c.AppsV1().Deployments(ns).Get(context.Background(), "api", metav1.GetOptions{})
	if after.ResourceVersion != before.ResourceVersion || strings.Contains(out, "Applied") {
		t.Errorf("a second up changed something (api %s -> %s):\n%s", before.ResourceVersion, after.ResourceVersion, out)
	}
	ps := p.mustRun("ps")
	for _, want := range []string{"db", "migrate", "completed", "web", "1/1"} {
		if !strings.Contains(ps, want) {
			t.Errorf("ps lacks %q:\n%s", want, ps)
		}
	}
	p.mustRun("down", "-v")
	if left := p.labelled(); len(left) > 0 {
		t.Errorf("down left objects with the project's labels: %v", left)
	}
}

func TestFailingDependencyIsNamed(t *testing.T) {
	p := newProject(t, `
services:
  db:
    image: postgres:16
    healthcheck: {test: ["CMD", "true"]}
    labels: {kube-sim.mlstack.dev/fail: "true"}
  api:
    image: app:1
    depends_on: {db: {condition: service_healthy}}
`)
	r := p.run("up", "-d", "--wait", "--wait-timeout", "120")
	if r.code == 0 || !strings.Contains(r.out, `service "db" failed`) || !strings.Contains(r.out, "CrashLoopBackOff") {
		t.Fatalf("up: exit %d, want a failure naming db and CrashLoopBackOff:\n%s", r.code, r.out)
	}
	if _, err := p.c.AppsV1().Deployments(kube.Name(p.name)).Get(context.Background(), "api", metav1.GetOptions{}); err == nil {
		t.Error("api was applied although its dependency failed")
	}
}

func TestTrainWithOneGPULandsOnGPUNode(t *testing.T) {
	p := newProject(t, "services:\n  training:\n    image: trainer:1\n    command: [python, train.py]\n")
	p.mustRun("train", "--gpus", "1")
	recs, err := (runs.Store{Dir: filepath.Join(p.dir, ".mlstack", "runs")}).List(1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("run records: %v, %v", recs, err)
	}
	r := recs[0]
	if r.Node != "gpu-0" || r.Cluster != simContext || r.Namespace != kube.Name(p.name) || r.Job == "" || r.ExitCode != 0 || r.GPUsGranted != "1" {
		b, _ := json.MarshalIndent(r, "", "  ")
		t.Errorf("run record: want node gpu-0, cluster, namespace, job, exit 0, 1 GPU:\n%s", b)
	}
}

func TestGPUAllWithoutGPUNodeFailsBeforeApplying(t *testing.T) {
	p := newProject(t, "services:\n  training:\n    image: t\n    deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: 1}]}}}\n")
	ctx := context.Background()
	cordon := func(v bool) {
		patch := []byte(`{"spec":{"unschedulable":` + map[bool]string{true: "true", false: "false"}[v] + `}}`)
		if _, err := p.c.CoreV1().Nodes().Patch(ctx, "gpu-0", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The only GPU node, cordoned, offers no GPU to new pods.
	cordon(true)
	t.Cleanup(func() { cordon(false) })
	r := p.run("up", "-d", "--gpus", "all")
	if r.code == 0 || !strings.Contains(r.out, "--gpus all") || !strings.Contains(r.out, "nvidia.com/gpu") {
		t.Fatalf("up --gpus all: exit %d, want a GPU error:\n%s", r.code, r.out)
	}
	if _, err := p.c.CoreV1().Namespaces().Get(ctx, kube.Name(p.name), metav1.GetOptions{}); err == nil {
		t.Error("the namespace was created although the GPU check failed")
	}
}

func TestExportAppliesWithServerSideDryRun(t *testing.T) {
	p := newProject(t, chain)
	dir := filepath.Join(p.dir, "deploy")
	p.mustRun("export", "kubernetes", "-o", dir)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kube.Name(p.name)}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.c.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is needed to apply the export (apt-get install kubernetes-client)")
	}
	cmd := exec.CommandContext(ctx, kubectl, "--kubeconfig", p.cfg, "apply", "--server-side", "--dry-run=server", "-k", dir, "-n", ns.Name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply --server-side --dry-run=server -k: %v\n%s", err, out)
	}
	for _, want := range []string{"deployment.apps/db", "job.batch/migrate", "service/api"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dry-run output lacks %s:\n%s", want, out)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "web.yaml"))
	if !strings.Contains(string(b), `argocd.argoproj.io/sync-wave: "3"`) {
		t.Errorf("web.yaml: want sync wave 3:\n%s", b)
	}
}
