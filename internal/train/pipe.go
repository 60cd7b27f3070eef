package train

import (
	"io"
	"sync"
)

// pipeTolerant passes writes to the terminal until one fails (the reader of `train | head` went
// away), then swallows the rest: the job goes on and its output still reaches the run's log, which
// an io.MultiWriter would stop feeding at the first error. Err says why it stopped passing; the
// notice waits for the run's end, since the failed write may come from inside the terminal's own
// lock (a prefixed build line), which a notice takes too.
type pipeTolerant struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (p *pipeTolerant) Write(b []byte) (int, error) {
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

// Err is the first failed write's error, or nil.
func (p *pipeTolerant) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
