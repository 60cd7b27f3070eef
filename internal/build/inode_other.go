//go:build !linux

package build

import "io/fs"

func keyOf(fi fs.FileInfo) fileKey {
	return fileKey{mtimeNs: fi.ModTime().UnixNano()}
}
