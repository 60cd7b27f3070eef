package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher watches the directories of a set of rules. fsnotify is not
// recursive, so the Watcher adds a watch on every directory some rule does
// not ignore, and on directories created later. Ignored directories (data/,
// node_modules/, .venv/, ...) get no watch at all, which keeps big trees
// cheap, and symlinks are never followed out of the tree.
type Watcher struct {
	rules []*Rule
	fs    *fsnotify.Watcher
	batch *Batcher

	mu sync.Mutex
	// dirs holds every watched directory; false marks the parent of a
	// file rule, watched only because editors replace files by rename.
	dirs map[string]bool
}

// NewWatcher registers watches for rules. A rule path that does not exist
// yet is picked up when it appears, provided its parent directory exists.
func NewWatcher(rules []*Rule, opts Options) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("start file watcher: %w", err)
	}
	w := &Watcher{rules: rules, fs: fw, batch: NewBatcher(rules, opts), dirs: map[string]bool{}}
	for _, r := range rules {
		if err := w.watchRoot(r, nil); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// watchRoot watches a rule's directory tree. For a file, or a directory
// that does not exist (yet), it watches the parent instead, so a file
// replaced by rename and a directory created later are both seen.
func (w *Watcher) watchRoot(r *Rule, found func(string)) error {
	fi, err := os.Lstat(r.Path)
	switch {
	case err == nil && fi.IsDir():
		return w.addTree(r.Path, found)
	case err == nil || errors.Is(err, fs.ErrNotExist):
		return w.add(filepath.Dir(r.Path), false)
	default:
		return fmt.Errorf("watch %q: %w", r.Path, err)
	}
}

// Watches returns how many directories are watched.
func (w *Watcher) Watches() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirs)
}

// Close stops watching.
func (w *Watcher) Close() error {
	return w.fs.Close()
}

// Run turns file events into flushes on out until ctx ends, then returns
// nil. Events keep being collected while out is not ready, so a slow
// receiver gets bigger batches rather than a blocked watcher.
func (w *Watcher) Run(ctx context.Context, out chan<- Flush) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var ready Flush
	var send chan<- Flush
	arm := func() {
		if send != nil {
			return
		}
		if due, ok := w.batch.Due(); ok {
			timer.Reset(time.Until(due))
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fs.Events:
			if !ok {
				return nil
			}
			if err := w.handle(ev, time.Now()); err != nil {
				return err
			}
			arm()
		case err, ok := <-w.fs.Errors:
			if !ok {
				return nil
			}
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				return fmt.Errorf("watch files: %w", err)
			}
			w.batch.Rescan(time.Now())
			arm()
		case <-timer.C:
			if due, ok := w.batch.Due(); !ok || send != nil || time.Now().Before(due) {
				arm()
				continue
			}
			if f := w.batch.Flush(); !f.Empty() {
				ready, send = f, out
			}
		case send <- ready:
			ready, send = Flush{}, nil
			arm()
		}
	}
}

// handle keeps the watch set in step with the tree and feeds the batcher.
func (w *Watcher) handle(ev fsnotify.Event, now time.Time) error {
	p := ev.Name
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		w.forget(p)
		for _, r := range w.rules {
			if r.Path == p {
				if err := w.watchRoot(r, nil); err != nil {
					return err
				}
			}
		}
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() && w.wantDir(p) {
			// Files can land in a new directory before its watch exists,
			// so walk it and report what is already there.
			err := w.addTree(p, func(q string) {
				w.feed(fsnotify.Event{Name: q, Op: fsnotify.Create}, now)
			})
			if err != nil {
				return err
			}
		}
	}
	w.feed(ev, now)
	return nil
}

// feed passes an event on only when some rule cares, so events under
// ignored paths cost nothing later.
func (w *Watcher) feed(ev fsnotify.Event, now time.Time) {
	for _, r := range w.rules {
		if _, ok := r.Match(ev.Name); ok {
			w.batch.Add(ev, now)
			return
		}
	}
}

// wantDir reports whether some rule needs dir watched recursively.
func (w *Watcher) wantDir(dir string) bool {
	for _, r := range w.rules {
		if _, inside := within(r.Path, dir); inside && !r.SkipDir(dir) {
			return true
		}
	}
	return false
}

// addTree watches root and every wanted directory below it, calling found
// (when not nil) for each path below root. Symlinked directories are not
// entered because WalkDir does not follow them.
func (w *Watcher) addTree(root string, found func(string)) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// Vanished or unreadable while walking: nothing to watch there.
			if p == root || d == nil || d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if p != root && found != nil {
			found(p)
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && !w.wantDir(p) {
			return filepath.SkipDir
		}
		if w.watching(p) {
			if p == root {
				return nil
			}
			return filepath.SkipDir
		}
		return w.add(p, true)
	})
}

func (w *Watcher) watching(dir string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dirs[dir]
}

func (w *Watcher) add(dir string, recursive bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if was, ok := w.dirs[dir]; ok && (was || !recursive) {
		return nil
	}
	if err := w.fs.Add(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if errors.Is(err, syscall.ENOSPC) {
			return fmt.Errorf("watch %q: out of inotify watches (%d in use by mlstack); raise fs.inotify.max_user_watches or ignore more directories: %w", dir, len(w.dirs), err)
		}
		return fmt.Errorf("watch %q: %w", dir, err)
	}
	w.dirs[dir] = recursive
	return nil
}

// forget drops the watches of a removed or renamed directory and of everything below it.
func (w *Watcher) forget(p string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.dirs[p]; !ok {
		return
	}
	prefix := p + string(filepath.Separator)
	for d := range w.dirs {
		if d == p || strings.HasPrefix(d, prefix) {
			delete(w.dirs, d)
			// The kernel already dropped a deleted directory's watch.
			_ = w.fs.Remove(d)
		}
	}
}
