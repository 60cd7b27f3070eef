package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/kubeenv"
)

// ConvertOptions shape a conversion beyond what the compose file says.
type ConvertOptions struct {
	// Namespace is where the objects go.
	Namespace string
	// Images maps a service to the image reference to run (a pushed digest for built services);
	// services not in it run their image: as written.
	Images map[string]string
	// GPUs maps a service to the nvidia.com/gpu count the GPU policy granted; services not in it
	// get what their compose reservation asks for ("all" counts as 1 without a cluster to ask).
	GPUs map[string]int64
	// NoSecretData leaves Secrets out (export: secret values never go into files).
	NoSecretData bool
}

// Plan is a compose project as Kubernetes objects.
type Plan struct {
	Project   string
	Namespace string
	// Services are the project's services, sorted by name.
	Services []*ServicePlan
	// Shared are the objects services share: PersistentVolumeClaims, Secrets, ConfigMaps.
	Shared []Object
	// Warnings name each compose field that has no Kubernetes mapping and was left out.
	Warnings []string
}

// ServicePlan is one service's objects.
type ServicePlan struct {
	// Service is the compose name; Name the objects' name (see Name).
	Service string
	Name    string
	// Deployment or Job (a one-shot service, which others wait on with service_completed_successfully).
	Deployment *appsv1.Deployment
	Job        *batchv1.Job
	// Svc makes the service resolvable by name: ClusterIP for its ports, headless without.
	Svc *corev1.Service
	// GPUs is the nvidia.com/gpu count each pod asks for.
	GPUs int64
	// Depth is the length of the longest depends_on chain below the service (0: none).
	Depth int
	// Deps are the compose names of the services it depends on, with their conditions.
	Deps []graph.Edge
}

// Objects lists the service's objects in apply order.
func (s *ServicePlan) Objects() []Object {
	var out []Object
	if s.Svc != nil {
		out = append(out, s.Svc)
	}
	if s.Deployment != nil {
		out = append(out, s.Deployment)
	}
	if s.Job != nil {
		out = append(out, s.Job)
	}
	return out
}

// Object is any object mlstack applies: typed, with its kind set.
type Object interface {
	metav1.Object
	runtime.Object
}

// OneShot lists the services that others wait on with service_completed_successfully: they run as Jobs.
func OneShot(services types.Services) map[string]bool {
	out := map[string]bool{}
	for _, svc := range services {
		for dep, d := range svc.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				out[dep] = true
			}
		}
	}
	return out
}

// Convert maps the project's active services to Kubernetes objects. Errors name the service and
// field; fields with no mapping are warnings in the plan, never dropped silently.
func Convert(p *types.Project, o ConvertOptions) (*Plan, error) {
	g, err := graph.New(p.Services)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Project: p.Name, Namespace: o.Namespace}
	oneShot := OneShot(p.Services)
	names := map[string]string{}
	depth := depths(g)
	for _, n := range g.Nodes() {
		svc := p.Services[n]
		name := Name(n)
		if other, ok := names[name]; ok {
			return nil, fmt.Errorf("services %q and %q both become %q on Kubernetes: rename one (see docs/kubernetes.md, names)", other, n, name)
		}
		names[name] = n
		sp, warns, err := convertService(p, svc, oneShot[n], o)
		if err != nil {
			return nil, err
		}
		sp.Depth, sp.Deps = depth[n], g.Deps(n)
		plan.Services = append(plan.Services, sp)
		plan.Warnings = append(plan.Warnings, warns...)
	}
	shared, err := sharedObjects(p, o)
	if err != nil {
		return nil, err
	}
	plan.Shared = shared
	return plan, nil
}

// depths computes each service's dependency depth, the Argo CD sync wave of its objects.
func depths(g *graph.Graph) map[string]int {
	out := map[string]int{}
	for _, n := range g.Order() {
		d := 0
		for _, e := range g.Deps(n) {
			d = max(d, out[e.To]+1)
		}
		out[n] = d
	}
	return out
}

func convertService(p *types.Project, svc types.ServiceConfig, oneShot bool, o ConvertOptions) (*ServicePlan, []string, error) {
	name := Name(svc.Name)
	image := svc.Image
	if ref, ok := o.Images[svc.Name]; ok {
		image = ref
	} else if svc.Build != nil {
		return nil, nil, fmt.Errorf("service %q: build: a cluster pulls its images, so mlstack pushes what it builds: give a registry (--registry, %s or x-mlstack.registry in the compose file), or load the image into the cluster's nodes (kind load docker-image, minikube image load) and set image:", svc.Name, kubeenv.Registry)
	}
	if image == "" {
		return nil, nil, fmt.Errorf("service %q: no image: to run on a cluster a service needs image: (or build: and a registry)", svc.Name)
	}
	gpus, ok := o.GPUs[svc.Name]
	if !ok {
		gpus = RequestedGPUs(svc)
	}
	warns := unmapped(svc)
	spec, w, err := podSpec(p, svc, image, gpus, oneShot)
	if err != nil {
		return nil, nil, err
	}
	warns = append(warns, w...)
	hash, err := configHash(svc)
	if err != nil {
		return nil, nil, err
	}
	meta := metav1.ObjectMeta{
		Name: name, Namespace: o.Namespace,
		Labels:      serviceLabels(p.Name, svc.Name, false),
		Annotations: map[string]string{AnnotationService: svc.Name, annotationConfigHash: hash},
	}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: serviceLabels(p.Name, svc.Name, false), Annotations: podAnnotations(svc)},
		Spec:       spec,
	}
	sp := &ServicePlan{Service: svc.Name, Name: name, GPUs: gpus}
	if oneShot {
		tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
		sp.Job = &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: meta,
			Spec:       batchv1.JobSpec{BackoffLimit: ptr(int32(0)), Template: tmpl},
		}
		return sp, warns, nil
	}
	replicas := int32(svc.GetScale())
	strategy := appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
	if usesClaims(spec) {
		// A ReadWriteOnce claim cannot be held by the old and the new pod at once.
		strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	}
	sp.Deployment = &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: selectorLabels(p.Name, svc.Name)},
			Template: tmpl,
			Strategy: strategy,
		},
	}
	sp.Svc = service(p.Name, svc, o.Namespace)
	return sp, warns, nil
}

// annotationConfigHash holds the service's compose config hash: a Job whose hash changed is run again.
const annotationConfigHash = "mlstack.dev/config-hash"

// service is the Service that makes svc resolvable by its name: ClusterIP on its container ports,
// headless when it has none, as every service resolves on a compose network.
func service(project string, svc types.ServiceConfig, ns string) *corev1.Service {
	s := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name: Name(svc.Name), Namespace: ns,
			Labels:      serviceLabels(project, svc.Name, false),
			Annotations: map[string]string{AnnotationService: svc.Name},
		},
		Spec: corev1.ServiceSpec{Selector: selectorLabels(project, svc.Name)},
	}
	for _, cp := range containerPorts(svc) {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{
			Name:       portName(cp),
			Protocol:   cp.Protocol,
			Port:       cp.ContainerPort,
			TargetPort: intstr.FromInt32(cp.ContainerPort),
		})
	}
	if len(s.Spec.Ports) == 0 {
		s.Spec.ClusterIP = corev1.ClusterIPNone
	}
	return s
}

func portName(cp corev1.ContainerPort) string {
	proto := "tcp"
	if cp.Protocol == corev1.ProtocolUDP {
		proto = "udp"
	}
	return proto + "-" + strconv.Itoa(int(cp.ContainerPort))
}

// podAnnotations carries the service's compose labels and annotations to its pods: label values
// that Kubernetes labels could not hold are fine as annotations.
func podAnnotations(svc types.ServiceConfig) map[string]string {
	out := map[string]string{AnnotationService: svc.Name}
	for k, v := range svc.Labels {
		out[k] = v
	}
	for k, v := range svc.Annotations {
		out[k] = v
	}
	return out
}

func usesClaims(spec corev1.PodSpec) bool {
	return slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.PersistentVolumeClaim != nil })
}

// configHash identifies the service's configuration, so a one-shot Job that changed runs again.
func configHash(svc types.ServiceConfig) (string, error) {
	b, err := json.Marshal(svc)
	if err != nil {
		return "", fmt.Errorf("service %q: hash its configuration: %w", svc.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

func ptr[T any](v T) *T { return &v }
