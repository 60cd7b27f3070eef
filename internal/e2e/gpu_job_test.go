package e2e

import (
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// A training job with no GPU reservation still learns where it runs: under --gpus auto it gets the
// engine's GPUs where there are some and, on a CPU-only engine, runs on CPU with one notice.
func TestTrainAutoWithoutReservationSaysCPU(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  training:
    image: ${FIXTURE}
    command: ["train", "--epochs", "1", "--steps", "1", "--interval", "10ms"]
`)
	env := []string{"XDG_CACHE_HOME=" + t.TempDir()}
	if engineHasGPU(t, p) {
		r := p.RunEnv(env, "train", "--gpus", "auto")
		recs := listRuns(t, p)
		if r.Code != 0 || strings.Contains(r.Stderr, "on CPU") || len(recs) != 1 || recs[0].GPUsGranted == "none" {
			t.Errorf("train --gpus auto on an engine with a GPU: exit %d, records %+v, stderr:\n%s", r.Code, recs, r.Stderr)
		}
		return
	}
	r := p.RunEnv(env, "train", "--gpus", "auto")
	if r.Code != 0 || strings.Count(r.Stderr, "on CPU") != 1 {
		t.Fatalf("train --gpus auto: exit %d, want 0 and one CPU notice:\n%s", r.Code, r.Stderr)
	}
	recs := listRuns(t, p)
	if len(recs) != 1 || recs[0].GPUsRequested != "auto" || recs[0].GPUsGranted != "none" {
		t.Errorf("record GPUs: %+v", recs)
	}
	// A general one-off is not a training job: no GPU talk.
	if r := p.RunEnv(env, "run", "training", "exit"); r.Code != 0 || strings.Contains(r.Stderr, "GPU") {
		t.Errorf("run: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}
