package runs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// tailFlushEvery bounds how often a cut log rewrites its tail on disk while the run goes on.
const tailFlushEvery = time.Second

// LogWriter creates <Dir>/<id>.log for the run's output. With limit > 0 the file stays near limit
// bytes: it keeps the first half and the last half of the output with a "... N bytes cut ..." line
// between, so both the setup (versions, config) and the end (final metrics, the traceback) survive.
// Until the output passes limit, the file is written through; after that the tail is rewritten at
// most once a second and on Close, so a crash loses at most a second of tail. Safe for concurrent use.
func (s Store) LogWriter(id string, limit int64) (io.WriteCloser, error) {
	if err := checkID(id); err != nil {
		return nil, fmt.Errorf("open run log: %w", err)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("open run log %s: %w", id, err)
	}
	f, err := os.OpenFile(s.LogPath(id), os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open run log %s: %w", id, err)
	}
	if limit <= 0 {
		return f, nil
	}
	return &boundedLog{f: f, limit: limit, head: limit / 2}, nil
}

// LogPath is where the log of run id is kept.
func (s Store) LogPath(id string) string { return s.path(id, ".log") }

// boundedLog writes through until limit, then keeps head bytes on disk and the last limit-head in memory.
type boundedLog struct {
	mu      sync.Mutex
	f       *os.File
	limit   int64
	head    int64
	size    int64 // bytes on disk while not cut
	total   int64 // bytes received
	cut     bool
	tail    []byte // the last limit-head bytes, once cut; may hold up to twice that before compaction
	flushed time.Time
	err     error
}

func (l *boundedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	l.total += int64(len(p))
	if !l.cut && l.size+int64(len(p)) <= l.limit {
		n, err := l.f.Write(p)
		l.size += int64(n)
		if err != nil {
			l.err = fmt.Errorf("write run log: %w", err)
		}
		return n, l.err
	}
	if !l.cut {
		if err := l.startCut(p); err != nil {
			l.err = err
			return 0, err
		}
		return len(p), nil
	}
	l.keepTail(p)
	if time.Since(l.flushed) >= tailFlushEvery {
		if err := l.flushTail(); err != nil {
			l.err = err
			return 0, err
		}
	}
	return len(p), nil
}

// startCut is the first write past limit: complete the head, gather the tail, rewrite the end of the file.
func (l *boundedLog) startCut(p []byte) error {
	l.cut = true
	keepTail := l.limit - l.head
	if l.size < l.head {
		// A large write crossed both the head and the limit.
		n := l.head - l.size
		if _, err := l.f.Write(p[:n]); err != nil {
			return fmt.Errorf("write run log: %w", err)
		}
		l.size += n
		p = p[n:]
	}
	// The tail starts with what is on disk past the head, up to keepTail bytes before p.
	fromDisk := max(0, min(l.size-l.head, keepTail-int64(len(p))))
	if fromDisk > 0 {
		buf := make([]byte, fromDisk)
		if _, err := l.f.ReadAt(buf, l.size-fromDisk); err != nil {
			return fmt.Errorf("read run log: %w", err)
		}
		l.tail = buf
	}
	l.keepTail(p)
	return l.flushTail()
}

func (l *boundedLog) keepTail(p []byte) {
	keep := int(l.limit - l.head)
	if len(p) >= keep {
		l.tail = append(l.tail[:0], p[len(p)-keep:]...)
		return
	}
	l.tail = append(l.tail, p...)
	if len(l.tail) > 2*keep {
		l.tail = append(l.tail[:0], l.tail[len(l.tail)-keep:]...)
	}
}

func (l *boundedLog) flushTail() error {
	tail := l.tail
	if keep := int(l.limit - l.head); len(tail) > keep {
		tail = tail[len(tail)-keep:]
	}
	cut := l.total - l.head - int64(len(tail))
	var b bytes.Buffer
	b.WriteString(cutMarker(cut))
	b.Write(tail)
	if _, err := l.f.WriteAt(b.Bytes(), l.head); err != nil {
		return fmt.Errorf("write run log: %w", err)
	}
	if err := l.f.Truncate(l.head + int64(b.Len())); err != nil {
		return fmt.Errorf("write run log: %w", err)
	}
	l.flushed = time.Now()
	return nil
}

// cutMarker is the line standing for the bytes left out between head and tail.
func cutMarker(n int64) string {
	return fmt.Sprintf("\n... %d bytes cut ...\n", n)
}

func (l *boundedLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	if l.cut && l.err == nil {
		errs = append(errs, l.flushTail())
	}
	if err := l.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close run log: %w", err))
	}
	l.err = errors.New("write run log: closed")
	return errors.Join(errs...)
}

// Tail returns the last lines of run id's log (all of it when lines <= 0), without line ends.
func (s Store) Tail(id string, lines int) ([]string, error) {
	if err := checkID(id); err != nil {
		return nil, fmt.Errorf("tail run log: %w", err)
	}
	f, err := os.Open(s.LogPath(id))
	if err != nil {
		return nil, fmt.Errorf("tail run log %s: %w", id, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("tail run log %s: %w", id, err)
	}
	// Read backwards in blocks until enough line ends are in hand, so a long log costs little.
	const block = 64 << 10
	var data []byte
	end := st.Size()
	for end > 0 {
		start := max(0, end-block)
		buf := make([]byte, end-start)
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("tail run log %s: %w", id, err)
		}
		data = append(buf, data...)
		end = start
		if lines > 0 && bytes.Count(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) >= lines {
			break
		}
	}
	text := strings.TrimSuffix(string(data), "\n")
	if text == "" {
		return nil, nil
	}
	all := strings.Split(text, "\n")
	if lines > 0 && len(all) > lines {
		all = all[len(all)-lines:]
	}
	for i, line := range all {
		all[i] = strings.TrimSuffix(line, "\r")
	}
	return all, nil
}
