package kube

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ktypes "k8s.io/apimachinery/pkg/types"
)

// Apply server-side applies obj (field manager mlstack, taking over fields others set) and reports
// whether the cluster's object changed: applying what is already there changes nothing, not even
// the resource version.
func (c *Cluster) Apply(ctx context.Context, obj Object) (changed bool, err error) {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	data, err := json.Marshal(obj)
	if err != nil {
		return false, fmt.Errorf("apply %s %s: %w", kind, obj.GetName(), err)
	}
	before, err := c.resourceVersion(ctx, obj)
	if err != nil {
		return false, fmt.Errorf("apply %s %s: %w", kind, obj.GetName(), err)
	}
	after, err := c.patch(ctx, obj, data, metav1.PatchOptions{FieldManager: ManagedBy, Force: ptr(true)})
	if err != nil {
		return false, fmt.Errorf("apply %s %s: %w", kind, obj.GetName(), err)
	}
	return before != after, nil
}

func (c *Cluster) patch(ctx context.Context, obj Object, data []byte, o metav1.PatchOptions) (string, error) {
	ns, name, pt := obj.GetNamespace(), obj.GetName(), ktypes.ApplyPatchType
	var out metav1.Object
	var err error
	switch obj.(type) {
	case *corev1.Namespace:
		out, err = c.Client.CoreV1().Namespaces().Patch(ctx, name, pt, data, o)
	case *appsv1.Deployment:
		out, err = c.Client.AppsV1().Deployments(ns).Patch(ctx, name, pt, data, o)
	case *batchv1.Job:
		out, err = c.Client.BatchV1().Jobs(ns).Patch(ctx, name, pt, data, o)
	case *corev1.Service:
		out, err = c.Client.CoreV1().Services(ns).Patch(ctx, name, pt, data, o)
	case *corev1.PersistentVolumeClaim:
		out, err = c.Client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, name, pt, data, o)
	case *corev1.Secret:
		out, err = c.Client.CoreV1().Secrets(ns).Patch(ctx, name, pt, data, o)
	case *corev1.ConfigMap:
		out, err = c.Client.CoreV1().ConfigMaps(ns).Patch(ctx, name, pt, data, o)
	default:
		return "", fmt.Errorf("mlstack does not apply %T", obj)
	}
	if err != nil {
		return "", err
	}
	return out.GetResourceVersion(), nil
}

// resourceVersion is the object's current version on the cluster, "" when it does not exist.
func (c *Cluster) resourceVersion(ctx context.Context, obj Object) (string, error) {
	ns, name, g := obj.GetNamespace(), obj.GetName(), metav1.GetOptions{}
	var out metav1.Object
	var err error
	switch obj.(type) {
	case *corev1.Namespace:
		out, err = c.Client.CoreV1().Namespaces().Get(ctx, name, g)
	case *appsv1.Deployment:
		out, err = c.Client.AppsV1().Deployments(ns).Get(ctx, name, g)
	case *batchv1.Job:
		out, err = c.Client.BatchV1().Jobs(ns).Get(ctx, name, g)
	case *corev1.Service:
		out, err = c.Client.CoreV1().Services(ns).Get(ctx, name, g)
	case *corev1.PersistentVolumeClaim:
		out, err = c.Client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, g)
	case *corev1.Secret:
		out, err = c.Client.CoreV1().Secrets(ns).Get(ctx, name, g)
	case *corev1.ConfigMap:
		out, err = c.Client.CoreV1().ConfigMaps(ns).Get(ctx, name, g)
	default:
		return "", fmt.Errorf("mlstack does not apply %T", obj)
	}
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return out.GetResourceVersion(), nil
}
