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
	"path/filepath"
	"strings"
	"time"

	"github.com/mlstack/mlstack/internal/unixmode"
)

// OpKind names what an Op does in the container.
type OpKind string

// The kinds of Op a Batch can carry.
const (
	OpWrite  OpKind = opWrite
	OpMkdir  OpKind = opMkdir
	OpRemove OpKind = opRemove
	OpChown  OpKind = opChown
)

// Owner is a numeric uid and gid to give a path in the container.
type Owner struct{ UID, GID int }

// Op is one change to apply in the container at Path (absolute, slash-separated).
type Op struct {
	Kind OpKind
	Path string
	// Source is the host path an OpWrite sends, read at send time: a file's content, a
	// directory, or a symlink's target text (the link is sent as a link, never followed).
	Source string
	// Root is the host directory Source lies in, which no symlink is followed out of (while
	// resolving Source's parents); empty means Source's own directory.
	Root string
	// Mode overrides the host file's permission bits for OpWrite, and sets them for OpMkdir (0: the default 0755).
	Mode fs.FileMode
	// Owner, when set, is applied to the written, created or chowned path.
	Owner *Owner
}

// WriteOp copies host file src to container path dst.
func WriteOp(src, dst string) Op { return Op{Kind: OpWrite, Path: dst, Source: src} }

// MkdirOp creates container directory dst and its parents.
func MkdirOp(dst string, mode fs.FileMode) Op { return Op{Kind: OpMkdir, Path: dst, Mode: mode} }

// RemoveOp deletes container path dst and everything below it.
func RemoveOp(dst string) Op { return Op{Kind: OpRemove, Path: dst} }

// ChownOp gives container path dst to uid and gid.
func ChownOp(dst string, uid, gid int) Op {
	return Op{Kind: OpChown, Path: dst, Owner: &Owner{UID: uid, GID: gid}}
}

// Batch is a group of ops the server applies in order and acknowledges once.
type Batch struct {
	Ops []Op
}

// Client speaks to a Serve on the other end of a stream, usually the stdin
// and stdout of a long-lived exec in the container. A Client is for one
// goroutine at a time. When a call's context ends before the answer arrives
// the stream is out of step: the Client refuses further calls and the owner
// should close the stream.
type Client struct {
	w      *bufio.Writer
	r      *bufio.Reader
	nextID uint64
	broken error
	buf    []byte
}

// NewClient returns a Client that sends on w and reads acks from r.
func NewClient(w io.Writer, r io.Reader) *Client {
	return &Client{w: bufio.NewWriterSize(w, 64<<10), r: bufio.NewReader(r), buf: make([]byte, 64<<10)}
}

// Hello tells the server which container directories (the rule targets) it may change.
func (c *Client) Hello(ctx context.Context, roots []string) error {
	_, err := c.exchange(ctx, func(id uint64) ([]string, error) {
		return nil, writeFrame(c.w, &header{Op: opHello, ID: id, Roots: roots, Version: Version})
	})
	if err != nil {
		return fmt.Errorf("sync hello: %w", err)
	}
	return nil
}

// Apply sends b, reading each written file from the host now so the latest
// content goes, and waits for the server's ack. It returns the round trip
// time. Ops that failed on either side come back as an *AckError; the other
// ops of the batch were applied.
func (c *Client) Apply(ctx context.Context, b Batch) (time.Duration, error) {
	start := time.Now()
	_, err := c.exchange(ctx, func(id uint64) ([]string, error) {
		var local []string
		roots := hostRoots{}
		defer roots.close()
		for _, op := range b.Ops {
			if err := c.send(op, roots, &local); err != nil {
				return local, err
			}
		}
		return local, writeFrame(c.w, &header{Op: opCommit, ID: id})
	})
	return time.Since(start), err
}

// List asks the server for the Manifest of container directory root, for an initial sync.
func (c *Client) List(ctx context.Context, root string, hash bool) ([]Entry, error) {
	ack, err := c.exchange(ctx, func(id uint64) ([]string, error) {
		if err := writeFrame(c.w, &header{Op: opList, Path: root, Hash: hash}); err != nil {
			return nil, err
		}
		return nil, writeFrame(c.w, &header{Op: opCommit, ID: id})
	})
	if err != nil {
		return nil, fmt.Errorf("list %q in container: %w", root, err)
	}
	return ack.Entries, nil
}

// Stat returns the owner and mode of container path p or, when p does not
// exist yet, of its nearest existing parent, so files can be given the owner
// of the directory they land in.
func (c *Client) Stat(ctx context.Context, p string) (Entry, error) {
	ack, err := c.exchange(ctx, func(id uint64) ([]string, error) {
		if err := writeFrame(c.w, &header{Op: opStat, Path: p}); err != nil {
			return nil, err
		}
		return nil, writeFrame(c.w, &header{Op: opCommit, ID: id})
	})
	if err != nil {
		return Entry{}, fmt.Errorf("stat %q in container: %w", p, err)
	}
	if len(ack.Entries) != 1 {
		return Entry{}, fmt.Errorf("stat %q in container: %d answers", p, len(ack.Entries))
	}
	return ack.Entries[0], nil
}

// exchange runs one request and reads its ack, giving up when ctx ends. The
// work runs in its own goroutine because reads on an exec stream cannot be
// interrupted any other way.
func (c *Client) exchange(ctx context.Context, send func(id uint64) ([]string, error)) (*Ack, error) {
	if c.broken != nil {
		return nil, fmt.Errorf("sync stream unusable: %w", c.broken)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.nextID++
	id := c.nextID
	type result struct {
		ack   *Ack
		local []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		local, err := send(id)
		if err == nil {
			err = c.w.Flush()
		}
		if err != nil {
			done <- result{err: err}
			return
		}
		ack, err := c.readAck(id)
		done <- result{ack: ack, local: local, err: err}
	}()
	select {
	case <-ctx.Done():
		c.broken = ctx.Err()
		return nil, ctx.Err()
	case res := <-done:
		if res.err != nil {
			c.broken = res.err
			return nil, res.err
		}
		if errs := append(res.local, res.ack.Errors...); len(errs) > 0 {
			return res.ack, &AckError{ID: id, Errors: errs}
		}
		return res.ack, nil
	}
}

func (c *Client) readAck(id uint64) (*Ack, error) {
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read ack %d: %w", id, err)
	}
	ack := &Ack{}
	if err := json.Unmarshal(line, ack); err != nil {
		return nil, fmt.Errorf("decode ack %d: %w", id, err)
	}
	if ack.ID != id {
		return nil, fmt.Errorf("ack for batch %d while waiting for %d", ack.ID, id)
	}
	return ack, nil
}

// hostRoots are the host directories of one batch's ops, each opened once.
type hostRoots map[string]*os.Root

// open returns the root that op's Source lies in and Source's name inside it.
func (h hostRoots) open(op Op) (*os.Root, string, error) {
	dir := op.Root
	if dir == "" {
		dir = filepath.Dir(op.Source)
	}
	name, err := filepath.Rel(dir, op.Source)
	if err != nil || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
		return nil, "", fmt.Errorf("%s is not inside %s", op.Source, dir)
	}
	if name == "." {
		// The root itself: look at it from its parent, so a root that is a file works too.
		dir, name = filepath.Dir(dir), filepath.Base(dir)
	}
	r := h[dir]
	if r == nil {
		if r, err = os.OpenRoot(dir); err != nil {
			return nil, "", err
		}
		h[dir] = r
	}
	return r, name, nil
}

func (h hostRoots) close() {
	for _, r := range h {
		r.Close()
	}
}

// send writes one op. Problems with the host file are collected in local
// and do not stop the batch; only a broken stream returns an error.
func (c *Client) send(op Op, roots hostRoots, local *[]string) error {
	h := &header{Op: string(op.Kind), Path: op.Path}
	if op.Owner != nil {
		h.UID, h.GID = &op.Owner.UID, &op.Owner.GID
	}
	if op.Kind != OpWrite {
		if op.Mode != 0 {
			m := unixmode.Bits(op.Mode)
			h.Mode = &m
		}
		return writeFrame(c.w, h)
	}
	failed := func(err error) error {
		*local = append(*local, fmt.Sprintf("write %q: %v", op.Path, err))
		return nil
	}
	r, name, err := roots.open(op)
	if errors.Is(err, fs.ErrNotExist) {
		return writeFrame(c.w, &header{Op: opRemove, Path: op.Path})
	}
	if err != nil {
		return failed(err)
	}
	fi, err := r.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		// Gone between the event and now: the container should not keep it.
		return writeFrame(c.w, &header{Op: opRemove, Path: op.Path})
	}
	if err != nil {
		return failed(err)
	}
	mode := unixmode.Bits(fi.Mode())
	if op.Mode != 0 {
		mode = unixmode.Bits(op.Mode)
	}
	h.Mode = &mode
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		if h.Link, err = r.Readlink(name); err != nil {
			return failed(err)
		}
		h.Op, h.Mode = opSymlink, nil
		return writeFrame(c.w, h)
	case fi.IsDir():
		h.Op = opMkdir
		return writeFrame(c.w, h)
	case !fi.Mode().IsRegular():
		return failed(fmt.Errorf("%s is not a regular file", op.Source))
	}
	f, err := r.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return writeFrame(c.w, &header{Op: opRemove, Path: op.Path})
	}
	if err != nil {
		return failed(err)
	}
	defer f.Close()
	// Size and mtime come from the open file so they describe what is read.
	if fi, err = f.Stat(); err != nil {
		return failed(err)
	}
	if !fi.Mode().IsRegular() {
		return failed(fmt.Errorf("%s is not a regular file", op.Source))
	}
	h.Size, h.MTime = fi.Size(), fi.ModTime().UnixNano()
	if err := writeFrame(c.w, h); err != nil {
		return err
	}
	return c.sendContent(f, h.Size, op.Path, local)
}

// sendContent streams exactly n bytes. A file that shrinks while being read
// is padded with zeros to keep the stream framed; the edit that shrank it
// fires another event that sends the right content.
func (c *Client) sendContent(f io.Reader, n int64, dst string, local *[]string) error {
	readErr := false
	for n > 0 {
		chunk := c.buf
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		m := 0
		if !readErr {
			var err error
			m, err = io.ReadFull(f, chunk)
			if err != nil {
				readErr = true
				clear(chunk[m:])
				if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
					*local = append(*local, fmt.Sprintf("write %q: read host file: %v", dst, err))
				}
			}
		} else {
			clear(chunk)
		}
		if _, err := c.w.Write(chunk); err != nil {
			return fmt.Errorf("send %q: %w", dst, err)
		}
		n -= int64(len(chunk))
	}
	return nil
}
