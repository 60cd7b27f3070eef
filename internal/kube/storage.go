package kube

import (
	"fmt"
	"os"
	"path"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClaimSize is the storage a named volume's PersistentVolumeClaim asks for.
const ClaimSize = "1Gi"

// mounts adds the service's volumes, tmpfs, secrets and configs to the pod. Bind mounts are an
// error: a cluster node does not have the project's files.
func mounts(p *types.Project, svc types.ServiceConfig, spec *corev1.PodSpec) error {
	c := &spec.Containers[0]
	for i, v := range svc.Volumes {
		vol := corev1.Volume{Name: fmt.Sprintf("vol-%d", i)}
		switch v.Type {
		case types.VolumeTypeBind:
			return fmt.Errorf("service %q: volumes: bind mount %s:%s cannot run on a cluster (its nodes do not have the project's files): use a named volume, or bake the files into the image", svc.Name, v.Source, v.Target)
		case types.VolumeTypeVolume:
			if v.Source == "" {
				vol.EmptyDir = &corev1.EmptyDirVolumeSource{}
				break
			}
			vol.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName(p, v.Source), ReadOnly: v.ReadOnly}
		case types.VolumeTypeTmpfs:
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}
		default:
			return fmt.Errorf("service %q: volumes: a %s volume (%s) has no Kubernetes mapping", svc.Name, v.Type, v.Target)
		}
		spec.Volumes = append(spec.Volumes, vol)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol.Name, MountPath: v.Target, ReadOnly: v.ReadOnly})
	}
	for i, t := range svc.Tmpfs {
		vol := corev1.Volume{Name: fmt.Sprintf("tmpfs-%d", i), VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}}
		spec.Volumes = append(spec.Volumes, vol)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol.Name, MountPath: t})
	}
	for i, s := range svc.Secrets {
		target := s.Target
		if target == "" {
			target = "/run/secrets/" + s.Source
		} else if !path.IsAbs(target) {
			target = "/run/secrets/" + target
		}
		vol := corev1.Volume{Name: fmt.Sprintf("secret-%d", i), VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: objectName(p.Secrets[s.Source].External, p.Secrets[s.Source].Name, s.Source), DefaultMode: mode(s.Mode)}}}
		spec.Volumes = append(spec.Volumes, vol)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol.Name, MountPath: target, SubPath: dataKey, ReadOnly: true})
	}
	for i, s := range svc.Configs {
		target := s.Target
		if target == "" {
			target = "/" + s.Source
		}
		vol := corev1.Volume{Name: fmt.Sprintf("config-%d", i), VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: objectName(p.Configs[s.Source].External, p.Configs[s.Source].Name, s.Source)}, DefaultMode: mode(s.Mode)}}}
		spec.Volumes = append(spec.Volumes, vol)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol.Name, MountPath: target, SubPath: dataKey, ReadOnly: true})
	}
	return nil
}

// dataKey is the one key of the Secrets and ConfigMaps mlstack makes from compose's secrets and configs.
const dataKey = "content"

func mode(m *types.FileMode) *int32 {
	if m == nil {
		return nil
	}
	return ptr(int32(*m))
}

// objectName is the name of the object holding a volume, secret or config: an external one by its
// own name, the project's by its compose key.
func objectName(external types.External, name, key string) string {
	if bool(external) && name != "" {
		return Name(name)
	}
	return Name(key)
}

func claimName(p *types.Project, key string) string {
	v := p.Volumes[key]
	return objectName(v.External, v.Name, key)
}

// sharedObjects are the claims, secrets and config maps the active services use; external ones
// must exist already and are not created.
func sharedObjects(p *types.Project, o ConvertOptions) ([]Object, error) {
	used := map[string]map[string]bool{"volume": {}, "secret": {}, "config": {}}
	for _, svc := range p.Services {
		for _, v := range svc.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source != "" {
				used["volume"][v.Source] = true
			}
		}
		for _, s := range svc.Secrets {
			used["secret"][s.Source] = true
		}
		for _, c := range svc.Configs {
			used["config"][c.Source] = true
		}
	}
	meta := func(key string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: Name(key), Namespace: o.Namespace, Labels: projectLabels(p.Name)}
	}
	var out []Object
	for _, key := range sorted(used["volume"]) {
		if bool(p.Volumes[key].External) {
			continue
		}
		out = append(out, &corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: meta(key),
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(ClaimSize)}},
			},
		})
	}
	for _, key := range sorted(used["secret"]) {
		s := p.Secrets[key]
		if bool(s.External) || o.NoSecretData {
			continue
		}
		data, err := fileObjectData(p, types.FileObjectConfig(s), "secrets", key)
		if err != nil {
			return nil, err
		}
		out = append(out, &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: meta(key), Data: map[string][]byte{dataKey: data}})
	}
	for _, key := range sorted(used["config"]) {
		c := p.Configs[key]
		if bool(c.External) {
			continue
		}
		data, err := fileObjectData(p, types.FileObjectConfig(c), "configs", key)
		if err != nil {
			return nil, err
		}
		out = append(out, &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta(key), BinaryData: map[string][]byte{dataKey: data}})
	}
	return out, nil
}

// fileObjectData reads a secret's or config's content: inline, from its file, or from the environment.
func fileObjectData(p *types.Project, f types.FileObjectConfig, kind, key string) ([]byte, error) {
	switch {
	case f.Content != "":
		return []byte(f.Content), nil
	case f.File != "":
		b, err := os.ReadFile(f.File)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: read its file: %w", kind, key, err)
		}
		return b, nil
	case f.Environment != "":
		v, ok := p.Environment[f.Environment]
		if !ok {
			return nil, fmt.Errorf("%s: %s: environment variable %s is not set", kind, key, f.Environment)
		}
		return []byte(v), nil
	}
	return nil, fmt.Errorf("%s: %s: no file, environment or content", kind, key)
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
