//go:build !(linux || darwin || freebsd)

package doctor

import "errors"

func diskFree(path string) (free, total int64, err error) {
	return 0, 0, errors.New("not measured on this OS")
}
