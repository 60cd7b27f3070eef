package build

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
)

// File is one entry of a build context after ignores.
type File struct {
	// Path is slash-separated and relative to the context dir.
	Path string
	// Mode holds the type and permission bits.
	Mode fs.FileMode
	// Size is the content length of a regular file.
	Size int64
	// ModTime is the modification time.
	ModTime time.Time
	// Linkname is a symlink's target.
	Linkname string

	key fileKey
}

// fileKey identifies a file version cheaply, for the content-hash cache.
type fileKey struct {
	ino     uint64
	mtimeNs int64
	ctimeNs int64
}

// Walk lists the files of the context that survive the ignore file, depth first with names sorted, without reading
// any directory that is ignored unless an exception pattern could bring back something below it.
// StateDir directories are always left out; the Dockerfile and .dockerignore are always kept.
func (c *Context) Walk(ctx context.Context) ([]File, error) {
	w := walker{ctx: ctx, c: c, forced: map[string]bool{".dockerignore": true}, forcedDirs: map[string]bool{}}
	if c.dockerfileInContext {
		w.forced[c.DockerfileName] = true
		for d := path.Dir(c.DockerfileName); d != "."; d = path.Dir(d) {
			w.forcedDirs[d] = true
		}
	}
	if len(c.ignorePatterns) > 0 {
		pm, err := patternmatcher.New(c.ignorePatterns)
		if err != nil {
			return nil, fmt.Errorf("parse .dockerignore of %s: %w", c.Dir, err)
		}
		w.pm = pm
		for _, p := range pm.Patterns() {
			if p.Exclusion() {
				w.exceptions = append(w.exceptions, strings.Split(p.String(), string(filepath.Separator)))
			}
		}
	}
	if err := w.dir("", patternmatcher.MatchInfo{}); err != nil {
		return nil, fmt.Errorf("walk build context %s: %w", c.Dir, err)
	}
	return w.files, nil
}

type walker struct {
	ctx        context.Context
	c          *Context
	pm         *patternmatcher.PatternMatcher
	exceptions [][]string
	forced     map[string]bool
	forcedDirs map[string]bool
	files      []File
}

func (w *walker) readDir(dir string) ([]os.DirEntry, error) {
	if w.c.readDir != nil {
		return w.c.readDir(dir)
	}
	return os.ReadDir(dir)
}

// dir walks the directory rel (slash-separated, "" for the root); parent holds the ignore-match state of rel.
func (w *walker) dir(rel string, parent patternmatcher.MatchInfo) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	entries, err := w.readDir(filepath.Join(w.c.Dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if name == StateDir && e.IsDir() {
			continue
		}
		if rel == "" && name == inlineDockerfileName && !w.c.dockerfileInContext {
			continue // the tar carries the out-of-context Dockerfile under this name
		}
		p := name
		if rel != "" {
			p = rel + "/" + name
		}
		excluded, info := false, patternmatcher.MatchInfo{}
		if w.pm != nil {
			excluded, info, err = w.pm.MatchesUsingParentResults(p, parent)
			if err != nil {
				return fmt.Errorf("match %q against .dockerignore: %w", p, err)
			}
		}
		if w.forced[p] {
			excluded = false
		}
		if e.IsDir() {
			if excluded {
				// An ignored directory is not sent itself, but an exception may bring back files below it.
				if w.forcedDirs[p] || w.mayReinclude(p) {
					if err := w.dir(p, info); err != nil {
						return err
					}
				}
				continue
			}
			if err := w.add(p, e); err != nil {
				return err
			}
			if err := w.dir(p, info); err != nil {
				return err
			}
			continue
		}
		if excluded {
			continue
		}
		if err := w.add(p, e); err != nil {
			return err
		}
	}
	return nil
}

// add records one entry; sockets, devices and pipes are skipped as they cannot be part of a build.
func (w *walker) add(p string, e os.DirEntry) error {
	fi, err := e.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return nil // removed while walking
	}
	if err != nil {
		return err
	}
	f := File{Path: p, Mode: fi.Mode(), ModTime: fi.ModTime(), key: keyOf(fi)}
	switch {
	case fi.Mode().IsRegular():
		f.Size = fi.Size()
	case fi.IsDir():
	case fi.Mode()&fs.ModeSymlink != 0:
		f.Linkname, err = os.Readlink(filepath.Join(w.c.Dir, filepath.FromSlash(p)))
		if err != nil {
			return err
		}
	default:
		return nil
	}
	w.files = append(w.files, f)
	return nil
}

// mayReinclude reports whether some exception pattern could match a path below the ignored directory dir.
// Patterns no longer than dir (without "**") can only match dir or its ancestors, whose verdict dir's
// children inherit, so only longer patterns whose leading elements match dir can re-include something.
func (w *walker) mayReinclude(dir string) bool {
	parts := strings.Split(dir, "/")
next:
	for _, pat := range w.exceptions {
		joined := strings.Join(pat, "/")
		if strings.Contains(joined, "**") || strings.Contains(joined, "[") {
			// "**" spans any depth, and a bracket class may match "/" in patternmatcher's regexp.
			return true
		}
		if len(pat) <= len(parts) {
			continue
		}
		for i, part := range parts {
			if ok, err := path.Match(pat[i], part); err != nil || !ok {
				continue next
			}
		}
		return true
	}
	return false
}
