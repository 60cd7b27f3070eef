package kube

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LogsOptions are `logs`' choices on a cluster.
type LogsOptions struct {
	Services []string
	Follow   bool
	Tail     *int64
	// Writer returns where a service's lines go (a prefixing writer per service).
	Writer func(service string) io.Writer
}

// Logs prints the logs of the project's pods, following them with Follow.
func (s *Stack) Logs(ctx context.Context, o LogsOptions) error {
	pods, err := s.Cluster.Client.CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: s.Selector()})
	if err != nil {
		return fmt.Errorf("list the project's pods in namespace %s: %w", s.Namespace, err)
	}
	items := pods.Items
	sort.Slice(items, func(i, k int) bool { return items[i].Name < items[k].Name })
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, p := range items {
		svc := p.Annotations[AnnotationService]
		if len(o.Services) > 0 && !containsName(o.Services, svc) {
			continue
		}
		wg.Add(1)
		go func(pod string, w io.Writer) {
			defer wg.Done()
			rc, err := s.Cluster.Client.CoreV1().Pods(s.Namespace).GetLogs(pod, &corev1.PodLogOptions{Follow: o.Follow, TailLines: o.Tail}).Stream(ctx)
			if err == nil {
				defer rc.Close()
				_, err = io.Copy(w, rc)
			}
			if err != nil && ctx.Err() == nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("logs of pod %s (service %q): %w", pod, svc, err)
				}
				mu.Unlock()
			}
		}(p.Name, o.Writer(svc))
	}
	wg.Wait()
	return firstErr
}
