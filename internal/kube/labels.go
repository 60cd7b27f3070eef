package kube

import (
	"fmt"

	"github.com/mlstack/mlstack/internal/labels"
)

// Labels mlstack puts on every object it creates: Kubernetes' recommended ones plus compose's
// project and service labels, so `down` finds exactly what it made.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"
	// ManagedBy is the value of LabelManagedBy, and the field manager of every apply.
	ManagedBy = "mlstack"
	// AnnotationService holds a service's compose name, which its object name may have lost.
	AnnotationService = "mlstack.dev/service"
	// AnnotationCreatedNamespace marks a namespace mlstack created, which `down -v` may remove.
	AnnotationCreatedNamespace = "mlstack.dev/created-namespace"
	// AnnotationSyncWave orders an exported object for Argo CD.
	AnnotationSyncWave = "argocd.argoproj.io/sync-wave"
	// oneOffTrue and oneOffFalse are compose's values for its one-off label.
	oneOffTrue  = "True"
	oneOffFalse = "False"
)

// projectLabels are the labels of every object of a project.
func projectLabels(project string) map[string]string {
	return map[string]string{
		LabelPartOf:    Name(project),
		LabelManagedBy: ManagedBy,
		labels.Project: Name(project),
	}
}

// serviceLabels are the labels of a service's objects; oneOff marks the pods of `train` and `run`
// Jobs, which the service's own selector must not match.
func serviceLabels(project, service string, oneOff bool) map[string]string {
	l := projectLabels(project)
	l[LabelName] = Name(service)
	l[labels.Service] = Name(service)
	l[labels.OneOff] = oneOffFalse
	if oneOff {
		l[labels.OneOff] = oneOffTrue
	}
	return l
}

// selectorLabels select the pods of a service (never its one-off jobs').
func selectorLabels(project, service string) map[string]string {
	l := serviceLabels(project, service, false)
	return map[string]string{labels.Project: l[labels.Project], labels.Service: l[labels.Service], labels.OneOff: oneOffFalse}
}

// ProjectSelector is the label selector of everything mlstack made for project.
func ProjectSelector(project string) string {
	return fmt.Sprintf("%s=%s,%s=%s,%s=%s", LabelManagedBy, ManagedBy, LabelPartOf, Name(project), labels.Project, Name(project))
}

// ServiceSelector selects the service's objects (and one-off jobs' too).
func ServiceSelector(project, service string) string {
	return ProjectSelector(project) + fmt.Sprintf(",%s=%s", labels.Service, Name(service))
}

// Compose's service and one-off label names, as selectors use them.
const (
	labelService = labels.Service
	labelOneOff  = labels.OneOff
)

func oneOffValue(oneOff bool) string {
	if oneOff {
		return oneOffTrue
	}
	return oneOffFalse
}
