package stack

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
)

func isNotFound(err error) bool { return engine.IsNotFound(err) }
func isConflict(err error) bool { return engine.IsConflict(err) }

// usedNetworks returns the project network keys the target services attach to.
func (s *Stack) usedNetworks(targets []string) []string {
	p := s.Project.Project
	used := map[string]bool{}
	for _, n := range targets {
		svc := p.Services[n]
		if svc.NetworkMode != "" {
			continue
		}
		if len(svc.Networks) == 0 {
			if _, ok := p.Networks["default"]; ok {
				used["default"] = true
			}
		}
		for k := range svc.Networks {
			used[k] = true
		}
	}
	return slices.Sorted(maps.Keys(used))
}

// checkNetworks returns the networks to create; a missing external network, or a network of the
// same name owned by another project, is an error before anything is created.
func (s *Stack) checkNetworks(ctx context.Context, targets []string) ([]string, error) {
	p := s.Project.Project
	var missing []string
	for _, key := range s.usedNetworks(targets) {
		cfg := p.Networks[key]
		netName := NetworkName(p, key)
		existing, err := s.api().NetworkInspect(ctx, netName, network.InspectOptions{})
		if err == nil {
			if bool(cfg.External) {
				continue
			}
			if owner := existing.Labels[labels.Project]; owner != "" && owner != s.Name() {
				return nil, fmt.Errorf("network %s (networks.%s) belongs to project %q; give this project another name with -p", netName, key, owner)
			}
			if existing.Labels[labels.Network] != key {
				// As compose: a network of this name that neither tool created is not adopted.
				return nil, fmt.Errorf("network %s (networks.%s) exists but was not created for this project (its label %s is %q, want %q); remove it with `docker network rm %s`, or declare it external: true to use it as is", netName, key, labels.Network, existing.Labels[labels.Network], key, netName)
			}
			continue
		}
		if !isNotFound(err) {
			if dup := s.duplicateNetwork(ctx, netName); dup != nil {
				return nil, dup
			}
			return nil, fmt.Errorf("inspect network %s: %w", netName, err)
		}
		if bool(cfg.External) {
			return nil, fmt.Errorf("network %s is declared external (networks.%s) but does not exist; create it with `docker network create %s`", netName, key, netName)
		}
		missing = append(missing, key)
	}
	return missing, nil
}

// createNetworks creates project networks with compose's labels.
func (s *Stack) createNetworks(ctx context.Context, keys []string, rb *rollback) error {
	p := s.Project.Project
	for _, key := range keys {
		cfg := p.Networks[key]
		netName := NetworkName(p, key)
		lbls := map[string]string{labels.Project: s.Name(), labels.Network: key, labels.Version: labels.ComposeVersion}
		for k, v := range cfg.Labels {
			lbls[k] = v
		}
		opts := network.CreateOptions{Driver: cfg.Driver, Options: cfg.DriverOpts, Internal: cfg.Internal, Attachable: cfg.Attachable, Labels: lbls}
		if cfg.EnableIPv6 != nil {
			opts.EnableIPv6 = cfg.EnableIPv6
		}
		if cfg.Ipam.Driver != "" || len(cfg.Ipam.Config) > 0 {
			ipam := &network.IPAM{Driver: cfg.Ipam.Driver}
			for _, c := range cfg.Ipam.Config {
				ipam.Config = append(ipam.Config, network.IPAMConfig{Subnet: c.Subnet, IPRange: c.IPRange, Gateway: c.Gateway, AuxAddress: c.AuxiliaryAddresses})
			}
			opts.IPAM = ipam
		}
		if _, err := s.api().NetworkCreate(ctx, netName, opts); err != nil {
			if isConflict(err) {
				continue // created meanwhile by a concurrent command: same labels, same network
			}
			return fmt.Errorf("create network %s (networks.%s): %w", netName, key, err)
		}
		rb.networks = append(rb.networks, netName)
		s.UI.Status("Network "+netName, "Created")
	}
	return nil
}

// checkVolumes returns the named volumes to create; a missing external volume is an error.
func (s *Stack) checkVolumes(ctx context.Context, targets []string) ([]string, error) {
	p := s.Project.Project
	used := map[string]bool{}
	for _, n := range targets {
		for _, v := range p.Services[n].Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source != "" {
				used[v.Source] = true
			}
		}
	}
	var missing []string
	for _, key := range slices.Sorted(maps.Keys(used)) {
		cfg := p.Volumes[key]
		volName := VolumeName(p, key)
		existing, err := s.api().VolumeInspect(ctx, volName)
		if err == nil {
			if !bool(cfg.External) && existing.Labels[labels.Project] != "" && existing.Labels[labels.Project] != s.Name() {
				s.UI.Warn("volume %s (volumes.%s) was created by project %q; using it", volName, key, existing.Labels[labels.Project])
			}
			continue
		}
		if !isNotFound(err) {
			return nil, fmt.Errorf("inspect volume %s: %w", volName, err)
		}
		if bool(cfg.External) {
			return nil, fmt.Errorf("volume %s is declared external (volumes.%s) but does not exist; create it with `docker volume create %s`", volName, key, volName)
		}
		missing = append(missing, key)
	}
	return missing, nil
}

// createVolumes creates named volumes with compose's labels.
func (s *Stack) createVolumes(ctx context.Context, keys []string, rb *rollback) error {
	p := s.Project.Project
	for _, key := range keys {
		cfg := p.Volumes[key]
		volName := VolumeName(p, key)
		lbls := map[string]string{labels.Project: s.Name(), labels.Volume: key, labels.Version: labels.ComposeVersion}
		for k, v := range cfg.Labels {
			lbls[k] = v
		}
		if _, err := s.api().VolumeCreate(ctx, volume.CreateOptions{Name: volName, Driver: cfg.Driver, DriverOpts: cfg.DriverOpts, Labels: lbls}); err != nil {
			return fmt.Errorf("create volume %s (volumes.%s): %w", volName, key, err)
		}
		rb.volumes = append(rb.volumes, volName)
		s.UI.Status("Volume "+volName, "Created")
	}
	return nil
}

// removeContainer stops (with the grace period) and removes one container.
func (s *Stack) removeContainer(ctx context.Context, id, cname string, timeout *int) error {
	if err := s.api().ContainerStop(ctx, id, container.StopOptions{Timeout: timeout}); err != nil && !isNotFound(err) {
		return fmt.Errorf("stop container %s: %w", cname, err)
	}
	if err := s.api().ContainerRemove(ctx, id, container.RemoveOptions{RemoveVolumes: false, Force: true}); err != nil && !isNotFound(err) {
		return fmt.Errorf("remove container %s: %w", cname, err)
	}
	s.UI.Status("Container "+cname, "Removed")
	return nil
}

// ensureNetworks checks and creates the networks the target services use.
func (s *Stack) ensureNetworks(ctx context.Context, targets []string, rb *rollback) error {
	keys, err := s.checkNetworks(ctx, targets)
	if err != nil {
		return err
	}
	return s.createNetworks(ctx, keys, rb)
}

// ensureVolumes checks and creates the named volumes the target services mount.
func (s *Stack) ensureVolumes(ctx context.Context, targets []string, rb *rollback) error {
	keys, err := s.checkVolumes(ctx, targets)
	if err != nil {
		return err
	}
	return s.createVolumes(ctx, keys, rb)
}
