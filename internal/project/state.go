package project

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// StateDirName is mlstack's per-project directory. It is never part of a build context, a build hash
// or a watch.
const StateDirName = ".mlstack"

// State is the layout of .mlstack/:
//
//	profiles.json   profiles enabled with `mlstack profile enable`
//	runs/           one JSON record and one bounded log per `mlstack train` run
//	cache/          build-input hashes, engine facts (GPU detection)
//	lock            taken while a command changes the project's containers
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
		return f, fmt.Errorf("read persisted profiles: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("read %s: %w (delete it to reset profiles)", path, err)
	}
	return f, nil
}

// SetProfiles persists the enabled and the explicitly disabled profiles.
func (s *State) SetProfiles(enabled, disabled []string) error {
	sort.Strings(enabled)
	sort.Strings(disabled)
	b, _ := json.MarshalIndent(profilesFile{Enabled: enabled, Disabled: disabled}, "", "  ")
	return s.WriteFile("profiles.json", append(b, '\n'))
}

// WriteFile writes name under the state directory atomically, creating the directory with a
// .gitignore so the state never lands in git by accident.
func (s *State) WriteFile(name string, data []byte) error {
	if err := s.Ensure(); err != nil {
		return err
	}
	path := filepath.Join(s.Dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
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
