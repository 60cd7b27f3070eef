package kube

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlstack/mlstack/internal/gpu"
)

// GPUResource is the extended resource NVIDIA's device plugin advertises.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// podSpec is the pod of a service: one container with its image, command, environment, ports,
// readiness probe, resources, GPUs and mounts.
func podSpec(p *types.Project, svc types.ServiceConfig, image string, gpus int64, oneShot bool) (corev1.PodSpec, []string, error) {
	c := corev1.Container{
		Name:       Name(svc.Name),
		Image:      image,
		Command:    svc.Entrypoint,
		Args:       svc.Command,
		WorkingDir: svc.WorkingDir,
		TTY:        svc.Tty,
		Stdin:      svc.StdinOpen,
		Env:        env(svc),
		Ports:      containerPorts(svc),
	}
	if svc.PullPolicy == types.PullPolicyAlways {
		c.ImagePullPolicy = corev1.PullAlways
	}
	var warns []string
	if !oneShot {
		c.ReadinessProbe = probe(svc.HealthCheck)
	}
	res, err := resources(svc, gpus)
	if err != nil {
		return corev1.PodSpec{}, nil, err
	}
	c.Resources = res
	spec := corev1.PodSpec{Containers: []corev1.Container{c}}
	if svc.User != "" {
		sc, err := securityContext(svc)
		if err != nil {
			return corev1.PodSpec{}, nil, err
		}
		spec.SecurityContext = sc
	}
	if svc.StopGracePeriod != nil {
		spec.TerminationGracePeriodSeconds = ptr(int64(math.Ceil(time.Duration(*svc.StopGracePeriod).Seconds())))
	}
	if gpus > 0 {
		// GPU pools are usually tainted so that CPU work stays off them; GPU pods tolerate it.
		spec.Tolerations = []corev1.Toleration{{Key: string(GPUResource), Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	}
	if err := mounts(p, svc, &spec); err != nil {
		return corev1.PodSpec{}, nil, err
	}
	for _, port := range svc.Ports {
		if port.Published != "" {
			warns = append(warns, fmt.Sprintf("service %q: ports: published port %s is not mapped (a cluster publishes no host ports): the Service %q listens on %d; reach it with kubectl port-forward svc/%s %s:%d",
				svc.Name, port.Published, Name(svc.Name), port.Target, Name(svc.Name), port.Published, port.Target))
		}
	}
	return spec, warns, nil
}

// env is the service's environment (env_file is already merged in by the loader), sorted; variables
// without a value are unset in compose and left out here too.
func env(svc types.ServiceConfig) []corev1.EnvVar {
	keys := make([]string, 0, len(svc.Environment))
	for k, v := range svc.Environment {
		if v != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]corev1.EnvVar, 0, len(keys))
	for _, k := range keys {
		out = append(out, corev1.EnvVar{Name: k, Value: *svc.Environment[k]})
	}
	return out
}

// containerPorts are the ports the service listens on: ports' targets and expose, once each.
func containerPorts(svc types.ServiceConfig) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	add := func(port int32, proto string) {
		pr := corev1.ProtocolTCP
		if strings.EqualFold(proto, "udp") {
			pr = corev1.ProtocolUDP
		}
		if !slices.ContainsFunc(out, func(c corev1.ContainerPort) bool { return c.ContainerPort == port && c.Protocol == pr }) {
			out = append(out, corev1.ContainerPort{ContainerPort: port, Protocol: pr})
		}
	}
	for _, p := range svc.Ports {
		add(int32(p.Target), p.Protocol)
	}
	for _, e := range svc.Expose {
		port, proto, _ := strings.Cut(e, "/")
		lo, _, _ := strings.Cut(port, "-")
		if n, err := strconv.Atoi(lo); err == nil {
			add(int32(n), proto)
		}
	}
	return out
}

// probe maps a healthcheck to a readiness probe: CMD → exec, CMD-SHELL → sh -c, interval →
// periodSeconds, timeout → timeoutSeconds, retries → failureThreshold. start_period needs nothing:
// a failing readiness probe never restarts a pod, it only keeps it out of "ready".
func probe(hc *types.HealthCheckConfig) *corev1.Probe {
	if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
		return nil
	}
	var cmd []string
	switch hc.Test[0] {
	case "CMD":
		cmd = hc.Test[1:]
	case "CMD-SHELL":
		cmd = []string{"sh", "-c", strings.Join(hc.Test[1:], " ")}
	default:
		cmd = []string{"sh", "-c", strings.Join(hc.Test, " ")}
	}
	pr := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}}}
	if hc.Interval != nil {
		pr.PeriodSeconds = seconds(*hc.Interval)
	}
	if hc.Timeout != nil {
		pr.TimeoutSeconds = seconds(*hc.Timeout)
	}
	if hc.Retries != nil {
		pr.FailureThreshold = int32(min(*hc.Retries, math.MaxInt32))
	}
	return pr
}

// seconds rounds a compose duration up to whole seconds, at least one (probes count in seconds).
func seconds(d types.Duration) int32 {
	return int32(max(1, math.Ceil(time.Duration(d).Seconds())))
}

// RequestedGPUs is the nvidia.com/gpu count the service's compose file reserves: a count, the
// number of device_ids, or 1 for "all" (a cluster has no "all"; `up --gpus` resolves it per node).
func RequestedGPUs(svc types.ServiceConfig) int64 {
	var n int64
	for _, r := range gpu.FromService(svc) {
		if !gpu.IsGPURequest(r) {
			continue
		}
		switch {
		case len(r.DeviceIDs) > 0:
			n += int64(len(r.DeviceIDs))
		case r.Count < 0:
			n += 1
		default:
			n += int64(r.Count)
		}
	}
	return n
}

// resources maps deploy.resources (and cpus/mem_limit) to limits and requests, plus the GPUs.
func resources(svc types.ServiceConfig, gpus int64) (corev1.ResourceRequirements, error) {
	var r corev1.ResourceRequirements
	set := func(l *corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
		if *l == nil {
			*l = corev1.ResourceList{}
		}
		(*l)[name] = q
	}
	cpus := func(v float32) resource.Quantity {
		return *resource.NewMilliQuantity(int64(math.Round(float64(v)*1000)), resource.DecimalSI)
	}
	mem := func(v types.UnitBytes) resource.Quantity { return *resource.NewQuantity(int64(v), resource.BinarySI) }
	if svc.CPUS > 0 {
		set(&r.Limits, corev1.ResourceCPU, cpus(svc.CPUS))
	}
	if svc.MemLimit > 0 {
		set(&r.Limits, corev1.ResourceMemory, mem(svc.MemLimit))
	}
	if svc.MemReservation > 0 {
		set(&r.Requests, corev1.ResourceMemory, mem(svc.MemReservation))
	}
	if svc.Deploy != nil {
		if l := svc.Deploy.Resources.Limits; l != nil {
			if l.NanoCPUs > 0 {
				set(&r.Limits, corev1.ResourceCPU, cpus(float32(l.NanoCPUs)))
			}
			if l.MemoryBytes > 0 {
				set(&r.Limits, corev1.ResourceMemory, mem(l.MemoryBytes))
			}
		}
		if rs := svc.Deploy.Resources.Reservations; rs != nil {
			if rs.NanoCPUs > 0 {
				set(&r.Requests, corev1.ResourceCPU, cpus(float32(rs.NanoCPUs)))
			}
			if rs.MemoryBytes > 0 {
				set(&r.Requests, corev1.ResourceMemory, mem(rs.MemoryBytes))
			}
		}
	}
	if gpus > 0 {
		set(&r.Limits, GPUResource, *resource.NewQuantity(gpus, resource.DecimalSI))
	}
	for name, req := range r.Requests {
		if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
			return r, fmt.Errorf("service %q: deploy.resources: the reservation of %s (%s) exceeds its limit (%s)", svc.Name, name, req.String(), lim.String())
		}
	}
	return r, nil
}

// securityContext maps user: "UID[:GID]"; names need the image's /etc/passwd, which a pod cannot read.
func securityContext(svc types.ServiceConfig) (*corev1.PodSecurityContext, error) {
	u, g, hasGroup := strings.Cut(svc.User, ":")
	uid, err := strconv.ParseInt(u, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("service %q: user %q: Kubernetes needs a numeric UID[:GID] (runAsUser)", svc.Name, svc.User)
	}
	sc := &corev1.PodSecurityContext{RunAsUser: &uid}
	if hasGroup {
		gid, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("service %q: user %q: Kubernetes needs a numeric GID (runAsGroup)", svc.Name, svc.User)
		}
		sc.RunAsGroup = &gid
	}
	return sc, nil
}
