package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher/ignorefile"
)

// IgnoreFile is the ignore file's name in a build context. The classic builder, the one mlstack
// uses, reads only this one; <Dockerfile>.dockerignore is a BuildKit feature.
const IgnoreFile = ".dockerignore"

// ReadIgnore returns the patterns of contextDir's .dockerignore; found is false when it has none.
// It is the one reader build, lint and watch share, so they agree on what a context holds.
func ReadIgnore(contextDir string) (patterns []string, found bool, err error) {
	path := filepath.Join(contextDir, IgnoreFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	patterns, err = ignorefile.ReadAll(f)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	return patterns, true, nil
}
