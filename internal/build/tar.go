package build

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
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
		if err := c.writeEntry(tw, f); err != nil {
			return fmt.Errorf("tar build context: %s: %w", f.Path, err)
		}
	}
	if !c.dockerfileInContext {
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

func (c *Context) writeEntry(tw *tar.Writer, f File) error {
	hdr := &tar.Header{
		Name: f.Path,
		Mode: tarMode(f.Mode),
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

// tarMode converts Go's mode bits to the Unix bits tar headers carry.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
