package train

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/ui"
)

// Both backends record a run through Recording: its output in the log, its metrics and its masked
// launch in the record, and nothing at all for a job that never started.
func TestRecordingKeepsLogMetricsAndMasksTheLaunch(t *testing.T) {
	store := runs.Store{Dir: t.TempDir()}
	u := ui.Test(nil, io.Discard, io.Discard)
	run, err := StartRecording(context.Background(), u, store, &runs.Record{Project: "p", Service: "training", Cluster: "sim"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	run.Started(func(rec *runs.Record) {
		rec.StartedAt = time.Now()
		Launch(rec, []string{"python"}, []string{"train.py", "--hf-token", "hf_secretvalue"}, []string{"API_TOKEN=s3cr3t", "EPOCHS=3"})
	})
	fmt.Fprintln(run.Output(), "epoch 1")
	fmt.Fprintln(run.Output(), `MLSTACK_METRIC {"step": 1, "loss": 0.5}`)
	fmt.Fprintln(run.Log(), "a warning on stderr")
	rec := run.Finish(3)
	if rec == nil {
		t.Fatal("a started job left no record")
	}
	got, err := store.Get(run.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.ExitCode != 3 || !got.Finished() || got.Owner == "" || got.Cluster != "sim" || got.MlstackVersion != "test" {
		t.Errorf("record = %+v", got)
	}
	if got.Metrics["loss"] != 0.5 {
		t.Errorf("metrics %v, want loss 0.5", got.Metrics)
	}
	saved, _ := os.ReadFile(store.LogPath(run.ID()))
	if !strings.Contains(string(saved), "epoch 1") || !strings.Contains(string(saved), "a warning on stderr") {
		t.Errorf("log = %q", saved)
	}
	all := strings.Join(slices.Concat(got.Entrypoint, got.Command), " ") + fmt.Sprint(got.Env)
	for _, secret := range []string{"hf_secretvalue", "s3cr3t"} {
		if strings.Contains(all, secret) {
			t.Errorf("the record shows %q: %s", secret, all)
		}
	}
	if got.Env["EPOCHS"] != "3" || !slices.Contains(got.Masked, "API_TOKEN") || !slices.Contains(got.MaskedArgs, "--hf-token") {
		t.Errorf("env %v, masked %v, masked args %v", got.Env, got.Masked, got.MaskedArgs)
	}

	never, err := StartRecording(context.Background(), u, store, &runs.Record{Project: "p", Service: "training"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if never.Finish(1) != nil {
		t.Error("a job that never started left a record")
	}
	if _, err := os.Stat(store.LogPath(never.ID())); !os.IsNotExist(err) {
		t.Errorf("a job that never started left its log: %v", err)
	}
}
