// Package build prepares compose build contexts for the engine's classic builder: file selection, tar, input hash and Dockerfile checks.
package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// HashLabel is the image label that records the input hash an image was built from.
const HashLabel = "dev.mlstack.build-hash"

// StateDir is mlstack's per-project state directory, never part of a build context or hash.
const StateDir = ".mlstack"

// inlineDockerfileName is where a Dockerfile that does not live inside the context
// (dockerfile_inline, or a path outside the context dir) is placed in the tar.
const inlineDockerfileName = ".dockerfile.mlstack"

// Context is one service's build input: the directory sent to the engine and how to build it.
type Context struct {
	// Dir is the absolute context directory.
	Dir string
	// Dockerfile is the absolute Dockerfile path on disk, or "" for dockerfile_inline.
	Dockerfile string
	// DockerfileName is the Dockerfile's slash-separated path inside the tar, as the engine's build option wants it.
	DockerfileName string
	// Args are the build args with a value; args compose left unset are omitted, as the docker CLI does.
	Args map[string]string
	// Target is the stage to build, or "" for the last one.
	Target string
	// Labels are the labels compose asks to put on the image.
	Labels map[string]string
	// CachePath is the content-hash cache file Hash uses; "" turns the cache off.
	CachePath string

	dockerfileContent []byte
	// dockerfileInContext reports whether the Dockerfile is a walked file rather than a synthetic tar entry.
	dockerfileInContext bool
	// ignorePatterns are the patterns of the context's .dockerignore, nil when there is none.
	ignorePatterns []string

	// readDir lets tests count directory reads; nil means os.ReadDir.
	readDir func(string) ([]os.DirEntry, error)
	// now lets tests age files past the cache's racy window; nil means time.Now.
	now func() time.Time
}

// New reads the build section of a service: it resolves the context and Dockerfile against projectDir,
// reads the Dockerfile and the context's .dockerignore (see ReadIgnore), and points the hash cache at CacheFile(projectDir, service).
func New(projectDir, service string, b *types.BuildConfig) (*Context, error) {
	if b == nil {
		return nil, fmt.Errorf("service %q has no build section", service)
	}
	dir := b.Context
	if dir == "" {
		dir = "."
	}
	if isRemoteContext(dir) {
		return nil, fmt.Errorf("service %q: build context %q is remote; mlstack builds only from local directories", service, dir)
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(projectDir, dir)
	}
	dir = filepath.Clean(dir)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("service %q: build context: %w", service, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("service %q: build context %s is not a directory", service, dir)
	}

	c := &Context{
		Dir:       dir,
		Args:      map[string]string{},
		Target:    b.Target,
		Labels:    map[string]string{},
		CachePath: CacheFile(projectDir, service),
	}
	for k, v := range b.Args {
		if v != nil {
			c.Args[k] = *v
		}
	}
	for k, v := range b.Labels {
		c.Labels[k] = v
	}

	switch {
	case b.DockerfileInline != "":
		if b.Dockerfile != "" {
			return nil, fmt.Errorf("service %q: build sets both dockerfile and dockerfile_inline", service)
		}
		c.dockerfileContent = []byte(b.DockerfileInline)
		c.DockerfileName = inlineDockerfileName
	default:
		df := b.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if !filepath.IsAbs(df) {
			df = filepath.Join(dir, df)
		}
		c.Dockerfile = filepath.Clean(df)
		content, err := os.ReadFile(c.Dockerfile)
		if err != nil {
			return nil, fmt.Errorf("service %q: read Dockerfile: %w", service, err)
		}
		c.dockerfileContent = content
		c.DockerfileName = inlineDockerfileName
		if rel, ok := insideContext(dir, c.Dockerfile); ok {
			c.DockerfileName = rel
			c.dockerfileInContext = true
		}
	}

	patterns, _, err := ReadIgnore(dir)
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", service, err)
	}
	c.ignorePatterns = patterns
	return c, nil
}

// CacheFile is where the content-hash cache of a service's build context lives.
func CacheFile(projectDir, service string) string {
	return filepath.Join(projectDir, StateDir, "cache", "build-"+service+".json")
}

// DockerfileContent returns the Dockerfile as it will be sent to the engine.
func (c *Context) DockerfileContent() []byte {
	return c.dockerfileContent
}

// ArgPointers returns Args in the shape the engine's build options take.
func (c *Context) ArgPointers() map[string]*string {
	out := make(map[string]*string, len(c.Args))
	for k, v := range c.Args {
		out[k] = &v
	}
	return out
}

// ImageName is the tag compose gives a service's image: its image: if set, else <project>-<service>
// when it has a build section, else "" (nothing to name).
func ImageName(project, service string, b *types.BuildConfig, image string) string {
	if image != "" {
		return image
	}
	if b == nil {
		return ""
	}
	return project + "-" + service
}

// insideContext returns path relative to dir, slash-separated, if it lies inside dir and outside StateDir.
func insideContext(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	for _, part := range strings.Split(rel, "/") {
		if part == StateDir {
			return "", false
		}
	}
	return rel, true
}

// isRemoteContext mirrors compose's test for contexts it hands to the builder as URLs.
func isRemoteContext(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "github.com/", "ssh://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
