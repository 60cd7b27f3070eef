// Package ui owns the terminal: TTY detection, colour (off under NO_COLOR or without a TTY), status
// lines, tables and service-prefixed log streams. Nothing else prints escape codes.
package ui

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"

	"golang.org/x/term"
)

// Streams are the command's standard streams and what the terminal can do.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Color enables ANSI colours on Out and Err.
	Color bool
	// InTTY, OutTTY and ErrTTY report whether stdin/stdout/stderr are terminals.
	InTTY, OutTTY, ErrTTY bool
	mu                    *sync.Mutex

	// The progress view (progress.go): --progress mode, the command's name, the raw stderr the live
	// view draws on, the terminal's width, and the view of the current phase (shared by WithOut's
	// copies, so one phase has one view).
	mode             string
	task             string
	termFD           int
	rawErr           io.Writer
	width            func() int
	termOut, termErr *termWriter
	views            *views
}

// views holds the view of the current phase: the live view (tty) or the plain renderer.
type views struct {
	mu    sync.Mutex
	live  *liveView
	plain *plainView
}

// WithOut returns streams that write stdout to out and share the rest (the lock, the progress view).
func (s *Streams) WithOut(out io.Writer) *Streams {
	c := *s
	c.Out = out
	return &c
}

// System returns the process's streams, with colour decided by TTY and NO_COLOR. Out and Err go
// through writers that print above the live progress view while one is drawn.
func System() *Streams {
	outTTY := term.IsTerminal(int(os.Stdout.Fd()))
	errFD := int(os.Stderr.Fd())
	errTTY := term.IsTerminal(errFD)
	_, noColor := os.LookupEnv("NO_COLOR")
	s := &Streams{
		In:    os.Stdin,
		Color: outTTY && !noColor && os.Getenv("TERM") != "dumb",
		InTTY: term.IsTerminal(int(os.Stdin.Fd())), OutTTY: outTTY, ErrTTY: errTTY,
		mu: &sync.Mutex{}, mode: ProgressPlain, termFD: -1, rawErr: os.Stderr, views: &views{},
		width: func() int {
			w, _, err := term.GetSize(errFD)
			if err != nil {
				return 0
			}
			return w
		},
	}
	if errTTY && os.Getenv("TERM") != "dumb" {
		s.termFD = errFD
	}
	s.termOut, s.termErr = &termWriter{s: s, w: os.Stdout}, &termWriter{s: s, w: os.Stderr}
	s.Out, s.Err = s.termOut, s.termErr
	return s
}

// Test returns streams over the given writers, without colour or TTY.
func Test(in io.Reader, out, err io.Writer) *Streams {
	return &Streams{In: in, Out: out, Err: err, mu: &sync.Mutex{}, mode: ProgressPlain, termFD: -1, rawErr: err, views: &views{}}
}

// termWriter is Out or Err on the terminal: while a live view is drawn, whole lines go above it (a
// line whose end has not come yet waits, and of a line redrawn with '\r' only its last state shows).
type termWriter struct {
	s       *Streams
	w       io.Writer
	mu      sync.Mutex
	pending []byte
}

func (t *termWriter) Write(b []byte) (int, error) {
	v := t.s.activeView()
	t.mu.Lock()
	defer t.mu.Unlock()
	if v == nil {
		if err := t.flushLocked(); err != nil {
			return 0, err
		}
		return t.w.Write(b)
	}
	t.pending = append(t.pending, b...)
	i := bytes.LastIndexByte(t.pending, '\n')
	if i < 0 {
		return len(b), nil
	}
	whole := lastRedraws(t.pending[:i+1])
	t.pending = append([]byte(nil), t.pending[i+1:]...)
	if _, err := v.writeAbove(t.w, whole); err != nil {
		return 0, err
	}
	return len(b), nil
}

// flush prints a partial line held back while a view was drawn.
func (t *termWriter) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.flushLocked()
}

func (t *termWriter) flushLocked() error {
	if len(t.pending) == 0 {
		return nil
	}
	_, err := t.w.Write(t.pending)
	t.pending = t.pending[:0]
	return err
}

// lastRedraws keeps, of each line, what follows its last '\r' (what a terminal would show).
func lastRedraws(b []byte) []byte {
	if !bytes.ContainsRune(b, '\r') {
		return b
	}
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte{'\n'}) {
		body := bytes.TrimRight(line, "\r\n")
		if i := bytes.LastIndexByte(body, '\r'); i >= 0 {
			body = body[i+1:]
		}
		out = append(out, body...)
		if bytes.HasSuffix(line, []byte{'\n'}) {
			out = append(out, '\n')
		}
	}
	return out
}

// ansiRE matches terminal escape sequences: CSI (colours, cursor moves) and OSC (titles, links).
var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]`)

// StripANSI removes terminal escape sequences from s.
func StripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

func (s *Streams) lock() func() {
	if s.mu == nil {
		s.mu = &sync.Mutex{}
	}
	s.mu.Lock()
	return s.mu.Unlock
}

const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	dim    = "\x1b[2m"
)

func (s *Streams) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return code + text + reset
}

// Status prints one progress line to stderr: ` ✔ name  what`. While a live view is drawn, a
// container's or service's line is left to the view's service line, and another resource's (a
// network, a volume, an image) becomes a finished line of the view.
func (s *Streams) Status(name, what string) {
	if s.Quiet() {
		return
	}
	defer s.lock()()
	if s.mode == ProgressTTY {
		s.liveView().status(name, what)
		return
	}
	fmt.Fprintf(s.Err, " %s %-24s %s\n", s.paint(green, "✔"), name, what)
}

// Info prints a neutral line to stderr (nothing under --progress quiet).
func (s *Streams) Info(format string, args ...any) {
	if s.Quiet() {
		return
	}
	defer s.lock()()
	fmt.Fprintf(s.Err, format+"\n", args...)
}

// Notice prints a line the user should read (a changed default, a fallback) to stderr (nothing
// under --progress quiet).
func (s *Streams) Notice(format string, args ...any) {
	if s.Quiet() {
		return
	}
	defer s.lock()()
	fmt.Fprintf(s.Err, "%s %s\n", s.paint(yellow, "notice:"), fmt.Sprintf(format, args...))
}

// Warn prints a warning to stderr.
func (s *Streams) Warn(format string, args ...any) {
	defer s.lock()()
	fmt.Fprintf(s.Err, "%s %s\n", s.paint(yellow, "warning:"), fmt.Sprintf(format, args...))
}

// Error prints an error to stderr.
func (s *Streams) Error(err error) {
	defer s.lock()()
	fmt.Fprintf(s.Err, "%s %s\n", s.paint(red+bold, "error:"), err)
}

// Table writes rows aligned in columns to Out; the first row is the header.
func (s *Streams) Table(rows [][]string) {
	defer s.lock()()
	// tabwriter writes cell by cell: collected first, the table is one write, not one per cell.
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	s.Out.Write(b.Bytes())
}

var prefixColors = []string{"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[96m", "\x1b[93m", "\x1b[92m", "\x1b[95m", "\x1b[94m"}

// Prefixer hands out log writers whose lines carry an aligned, coloured service prefix.
type Prefixer struct {
	s     *Streams
	width int
	n     int
	noPfx bool
	lines bool
}

// LinesWhenPiped makes the writers, when stdout is not a terminal, drop escape sequences and end a
// line at every '\r' (a builder's progress redraws become lines a log file can show).
func (p *Prefixer) LinesWhenPiped() *Prefixer {
	p.lines = !p.s.OutTTY
	return p
}

// NewPrefixer sizes the prefix column for the given names; noPrefix prints bare lines.
func (s *Streams) NewPrefixer(names []string, noPrefix bool) *Prefixer {
	w := 0
	for _, n := range names {
		if len(n) > w {
			w = len(n)
		}
	}
	return &Prefixer{s: s, width: w, noPfx: noPrefix}
}

// Writer returns a writer for one source. Output is emitted at every '\n' and at every '\r', so
// progress bars that redraw a line show as they update instead of when the line finally ends.
func (p *Prefixer) Writer(name string) io.Writer {
	color := prefixColors[p.n%len(prefixColors)]
	p.n++
	if len(name) > p.width {
		p.width = len(name)
	}
	pfx := ""
	if !p.noPfx {
		pfx = fmt.Sprintf("%-*s | ", p.width, name)
		if p.s.Color {
			pfx = color + pfx + reset
		}
	}
	return &lineWriter{s: p.s, prefix: pfx, lines: p.lines}
}

type lineWriter struct {
	s       *Streams
	prefix  string
	pending []byte // bytes of the current segment not yet printed
	midLine bool   // a '\r' segment of this line was already printed
	lines   bool   // LinesWhenPiped: no escapes, '\r' ends a line
}

func (w *lineWriter) Write(b []byte) (int, error) {
	if w.lines {
		return w.writeLines(b)
	}
	n := len(b)
	var out []byte
	for len(b) > 0 {
		i := strings.IndexAny(string(b), "\r\n")
		if i < 0 {
			w.pending = append(w.pending, b...)
			break
		}
		w.pending = append(w.pending, b[:i]...)
		// "\r\n" is a plain line end.
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		sep := b[i]
		if sep == '\r' {
			// Redraw: go back to column 0 and print prefix + segment; the next segment overwrites it.
			out = append(out, '\r')
			out = append(out, w.prefix...)
			out = append(out, w.pending...)
			w.midLine = true
		} else {
			if w.midLine {
				out = append(out, '\r')
			}
			out = append(out, w.prefix...)
			out = append(out, w.pending...)
			out = append(out, '\n')
			w.midLine = false
		}
		w.pending = w.pending[:0]
		b = b[i+1:]
	}
	if len(out) > 0 {
		unlock := w.s.lock()
		_, err := w.s.Out.Write(out)
		unlock()
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// writeLines prints each segment ended by '\n' or '\r' as a line of its own, without escape
// sequences, skipping the empty segments a redraw leaves.
func (w *lineWriter) writeLines(b []byte) (int, error) {
	n := len(b)
	var out []byte
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			w.pending = append(w.pending, b...)
			break
		}
		w.pending = append(w.pending, b[:i]...)
		b = b[i+1:]
		seg := strings.TrimRight(StripANSI(string(w.pending)), " ")
		w.pending = w.pending[:0]
		if seg == "" {
			continue
		}
		out = append(out, w.prefix...)
		out = append(out, seg...)
		out = append(out, '\n')
	}
	if len(out) > 0 {
		unlock := w.s.lock()
		_, err := w.s.Out.Write(out)
		unlock()
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Flush prints a last unterminated line.
func (w *lineWriter) Flush() {
	if len(w.pending) == 0 {
		return
	}
	w.Write([]byte{'\n'})
}

// Flush prints whatever partial line w holds, if w came from a Prefixer.
func Flush(w io.Writer) {
	if lw, ok := w.(*lineWriter); ok {
		lw.Flush()
	}
}
