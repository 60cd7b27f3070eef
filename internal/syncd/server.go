package syncd

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
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

	"github.com/mlstack/mlstack/internal/unixmode"
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
	p, root, err := s.allowed(h.Path)
	if err != nil {
		s.fail(h.Op, h.Path, err)
		if h.Op == opWrite {
			return s.discard(h.Size)
		}
		return nil
	}
	switch h.Op {
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
	case opWrite, opMkdir, opRemove, opChown, opSymlink:
		var serr error
		err, serr = s.change(p, root, h)
		if serr != nil {
			return serr
		}
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

// change applies an op that changes the tree. It works through an os.Root at the hello root that
// holds p (or, for the root itself, at its parent), so no symlink below the root, such as one a
// sync put there, is ever followed out of it. werr is a failure of this op; serr means the stream broke.
func (s *server) change(p, root string, h *header) (werr, serr error) {
	dir, name := root, ""
	if p == root {
		dir, name = filepath.Dir(root), filepath.Base(root)
	} else {
		name, _ = filepath.Rel(root, p)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if h.Op == opRemove {
			return nil, nil // nothing there to remove
		}
		// The target directory itself is the user's to name; it and its parents are made as before any sync.
		if err := mkdirParents(dir, h, s.root); err != nil {
			return err, s.discard(h.Size)
		}
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err, s.discard(h.Size)
	}
	defer r.Close()
	switch h.Op {
	case opWrite:
		return s.write(r, name, h)
	case opMkdir:
		return s.mkdir(r, name, h), nil
	case opRemove:
		return r.RemoveAll(name), nil
	case opChown:
		return ignoreEPERM(r.Lchown(name, idOr(h.UID), idOr(h.GID)), h, s.root), nil
	default:
		return s.symlink(r, name, h), nil
	}
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
// path with ".." cannot reach outside the rule targets. It returns the
// deepest root holding p.
func (s *server) allowed(p string) (clean, root string, err error) {
	if !s.hello {
		return "", "", errors.New("no hello received")
	}
	if !path.IsAbs(p) {
		return "", "", errors.New("path is not absolute")
	}
	p = path.Clean(p)
	if p == "/" {
		return "", "", errors.New("refusing to touch /")
	}
	for _, r := range s.roots {
		if (r == "/" || p == r || strings.HasPrefix(p, r+"/")) && len(r) > len(root) {
			root = r
		}
	}
	if root == "" {
		return "", "", errOutsideRoots
	}
	return filepath.FromSlash(p), filepath.FromSlash(root), nil
}

// write stores the content that follows the header in a temp file next to name
// and renames it over name, so a reader in the container never sees half a file.
func (s *server) write(r *os.Root, name string, h *header) (werr, serr error) {
	dir := filepath.Dir(name)
	if err := mkdirIn(r, dir, h, s.root); err != nil {
		return err, s.discard(h.Size)
	}
	// A directory where the host now has a file: rename cannot replace it.
	if err := removeDir(r, name); err != nil {
		return err, s.discard(h.Size)
	}
	f, tmp, err := createTemp(r, dir)
	if err != nil {
		return err, s.discard(h.Size)
	}
	werr, serr = s.copyTo(f, h.Size)
	if werr == nil {
		werr = finishFile(f, h, s.root)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil && h.MTime != 0 {
		t := time.Unix(0, h.MTime)
		werr = r.Chtimes(tmp, t, t)
	}
	if werr == nil {
		werr = r.Rename(tmp, name)
	}
	if werr != nil || serr != nil {
		_ = r.Remove(tmp)
	}
	return werr, serr
}

// symlink makes name a symbolic link to h.Link, replacing what is there; the
// link's target is text and is never resolved here.
func (s *server) symlink(r *os.Root, name string, h *header) error {
	dir := filepath.Dir(name)
	if err := mkdirIn(r, dir, h, s.root); err != nil {
		return err
	}
	if err := removeDir(r, name); err != nil {
		return err
	}
	tmp := filepath.Join(dir, tempName())
	if err := r.Symlink(h.Link, tmp); err != nil {
		return err
	}
	err := ignoreEPERM(r.Lchown(tmp, idOr(h.UID), idOr(h.GID)), h, s.root)
	if err == nil {
		err = r.Rename(tmp, name)
	}
	if err != nil {
		_ = r.Remove(tmp)
	}
	return err
}

// removeDir removes name when it is a directory (not a link to one), which a
// rename cannot replace.
func removeDir(r *os.Root, name string) error {
	if fi, err := r.Lstat(name); err == nil && fi.IsDir() {
		return r.RemoveAll(name)
	}
	return nil
}

func tempName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return ".mlstack-sync-" + hex.EncodeToString(b[:])
}

func createTemp(r *os.Root, dir string) (*os.File, string, error) {
	tmp := filepath.Join(dir, tempName())
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	return f, tmp, err
}

// finishFile gives a written file its mode (0644 when the header has none) and owner.
func finishFile(f *os.File, h *header, root bool) error {
	mode := fs.FileMode(0o644)
	if h.Mode != nil {
		mode = unixmode.FileMode(*h.Mode)
	}
	// Owner first: a chown clears setuid and setgid.
	if err := ignoreEPERM(f.Chown(idOr(h.UID), idOr(h.GID)), h, root); err != nil {
		return err
	}
	return f.Chmod(mode)
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

func (s *server) mkdir(r *os.Root, name string, h *header) error {
	if err := mkdirIn(r, filepath.Dir(name), h, s.root); err != nil {
		return err
	}
	fi, err := r.Lstat(name)
	if err == nil && !fi.IsDir() {
		if err := r.Remove(name); err != nil {
			return err
		}
	}
	if err != nil || !fi.IsDir() {
		if err := r.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	if err := ignoreEPERM(r.Lchown(name, idOr(h.UID), idOr(h.GID)), h, s.root); err != nil {
		return err
	}
	if h.Mode != nil {
		return r.Chmod(name, unixmode.FileMode(*h.Mode))
	}
	return nil
}

// mkdirParents creates dir and its missing parents, giving each new one the
// op's owner: a file synced into a new nested directory must not leave
// root-owned directories the container's user cannot write to. It is for the
// path down to a hello root; below one, mkdirIn does the same inside it.
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

// mkdirIn is mkdirParents inside r. A component that is a file or a symlink
// gives way to a directory, as the host has one there; no symlink is followed
// out of r.
func mkdirIn(r *os.Root, dir string, h *header, root bool) error {
	if dir == "." {
		return nil
	}
	if fi, err := r.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if err := mkdirIn(r, filepath.Dir(dir), h, root); err != nil {
		return err
	}
	// A file or symlink where the host now has a directory gives way to it.
	if fi, err := r.Lstat(dir); err == nil && !fi.IsDir() {
		if err := r.Remove(dir); err != nil {
			return err
		}
	}
	if err := r.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return ignoreEPERM(r.Lchown(dir, idOr(h.UID), idOr(h.GID)), h, root)
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
