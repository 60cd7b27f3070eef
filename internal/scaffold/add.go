package scaffold

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/profiles"
)

// FragmentDir is where `mlstack profile add` copies catalog fragments, relative to the project.
const FragmentDir = "mlstack"

// AddOptions say which role to bring into which project.
type AddOptions struct {
	// Project selects the project as the global flags do.
	Project project.Options
	// Role is the catalog role to add.
	Role string
	// Force overwrites fragment files left in FragmentDir by an earlier add.
	Force bool
}

// AddResult says what AddRole changed.
type AddResult struct {
	Role profiles.Role
	// ComposeFile is the user's compose file that got the include: entry.
	ComposeFile string
	// Written are the copied files, relative to the project directory.
	Written []string
}

// AddRole copies a catalog fragment into the project (mlstack/<role>.yaml and the files beside it),
// adds an include: entry for it to the project's first compose file, and checks that the project
// still loads; on any failure it puts every file back as it was.
func AddRole(ctx context.Context, o AddOptions) (*AddResult, error) {
	role, err := profiles.Get(o.Role)
	if err != nil {
		return nil, err
	}
	opts := o.Project
	opts.NoPersisted, opts.Profiles = true, nil
	p, err := project.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	for _, s := range role.Services {
		if _, ok := p.All[s]; ok {
			return nil, fmt.Errorf("role %q is already in the project: service %q is defined in %s", role.Name, s, p.RelFiles())
		}
	}
	if len(p.ComposeFiles) == 0 {
		return nil, errors.New("the project has no compose file to add an include: to")
	}
	composeFile := p.ComposeFiles[0]
	orig, err := os.ReadFile(composeFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", composeFile, err)
	}
	files := profiles.Files(role.Name)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var existing []string
	for _, n := range names {
		rel := filepath.Join(FragmentDir, n)
		if _, err := os.Stat(filepath.Join(p.WorkingDir, rel)); err == nil {
			existing = append(existing, rel)
		}
	}
	if len(existing) > 0 && !o.Force {
		return nil, fmt.Errorf("%s already exist in %s; use --force to overwrite", strings.Join(existing, ", "), p.WorkingDir)
	}
	incPath := filepath.ToSlash(filepath.Join(FragmentDir, role.File))
	if hasInclude(orig, incPath) {
		return nil, fmt.Errorf("%s already includes %s", composeFile, incPath)
	}
	entry := Include{Path: incPath}
	if role.FromProject {
		// The fragment builds the project's own Dockerfile: its `build: .` must mean the project.
		entry.ProjectDirectory = "."
	}
	edited, err := AddInclude(orig, entry)
	if err != nil {
		return nil, fmt.Errorf("edit %s: %w", composeFile, err)
	}

	// Roll back on failure: restore the compose file, remove or restore the copied files.
	var undo []func()
	rollback := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	res := &AddResult{Role: role, ComposeFile: composeFile}
	for _, n := range names {
		rel := filepath.Join(FragmentDir, n)
		path := filepath.Join(p.WorkingDir, rel)
		prev, perr := os.ReadFile(path)
		if err := writeFile(path, files[n]); err != nil {
			rollback()
			return nil, err
		}
		undo = append(undo, func() {
			if perr == nil {
				_ = os.WriteFile(path, prev, 0o644)
			} else {
				_ = os.Remove(path)
				_ = os.Remove(filepath.Dir(path)) // only when empty
			}
		})
		res.Written = append(res.Written, rel)
	}
	if err := writeFile(composeFile, edited); err != nil {
		rollback()
		return nil, err
	}
	undo = append(undo, func() { _ = os.WriteFile(composeFile, orig, 0o644) })
	if _, err := project.Load(ctx, opts); err != nil {
		rollback()
		return nil, fmt.Errorf("the project does not load with role %q added, so nothing was changed: %w", role.Name, err)
	}
	return res, nil
}

// writeFile writes data to path, creating its directory, keeping an existing file's mode.
func writeFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
