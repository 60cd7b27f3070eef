package e2e

import (
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// `logs SERVICE` for a job that only runs as one-off containers points to its run records; for a
// service not started yet, to up.
func TestLogsOfAJobPointsToRuns(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  api: {image: "${FIXTURE}", command: ["serve"]}
  training: {image: "${FIXTURE}", command: ["exit"], profiles: [training]}
`)
	r := p.Run("logs", "training")
	if r.Code != 1 || !strings.Contains(r.Stderr, "one-off jobs") || !strings.Contains(r.Stderr, "mlstack runs show latest") {
		t.Errorf("logs training: exit %d\n%s", r.Code, r.Stderr)
	}
	r = p.Run("logs", "api")
	if r.Code != 1 || !strings.Contains(r.Stderr, "mlstack up -d api") {
		t.Errorf("logs api before up: exit %d\n%s", r.Code, r.Stderr)
	}
}
