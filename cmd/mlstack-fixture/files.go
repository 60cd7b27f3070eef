package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

func runCat(s *sys, args []string) error {
	f := newFlags(s, "cat")
	paths, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("need a PATH")
	}
	for _, p := range paths {
		file, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(s.stdout, file)
		file.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
	}
	return nil
}

func runLs(s *sys, args []string) error {
	f := newFlags(s, "ls")
	recursive := f.Bool("R", false, "list the whole tree, as paths relative to PATH")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usagef("want one PATH, got %d", len(rest))
	}
	root := "."
	if len(rest) == 1 {
		root = rest[0]
	}
	names, err := list(root, *recursive)
	if err != nil {
		return err
	}
	for _, n := range names {
		s.printf("%s\n", n)
	}
	return nil
}

// list returns root's entries, or with recursive every path below root, sorted, with "/" after directories.
// A root that is not a directory lists as its own name.
func list(root string, recursive bool) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{filepath.Base(root)}, nil
	}
	if !recursive {
		entries, err := os.ReadDir(root)
		if err != nil {
			return nil, err
		}
		return entryNames(entries), nil
	}
	var names []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

func runStat(s *sys, args []string) error {
	f := newFlags(s, "stat")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one PATH, got %d", len(rest))
	}
	// Lstat, like coreutils stat: a symlink reports itself.
	info, err := os.Lstat(rest[0])
	if err != nil {
		return err
	}
	s.printf("%s %s %d\n", owner(info), info.Mode(), info.Size())
	return nil
}

func runWrite(s *sys, args []string) error {
	f := newFlags(s, "write")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usagef("want PATH CONTENT, got %d arguments", len(rest))
	}
	if err := writeFile(rest[0], rest[1]); err != nil {
		return fmt.Errorf("write %s: %w", rest[0], err)
	}
	return nil
}

func runRm(s *sys, args []string) error {
	f := newFlags(s, "rm")
	recursive := f.Bool("r", false, "remove a directory and everything in it")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one PATH, got %d", len(rest))
	}
	p := rest[0]
	if _, err := os.Lstat(p); err != nil {
		return err
	}
	if *recursive {
		return os.RemoveAll(p)
	}
	if err := os.Remove(p); err != nil {
		var perr *fs.PathError
		if errors.As(err, &perr) {
			return fmt.Errorf("remove %s: %w (a directory needs -r)", p, perr.Err)
		}
		return err
	}
	return nil
}

func runEnv(s *sys, args []string) error {
	f := newFlags(s, "env")
	if err := f.parseNone(args); err != nil {
		return err
	}
	for _, kv := range sortedEnviron(s.environ) {
		s.printf("%s\n", kv)
	}
	return nil
}
