package stack

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/docker/go-connections/nat"
)

// PortOptions are `mlstack port`'s choices.
type PortOptions struct {
	Service  string
	Port     int
	Protocol string // tcp (default) or udp
	Index    int
}

// Port returns the public address ("127.0.0.1:49153") a service container's private port is
// published on.
func (s *Stack) Port(ctx context.Context, o PortOptions) (string, error) {
	if err := s.checkKnown([]string{o.Service}); err != nil {
		return "", err
	}
	proto := o.Protocol
	if proto == "" {
		proto = "tcp"
	}
	c, err := s.serviceContainer(ctx, o.Service, o.Index, false)
	if err != nil {
		return "", err
	}
	in, err := s.api().ContainerInspect(ctx, c.ID)
	if err != nil {
		return "", fmt.Errorf("inspect container %s: %w", name(c), err)
	}
	key := nat.Port(fmt.Sprintf("%d/%s", o.Port, proto))
	if in.NetworkSettings != nil {
		for _, b := range in.NetworkSettings.Ports[key] {
			if b.HostPort == "" {
				continue
			}
			ip := b.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			return net.JoinHostPort(ip, b.HostPort), nil
		}
	}
	if in.State == nil || !in.State.Running {
		return "", fmt.Errorf("service %q: container %s is not running, so port %s is not published", o.Service, name(c), key)
	}
	return "", fmt.Errorf("service %q: port %s of container %s is not published (services.%s.ports)", o.Service, key, name(c), o.Service)
}

// ParsePort reads PRIVATE_PORT[/PROTOCOL] as `docker compose port` takes it.
func ParsePort(arg, protocol string) (int, string, error) {
	p, proto := arg, protocol
	if n, pr, ok := strings.Cut(arg, "/"); ok {
		p, proto = n, pr
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, "", fmt.Errorf("invalid port %q: want a number from 1 to 65535", arg)
	}
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return 0, "", fmt.Errorf("invalid protocol %q: want tcp, udp or sctp", proto)
	}
	return n, proto, nil
}
