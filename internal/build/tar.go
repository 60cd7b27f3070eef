package build

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mlstack/mlstack/internal/unixmode"
)

// WriteTar writes an uncompressed tar of exactly the files Walk lists, owned by root as the docker CLI
// sends them, plus the Dockerfile under DockerfileName when it does not live inside the context.
func (c *Context) WriteTar(ctx context.Context, w io.Writer) error {
	files, err := c.Walk(ctx)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !c.dockerfileInContext && f.Path == ".dockerignore" {
			continue // replaced below
		}
		if err := c.writeEntry(tw, f); err != nil {
			return fmt.Errorf("tar build context: %s: %w", f.Path, err)
		}
	}
	if !c.dockerfileInContext {
		// As the docker CLI does for a Dockerfile from outside the context: list the synthetic entry
		// in .dockerignore, so the engine drops it from the context after reading it and a
		// `COPY . /app` does not carry it into the image.
		ignore, err := c.syntheticIgnore()
		if err != nil {
			return fmt.Errorf("tar build context: .dockerignore: %w", err)
		}
		ih := &tar.Header{Typeflag: tar.TypeReg, Name: ".dockerignore", Mode: 0o644, Size: int64(len(ignore)), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(ih); err != nil {
			return fmt.Errorf("tar build context: .dockerignore: %w", err)
		}
		if _, err := tw.Write(ignore); err != nil {
			return fmt.Errorf("tar build context: .dockerignore: %w", err)
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     c.DockerfileName,
			Mode:     0o644,
			Size:     int64(len(c.dockerfileContent)),
			ModTime:  time.Unix(0, 0),
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("tar build context: Dockerfile: %w", err)
		}
		if _, err := tw.Write(c.dockerfileContent); err != nil {
			return fmt.Errorf("tar build context: Dockerfile: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("tar build context: %w", err)
	}
	return nil
}

// syntheticIgnore is the context's own .dockerignore plus the synthetic Dockerfile's name; without
// one, it also names itself, so the engine removes it too and the image gets no file the user lacks.
func (c *Context) syntheticIgnore() ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(c.Dir, ".dockerignore"))
	switch {
	case err == nil:
		if len(data) > 0 && data[len(data)-1] != '\n' {
			data = append(data, '\n')
		}
	case os.IsNotExist(err):
		data = []byte(".dockerignore\n")
	default:
		return nil, err
	}
	return append(data, c.DockerfileName+"\n"...), nil
}

func (c *Context) writeEntry(tw *tar.Writer, f File) error {
	hdr := &tar.Header{
		Name: f.Path,
		Mode: int64(unixmode.Bits(f.Mode)),
		// Whole seconds keep headers in plain ustar/GNU form; the builder ignores sub-second times.
		ModTime: f.ModTime.Truncate(time.Second),
	}
	switch {
	case f.Mode.IsDir():
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		return tw.WriteHeader(hdr)
	case f.Mode&fs.ModeSymlink != 0:
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = f.Linkname
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag = tar.TypeReg
	hdr.Size = f.Size
	src, err := os.Open(filepath.Join(c.Dir, filepath.FromSlash(f.Path)))
	if err != nil {
		return err
	}
	defer src.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// The header already promised Size bytes, so a file that shrank since the walk cannot be sent.
	if _, err := io.CopyN(tw, src, f.Size); err != nil {
		if err == io.EOF {
			return fmt.Errorf("file shrank while building the context; retry")
		}
		return err
	}
	return nil
}

// withLabelLine returns a copy of c whose Dockerfile ends with one LABEL instruction carrying lbls,
// sent as a synthetic tar entry. The classic builder turns each label passed as a build option into
// its own step and container; one line costs one step. ok is false when that cannot be done safely
// (a target stage, which need not be the last, or values that would need quoting), and the caller
// passes the labels as options instead.
func (c *Context) withLabelLine(lbls map[string]string) (*Context, bool) {
	if c.Target != "" || len(lbls) == 0 {
		return c, false
	}
	var b strings.Builder
	b.Write(c.dockerfileContent)
	b.WriteString("\nLABEL")
	for _, k := range slices.Sorted(maps.Keys(lbls)) {
		if !plainLabel(k) || !plainLabel(lbls[k]) {
			return c, false
		}
		b.WriteString(" " + k + "=" + lbls[k])
	}
	b.WriteString("\n")
	cp := *c
	cp.dockerfileContent = []byte(b.String())
	cp.DockerfileName = inlineDockerfileName
	cp.dockerfileInContext = false
	return &cp, true
}

// plainLabel reports whether s needs no quoting or escaping in a LABEL instruction.
func plainLabel(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._:/-", r):
		default:
			return false
		}
	}
	return true
}
