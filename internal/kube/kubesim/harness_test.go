package kubesim

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/testenv"
)

// simContext is the kube context `make kube-sim` writes.
const simContext = "mlstack-sim"

// cluster connects to the simulated cluster, or fails (skips, saying why, outside CI).
func cluster(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the simulated cluster (make kube-sim; make kube-test)")
	}
	cfg := os.Getenv("MLSTACK_KUBECONFIG")
	if cfg == "" {
		if os.Getenv("MLSTACK_KUBE_REQUIRED") != "" {
			t.Fatal("MLSTACK_KUBE_REQUIRED is set but MLSTACK_KUBECONFIG is not: start the cluster with make kube-sim and run make kube-test")
		}
		t.Skip("Kubernetes integration test: set MLSTACK_KUBECONFIG (make kube-sim; make kube-test runs these)")
	}
	rest, err := clientcmd.BuildConfigFromFlags("", cfg)
	if err != nil {
		t.Fatalf("kubeconfig %s: %v", cfg, err)
	}
	c, err := kubernetes.NewForConfig(rest)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CoreV1().Nodes().Get(ctx, "gpu-0", metav1.GetOptions{}); err != nil {
		t.Fatalf("the simulated cluster does not answer (make kube-sim): %v", err)
	}
	return c, cfg
}

// project is a compose project in a temporary directory, run with --kube-context mlstack-sim.
type project struct {
	t                   *testing.T
	c                   kubernetes.Interface
	dir, name, bin, cfg string
}

func newProject(t *testing.T, yaml string) *project {
	c, cfg := cluster(t)
	p := &project{t: t, c: c, dir: t.TempDir(), name: testenv.ProjectName(t), bin: testenv.Binary(t), cfg: cfg}
	if err := os.WriteFile(filepath.Join(p.dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.run("down", "-v")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.CoreV1().Namespaces().Delete(ctx, p.name, metav1.DeleteOptions{})
	})
	return p
}

type result struct {
	out  string
	code int
}

func (p *project) run(args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, append([]string{"-p", p.name, "--kube-context", simContext}, args...)...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "KUBECONFIG="+p.cfg)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r := result{out: out.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("mlstack %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (p *project) mustRun(args ...string) string {
	p.t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		p.t.Fatalf("mlstack %s: exit %d\n%s", strings.Join(args, " "), r.code, r.out)
	}
	return r.out
}

// labelled counts what carries the project's labels in its namespace.
func (p *project) labelled() map[string]int {
	p.t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: kube.ProjectSelector(p.name)}
	out := map[string]int{}
	ns := kube.Name(p.name)
	if l, err := p.c.CoreV1().Pods(ns).List(ctx, sel); err == nil {
		out["pods"] = len(l.Items)
	}
	if l, err := p.c.AppsV1().Deployments(ns).List(ctx, sel); err == nil {
		out["deployments"] = len(l.Items)
	}
	if l, err := p.c.AppsV1().ReplicaSets(ns).List(ctx, sel); err == nil {
		out["replicasets"] = len(l.Items)
	}
	if l, err := p.c.BatchV1().Jobs(ns).List(ctx, sel); err == nil {
		out["jobs"] = len(l.Items)
	}
	if l, err := p.c.CoreV1().Services(ns).List(ctx, sel); err == nil {
		out["services"] = len(l.Items)
	}
	if l, err := p.c.CoreV1().PersistentVolumeClaims(ns).List(ctx, sel); err == nil {
		out["claims"] = len(l.Items)
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out
}
