package train

import (
	"io"
	"sync"
)

// pipeTolerant passes writes to the terminal until one fails (the reader of `train | head` went
// away), then swallows the rest: the job goes on and its output still reaches the run's log, which
// an io.MultiWriter would stop feeding at the first error. gone is called once, at the first failure.
type pipeTolerant struct {
	w      io.Writer
	gone   func(error)
	mu     sync.Mutex
	failed bool
}

func (p *pipeTolerant) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed {
		return len(b), nil
	}
	if _, err := p.w.Write(b); err != nil {
		p.failed = true
		p.gone(err)
	}
	return len(b), nil
}
