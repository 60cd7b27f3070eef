package train

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/metrics"
	"github.com/mlstack/mlstack/internal/runs"
)

// While a job runs, its new metrics reach the saved record without waiting for the end.
func TestKeepMetricsSavesNewMetricsWhileRunning(t *testing.T) {
	rec := &runs.Record{StartedAt: time.Now()}
	m := metrics.NewRecorder()
	var mu sync.Mutex
	saved := make(chan map[string]float64, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		keepMetrics(ctx, &mu, rec, m, func() error { saved <- maps.Clone(rec.Metrics); return nil })
	}()
	m.Write([]byte("MLSTACK_METRIC {\"step\": 1, \"loss\": 0.5}\n"))
	select {
	case got := <-saved:
		if got["loss"] != 0.5 {
			t.Errorf("saved metrics %v, want loss 0.5", got)
		}
	case <-time.After(time.Minute):
		t.Fatal("no save within a minute of a new metric")
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(rec.MetricSeries["loss"]) != 1 {
		t.Errorf("series %v", rec.MetricSeries)
	}
}
