package kube

import (
	"context"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mlstack/mlstack/internal/gpu"
)

// GPUPlan is the GPU policy's outcome on a cluster.
type GPUPlan struct {
	// Counts maps each service to the nvidia.com/gpu count its pods ask for.
	Counts map[string]int64
	// Notice is set when --gpus auto moved GPU services to CPU because no node has a GPU.
	Notice string
	// MaxPerNode is the largest allocatable nvidia.com/gpu on one node, and Node that node.
	MaxPerNode int64
	Node       string
}

// Describe says what a service asked for and got, for run records ("none" when nothing).
func (p GPUPlan) Describe(requested int64, service string) (asked, granted string) {
	asked, granted = "none", "none"
	if requested > 0 {
		asked = fmt.Sprint(requested)
	}
	if n := p.Counts[service]; n > 0 {
		granted = fmt.Sprint(n)
	}
	return asked, granted
}

// GPUPlan applies the --gpus policy to the services, as on Docker: auto keeps reservations where a
// node has allocatable nvidia.com/gpu and runs them on CPU, with one notice, where none has; all
// means the most one node offers; all, N and device lists fail, before anything is applied, when
// no node could ever hold them. training, when set, is the one-off training service, which gets
// the flag's GPUs even without a reservation.
func (s *Stack) GPUPlan(ctx context.Context, mode gpu.Mode, services []string, training string) (GPUPlan, error) {
	plan := GPUPlan{Counts: map[string]int64{}}
	nodes, err := s.Cluster.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	switch {
	case err == nil:
		plan.MaxPerNode, plan.Node = largestGPUNode(nodes.Items)
	case mode.Kind == gpu.Auto || mode.Kind == gpu.None:
		// Users without the right to list nodes still run; the scheduler decides where GPUs are.
		for _, n := range services {
			if svc, ok := s.Project.Services[n]; ok && mode.Kind == gpu.Auto {
				plan.Counts[n] = RequestedGPUs(svc)
			}
		}
		return plan, nil
	default:
		return plan, fmt.Errorf("--gpus %s: list the cluster's nodes to check that one can hold the GPUs: %w", mode, err)
	}
	sort.Strings(services)
	for _, n := range services {
		svc, ok := s.Project.Services[n]
		if !ok {
			continue
		}
		asked := RequestedGPUs(svc)
		if asked == 0 && n != training {
			continue
		}
		got, err := grant(mode, asked, plan.MaxPerNode)
		if errors.Is(err, errGPUNotice) {
			plan.Notice = fmt.Sprintf("no node of kube context %q has allocatable %s: running GPU services on CPU (use --gpus all to require one)", s.Cluster.Context, GPUResource)
			err = nil
		}
		if err != nil {
			return plan, fmt.Errorf("service %q: %w", n, err)
		}
		plan.Counts[n] = got
	}
	return plan, nil
}

var errGPUNotice = errors.New("auto without a GPU node")

// grant is the GPU count a pod gets under mode, given the largest count one node can hold.
func grant(mode gpu.Mode, asked, maxPerNode int64) (int64, error) {
	switch mode.Kind {
	case gpu.None:
		return 0, nil
	case gpu.Auto:
		if asked > 0 && maxPerNode == 0 {
			return 0, errGPUNotice
		}
		return asked, nil
	}
	want := int64(mode.Request.Count)
	if mode.Kind == gpu.Devices {
		want = int64(len(mode.Request.DeviceIDs))
	}
	if mode.Kind == gpu.All {
		want = maxPerNode
	}
	if maxPerNode == 0 {
		return 0, fmt.Errorf("--gpus %s: %w: no node of the cluster has allocatable %s (install the NVIDIA device plugin, or add a GPU node pool), or use --gpus auto or none", mode, gpu.ErrNoGPU, GPUResource)
	}
	if want > maxPerNode {
		return 0, fmt.Errorf("--gpus %s: no node can hold %d %s: the most one node offers is %d", mode, want, GPUResource, maxPerNode)
	}
	return want, nil
}

// largestGPUNode finds the schedulable node with the most allocatable GPUs.
func largestGPUNode(nodes []corev1.Node) (int64, string) {
	var best int64
	var name string
	for _, n := range nodes {
		if n.Spec.Unschedulable {
			continue
		}
		q, ok := n.Status.Allocatable[GPUResource]
		if ok && q.Value() > best {
			best, name = q.Value(), n.Name
		}
	}
	return best, name
}
