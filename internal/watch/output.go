package watch

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlstack/mlstack/internal/syncd"
	"github.com/mlstack/mlstack/internal/ui"
)

// reporter is everything a watch session shows on the terminal; nothing else in the session prints.
type reporter struct {
	ui *ui.Streams
	// width aligns the service column.
	width int
	// quiet drops result lines; warnings still show.
	quiet bool
}

// announce prints the one line that says watching began and what each rule maps where.
func (r *reporter) announce(order []string, services map[string]*service, workingDir string, watches int) {
	var parts []string
	for _, n := range order {
		for _, rule := range services[n].rules {
			rel := rule.Path
			if workingDir != "" {
				if x, err := filepath.Rel(workingDir, rule.Path); err == nil && !strings.HasPrefix(x, "..") {
					rel = "./" + filepath.ToSlash(x)
				}
			}
			to := string(rule.Action)
			if rule.Target != "" {
				to = rule.Target + " (" + to + ")"
			}
			parts = append(parts, fmt.Sprintf("%s: %s → %s", n, rel, to))
		}
	}
	r.ui.Info("Watching %s [%d directories]; Ctrl-C stops watching and leaves the stack running", strings.Join(parts, ", "), watches)
}

// line prints one result line: who (a service, or a container when a service runs several) and what happened.
func (r *reporter) line(who, what string) {
	fmt.Fprintf(r.ui.Out, "%-*s  %s\n", r.width, who, what)
}

// result prints a result line unless quiet.
func (r *reporter) result(who, what string) {
	if !r.quiet {
		r.line(who, what)
	}
}

func (r *reporter) info(format string, args ...any) { r.ui.Info(format, args...) }

func (r *reporter) warn(format string, args ...any) { r.ui.Warn(format, args...) }

// output is where a service's exec or build output goes, prefixed with its name; flush it when done.
func (r *reporter) output(service string) io.Writer {
	return r.ui.NewPrefixer([]string{service}, false).Writer(service)
}

func flushOutput(w io.Writer) { ui.Flush(w) }

func count(ops []syncd.Op) string {
	n, rm := 0, 0
	for _, op := range ops {
		n++
		if op.Kind == syncd.OpRemove {
			rm++
		}
	}
	out := fmt.Sprintf("%d file", n)
	if n != 1 {
		out += "s"
	}
	if rm > 0 {
		out += fmt.Sprintf(" (%d removed)", rm)
	}
	return out
}

func millis(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
