// Package syncd is the wire protocol and in-container applier that mirrors host file changes into a running container.
package syncd

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Version is the protocol version exchanged in the hello.
const Version = 2

// The stream from client to server is a sequence of frames. A frame is a
// 4-byte big-endian length, a JSON header of that length and, for a write,
// header.Size raw content bytes. A batch is any number of op frames closed by
// a commit frame; the server answers each commit (and the hello) with one
// JSON line, an Ack. Raw bytes after the header keep big files out of JSON and
// let the client stream them straight from disk.

// maxHeader bounds a header so a corrupt length cannot make the server
// allocate gigabytes.
const maxHeader = 1 << 20

const (
	opHello  = "hello"
	opWrite  = "write"
	opMkdir  = "mkdir"
	opRemove = "remove"
	opChown  = "chown"
	opList   = "list"
	opStat   = "stat"
	// opSymlink makes Path a symbolic link whose target text is Link; the link is never followed.
	opSymlink = "symlink"
	opCommit  = "commit"
)

// header is the JSON part of a frame; which fields matter depends on Op.
type header struct {
	Op   string `json:"op"`
	Path string `json:"path,omitempty"`
	// Mode is the permission bits (with setuid, setgid and sticky) in Unix numbering; nil keeps the default.
	Mode    *uint32  `json:"mode,omitempty"`
	Link    string   `json:"link,omitempty"`
	UID     *int     `json:"uid,omitempty"`
	GID     *int     `json:"gid,omitempty"`
	Size    int64    `json:"size,omitempty"`
	MTime   int64    `json:"mtime,omitempty"`
	ID      uint64   `json:"id,omitempty"`
	Roots   []string `json:"roots,omitempty"`
	Hash    bool     `json:"hash,omitempty"`
	Version int      `json:"v,omitempty"`
}

// Ack is the server's answer to a hello or a committed batch, sent as one JSON line.
type Ack struct {
	ID      uint64   `json:"id"`
	Errors  []string `json:"errors,omitempty"`
	Entries []Entry  `json:"entries,omitempty"`
}

// Entry describes one file or directory for initial sync, relative to the listed root.
type Entry struct {
	Path   string      `json:"p"`
	Size   int64       `json:"s,omitempty"`
	Mode   fs.FileMode `json:"m"`
	MTime  int64       `json:"t,omitempty"`
	SHA256 string      `json:"h,omitempty"`
	// Link is a symlink's target text.
	Link string `json:"l,omitempty"`
	// UID and GID are the numeric owner; only a stat fills them in.
	UID int `json:"u,omitempty"`
	GID int `json:"g,omitempty"`
}

// IsDir reports whether the entry is a directory.
func (e Entry) IsDir() bool { return e.Mode.IsDir() }

// IsSymlink reports whether the entry is a symbolic link.
func (e Entry) IsSymlink() bool { return e.Mode&fs.ModeSymlink != 0 }

// AckError reports the ops of one batch that the server (or the client, while
// reading host files) could not apply; the rest of the batch was applied.
type AckError struct {
	ID     uint64
	Errors []string
}

func (e *AckError) Error() string {
	return fmt.Sprintf("batch %d: %d op(s) failed: %s", e.ID, len(e.Errors), strings.Join(e.Errors, "; "))
}

func writeFrame(w io.Writer, h *header) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode %s header: %w", h.Op, err)
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return fmt.Errorf("send %s: %w", h.Op, err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("send %s: %w", h.Op, err)
	}
	return nil
}

// readFrame returns io.EOF only on a clean end between frames.
func readFrame(r *bufio.Reader, buf []byte) (*header, []byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, buf, io.EOF
		}
		return nil, buf, fmt.Errorf("read frame length: %w", err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxHeader {
		return nil, buf, fmt.Errorf("frame header of %d bytes exceeds %d", size, maxHeader)
	}
	if cap(buf) < int(size) {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, buf, fmt.Errorf("read frame header: %w", err)
	}
	h := &header{}
	if err := json.Unmarshal(buf, h); err != nil {
		return nil, buf, fmt.Errorf("decode frame header: %w", err)
	}
	return h, buf, nil
}
