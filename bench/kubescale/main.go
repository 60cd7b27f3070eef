// Command kubescale times a 100-service project's rollout on a simulated Kubernetes cluster:
// mlstack's ordered `up -d --wait` against an unordered `kubectl apply --server-side` of the
// manifests `mlstack export kubernetes` writes, each in a fresh namespace, runs alternating, both
// timed by one watch-based observer from the child's start to every Deployment available. It
// reports the medians, their ratio against the 1.3× target, the cost of each dependency hop, and
// mlstack's peak RSS. `make bench-kube` runs it on a 50-node kube-sim.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Kept apart from mlstack's own so a run never finds another's objects.
const namespacePrefix = "kubescale-"

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "kubescale: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	kubeconfig, context, mlstack, kubectl, out, image string
	runs, warmup, nodes                               int
	target                                            float64
}

func run() error {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the simulated cluster (required)")
	flag.StringVar(&o.context, "context", "mlstack-sim", "kube context in it")
	flag.StringVar(&o.mlstack, "mlstack", "bin/mlstack", "mlstack binary (mlstack, or mlstack-kube: passed through as given)")
	flag.StringVar(&o.kubectl, "kubectl", "kubectl", "kubectl binary")
	flag.StringVar(&o.out, "o", "", "write the report here as well as to stdout")
	flag.StringVar(&o.image, "image", "mlstack-fixture:kubescale", "image of every service (kwok pulls nothing)")
	flag.IntVar(&o.runs, "runs", 5, "timed runs of each rollout, alternating")
	flag.IntVar(&o.warmup, "warmup", 1, "untimed runs of each rollout first")
	flag.IntVar(&o.nodes, "nodes", 50, "nodes the cluster must have at least (make bench-kube starts 50 CPU nodes and the GPU node)")
	flag.Float64Var(&o.target, "target", 1.3, "the ordered rollout's budget as a multiple of the unordered one")
	flag.Parse()
	if o.kubeconfig == "" {
		return fmt.Errorf("-kubeconfig is required (make bench-kube starts a cluster and passes it)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b, env, cleanup, err := setup(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()
	var trials []trial
	id := time.Now().Unix() % 100000
	for i := range o.warmup + o.runs {
		for _, mode := range []string{ordered, unordered} {
			ns := fmt.Sprintf("%s%d-%s-%d", namespacePrefix, id, mode, i)
			t, err := b.run(ctx, mode, ns)
			if err != nil {
				return err
			}
			label := "timed"
			if i < o.warmup {
				label = "warm-up"
			} else {
				trials = append(trials, t)
			}
			fmt.Fprintf(os.Stderr, "kubescale: %s %s run in %s: all ready at %.2fs, exited at %.2fs\n", label, mode, ns, t.ready.Seconds(), t.exited.Seconds())
		}
	}
	env.loadAfter = loadAverage()
	report := format(o, env, b.services, trials)
	var w io.Writer = os.Stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	_, err = io.WriteString(w, report)
	return err
}

// environment is what the report says about the machine and the cluster.
type environment struct {
	machine, loadBefore, loadAfter, mlstack, kubectl, server string
	nodes                                                    int
}

// setup connects to the cluster, checks its node count, writes the project and exports its
// manifests; cleanup removes the project's directory.
func setup(ctx context.Context, o options) (*bench, environment, func(), error) {
	var env environment
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: o.kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: o.context}).ClientConfig()
	if err != nil {
		return nil, env, nil, fmt.Errorf("kubeconfig %s, context %s: %w", o.kubeconfig, o.context, err)
	}
	// The observer must not be the bottleneck it measures: client-go's default is 5 requests a second.
	cfg.QPS, cfg.Burst = 100, 200
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, env, nil, fmt.Errorf("kubeconfig %s: %w", o.kubeconfig, err)
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, env, nil, fmt.Errorf("list the cluster's nodes (is it up? make bench-kube starts one): %w", err)
	}
	if len(nodes.Items) < o.nodes {
		return nil, env, nil, fmt.Errorf("the cluster has %d nodes, the benchmark wants %d: start it with KUBESIM_CPU_NODES=%d (make bench-kube does)", len(nodes.Items), o.nodes, o.nodes)
	}
	env.nodes = len(nodes.Items)
	if v, err := client.Discovery().ServerVersion(); err == nil {
		env.server = v.GitVersion
	}
	env.machine = machine()
	env.loadBefore = loadAverage()
	env.mlstack = firstLine(exec.CommandContext(ctx, o.mlstack, "version"))
	env.kubectl = firstLine(exec.CommandContext(ctx, o.kubectl, "version", "--client"))

	dir, err := os.MkdirTemp("", "kubescale-")
	if err != nil {
		return nil, env, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	services := bigProject()
	projectDir := filepath.Join(dir, "kubescale")
	if err := os.Mkdir(projectDir, 0o755); err != nil {
		cleanup()
		return nil, env, nil, err
	}
	if err := os.WriteFile(filepath.Join(projectDir, "compose.yaml"), []byte(composeYAML(services, o.image)), 0o644); err != nil {
		cleanup()
		return nil, env, nil, err
	}
	exportDir := filepath.Join(dir, "manifests")
	cmd := exec.CommandContext(ctx, o.mlstack, "export", "kubernetes", "-o", exportDir)
	cmd.Dir = projectDir
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return nil, env, nil, fmt.Errorf("%s: %w\n%s", cmd, err, out)
	}
	files, err := filepath.Glob(filepath.Join(exportDir, "*.yaml"))
	if err != nil {
		cleanup()
		return nil, env, nil, err
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "kustomization.yaml" })
	mlstack, err := filepath.Abs(o.mlstack)
	if err != nil {
		cleanup()
		return nil, env, nil, err
	}
	return &bench{client: client, kubeconfig: o.kubeconfig, context: o.context, mlstack: mlstack, kubectl: o.kubectl,
		projectDir: projectDir, manifests: files, services: services}, env, cleanup, nil
}

// firstLine is a command's first line of output, or what went wrong.
func firstLine(cmd *exec.Cmd) string {
	out, err := cmd.CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil {
		return fmt.Sprintf("unknown (%s: %v)", cmd, err)
	}
	return line
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// machine is the CPU count and model, and the kernel.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d CPUs (%s), Linux %s", runtime.NumCPU(), model, strings.TrimSpace(string(kernel)))
}
