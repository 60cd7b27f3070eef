package pipeline

import (
	"io"
	"sync"
	"time"

	"github.com/mlstack/mlstack/internal/progress"
)

// emit puts one build transition on the stack's progress stream, when it has one.
func (h *Hooks) emit(service string, state progress.State, detail string) {
	if h.st.Progress != nil {
		h.st.Progress.Emit(progress.ServiceState{Service: service, State: state, Detail: detail, Time: time.Now()})
	}
}

// emitBuilt says a service's image is ready: built now, or up to date.
func (h *Hooks) emitBuilt(service string, built bool) {
	detail := "up to date"
	if built {
		detail = ""
	}
	h.emit(service, progress.Built, detail)
}

// buildingWriter calls emit before the first bytes it passes on, and again at most once a second
// while output flows, so a progress view knows the build is alive.
type buildingWriter struct {
	w    io.Writer
	mu   sync.Mutex
	last time.Time
	emit func()
}

func (b *buildingWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	if now := time.Now(); now.Sub(b.last) >= time.Second {
		b.last = now
		b.emit()
	}
	b.mu.Unlock()
	return b.w.Write(p)
}
