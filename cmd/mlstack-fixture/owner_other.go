//go:build !unix

package main

import "io/fs"

// owner returns "?:?" where files have no numeric owner.
func owner(fs.FileInfo) string { return "?:?" }
