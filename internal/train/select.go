package train

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// DefaultService is the service `mlstack train` runs when none is named.
const DefaultService = "training"

// Profile is the profile whose only service `mlstack train` runs when no service is named "training".
const Profile = "training"

// RoleLabel marks a service's role for mlstack; RoleTracking says it is the experiment tracking
// server (MLflow), whatever its name.
const (
	RoleLabel    = "dev.mlstack.role"
	RoleTracking = "tracking"
)

// TrackingEnv is the variable MLflow clients read the tracking server from.
const TrackingEnv = "MLFLOW_TRACKING_URI"

// SelectService returns the service to train: named when given, else the service called "training",
// else the only service in profile "training". Otherwise the error lists the candidates.
func SelectService(all types.Services, named string) (string, error) {
	names := sortedNames(all)
	if named != "" {
		if _, ok := all[named]; ok {
			return named, nil
		}
		return "", fmt.Errorf("no such service %q; the project's services are: %s", named, strings.Join(names, ", "))
	}
	if _, ok := all[DefaultService]; ok {
		return DefaultService, nil
	}
	var inProfile []string
	for _, n := range names {
		for _, p := range all[n].Profiles {
			if p == Profile {
				inProfile = append(inProfile, n)
				break
			}
		}
	}
	switch len(inProfile) {
	case 1:
		return inProfile[0], nil
	case 0:
		return "", fmt.Errorf("no training service: name one (`mlstack train SERVICE`), call it %q, or put it in profile %q; the project's services are: %s",
			DefaultService, Profile, strings.Join(names, ", "))
	default:
		return "", fmt.Errorf("profile %q has several services (%s): name the one to train (`mlstack train SERVICE`)", Profile, strings.Join(inProfile, ", "))
	}
}

// Tracking finds the project's tracking server among the enabled services (one labelled
// dev.mlstack.role=tracking, else one named "mlflow") and returns it with its in-network URI:
// http://<service>:<port>, the port being its first published target port, else its first
// exposed port, else MLflow's 5000.
func Tracking(services types.Services, target string) (service, uri string, ok bool) {
	for _, n := range sortedNames(services) {
		if n != target && services[n].Labels[RoleLabel] == RoleTracking {
			service = n
			break
		}
	}
	if service == "" {
		if _, found := services["mlflow"]; !found || target == "mlflow" {
			return "", "", false
		}
		service = "mlflow"
	}
	svc := services[service]
	port := 5000
	switch {
	case len(svc.Ports) > 0 && svc.Ports[0].Target != 0:
		port = int(svc.Ports[0].Target)
	case len(svc.Expose) > 0:
		p, _, _ := strings.Cut(svc.Expose[0], "/")
		p, _, _ = strings.Cut(p, "-")
		if n, err := strconv.Atoi(p); err == nil {
			port = n
		}
	}
	return service, fmt.Sprintf("http://%s:%d", service, port), true
}

func sortedNames(s types.Services) []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
