// Package flock takes exclusive advisory locks on files (flock(2)), across processes, waiting with a
// context.
package flock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock takes an exclusive lock on path, creating the file (and its directory) if needed. When another
// process holds it, waiting is called once with the file's content (what the holder wrote there) and
// Lock waits until the lock is free or ctx ends.
func Lock(ctx context.Context, path string, waiting func(holder string)) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		if waiting != nil {
			holder, _ := os.ReadFile(path)
			waiting(string(holder))
		}
		done := make(chan error, 1)
		// flock(2) has no timeout and close(2) does not interrupt it: a goroutine blocks in it, and on
		// cancel gives the lock back (and closes the file) whenever it gets it.
		go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
		select {
		case err = <-done:
		case <-ctx.Done():
			go func() {
				<-done
				f.Close()
			}()
			return nil, fmt.Errorf("lock %s: %w", path, context.Cause(ctx))
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &File{f: f}, nil
}

// File is a held lock.
type File struct{ f *os.File }

// Note replaces the lock file's content with what the holder is doing, for whoever waits next.
func (l *File) Note(s string) {
	_ = l.f.Truncate(0)
	_, _ = l.f.WriteAt([]byte(s), 0)
}

// Unlock releases the lock.
func (l *File) Unlock() {
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
