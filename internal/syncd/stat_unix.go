//go:build unix

package syncd

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// statOwner describes p, or its nearest existing parent when p is missing,
// with its numeric owner.
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
		e := Entry{Path: filepath.ToSlash(p), Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.UID, e.GID = int(st.Uid), int(st.Gid)
		}
		return e, nil
	}
}
