//go:build !unix

package syncd

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// statOwner describes p, or its nearest existing parent when p is missing; owners are unknown here.
func statOwner(p string) (Entry, error) {
	for {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && filepath.Dir(p) != p {
			p = filepath.Dir(p)
			continue
		}
		if err != nil {
			return Entry{}, err
		}
		return Entry{Path: filepath.ToSlash(p), Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime().UnixNano()}, nil
	}
}
