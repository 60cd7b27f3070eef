//go:build unix

package syncd

import "os"

func euidIsRoot() bool { return os.Geteuid() == 0 }
