package watch

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Defaults for Options.
const (
	DefaultQuiet      = 4 * time.Millisecond
	DefaultBurstQuiet = 20 * time.Millisecond
	DefaultMaxWait    = 200 * time.Millisecond
)

// Options tunes debouncing.
type Options struct {
	// Quiet is how long no event must arrive before a batch is flushed (default 4 ms). One save's
	// events (truncate and write, or write a temporary file and rename it) arrive well within it,
	// and every millisecond of it is a millisecond of edit-to-visible latency.
	Quiet time.Duration
	// BurstQuiet replaces Quiet for a batch whose first event comes within BurstQuiet of the
	// previous batch's last one (default 20 ms): events still arriving after a flush are a burst
	// (checkout, formatter, save-all), better synced in few batches than many.
	BurstQuiet time.Duration
	// MaxWait bounds how long the first event of a batch waits, so a continuous stream still flushes (default 200 ms).
	MaxWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.Quiet <= 0 {
		o.Quiet = DefaultQuiet
	}
	if o.BurstQuiet <= 0 {
		o.BurstQuiet = DefaultBurstQuiet
	}
	if o.BurstQuiet < o.Quiet {
		o.BurstQuiet = o.Quiet
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.MaxWait < o.BurstQuiet {
		o.MaxWait = o.BurstQuiet
	}
	return o
}

// ChangeKind says what to do with a path in the container.
type ChangeKind string

// The kinds of Change.
const (
	// Write means the host path exists: copy its file (or create its directory).
	Write ChangeKind = "write"
	// Remove means the host path is gone: delete it, recursively.
	Remove ChangeKind = "remove"
)

// Change is the final state of one host path after a batch of events.
type Change struct {
	Kind          ChangeKind
	HostPath      string
	ContainerPath string
	// Root is the rule's host path, which no symlink is followed out of when HostPath is read.
	Root string
}

// Group is the changes of one flush that fall under one rule; the rule's
// Action says what to do after syncing them. Removes come first, then
// writes, each sorted so parents precede children.
type Group struct {
	Rule    *Rule
	Changes []Change
}

// Flush is one debounced batch of changes, grouped per rule in rule order.
type Flush struct {
	Groups []Group
	// Rescan is set when events were lost (kernel queue overflow): the
	// receiver should compare whole trees, as for an initial sync.
	Rescan bool
}

// Empty reports whether the flush carries nothing to do.
func (f Flush) Empty() bool { return len(f.Groups) == 0 && !f.Rescan }

// Batcher debounces file events and coalesces them per path. It holds no
// timers: the caller passes the time of each event and asks Due when to
// call Flush, which keeps it deterministic under test. It is not safe for
// concurrent use.
type Batcher struct {
	rules   []*Rule
	opts    Options
	pending map[string]bool // path -> it did not exist when the batch began
	first   time.Time
	last    time.Time
	// prevLast is the last event of the batch flushed before; burst says this batch began within
	// BurstQuiet of it.
	prevLast time.Time
	burst    bool
	rescan   bool
	lstat    func(string) (fs.FileInfo, error)
}

// NewBatcher returns an empty Batcher for rules.
func NewBatcher(rules []*Rule, opts Options) *Batcher {
	return &Batcher{rules: rules, opts: opts.withDefaults(), pending: map[string]bool{}, lstat: os.Lstat}
}

// Add records an event seen at now.
func (b *Batcher) Add(ev fsnotify.Event, now time.Time) {
	if _, seen := b.pending[ev.Name]; !seen {
		// A path whose first event is a create did not exist before this
		// batch; if it is gone again at flush time nothing needs doing.
		b.pending[ev.Name] = ev.Has(fsnotify.Create)
	}
	b.touch(now)
}

// Rescan asks the next flush to tell the receiver to compare whole trees.
func (b *Batcher) Rescan(now time.Time) {
	b.rescan = true
	b.touch(now)
}

func (b *Batcher) touch(now time.Time) {
	if b.first.IsZero() {
		b.first = now
		b.burst = !b.prevLast.IsZero() && now.Sub(b.prevLast) < b.opts.BurstQuiet
	}
	b.last = now
}

// Due returns when the pending batch should be flushed: after the quiet
// period since the last event (the longer one in a burst), or the maximum
// wait since the first one.
func (b *Batcher) Due() (time.Time, bool) {
	if b.first.IsZero() {
		return time.Time{}, false
	}
	q := b.opts.Quiet
	if b.burst {
		q = b.opts.BurstQuiet
	}
	quiet := b.last.Add(q)
	limit := b.first.Add(b.opts.MaxWait)
	if limit.Before(quiet) {
		return limit, true
	}
	return quiet, true
}

// Flush turns the pending paths into changes by looking at the disk now,
// so the last state wins, and starts a new batch.
func (b *Batcher) Flush() Flush {
	f := Flush{Rescan: b.rescan}
	groups := make([][]Change, len(b.rules))
	dirs := map[string]bool{}
	for p, created := range b.pending {
		kind, isDir, ok := b.state(p, created)
		if !ok {
			continue
		}
		if isDir {
			dirs[p] = true
		}
		for i, r := range b.rules {
			// Below a symlink is outside the tree: the link itself is the change.
			if cp, ok := r.Match(p); ok && !b.belowLink(r.Path, p) {
				groups[i] = append(groups[i], Change{Kind: kind, HostPath: p, ContainerPath: cp, Root: r.Path})
			}
		}
	}
	for i, changes := range groups {
		if changes = tidy(changes, dirs); len(changes) > 0 {
			f.Groups = append(f.Groups, Group{Rule: b.rules[i], Changes: changes})
		}
	}
	clear(b.pending)
	b.prevLast = b.last
	b.first, b.last, b.rescan, b.burst = time.Time{}, time.Time{}, false, false
	return f
}

func (b *Batcher) belowLink(root, p string) bool { return belowLink(root, p, b.lstat) }

// belowLink reports whether a directory between root and p is now a symlink,
// as when a directory was replaced by a link while its events were pending:
// p is then outside the tree, and the link itself is the change.
func belowLink(root, p string, lstat func(string) (fs.FileInfo, error)) bool {
	for d := filepath.Dir(p); ; d = filepath.Dir(d) {
		// Only directories strictly inside root count: above it is the user's own choice of path.
		if rel, ok := within(root, d); !ok || rel == "." || d == filepath.Dir(d) {
			return false
		}
		if fi, err := lstat(d); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return true
		}
	}
}

// state reads what p is now. A symlink is a change of its own (it is synced
// as a link, whatever it points to), never a directory to look into.
func (b *Batcher) state(p string, created bool) (kind ChangeKind, isDir, ok bool) {
	fi, err := b.lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		if created {
			return "", false, false
		}
		return Remove, false, true
	}
	if err != nil {
		// Unreadable now; a later event will tell.
		return "", false, false
	}
	return Write, fi.IsDir(), true
}

// tidy orders changes and drops redundant ones: anything below a removed
// path, and the write of a directory when a path inside it is written too.
func tidy(changes []Change, dirs map[string]bool) []Change {
	if len(changes) == 0 {
		return nil
	}
	sort.Slice(changes, func(i, j int) bool {
		if changes[i].Kind != changes[j].Kind {
			return changes[i].Kind == Remove
		}
		return changes[i].HostPath < changes[j].HostPath
	})
	removed := map[string]bool{}
	written := map[string]bool{}
	for _, c := range changes {
		if c.Kind == Write {
			for d := filepath.Dir(c.HostPath); !written[d] && d != filepath.Dir(d); d = filepath.Dir(d) {
				written[d] = true
			}
		}
	}
	out := changes[:0]
	for _, c := range changes {
		if c.Kind == Remove {
			if underAny(c.HostPath, removed) {
				continue
			}
			removed[c.HostPath] = true
		} else if dirs[c.HostPath] && written[c.HostPath] {
			continue
		}
		out = append(out, c)
	}
	return out
}

func underAny(p string, set map[string]bool) bool {
	for d := filepath.Dir(p); d != filepath.Dir(d); d = filepath.Dir(d) {
		if set[d] {
			return true
		}
	}
	return false
}
