package train

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mlstack/mlstack/internal/metrics"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/ui"
)

// Recording is one run's record and log while its job runs, on either backend: the job's output
// goes to the run's log and its metric lines into the record, which is rewritten as they come.
type Recording struct {
	ui       *ui.Streams
	store    runs.Store
	rec      *runs.Record
	log      io.WriteCloser
	out      io.Writer
	recorder *metrics.Recorder
	mu       sync.Mutex // guards rec between the job's start, the metric saver and Finish
	started  bool
	stop     context.CancelFunc
	saving   chan struct{}
}

// StartRecording opens the log of a new run described by rec (its ID, log file, owner and mlstack
// version are set here) and keeps the run's metrics in its record from the job's start until
// Finish. Nothing is saved before Started.
func StartRecording(ctx context.Context, u *ui.Streams, store runs.Store, rec *runs.Record, version string) (*Recording, error) {
	rec.ID = store.NewID(time.Now())
	rec.LogFile = filepath.Join(project.StateDirName, "runs", rec.ID+".log")
	rec.Owner, rec.MlstackVersion = runs.OwnerHere(), version
	logw, err := store.LogWriter(rec.ID, LogLimit)
	if err != nil {
		return nil, err
	}
	r := &Recording{ui: u, store: store, rec: rec, log: logw, recorder: metrics.NewRecorder(), saving: make(chan struct{})}
	r.out = io.MultiWriter(logw, r.recorder)
	var sctx context.Context
	sctx, r.stop = context.WithCancel(ctx)
	go func() {
		defer close(r.saving)
		keepMetrics(sctx, &r.mu, rec, r.recorder, func() error { return store.Save(rec) })
	}()
	return r, nil
}

// Output takes the job's stdout: the run's log, and its metric lines.
func (r *Recording) Output() io.Writer { return r.out }

// Log takes the job's stderr: the run's log only.
func (r *Recording) Log() io.Writer { return r.log }

// ID is the run's ID.
func (r *Recording) ID() string { return r.rec.ID }

// Started records the job's start: fill sets what the backend knows of it (see Launch for its
// command and environment), and the record is saved.
func (r *Recording) Started(fill func(*runs.Record)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
	fill(r.rec)
	if err := r.store.Save(r.rec); err != nil {
		r.ui.Warn("%v", err)
	}
}

// Finish ends the recording with the job's exit code and returns the saved record. A job that never
// started leaves no record and no log behind (nil).
func (r *Recording) Finish(code int) *runs.Record {
	r.stop()
	<-r.saving
	if err := r.log.Close(); err != nil {
		r.ui.Warn("%v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		_ = os.Remove(r.store.LogPath(r.rec.ID))
		return nil
	}
	r.rec.Finish(time.Now(), code)
	r.rec.Metrics, r.rec.MetricSeries = r.recorder.Last(), r.recorder.Series()
	if err := r.store.Save(r.rec); err != nil {
		r.ui.Warn("%v", err)
	}
	return r.rec
}

// Launch sets a record's entrypoint, command and environment as they ran, with secrets masked.
func Launch(rec *runs.Record, entrypoint, command, env []string) {
	var hiddenEntry, hiddenCmd []string
	rec.Entrypoint, hiddenEntry = runs.MaskArgs(entrypoint)
	rec.Command, hiddenCmd = runs.MaskArgs(command)
	rec.MaskedArgs = append(hiddenEntry, hiddenCmd...)
	rec.Env, rec.Masked = runs.MaskEnv(env)
}
