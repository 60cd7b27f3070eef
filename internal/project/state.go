package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/mlstack/mlstack/internal/flock"
)

// StateDirName is mlstack's per-project directory. It is never part of a build context, a build hash
// or a watch.
const StateDirName = ".mlstack"

// State is the layout of .mlstack/:
//
//	profiles.json   profiles enabled with `mlstack profile enable`
//	runs/           one JSON record and one bounded log per `mlstack train` run
//	cache/          build-input hashes, engine facts (GPU detection)
//	profiles.lock   taken while profiles.json is read, changed and written
type State struct {
	Dir string
}

// NewState returns the state of the project rooted at workingDir; nothing is created until written.
func NewState(workingDir string) *State { return &State{Dir: filepath.Join(workingDir, StateDirName)} }

// RunsDir is where run records live.
func (s *State) RunsDir() string { return filepath.Join(s.Dir, "runs") }

// CacheDir is where caches live.
func (s *State) CacheDir() string { return filepath.Join(s.Dir, "cache") }

type profilesFile struct {
	Enabled []string `json:"enabled"`
	// Disabled are profiles turned off with `mlstack profile disable`: up removes their services'
	// containers. A profile merely not named on a later command is left alone, as compose does.
	Disabled []string `json:"disabled,omitempty"`
}

// Profiles returns the persisted enabled profiles.
func (s *State) Profiles() ([]string, error) {
	f, err := s.readProfiles()
	return f.Enabled, err
}

// DisabledProfiles returns the profiles explicitly turned off with `mlstack profile disable`.
func (s *State) DisabledProfiles() ([]string, error) {
	f, err := s.readProfiles()
	return f.Disabled, err
}

func (s *State) readProfiles() (profilesFile, error) {
	var f profilesFile
	path := filepath.Join(s.Dir, "profiles.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, &StateError{Path: path, Err: err, Reset: s.resetHint(path)}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, &StateError{Path: path, Err: err, Reset: "delete it to reset the persisted profiles: rm " + path}
	}
	return f, nil
}

// resetHint says how to get past an unreadable state file: .mlstack being a file is the usual cause.
func (s *State) resetHint(path string) string {
	if fi, err := os.Stat(s.Dir); err == nil && !fi.IsDir() {
		return s.Dir + " is a file, but mlstack keeps its state in a directory of that name: move it away or delete it"
	}
	return "delete it to reset the persisted profiles: rm " + path
}

// StateError is a state file under .mlstack/ that cannot be read. Commands that only need the
// project's name (down, ps, stop, rm, logs) go on without it, with a warning.
type StateError struct {
	Path  string
	Err   error
	Reset string // how to get past it, in words
}

// Error names the file, what is wrong and how to reset it.
func (e *StateError) Error() string {
	return fmt.Sprintf("read %s: %v (%s)", e.Path, e.Err, e.Reset)
}

// Unwrap returns the underlying error.
func (e *StateError) Unwrap() error { return e.Err }

// UpdateProfiles changes the persisted profiles under a lock (.mlstack/profiles.lock): change gets
// the current enabled and disabled lists and returns the new ones, so concurrent updates never lose
// one another. A corrupt file is an error naming it, left as it is.
func (s *State) UpdateProfiles(ctx context.Context, change func(enabled, disabled []string) ([]string, []string)) error {
	if err := s.Ensure(); err != nil {
		return err
	}
	l, err := flock.Lock(ctx, filepath.Join(s.Dir, "profiles.lock"), nil)
	if err != nil {
		return err
	}
	defer l.Unlock()
	f, err := s.readProfiles()
	if err != nil {
		return err
	}
	enabled, disabled := change(f.Enabled, f.Disabled)
	return s.SetProfiles(enabled, disabled)
}

// SetProfiles persists the enabled and the explicitly disabled profiles; use UpdateProfiles to
// change what is there.
func (s *State) SetProfiles(enabled, disabled []string) error {
	sort.Strings(enabled)
	sort.Strings(disabled)
	b, _ := json.MarshalIndent(profilesFile{Enabled: enabled, Disabled: disabled}, "", "  ")
	return s.WriteFile("profiles.json", append(b, '\n'))
}

// WriteFile writes name under the state directory atomically (a uniquely named temporary file,
// synced, then renamed), creating the directory with a .gitignore so the state never lands in git by
// accident. Readers see the old content or the new, never a part.
func (s *State) WriteFile(name string, data []byte) error {
	if err := s.Ensure(); err != nil {
		return err
	}
	path := filepath.Join(s.Dir, name)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename survives a crash once the directory is synced
		d.Close()
	}
	return nil
}

// Ensure creates the state directory.
func (s *State) Ensure() error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", s.Dir, err)
	}
	gi := filepath.Join(s.Dir, ".gitignore")
	if _, err := os.Stat(gi); errors.Is(err, os.ErrNotExist) {
		_ = os.WriteFile(gi, []byte("# mlstack's local state: run records, caches, persisted profiles\n*\n"), 0o644)
	}
	return nil
}
