package kube

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// failingReasons are container waiting reasons that do not clear on their own: the service failed.
var failingReasons = []string{"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
	"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}

// Failure is a service that failed on the cluster, with the reason Kubernetes gave.
type Failure struct {
	Service string
	Pod     string
	Reason  string
	Message string
	// Detail holds the pod's last events and log lines, when the cluster has them.
	Detail string
}

func (f *Failure) Error() string {
	msg := fmt.Sprintf("service %q failed: %s", f.Service, f.Reason)
	if f.Pod != "" {
		msg = fmt.Sprintf("service %q failed: pod %s: %s", f.Service, f.Pod, f.Reason)
	}
	if f.Message != "" {
		msg += ": " + f.Message
	}
	if f.Detail != "" {
		msg += "\n" + strings.TrimRight(f.Detail, "\n")
	}
	return msg
}

// podFailure reports a pod whose container will not come up by itself, or a failed pod.
func podFailure(service string, p *corev1.Pod) *Failure {
	if p.DeletionTimestamp != nil {
		return nil
	}
	for _, cs := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && slices.Contains(failingReasons, w.Reason) {
			msg := w.Message
			if t := cs.LastTerminationState.Terminated; t != nil {
				msg = strings.TrimSpace(fmt.Sprintf("%s (last exit code %d)", msg, t.ExitCode))
			}
			return &Failure{Service: service, Pod: p.Name, Reason: w.Reason, Message: msg}
		}
	}
	if p.Status.Phase == corev1.PodFailed {
		reason, msg := p.Status.Reason, p.Status.Message
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				reason, msg = "exited with code "+fmt.Sprint(t.ExitCode), t.Reason
			}
		}
		if reason == "" {
			reason = "Failed"
		}
		return &Failure{Service: service, Pod: p.Name, Reason: reason, Message: msg}
	}
	return nil
}

// unschedulable returns the scheduler's reason when the pod cannot be placed yet.
func unschedulable(p *corev1.Pod) (string, bool) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Message, true
		}
	}
	return "", false
}

// running reports whether any pod runs (or, for a Job, ran to completion): service_started.
func running(pods []*corev1.Pod) bool {
	return slices.ContainsFunc(pods, func(p *corev1.Pod) bool {
		return p.DeletionTimestamp == nil && (p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodSucceeded)
	})
}

// available reports whether a Deployment has rolled out its current spec and all its replicas are
// available: service_healthy (readiness probes are the healthchecks).
func available(d *appsv1.Deployment) bool {
	if d == nil || d.Status.ObservedGeneration < d.Generation {
		return false
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Status.UpdatedReplicas >= want && d.Status.AvailableReplicas >= want && d.Status.Replicas == d.Status.UpdatedReplicas
}

// deploymentFailure reports a Deployment that gave up progressing.
func deploymentFailure(service string, d *appsv1.Deployment) *Failure {
	if d == nil {
		return nil
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse {
			return &Failure{Service: service, Reason: c.Reason, Message: c.Message}
		}
	}
	return nil
}

// jobState reports whether a Job completed, or how it failed.
func jobState(service string, j *batchv1.Job) (complete bool, fail *Failure) {
	if j == nil {
		return false, nil
	}
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete, batchv1.JobSuccessCriteriaMet:
			return true, nil
		case batchv1.JobFailed, batchv1.JobFailureTarget:
			return false, &Failure{Service: service, Reason: "Job " + c.Reason, Message: c.Message}
		}
	}
	return false, nil
}
