package dashboard

import (
	"cmp"
	"context"
	"io"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

// Bounds on the logs the server keeps; the page keeps its own (see app.js).
const (
	feedLines   = 500  // last lines kept per followed service
	maxLineLen  = 4096 // bytes of one line; the rest is cut
	subscriberQ = 2048 // lines queued per page connection; a page that falls further behind is dropped
)

// LogLine is one line of a service's output. Open marks a line that ended in '\r' (a progress bar):
// the service's next line replaces it.
type LogLine struct {
	Seq     int64  `json:"seq"`
	Service string `json:"svc"`
	Text    string `json:"text"`
	Open    bool   `json:"open,omitempty"`
}

// followFunc copies a service's output to w until its containers stop. since is zero for the first
// call (which starts with the last lines kept by the engine) and the start of a new run after.
type followFunc func(ctx context.Context, service string, since time.Time, w io.Writer) error

// logHub follows the output of the services someone is looking at, keeps their last lines and
// hands new ones to every page connection watching them.
type logHub struct {
	ctx    context.Context
	follow followFunc
	starts *Observer

	mu    sync.Mutex
	seq   int64
	feeds map[string]*feed
}

type feed struct {
	refs   int
	cancel context.CancelFunc
	lines  []LogLine
	open   bool // the last line is open
	subs   map[*logSub]bool
}

// logSub is one page connection's queue; C is closed when the page fell too far behind.
type logSub struct {
	C        chan LogLine
	services []string
	dropped  bool
}

func newLogHub(ctx context.Context, obs *Observer, follow followFunc) *logHub {
	return &logHub{ctx: ctx, follow: follow, starts: obs, feeds: map[string]*feed{}}
}

// stackFollower follows a service's logs with `mlstack logs -f`'s own use case: history from the
// logs API, live output from an attach stream, so progress bars arrive as they redraw.
func stackFollower(st *stack.Stack) followFunc {
	return func(ctx context.Context, service string, since time.Time, w io.Writer) error {
		lo := stack.LogsOptions{Services: []string{service}, Follow: true, NoPrefix: true, Tail: strconv.Itoa(feedLines)}
		if !since.IsZero() {
			lo.Tail, lo.Since = "all", since.Format(time.RFC3339Nano)
		}
		s := &stack.Stack{Eng: st.Eng, Project: st.Project, UI: ui.Test(nil, w, io.Discard)}
		return s.Logs(ctx, lo)
	}
}

// Subscribe returns the kept lines of the services, oldest first, and a queue of new ones.
func (h *logHub) Subscribe(services []string) ([]LogLine, *logSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sub := &logSub{C: make(chan LogLine, subscriberQ), services: services}
	var backlog []LogLine
	for _, s := range services {
		f, ok := h.feeds[s]
		if !ok {
			ctx, cancel := context.WithCancel(h.ctx)
			f = &feed{cancel: cancel, subs: map[*logSub]bool{}}
			h.feeds[s] = f
			go h.run(ctx, s)
		}
		f.refs++
		f.subs[sub] = true
		backlog = append(backlog, f.lines...)
	}
	slices.SortFunc(backlog, func(a, b LogLine) int { return cmp.Compare(a.Seq, b.Seq) })
	return backlog, sub
}

// Unsubscribe ends a queue; a service nobody watches any more is no longer followed or kept.
func (h *logHub) Unsubscribe(sub *logSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range sub.services {
		f := h.feeds[s]
		if f == nil {
			continue
		}
		delete(f.subs, sub)
		if f.refs--; f.refs == 0 {
			f.cancel()
			delete(h.feeds, s)
		}
	}
}

// run follows one service: its current output, then each later run of its containers from its start.
func (h *logHub) run(ctx context.Context, service string) {
	w := &lineSplitter{emit: func(text string, open bool) { h.add(service, text, open) }}
	var since time.Time
	for ctx.Err() == nil {
		started := h.starts.lastStart(service)
		if err := h.follow(ctx, service, since, w); err != nil && ctx.Err() == nil {
			h.add(service, "mlstack dashboard: following logs: "+err.Error(), false)
		}
		h.starts.waitStart(ctx, service, started)
		since = h.starts.lastStart(service)
	}
}

func (h *logHub) add(service, text string, open bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feeds[service]
	if f == nil {
		return
	}
	h.seq++
	l := LogLine{Seq: h.seq, Service: service, Text: text, Open: open}
	if f.open && len(f.lines) > 0 {
		f.lines[len(f.lines)-1] = l
	} else {
		if len(f.lines) == feedLines {
			f.lines = append(f.lines[:0], f.lines[1:]...)
		}
		f.lines = append(f.lines, l)
	}
	f.open = open
	for sub := range f.subs {
		if sub.dropped {
			continue
		}
		select {
		case sub.C <- l:
		default:
			sub.dropped = true
			close(sub.C)
		}
	}
}

// ansi matches terminal escape sequences (colours, cursor moves), which the page does not interpret.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]`)

// lineSplitter turns a stream written by ui's line writer into lines: '\n' ends a line, '\r' ends
// a redraw of it. The writer hands over whole segments per Write, so what is left at the end of a
// Write is a redraw shown at once, not a fragment.
type lineSplitter struct {
	mu      sync.Mutex
	emit    func(text string, open bool)
	pending []byte
	open    bool
	last    string
}

func (s *lineSplitter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range b {
		switch c {
		case '\r':
			s.flush(true)
		case '\n':
			if len(s.pending) == 0 && s.open {
				s.pending = append(s.pending, s.last...)
			}
			s.flush(false)
		default:
			s.pending = append(s.pending, c)
		}
	}
	s.flush(true)
	return len(b), nil
}

// flush emits the pending text; an empty redraw is nothing, an empty line is a line.
func (s *lineSplitter) flush(open bool) {
	if open && len(s.pending) == 0 {
		return
	}
	text := clean(s.pending)
	s.pending = s.pending[:0]
	s.emit(text, open)
	s.open, s.last = open, text
}

// clean strips escape sequences, cuts overlong lines and makes the text valid UTF-8.
func clean(b []byte) string {
	t := ansi.ReplaceAllString(string(b), "")
	if len(t) > maxLineLen {
		t = t[:maxLineLen] + " …"
	}
	if !utf8.ValidString(t) {
		t = string([]rune(t))
	}
	return t
}
