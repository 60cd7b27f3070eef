package train

import (
	"io"
	"syscall"
	"testing"
)

// closedAfter accepts n writes, then fails as a pipe whose reader left.
type closedAfter struct{ n int }

func (c *closedAfter) Write(b []byte) (int, error) {
	if c.n == 0 {
		return 0, syscall.EPIPE
	}
	c.n--
	return len(b), nil
}

func TestPipeTolerantKeepsTheRunGoing(t *testing.T) {
	w := NewPipeTolerant(&closedAfter{n: 1})
	log := io.Discard
	out := io.MultiWriter(w, log)
	for i := range 5 {
		if n, err := out.Write([]byte("line\n")); err != nil || n != 5 {
			t.Fatalf("write %d = %d, %v; want the output to keep flowing to the log", i, n, err)
		}
	}
	if err := w.Err(); err != syscall.EPIPE {
		t.Errorf("Err() = %v, want the first failure's EPIPE", err)
	}
}
