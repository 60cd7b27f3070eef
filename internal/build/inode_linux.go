package build

import (
	"io/fs"
	"syscall"
)

// keyOf adds inode and ctime to the cache key: ctime changes on every write, even one that restores mtime.
func keyOf(fi fs.FileInfo) fileKey {
	k := fileKey{mtimeNs: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.ino = st.Ino
		k.ctimeNs = st.Ctim.Nano()
	}
	return k
}
