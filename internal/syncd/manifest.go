package syncd

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/mlstack/mlstack/internal/unixmode"
)

// ManifestOptions tunes Manifest.
type ManifestOptions struct {
	// Hash adds the sha256 of every regular file; without it entries compare by size and mtime.
	Hash bool
	// Skip prunes a path (slash-separated, relative to the root) from the listing; a skipped directory is not read.
	Skip func(rel string, isDir bool) bool
}

// Manifest lists every directory, regular file and symlink under root, sorted
// by path. Symlinks are listed as links (with their target text) and never
// followed, so nothing outside root is read; special files are left out. A
// missing root lists nothing; a root that is a file lists one entry ".".
func Manifest(root string, opts ManifestOptions) ([]Entry, error) {
	fi, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", root, err)
	}
	if !fi.IsDir() {
		e, err := entryFor(root, ".", fi, opts.Hash)
		if err != nil {
			return nil, err
		}
		return []Entry{e}, nil
	}
	var out []Entry
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if p == root {
			return err
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			// A file that vanished while listing is simply not there.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if opts.Skip != nil && opts.Skip(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		var fi fs.FileInfo
		switch {
		case d.IsDir() || d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0:
			fi, err = d.Info()
		default:
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		e, err := entryFor(p, rel, fi, opts.Hash)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", root, err)
	}
	return out, nil
}

func entryFor(p, rel string, fi fs.FileInfo, hash bool) (Entry, error) {
	e := Entry{Path: rel, Mode: fi.Mode()}
	if fi.IsDir() {
		return e, nil
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		link, err := os.Readlink(p)
		e.Link = link
		return e, err
	}
	e.Size, e.MTime = fi.Size(), fi.ModTime().UnixNano()
	if hash {
		f, err := os.Open(p)
		if err != nil {
			return e, err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return e, fmt.Errorf("hash %q: %w", p, err)
		}
		e.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	return e, nil
}

// Diff compares a host manifest with a container manifest of the same root
// and returns the relative paths to write (missing or different in the
// container) and to remove (only in the container, or of the wrong type).
// Paths for which ignore returns true are neither written nor removed, so
// ignored container content such as installed packages survives a prune.
// Apply removes before writes: a path that changed type (file, directory,
// symlink) is in both lists.
// A removed directory is listed once, without its contents.
func Diff(host, container []Entry, ignore func(rel string) bool) (write []string, remove []string) {
	if ignore == nil {
		ignore = func(string) bool { return false }
	}
	inHost := make(map[string]Entry, len(host))
	for _, e := range host {
		inHost[e.Path] = e
	}
	inCtr := make(map[string]Entry, len(container))
	for _, e := range container {
		inCtr[e.Path] = e
	}
	for _, h := range host {
		if h.Path == "." && h.IsDir() || ignore(h.Path) {
			continue
		}
		c, ok := inCtr[h.Path]
		switch {
		case !ok:
			write = append(write, h.Path)
		case kind(h) != kind(c):
			remove = append(remove, h.Path)
			write = append(write, h.Path)
		case differs(h, c):
			write = append(write, h.Path)
		}
	}
	for _, c := range container {
		if _, ok := inHost[c.Path]; !ok && !ignore(c.Path) {
			remove = append(remove, c.Path)
		}
	}
	sort.Strings(write)
	return write, topmost(remove)
}

// kind is an entry's type: directory, symlink or regular file.
func kind(e Entry) fs.FileMode { return e.Mode.Type() & (fs.ModeDir | fs.ModeSymlink) }

// differs compares two entries of the same kind: a link by its target text, a
// directory by its mode, a file by mode, size and content (or mtime).
func differs(h, c Entry) bool {
	switch {
	case h.IsSymlink():
		return h.Link != c.Link
	case unixmode.Bits(h.Mode) != unixmode.Bits(c.Mode):
		return true
	case h.IsDir():
		return false
	case h.Size != c.Size:
		return true
	}
	if h.SHA256 != "" && c.SHA256 != "" {
		return h.SHA256 != c.SHA256
	}
	return h.MTime != c.MTime
}

// topmost sorts paths and drops every path below another one in the list.
func topmost(paths []string) []string {
	sort.Strings(paths)
	out := paths[:0]
	for _, p := range paths {
		covered := false
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			if containsSorted(out, d) {
				covered = true
				break
			}
		}
		if !covered && (len(out) == 0 || out[len(out)-1] != p) {
			out = append(out, p)
		}
	}
	return out
}

func containsSorted(s []string, v string) bool {
	i := sort.SearchStrings(s, v)
	return i < len(s) && s[i] == v
}
