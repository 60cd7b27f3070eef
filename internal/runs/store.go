package runs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrUnknownRun is wrapped by Get when no run matches.
var ErrUnknownRun = errors.New("unknown run")

// ErrAmbiguous is wrapped by Get when a prefix matches several runs.
var ErrAmbiguous = errors.New("ambiguous run prefix")

// Latest is the name Get accepts for the newest run.
const Latest = "latest"

// idTimeLayout makes IDs sort by start time, to the nanosecond: 20261123-153012.123456789-ab12cd.
const idTimeLayout = "20060102-150405.000000000"

// Store keeps records (<id>.json) and logs (<id>.log) in Dir, usually <project>/.mlstack/runs.
type Store struct {
	Dir string
}

// NewID returns a fresh run ID for a run starting at t: UTC time to the nanosecond and six random
// hex digits, so IDs sort by start time (also within one second) and never collide.
func (s Store) NewID(t time.Time) string {
	for {
		var b [3]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
		id := t.UTC().Format(idTimeLayout) + "-" + hex.EncodeToString(b[:])
		if _, err := os.Stat(s.path(id, ".json")); errors.Is(err, fs.ErrNotExist) {
			return id
		}
	}
}

// Save writes r as <Dir>/<id>.json, atomically: readers see the old record or the new one.
func (s Store) Save(r *Record) error {
	if err := checkID(r.ID); err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	tmp, err := os.CreateTemp(s.Dir, "."+r.ID+".json.tmp-*")
	if err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	if err := os.Rename(tmp.Name(), s.path(r.ID, ".json")); err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	return nil
}

// CorruptError lists record files List could not read; it comes with the records that could be read.
type CorruptError struct {
	Files []string
	Errs  []error
}

// Error says how many records were skipped, why, and how to drop them.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("skipped %d unreadable run record(s): %v (delete to drop: rm %s)", len(e.Files), errors.Join(e.Errs...), strings.Join(e.Files, " "))
}

// Unwrap returns the error of each unreadable file.
func (e *CorruptError) Unwrap() []error { return e.Errs }

// List returns up to n records (all when n <= 0), newest first. Unreadable records are skipped and
// reported in a *CorruptError returned together with the readable ones; other errors come alone.
func (s Store) List(n int) ([]Record, error) {
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	var recs []Record
	var bad CorruptError
	for _, id := range ids {
		if n > 0 && len(recs) == n {
			break
		}
		r, err := s.load(id)
		if err != nil {
			bad.Files = append(bad.Files, s.path(id, ".json"))
			bad.Errs = append(bad.Errs, err)
			continue
		}
		recs = append(recs, *r)
	}
	if len(bad.Files) > 0 {
		return recs, &bad
	}
	return recs, nil
}

// Get returns the run whose ID is idOrPrefix, or the only one starting with it, or the newest for "latest".
func (s Store) Get(idOrPrefix string) (*Record, error) {
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	if idOrPrefix == Latest {
		if len(ids) == 0 {
			return nil, fmt.Errorf("get latest run: %w: no runs recorded in %s yet", ErrUnknownRun, s.Dir)
		}
		return s.load(ids[0])
	}
	if idOrPrefix == "" {
		return nil, fmt.Errorf("get run: %w: empty run ID", ErrUnknownRun)
	}
	if slices.Contains(ids, idOrPrefix) {
		return s.load(idOrPrefix)
	}
	var matches []string
	for _, id := range ids {
		if strings.HasPrefix(id, idOrPrefix) {
			matches = append(matches, id)
		}
	}
	switch len(matches) {
	case 1:
		return s.load(matches[0])
	case 0:
		if len(ids) == 0 {
			return nil, fmt.Errorf("get run %q: %w: no runs recorded in %s yet", idOrPrefix, ErrUnknownRun, s.Dir)
		}
		return nil, fmt.Errorf("get run %q: %w; newest runs: %s", idOrPrefix, ErrUnknownRun, strings.Join(ids[:min(5, len(ids))], ", "))
	default:
		return nil, fmt.Errorf("get run %q: %w, it matches %s", idOrPrefix, ErrAmbiguous, strings.Join(matches, ", "))
	}
}

// Prune keeps the newest keep runs and removes the older records and their logs, returning the
// removed IDs. A run still in progress is never removed, whatever its age: its log is being written.
func (s Store) Prune(keep int) (removed []string, err error) {
	if keep < 0 {
		return nil, fmt.Errorf("prune runs: keep must be 0 or more, got %d", keep)
	}
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	if len(ids) <= keep {
		return nil, nil
	}
	var errs []error
	for _, id := range ids[keep:] {
		if r, err := s.load(id); err == nil && r.Running() {
			continue
		}
		// The log goes first: a record without its log is still useful, a log without a record is litter.
		if err := os.Remove(s.path(id, ".log")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		if err := os.Remove(s.path(id, ".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, id)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("prune runs: %w", errors.Join(errs...))
	}
	return removed, nil
}

// Unfinished returns the records that say their run is still going, newest first.
func (s Store) Unfinished() ([]Record, error) {
	recs, err := s.List(0)
	var corrupt *CorruptError
	if err != nil && !errors.As(err, &corrupt) {
		return nil, err
	}
	var out []Record
	for _, r := range recs {
		if r.Running() {
			out = append(out, r)
		}
	}
	return out, nil
}

// EndedContainers names the containers of runs that are over (finished, or lost): what may be
// removed once they exited. Unreadable records are skipped, as Unfinished skips them.
func (s Store) EndedContainers() (map[string]bool, error) {
	recs, err := s.List(0)
	var corrupt *CorruptError
	if err != nil && !errors.As(err, &corrupt) {
		return nil, err
	}
	ended := map[string]bool{}
	for _, r := range recs {
		if r.ContainerName != "" && !r.Running() {
			ended[r.ContainerName] = true
		}
	}
	return ended, nil
}

// ids returns the IDs of stored records, newest first; a missing Dir means no runs.
func (s Store) ids() ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var ids []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		ids = append(ids, strings.TrimSuffix(name, ".json"))
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids, nil
}

func (s Store) load(id string) (*Record, error) {
	data, err := os.ReadFile(s.path(id, ".json"))
	if err != nil {
		return nil, fmt.Errorf("read run %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read run %s (%s): %w", id, s.path(id, ".json"), err)
	}
	if r.ID == "" {
		r.ID = id
	}
	return &r, nil
}

func (s Store) path(id, ext string) string {
	return filepath.Join(s.Dir, id+ext)
}

// checkID refuses IDs that would escape Dir or hide as dot files.
func checkID(id string) error {
	if id == "" || strings.HasPrefix(id, ".") || strings.ContainsAny(id, `/\`) || id == Latest {
		return fmt.Errorf("invalid run ID %q", id)
	}
	return nil
}
