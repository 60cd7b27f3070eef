package train

import (
	"io"
	"sync"
)

// PipeTolerant passes writes to the terminal until one fails (the reader of `train | head` went
// away), then swallows the rest: the job goes on and its output still reaches the run's log, which
// an io.MultiWriter would stop feeding at the first error. Err says why it stopped passing; the
// notice waits for the run's end, since the failed write may come from inside the terminal's own
// lock (a prefixed build line), which a notice takes too.
type PipeTolerant struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

// Write passes b on until a write fails, and reports every write as done.
func (p *PipeTolerant) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return len(b), nil
	}
	if _, err := p.w.Write(b); err != nil {
		p.err = err
	}
	return len(b), nil
}

// NewPipeTolerant wraps the job's terminal w.
func NewPipeTolerant(w io.Writer) *PipeTolerant { return &PipeTolerant{w: w} }

// Err is the first failed write's error, or nil.
func (p *PipeTolerant) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
