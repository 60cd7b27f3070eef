package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mlstack/mlstack/internal/runs"
)

// Bounds on what the dashboard reads from the runs directory.
const (
	maxRecordSize = 16 << 20 // a record with every metric's full curve stays far below
	logTailBytes  = 64 << 10
	logTailLines  = 200
)

// validRunID accepts the IDs `mlstack train` makes and nothing that could leave the directory: a
// letter or digit, then up to 127 of letters, digits, '.', '_' and '-'. (As a regular expression
// the bounded repetition compiled to a large program at every process start.)
func validRunID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i, c := range []byte(id) {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// RunSummary is one line of the runs table: the record without its curves, and whether it is live.
type RunSummary struct {
	runs.Record
	// Status is running, done, failed (non-zero exit) or lost (never finished, its container is gone).
	Status string `json:"status"`
}

// runReader reads run records and logs from .mlstack/runs, without following symlinks, and keeps
// the records (without curves) it has read until their files change.
type runReader struct {
	dir string

	mu    sync.Mutex
	cache map[string]cachedRun
}

type cachedRun struct {
	mod  time.Time
	size int64
	rec  runs.Record
}

func newRunReader(dir string) *runReader { return &runReader{dir: dir, cache: map[string]cachedRun{}} }

// List returns every record, newest first, without curves. running says which container names of
// one-off jobs are running now. Unreadable records are left out.
func (r *runReader) List(running map[string]bool) ([]RunSummary, error) {
	entries, err := os.ReadDir(r.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []RunSummary{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", r.dir, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	out := []RunSummary{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validRunID(id) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		seen[id] = true
		c, ok := r.cache[id]
		if !ok || !c.mod.Equal(info.ModTime()) || c.size != info.Size() {
			rec, err := r.load(id)
			if err != nil {
				continue
			}
			rec.MetricSeries = nil
			c = cachedRun{mod: info.ModTime(), size: info.Size(), rec: *rec}
			r.cache[id] = c
		}
		out = append(out, RunSummary{Record: c.rec, Status: runStatus(&c.rec, running)})
	}
	for id := range r.cache {
		if !seen[id] {
			delete(r.cache, id)
		}
	}
	slices.SortFunc(out, func(a, b RunSummary) int {
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

func runStatus(rec *runs.Record, running map[string]bool) string {
	switch {
	case rec.Finished() && rec.ExitCode == 0:
		return "done"
	case rec.Finished():
		return "failed"
	case running[rec.ContainerName]:
		return "running"
	default:
		return "lost"
	}
}

// Get reads one record with its curves.
func (r *runReader) Get(id string) (*runs.Record, error) {
	if !validRunID(id) {
		return nil, fmt.Errorf("run %q: %w", id, runs.ErrUnknownRun)
	}
	return r.load(id)
}

func (r *runReader) load(id string) (*runs.Record, error) {
	b, err := readNoFollow(filepath.Join(r.dir, id+".json"), 0, maxRecordSize)
	if err != nil {
		return nil, err
	}
	var rec runs.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("read run %s: %w", id, err)
	}
	if rec.ID == "" {
		rec.ID = id
	}
	return &rec, nil
}

// Tail returns the last lines of a run's output, each progress bar at its last redraw.
func (r *runReader) Tail(id string) ([]string, error) {
	if !validRunID(id) {
		return nil, fmt.Errorf("run %q: %w", id, runs.ErrUnknownRun)
	}
	b, err := readNoFollow(filepath.Join(r.dir, id+".log"), logTailBytes, 0)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(b) == logTailBytes && len(lines) > 1 {
		lines = lines[1:] // the first is likely cut
	}
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if j := strings.LastIndex(l, "\r"); j >= 0 {
			l = l[j+1:]
		}
		lines[i] = clean([]byte(l))
	}
	return lines, nil
}

// readNoFollow reads a regular file that is not a symlink: its last tail bytes when tail > 0,
// else all of it up to limit bytes.
func readNoFollow(path string, tail, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("read %s: refusing to follow a symlink", path)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: not a regular file", path)
	}
	if tail > 0 {
		off := max(0, st.Size()-tail)
		buf := make([]byte, st.Size()-off)
		n, err := f.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return buf[:n], nil
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("read %s: %d bytes, more than the %d a run record may have", path, st.Size(), limit)
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(f, limit)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b.Bytes(), nil
}
