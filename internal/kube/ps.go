package kube

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Row is one line of `ps` on a cluster: a service's workload, its pods' readiness and nodes.
type Row struct {
	Service string `json:"Service"`
	Kind    string `json:"Kind"`
	Name    string `json:"Name"`
	Ready   string `json:"Ready"`
	Status  string `json:"Status"`
	Nodes   string `json:"Nodes"`
}

// Ps lists the project's Deployments and Jobs (one-off ones too) with ready/desired, status and nodes.
func (s *Stack) Ps(ctx context.Context, services []string) ([]Row, error) {
	c, ns, sel := s.Cluster.Client, s.Namespace, metav1.ListOptions{LabelSelector: s.Selector()}
	deps, err := c.AppsV1().Deployments(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list the project's Deployments in namespace %s: %w", ns, err)
	}
	jobs, err := c.BatchV1().Jobs(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list the project's Jobs in namespace %s: %w", ns, err)
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("list the project's pods in namespace %s: %w", ns, err)
	}
	want := func(svc string) bool { return len(services) == 0 || containsName(services, svc) }
	var rows []Row
	for _, d := range deps.Items {
		svc := d.Annotations[AnnotationService]
		if !want(svc) {
			continue
		}
		desired := int32(1)
		if d.Spec.Replicas != nil {
			desired = *d.Spec.Replicas
		}
		status := "progressing"
		if available(&d) {
			status = "available"
		}
		mine := ownedPods(pods.Items, func(p *corev1.Pod) bool {
			return p.Labels[labelService] == d.Labels[labelService] && p.Labels[labelOneOff] == oneOffFalse
		})
		for _, p := range mine {
			if f := podFailure(svc, p); f != nil {
				status = f.Reason
			} else if msg, ok := unschedulable(p); ok {
				status = "unschedulable: " + msg
			}
		}
		rows = append(rows, Row{Service: svc, Kind: "Deployment", Name: d.Name, Ready: fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, desired), Status: status, Nodes: nodes(mine)})
	}
	for _, j := range jobs.Items {
		svc := j.Annotations[AnnotationService]
		if !want(svc) {
			continue
		}
		status := "running"
		complete, f := jobState(svc, &j)
		switch {
		case complete:
			status = "completed"
		case f != nil:
			status = "failed: " + f.Reason
		}
		mine := ownedPods(pods.Items, func(p *corev1.Pod) bool { return p.Labels["job-name"] == j.Name })
		rows = append(rows, Row{Service: svc, Kind: "Job", Name: j.Name, Ready: fmt.Sprintf("%d/1", j.Status.Succeeded), Status: status, Nodes: nodes(mine)})
	}
	sort.Slice(rows, func(i, k int) bool {
		if rows[i].Service != rows[k].Service {
			return rows[i].Service < rows[k].Service
		}
		return rows[i].Name < rows[k].Name
	})
	return rows, nil
}

// WritePs prints rows as a table.
func WritePs(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tKIND\tNAME\tREADY\tSTATUS\tNODE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, r.Kind, r.Name, r.Ready, r.Status, r.Nodes)
	}
	return tw.Flush()
}

func containsName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func ownedPods(pods []corev1.Pod, keep func(*corev1.Pod) bool) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range pods {
		if keep(&pods[i]) {
			out = append(out, &pods[i])
		}
	}
	return out
}

func nodes(pods []*corev1.Pod) string {
	var out []string
	for _, p := range pods {
		if p.Spec.NodeName != "" && !containsName(out, p.Spec.NodeName) {
			out = append(out, p.Spec.NodeName)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}
