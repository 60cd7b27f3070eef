package kube

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DownOptions are `down`'s choices on a cluster.
type DownOptions struct {
	// Volumes also deletes the project's PersistentVolumeClaims, and the namespace when mlstack
	// created it and nothing else is left in it.
	Volumes bool
	// Timeout bounds the wait for the project's pods to be gone (DefaultWaitTimeout when zero).
	Timeout time.Duration
}

// Down deletes what carries the project's labels, never anything else, and waits on the watch until
// its pods are gone.
func (s *Stack) Down(ctx context.Context, o DownOptions) error {
	sel := metav1.ListOptions{LabelSelector: s.Selector()}
	bg := metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationBackground)}
	c, ns := s.Cluster.Client, s.Namespace
	if _, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		s.UI.Info("namespace %s does not exist: nothing to remove", ns)
		return nil
	}
	type kind struct {
		name string
		list func() ([]string, error)
		del  func(name string) error
	}
	kinds := []kind{
		{"Deployment", func() ([]string, error) {
			l, err := c.AppsV1().Deployments(ns).List(ctx, sel)
			if err != nil {
				return nil, err
			}
			return itemNames(l.Items), nil
		}, func(n string) error { return c.AppsV1().Deployments(ns).Delete(ctx, n, bg) }},
		{"Job", func() ([]string, error) {
			l, err := c.BatchV1().Jobs(ns).List(ctx, sel)
			if err != nil {
				return nil, err
			}
			return itemNames(l.Items), nil
		}, func(n string) error { return c.BatchV1().Jobs(ns).Delete(ctx, n, bg) }},
		{"Service", func() ([]string, error) {
			l, err := c.CoreV1().Services(ns).List(ctx, sel)
			if err != nil {
				return nil, err
			}
			return itemNames(l.Items), nil
		}, func(n string) error { return c.CoreV1().Services(ns).Delete(ctx, n, bg) }},
		{"Secret", func() ([]string, error) {
			l, err := c.CoreV1().Secrets(ns).List(ctx, sel)
			if err != nil {
				return nil, err
			}
			return itemNames(l.Items), nil
		}, func(n string) error { return c.CoreV1().Secrets(ns).Delete(ctx, n, bg) }},
		{"ConfigMap", func() ([]string, error) {
			l, err := c.CoreV1().ConfigMaps(ns).List(ctx, sel)
			if err != nil {
				return nil, err
			}
			return itemNames(l.Items), nil
		}, func(n string) error { return c.CoreV1().ConfigMaps(ns).Delete(ctx, n, bg) }},
	}
	if o.Volumes {
		kinds = append(kinds, kind{"PersistentVolumeClaim", func() ([]string, error) {
			l, err := c.CoreV1().PersistentVolumeClaims(ns).List(ctx, sel)
			if err != nil {
				return nil, err
			}
			return itemNames(l.Items), nil
		}, func(n string) error { return c.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, n, bg) }})
	}
	tr, err := NewTracker(ctx, c, ns, s.Selector())
	if err != nil {
		return err
	}
	defer tr.Close()
	for _, k := range kinds {
		items, err := k.list()
		if err != nil {
			return fmt.Errorf("list the project's %ss in namespace %s: %w", k.name, ns, err)
		}
		for _, n := range items {
			if err := k.del(n); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete %s %s: %w", k.name, n, err)
			}
			s.UI.Status(k.name+" "+n, "Deleted")
		}
	}
	wctx, cancel := bounded(ctx, o.Timeout, "the project's pods to be deleted")
	defer cancel()
	err = tr.Until(wctx, "the project's pods to be deleted", func() (bool, error) {
		return len(tr.AllPods()) == 0 && len(tr.AllReplicaSets()) == 0, nil
	})
	if err != nil {
		return err
	}
	if o.Volumes {
		return s.removeNamespace(ctx)
	}
	return nil
}

// removeNamespace deletes the namespace when mlstack created it and nothing of anyone's is left.
func (s *Stack) removeNamespace(ctx context.Context) error {
	c, ns := s.Cluster.Client, s.Namespace
	n, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil || n.Annotations[AnnotationCreatedNamespace] != "true" {
		return nil
	}
	all := metav1.ListOptions{}
	pods, err1 := c.CoreV1().Pods(ns).List(ctx, all)
	svcs, err2 := c.CoreV1().Services(ns).List(ctx, all)
	pvcs, err3 := c.CoreV1().PersistentVolumeClaims(ns).List(ctx, all)
	cms, err4 := c.CoreV1().ConfigMaps(ns).List(ctx, all)
	secrets, err5 := c.CoreV1().Secrets(ns).List(ctx, all)
	deps, err6 := c.AppsV1().Deployments(ns).List(ctx, all)
	jobs, err7 := c.BatchV1().Jobs(ns).List(ctx, all)
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		if err != nil {
			return fmt.Errorf("check namespace %s is empty: %w", ns, err)
		}
	}
	// The cluster puts its root CA config map into every namespace.
	userCMs := 0
	for _, cm := range cms.Items {
		if cm.Name != "kube-root-ca.crt" {
			userCMs++
		}
	}
	if left := len(pods.Items) + len(svcs.Items) + len(pvcs.Items) + userCMs + len(secrets.Items) + len(deps.Items) + len(jobs.Items); left > 0 {
		s.UI.Info("namespace %s kept: %d objects not made by mlstack are in it", ns, left)
		return nil
	}
	if err := c.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete namespace %s: %w", ns, err)
	}
	s.UI.Status("namespace "+ns, "Deleted")
	return nil
}

// itemNames lists the names of a list's items.
func itemNames[T any, P interface {
	*T
	GetName() string
}](items []T) []string {
	out := make([]string, 0, len(items))
	for i := range items {
		out = append(out, P(&items[i]).GetName())
	}
	return out
}
