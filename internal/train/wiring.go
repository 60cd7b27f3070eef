package train

import (
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/stack"
)

// WireTracking is the MLflow wiring every backend shares: when the project has a tracking server
// (see Tracking) and the job sets no MLFLOW_TRACKING_URI itself, it returns the server's service
// and in-network URI for the job to get.
func WireTracking(services types.Services, target string, job stack.OneOffOptions) (service, uri string, ok bool) {
	if hasEnv(services[target], job, TrackingEnv) {
		return "", "", false
	}
	return Tracking(services, target)
}
