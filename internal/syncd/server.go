package syncd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Serve reads batches from in, applies each inside the allowed roots and
// writes one Ack per hello and per batch to out. It returns nil when in ends
// between frames, and an error when the stream itself is broken; failures of
// single ops are reported in the Ack instead.
func Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	s := &server{r: bufio.NewReaderSize(in, 64<<10), w: bufio.NewWriter(out), root: euidIsRoot()}
	var buf []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, b, err := readFrame(s.r, buf)
		buf = b
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.handle(h); err != nil {
			return err
		}
	}
}

type server struct {
	r       *bufio.Reader
	w       *bufio.Writer
	root    bool
	hello   bool
	roots   []string
	errs    []string
	entries []Entry
	copyBuf []byte
}

// handle applies one frame; it returns an error only when the stream can no
// longer be trusted.
func (s *server) handle(h *header) error {
	switch h.Op {
	case opHello:
		return s.handleHello(h)
	case opCommit:
		err := s.ack(Ack{ID: h.ID, Errors: s.errs, Entries: s.entries})
		s.errs, s.entries = nil, nil
		return err
	}
	p, err := s.allowed(h.Path)
	if err != nil {
		s.fail(h.Op, h.Path, err)
		if h.Op == opWrite {
			return s.discard(h.Size)
		}
		return nil
	}
	switch h.Op {
	case opWrite:
		werr, serr := s.write(p, h)
		if werr != nil {
			s.fail(h.Op, p, werr)
		}
		return serr
	case opMkdir:
		err = s.mkdir(p, h)
	case opRemove:
		err = s.remove(p)
	case opChown:
		err = s.chown(p, h)
	case opStat:
		var e Entry
		e, err = statOwner(p)
		if err == nil {
			s.entries = append(s.entries, e)
		}
	case opList:
		var entries []Entry
		entries, err = Manifest(p, ManifestOptions{Hash: h.Hash})
		s.entries = append(s.entries, entries...)
	default:
		// An unknown op without content is skippable; one with content
		// would desync the stream, so drain it too.
		err = fmt.Errorf("unknown op")
		if derr := s.discard(h.Size); derr != nil {
			return derr
		}
	}
	if err != nil {
		s.fail(h.Op, p, err)
	}
	return nil
}

func (s *server) handleHello(h *header) error {
	var errs []string
	if h.Version != Version {
		errs = append(errs, fmt.Sprintf("hello: protocol version %d, server speaks %d", h.Version, Version))
	}
	roots := make([]string, 0, len(h.Roots))
	for _, r := range h.Roots {
		if !path.IsAbs(r) {
			errs = append(errs, fmt.Sprintf("hello: root %q is not absolute", r))
			continue
		}
		roots = append(roots, path.Clean(r))
	}
	if len(errs) == 0 {
		s.roots, s.hello = roots, true
	}
	return s.ack(Ack{ID: h.ID, Errors: errs})
}

func (s *server) ack(a Ack) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode ack %d: %w", a.ID, err)
	}
	b = append(b, '\n')
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("send ack %d: %w", a.ID, err)
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("send ack %d: %w", a.ID, err)
	}
	return nil
}

func (s *server) fail(op, p string, err error) {
	s.errs = append(s.errs, fmt.Sprintf("%s %q: %v", op, p, err))
}

// errOutsideRoots is reported for any path that is not inside a hello root.
var errOutsideRoots = errors.New("path outside the allowed roots")

// allowed cleans p and checks it is inside one of the hello roots, so that a
// path with ".." cannot reach outside the rule targets.
func (s *server) allowed(p string) (string, error) {
	if !s.hello {
		return "", errors.New("no hello received")
	}
	if !path.IsAbs(p) {
		return "", errors.New("path is not absolute")
	}
	p = path.Clean(p)
	if p == "/" {
		return "", errors.New("refusing to touch /")
	}
	for _, r := range s.roots {
		if r == "/" || p == r || strings.HasPrefix(p, r+"/") {
			return filepath.FromSlash(p), nil
		}
	}
	return "", errOutsideRoots
}

// write stores the content that follows the header in a temp file next to p
// and renames it over p, so a reader in the container never sees half a file.
// werr is a failure of this op; serr means the stream broke.
func (s *server) write(p string, h *header) (werr, serr error) {
	dir := filepath.Dir(p)
	if err := mkdirParents(dir, h, s.root); err != nil {
		return err, s.discard(h.Size)
	}
	// A directory where the host now has a file: rename cannot replace it.
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		if err := os.RemoveAll(p); err != nil {
			return err, s.discard(h.Size)
		}
	}
	f, err := os.CreateTemp(dir, ".mlstack-sync-*")
	if err != nil {
		return err, s.discard(h.Size)
	}
	tmp := f.Name()
	werr, serr = s.copyTo(f, h.Size)
	if werr == nil {
		werr = finishFile(f, h, s.root)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, p)
	}
	if werr != nil || serr != nil {
		_ = os.Remove(tmp)
	}
	return werr, serr
}

func finishFile(f *os.File, h *header, root bool) error {
	mode := fs.FileMode(h.Mode).Perm()
	if mode == 0 {
		mode = 0o644
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := ignoreEPERM(f.Chown(idOr(h.UID), idOr(h.GID)), h, root); err != nil {
		return err
	}
	if h.MTime != 0 {
		t := time.Unix(0, h.MTime)
		if err := os.Chtimes(f.Name(), t, t); err != nil {
			return err
		}
	}
	return nil
}

// copyTo copies n content bytes from the stream into f. A failing f does
// not stop the copy: the remaining bytes must still be consumed to keep the
// stream in step.
func (s *server) copyTo(f io.Writer, n int64) (werr, serr error) {
	if s.copyBuf == nil {
		s.copyBuf = make([]byte, 64<<10)
	}
	for n > 0 {
		chunk := s.copyBuf
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		m, err := io.ReadFull(s.r, chunk)
		n -= int64(m)
		if err != nil {
			return werr, fmt.Errorf("read file content: %w", err)
		}
		if werr == nil {
			_, werr = f.Write(chunk[:m])
		}
	}
	return werr, nil
}

func (s *server) discard(n int64) error {
	_, err := s.copyTo(io.Discard, n)
	return err
}

func (s *server) mkdir(p string, h *header) error {
	mode := fs.FileMode(h.Mode).Perm()
	if mode == 0 {
		mode = 0o755
	}
	if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(p, mode); err != nil {
		return err
	}
	if h.Mode != 0 {
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
	}
	return ignoreEPERM(os.Lchown(p, idOr(h.UID), idOr(h.GID)), h, s.root)
}

// mkdirParents creates dir and its missing parents, giving each new one the
// op's owner: a file synced into a new nested directory must not leave
// root-owned directories the container's user cannot write to.
func mkdirParents(dir string, h *header, root bool) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirParents(parent, h, root); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return ignoreEPERM(os.Lchown(dir, idOr(h.UID), idOr(h.GID)), h, root)
}

// remove deletes p and everything below it; a missing path is already removed.
func (s *server) remove(p string) error {
	return os.RemoveAll(p)
}

func (s *server) chown(p string, h *header) error {
	return ignoreEPERM(os.Lchown(p, idOr(h.UID), idOr(h.GID)), h, s.root)
}

// ignoreEPERM drops the permission error of a chown when the helper does not
// run as root: the file is still usable, only its owner is the exec user.
func ignoreEPERM(err error, h *header, root bool) error {
	if err == nil || h.UID == nil && h.GID == nil {
		return nil
	}
	if !root && errors.Is(err, syscall.EPERM) {
		return nil
	}
	return err
}

func idOr(id *int) int {
	if id == nil {
		return -1
	}
	return *id
}
