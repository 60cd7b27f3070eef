// Package fixtureimage builds the test fixture program (cmd/mlstack-fixture) into a FROM scratch
// image through the Engine API, once per source change.
package fixtureimage

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/build"

	"github.com/mlstack/mlstack/internal/engine"
)

// Repo is the fixture image's repository; the tag is a hash of the fixture's source.
const Repo = "mlstack-fixture"

// Ensure returns the fixture image reference tagged by a hash of its source (root is the module
// root), building it through the Engine API — a static binary in a FROM scratch image, also tagged
// :latest — when it is missing. Tests, benchmarks and the demo share the image this way.
func Ensure(ctx context.Context, eng *engine.Client, root string) (string, error) {
	src := filepath.Join(root, "cmd", "mlstack-fixture")
	sum, err := sourceHash(src)
	if err != nil {
		return "", err
	}
	ref := Repo + ":" + sum
	if _, err := eng.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	}
	dir, err := os.MkdirTemp("", "mlbench-fixture-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "fixture"), "./cmd/mlstack-fixture")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build fixture: %w\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "fixture"))
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, mode int64, data []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), ModTime: time.Unix(0, 0)})
		tw.Write(data)
	}
	add("Dockerfile", 0o644, []byte("FROM scratch\nCOPY fixture /fixture\nENTRYPOINT [\"/fixture\"]\nCMD [\"serve\"]\n"))
	add("fixture", 0o755, bin)
	tw.Close()
	resp, err := eng.ImageBuild(ctx, &buf, build.ImageBuildOptions{Tags: []string{ref, Repo + ":latest"}, Remove: true, Version: build.BuilderV1, Labels: map[string]string{"dev.mlstack.fixture": "1"}})
	if err != nil {
		return "", fmt.Errorf("build fixture image: %w", err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var m struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("build fixture image: %w", err)
		}
		if m.Error != "" {
			return "", fmt.Errorf("build fixture image: %s", m.Error)
		}
	}
	return ref, nil
}

// sourceHash hashes the fixture's non-test Go files.
func sourceHash(dir string) (string, error) {
	h := sha256.New()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	if len(files) == 0 {
		return "", fmt.Errorf("fixture source: no Go files in %s", dir)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}
