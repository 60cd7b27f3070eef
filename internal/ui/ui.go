// Package ui owns the terminal: TTY detection, colour (off under NO_COLOR or without a TTY), status
// lines, tables and service-prefixed log streams. Nothing else prints escape codes.
package ui

import (
	"fmt"
	"io"
	"os"
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
	// InTTY and OutTTY report whether stdin/stdout are terminals.
	InTTY, OutTTY bool
	mu            *sync.Mutex
}

// System returns the process's streams, with colour decided by TTY and NO_COLOR.
func System() *Streams {
	outTTY := term.IsTerminal(int(os.Stdout.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	return &Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Color: outTTY && !noColor && os.Getenv("TERM") != "dumb",
		InTTY: term.IsTerminal(int(os.Stdin.Fd())), OutTTY: outTTY,
		mu: &sync.Mutex{},
	}
}

// Test returns streams over the given writers, without colour or TTY.
func Test(in io.Reader, out, err io.Writer) *Streams {
	return &Streams{In: in, Out: out, Err: err, mu: &sync.Mutex{}}
}

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

// Status prints one progress line to stderr: ` ✔ name  what`.
func (s *Streams) Status(name, what string) {
	defer s.lock()()
	fmt.Fprintf(s.Err, " %s %-24s %s\n", s.paint(green, "✔"), name, what)
}

// Info prints a neutral line to stderr.
func (s *Streams) Info(format string, args ...any) {
	defer s.lock()()
	fmt.Fprintf(s.Err, format+"\n", args...)
}

// Notice prints a line the user should read (a changed default, a fallback) to stderr.
func (s *Streams) Notice(format string, args ...any) {
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
	tw := tabwriter.NewWriter(s.Out, 0, 0, 3, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

var prefixColors = []string{"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[96m", "\x1b[93m", "\x1b[92m", "\x1b[95m", "\x1b[94m"}

// Prefixer hands out log writers whose lines carry an aligned, coloured service prefix.
type Prefixer struct {
	s     *Streams
	width int
	n     int
	noPfx bool
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
	return &lineWriter{s: p.s, prefix: pfx}
}

type lineWriter struct {
	s       *Streams
	prefix  string
	pending []byte // bytes of the current segment not yet printed
	midLine bool   // a '\r' segment of this line was already printed
}

func (w *lineWriter) Write(b []byte) (int, error) {
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
