//go:build !unix

package syncd

func euidIsRoot() bool { return false }
