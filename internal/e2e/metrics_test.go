package e2e

import (
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// A job's MLSTACK_METRIC lines land in its run record, `runs show` prints their last values and
// `runs diff` compares them.
func TestTrainRecordsMetrics(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  training:
    image: ${FIXTURE}
    profiles: [training]
    command: ["train", "--metrics", "--epochs", "3", "--steps", "2", "--interval", "10ms"]
`)
	p.MustRun("train")
	p.MustRun("train", "--", "train", "--metrics", "--epochs", "5", "--steps", "2", "--interval", "10ms")
	recs := listRuns(t, p)
	if len(recs) != 2 {
		t.Fatalf("want 2 runs, got %d", len(recs))
	}
	newer, older := recs[0], recs[1]
	if got := older.Metrics["loss"]; got != 0.25 {
		t.Errorf("last loss of a 3-epoch run = %v, want 0.25 (1/(3+1))", got)
	}
	if n := len(newer.MetricSeries["loss"]); n != 5 {
		t.Errorf("5-epoch run kept %d loss points, want 5: %v", n, newer.MetricSeries)
	}
	if pt := newer.MetricSeries["accuracy"][4]; pt.Step != 5 {
		t.Errorf("last accuracy point at step %v, want 5", pt.Step)
	}
	show := p.MustRun("runs", "show", newer.ID)
	if !strings.Contains(show.Stdout, `"loss": 0.1667`) || strings.Contains(show.Stdout, "metric_series") {
		t.Errorf("runs show: want the last loss and no curve points:\n%s", show.Stdout)
	}
	diff := p.MustRun("runs", "diff", older.ID, newer.ID)
	if !strings.Contains(diff.Stdout, "metrics.loss") || !strings.Contains(diff.Stdout, "0.1667") {
		t.Errorf("runs diff does not compare metrics:\n%s", diff.Stdout)
	}
}
