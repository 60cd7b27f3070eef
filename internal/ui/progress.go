package ui

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mlstack/mlstack/internal/progress"
)

// The --progress modes, as in docker compose.
const (
	ProgressAuto  = "auto"  // tty when stderr is a terminal, else plain
	ProgressTTY   = "tty"   // one live line per service, redrawn in place
	ProgressPlain = "plain" // append-only lines
	ProgressQuiet = "quiet" // nothing but warnings and errors
)

// SetProgress chooses how commands show progress (the --progress flag); task names the command in
// the live view's header and summary.
func (s *Streams) SetProgress(mode, task string) error {
	switch mode {
	case ProgressAuto, "":
		mode = ProgressPlain
		if s.ErrTTY && s.termFD >= 0 {
			mode = ProgressTTY
		}
	case ProgressTTY, ProgressPlain, ProgressQuiet:
	default:
		return fmt.Errorf("--progress %q: want auto, tty, plain or quiet", mode)
	}
	defer s.lock()()
	s.mode, s.task = mode, task
	return nil
}

// Quiet reports whether --progress quiet asked for nothing but warnings and errors.
func (s *Streams) Quiet() bool { return s.mode == ProgressQuiet }

// Progress returns the sink commands emit service states into: a live view (tty), lines (plain) or
// nothing (quiet). It is an Ender: End finishes the current view with its summary line.
func (s *Streams) Progress() progress.Ender { return (*progressSink)(s) }

// CloseProgress finishes a live view that is still drawn (the command returned).
func (s *Streams) CloseProgress() { s.Progress().End() }

// progressSink is Streams seen as a progress.Ender.
type progressSink Streams

func (p *progressSink) Emit(e progress.ServiceState) {
	s := (*Streams)(p)
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	switch s.mode {
	case ProgressQuiet:
		return
	case ProgressTTY:
		s.liveView().emit(e)
		return
	}
	s.plainView().emit(e)
}

func (p *progressSink) End() {
	s := (*Streams)(p)
	s.views.mu.Lock()
	v, pv := s.views.live, s.views.plain
	s.views.live, s.views.plain = nil, nil
	s.views.mu.Unlock()
	if v != nil {
		v.end()
	}
	if pv != nil {
		pv.end()
	}
	for _, t := range []*termWriter{s.termOut, s.termErr} {
		if t != nil {
			t.flush()
		}
	}
}

// liveView returns the live view, starting one on the first state of a phase.
func (s *Streams) liveView() *liveView {
	s.views.mu.Lock()
	defer s.views.mu.Unlock()
	if s.views.live == nil {
		s.views.live = newLiveView(s.rawErr, s.task, s.width, s.Color)
	}
	return s.views.live
}

// plainView returns the plain renderer, starting one on the first state of a phase.
func (s *Streams) plainView() *plainView {
	s.views.mu.Lock()
	defer s.views.mu.Unlock()
	if s.views.plain == nil {
		s.views.plain = newPlainView(s)
	}
	return s.views.plain
}

// activeView is the live view while one is drawn.
func (s *Streams) activeView() *liveView {
	s.views.mu.Lock()
	defer s.views.mu.Unlock()
	return s.views.live
}

// spinner frames, one per redraw.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// serviceLine is what the views know about one service (or, for a Status line, one resource).
type serviceLine struct {
	name    string
	last    progress.ServiceState
	since   time.Time       // the first state of this phase: elapsed time counts from here
	changed time.Time       // when last began
	active  time.Time       // the last sign of life: a state (repeated ones too) or a heartbeat
	beats   int             // heartbeats printed since last began (plain)
	status  string          // a resource's Status text ("Created"), for non-service lines
	said    map[string]bool // the states a plain line was printed for
}

// lines keeps the service lines of one phase in first-seen order.
type lines struct {
	order []string
	by    map[string]*serviceLine
	start time.Time
}

func (ls *lines) update(e progress.ServiceState) *serviceLine {
	if ls.by == nil {
		ls.by = map[string]*serviceLine{}
		ls.start = e.Time
	}
	l, ok := ls.by[e.Service]
	if !ok {
		l = &serviceLine{name: e.Service, since: e.Time}
		ls.by[e.Service] = l
		ls.order = append(ls.order, e.Service)
	}
	if !ok || l.last.State != e.State || l.last.Detail != e.Detail || l.last.ExitCode != e.ExitCode {
		l.changed, l.beats = e.Time, 0
	}
	l.last, l.active = e, e.Time
	return l
}

// summary is the line that ends a phase: "✔ up: 5 services in 12.3s (3 healthy, 2 started)".
func (ls *lines) summary(task string, now time.Time, color bool) string {
	counts := map[string]int{}
	failed := 0
	n := 0
	for _, name := range ls.order {
		l := ls.by[name]
		if l.status != "" {
			continue
		}
		n++
		word := l.last.String()
		if l.last.State == progress.Failed {
			word = "failed"
		}
		if !l.last.Settled() {
			word = "unfinished (" + string(l.last.State) + ")"
		}
		if !l.last.OK() || !l.last.Settled() {
			failed++
		}
		counts[word]++
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Strings(words)
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = fmt.Sprintf("%d %s", counts[w], w)
	}
	mark := paint(color, green, "✔")
	if failed > 0 {
		mark = paint(color, red, "✘")
	}
	if task == "" {
		task = "done"
	}
	noun := "services"
	if n == 1 {
		noun = "service"
	}
	if n == 0 {
		return fmt.Sprintf(" %s %s: done in %s", mark, task, elapsed(now.Sub(ls.start)))
	}
	return fmt.Sprintf(" %s %s: %d %s in %s (%s)", mark, task, n, noun, elapsed(now.Sub(ls.start)), strings.Join(parts, ", "))
}

func paint(color bool, code, text string) string {
	if !color {
		return text
	}
	return code + text + reset
}

// elapsed formats a duration as the views show it: 0.4s, 12.3s, 2m05s.
func elapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// liveView draws one line per service on a terminal, redrawn in place, with everything else the
// command prints (logs, warnings, build output) written above it.
type liveView struct {
	mu       sync.Mutex
	out      io.Writer
	task     string
	width    func() int
	color    bool
	ls       lines
	drawn    int // lines of the block currently on screen
	frame    int
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	ended    bool
	now      func() time.Time
}

func newLiveView(out io.Writer, task string, width func() int, color bool) *liveView {
	v := &liveView{out: out, task: task, width: width, color: color, stop: make(chan struct{}), done: make(chan struct{}), now: time.Now}
	go v.tick()
	return v
}

// tick redraws the block ten times a second, so spinners turn and elapsed times count.
func (v *liveView) tick() {
	defer close(v.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			v.frame++
			v.redraw()
			v.mu.Unlock()
		}
	}
}

func (v *liveView) emit(e progress.ServiceState) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ended {
		return
	}
	v.ls.update(e)
	v.redraw()
}

// status records a resource's Status line (a network, a volume, an image) as a finished line. A
// container's or service's line is left out when a service line already says it.
func (v *liveView) status(name, what string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ended || v.saidByService(name) {
		return
	}
	l := v.ls.update(progress.ServiceState{Service: name, Time: v.now()})
	l.status = what
	v.redraw()
}

// saidByService reports whether a Status line's subject is a service line's: "Service <svc>",
// "Container <project>-<svc>-<n>" (compose's container names) or "Image <project>-<svc>" (the
// name of an image built for a service).
func (v *liveView) saidByService(name string) bool {
	if svc, ok := strings.CutPrefix(name, "Service "); ok {
		_, known := v.ls.by[svc]
		return known
	}
	cname, ok := strings.CutPrefix(name, "Container ")
	if ok {
		if i := strings.LastIndexByte(cname, '-'); i > 0 {
			cname = cname[:i]
		}
	} else if cname, ok = strings.CutPrefix(name, "Image "); !ok {
		return false
	}
	for _, svc := range v.ls.order {
		if l := v.ls.by[svc]; l.status == "" && strings.HasSuffix(cname, "-"+svc) {
			return true
		}
	}
	return false
}

// writeAbove prints b (whole lines) above the block and draws the block again below it.
func (v *liveView) writeAbove(w io.Writer, b []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ended {
		return w.Write(b)
	}
	v.erase()
	n, err := w.Write(b)
	v.redraw()
	return n, err
}

// erase moves the cursor to the block's first line and clears to the end of the screen.
func (v *liveView) erase() {
	if v.drawn > 0 {
		fmt.Fprintf(v.out, "\x1b[%dA\r\x1b[J", v.drawn)
		v.drawn = 0
	}
}

func (v *liveView) redraw() {
	if v.ended {
		return
	}
	block := v.render(v.now(), false)
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r", v.drawn)
	}
	for _, l := range block {
		b.WriteString("\x1b[2K")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("\x1b[J")
	io.WriteString(v.out, b.String())
	v.drawn = len(block)
}

// render returns the block's lines: a header, then one line per service and resource. final
// replaces the header by nothing and appends the summary line.
func (v *liveView) render(now time.Time, final bool) []string {
	width := 80
	if v.width != nil {
		if w := v.width(); w > 0 {
			width = w
		}
	}
	nameW := 0
	for _, n := range v.ls.order {
		if len(n) > nameW {
			nameW = len(n)
		}
	}
	settled := 0
	total := 0
	var body []string
	for _, n := range v.ls.order {
		l := v.ls.by[n]
		var mark, text, right string
		switch {
		case l.status != "":
			mark, text = paint(v.color, green, "✔"), l.status
		default:
			total++
			text = l.last.String()
			end := now
			if l.last.Settled() {
				settled++
				end = l.changed
				mark = paint(v.color, green, "✔")
				if !l.last.OK() {
					mark = paint(v.color, red, "✘")
				}
			} else {
				mark = paint(v.color, yellow, spinner[v.frame%len(spinner)])
				if final {
					mark = "-"
				}
			}
			right = elapsed(end.Sub(l.since))
		}
		body = append(body, fit(fmt.Sprintf(" %s %-*s  %s", mark, nameW, n, text), right, width))
	}
	if final {
		return append(body, v.ls.summary(v.task, now, v.color))
	}
	header := fmt.Sprintf("[+] %s %d/%d", v.task, settled, total)
	return append([]string{fit(header, elapsed(now.Sub(v.ls.start)), width)}, body...)
}

// fit pads line so that right ends at the terminal's last column, cutting line where it is too long.
func fit(line, right string, width int) string {
	vis := visibleLen(line)
	room := width - len(right) - 1
	if vis > room {
		line = cutVisible(line, max(room-1, 0)) + "…"
		vis = room
	}
	if right == "" {
		return line
	}
	return line + strings.Repeat(" ", max(room-vis, 0)+1) + right
}

// visibleLen counts the runes of s a terminal shows (escape sequences take no room).
func visibleLen(s string) int {
	return len([]rune(StripANSI(s)))
}

// cutVisible keeps the first n visible runes of s (and any colour codes among them, then a reset).
func cutVisible(s string, n int) string {
	var b strings.Builder
	seen := 0
	hasEsc := false
	for i := 0; i < len(s); {
		if loc := ansiRE.FindStringIndex(s[i:]); loc != nil && loc[0] == 0 {
			b.WriteString(s[i : i+loc[1]])
			i += loc[1]
			hasEsc = true
			continue
		}
		if seen == n {
			break
		}
		r := []rune(s[i:])[0]
		b.WriteRune(r)
		i += len(string(r))
		seen++
	}
	if hasEsc {
		b.WriteString(reset)
	}
	return b.String()
}

// end stops the ticker and leaves the finished block with its summary line on screen.
func (v *liveView) end() {
	v.stopOnce.Do(func() { close(v.stop) })
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ended {
		return
	}
	v.erase()
	var b strings.Builder
	for _, l := range v.render(v.now(), true) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	io.WriteString(v.out, b.String())
	v.ended = true
}

// plainView prints, as append-only lines, the states that the command's own status lines do not
// already say (building, waiting for a dependency, healthy, exited), and a heartbeat with the
// elapsed time for a service that stays in one unfinished state without a sign of life (a build
// whose step prints nothing, a stop waiting out its grace period): first after heartbeatFirst of
// silence, then every heartbeatEvery. A repeated state (a build's output) is a sign of life.
type plainView struct {
	s    *Streams
	mu   sync.Mutex
	ls   lines
	stop chan struct{}
	done chan struct{}
}

const (
	heartbeatFirst = 5 * time.Second
	heartbeatEvery = 30 * time.Second
)

func newPlainView(s *Streams) *plainView {
	v := &plainView{s: s, stop: make(chan struct{}), done: make(chan struct{})}
	go v.tick()
	return v
}

func (v *plainView) tick() {
	defer close(v.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case now := <-t.C:
			for _, line := range v.heartbeats(now) {
				v.s.Info("%s", line)
			}
		}
	}
}

// plainStates are the states a plain line is printed for; the others are said by Status lines.
var plainStates = map[progress.State]bool{
	progress.Building: true, progress.Waiting: true, progress.Healthy: true, progress.Exited: true,
}

func (v *plainView) emit(e progress.ServiceState) {
	v.mu.Lock()
	l := v.ls.update(e)
	text := e.String()
	say := plainStates[e.State] && !l.said[text]
	if say {
		if l.said == nil {
			l.said = map[string]bool{}
		}
		l.said[text] = true
	}
	v.mu.Unlock()
	if say {
		v.s.Info(" - %-24s %s", e.Service, text)
	}
}

// heartbeats returns the lines due at now for services that stay in an unfinished state.
func (v *plainView) heartbeats(now time.Time) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, n := range v.ls.order {
		l := v.ls.by[n]
		if l.last.Settled() {
			continue
		}
		wait := heartbeatFirst
		if l.beats > 0 {
			wait = heartbeatEvery
		}
		if now.Sub(l.active) < wait {
			continue
		}
		l.active = now
		l.beats++
		out = append(out, fmt.Sprintf(" … %-24s still %s: %s so far", n, l.last.String(), elapsed(now.Sub(l.changed))))
	}
	return out
}

func (v *plainView) end() {
	close(v.stop)
	<-v.done
}
