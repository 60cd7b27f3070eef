package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/testenv"
)

const progressProject = `
services:
  store:
    image: ${FIXTURE}
    command: ["serve"]
    environment: {FIXTURE_HEALTHY_AFTER: 1s}
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms}
  api:
    image: ${FIXTURE}
    command: ["serve"]
    depends_on:
      store: {condition: service_healthy}
  stubborn:
    image: ${FIXTURE}
    command: ["sleep", "--ignore-term"]
    stop_grace_period: 2s
`

// In a real terminal (tmux), up and down show one line per service redrawn in place, with a spinner
// while a service waits, and end with a summary line; in a pipe the same commands print plain lines
// without escape sequences; --progress quiet prints nothing.
func TestProgressLiveInATerminalPlainInAPipe(t *testing.T) {
	p := testenv.NewProject(t, progressProject)
	term := newTmux(t)

	frames, final := term.run(p, "up -d --wait")
	if !strings.Contains(final, "EXIT=0") {
		t.Fatalf("up in a terminal did not exit 0:\n%s", final)
	}
	if !anyFrame(frames, func(f string) bool { return hasSpinner(f) && strings.Contains(f, "waiting for store to be healthy") }) {
		t.Errorf("no frame showed api waiting for store with a spinner; last frame:\n%s", final)
	}
	if !strings.Contains(final, "✔ up: 3 services in") {
		t.Errorf("no summary line after up:\n%s", final)
	}
	for _, svc := range []string{"store", "api", "stubborn"} {
		if n := countLines(final, " "+svc+" "); n != 1 {
			t.Errorf("service %s has %d lines on the screen after up, want 1 (redrawn in place):\n%s", svc, n, final)
		}
	}
	if strings.Contains(final, "[+] up") || hasSpinner(final) {
		t.Errorf("the finished view still shows its header or a spinner:\n%s", final)
	}

	frames, final = term.run(p, "down")
	if !anyFrame(frames, func(f string) bool {
		return hasSpinner(f) && strings.Contains(f, "stubborn") && strings.Contains(f, "killed after a 2s grace period")
	}) {
		t.Errorf("no frame said that down waits out stubborn's grace period; last frame:\n%s", final)
	}
	if !strings.Contains(final, "✔ down: 3 services in") || !strings.Contains(final, "3 removed") {
		t.Errorf("no summary line after down:\n%s", final)
	}

	r := p.MustRun("up", "-d", "--wait")
	if strings.Contains(r.Stderr, "\x1b[") {
		t.Errorf("plain output in a pipe has escape sequences:\n%q", r.Stderr)
	}
	for _, want := range []string{"Container " + p.Name + "-api-1 Created", "api                      waiting for store to be healthy", "store                    healthy"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("plain up lacks %q:\n%s", want, r.Stderr)
		}
	}
	// A recreate says so before the removal it leads to.
	r = p.MustRun("up", "-d", "--force-recreate", "-t", "1", "api")
	recreate, removed := strings.Index(r.Stderr, p.Name+"-api-1 Recreate"), strings.Index(r.Stderr, p.Name+"-api-1 Removed")
	if recreate < 0 || removed < 0 || recreate > removed {
		t.Errorf("recreate of api: want Recreate before Removed:\n%s", r.Stderr)
	}
	if q := p.MustRun("--progress", "quiet", "down"); q.Stderr != "" || q.Stdout != "" {
		t.Errorf("down --progress quiet printed:\n%s%s", q.Stdout, q.Stderr)
	}

	// Attached, the live view lasts until the services started, then the logs have the terminal.
	final = term.interrupt(p, "up api", "Attaching to")
	summary, attaching := strings.Index(final, "✔ up: 2 services in"), strings.Index(final, "Attaching to")
	if summary < 0 || attaching < summary {
		t.Errorf("attached up: want the view's summary, then the logs:\n%s", final)
	}
	if strings.Contains(final[attaching:], "[+] up") {
		t.Errorf("attached up: the live view is still drawn under the logs:\n%s", final)
	}
}

// tmux is a private tmux server (its own socket) whose panes run mlstack in a real terminal.
type tmux struct {
	t      *testing.T
	socket string
	n      int
}

func newTmux(t *testing.T) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("this test runs mlstack in a real terminal through tmux, which is not installed: apt-get install tmux")
	}
	tm := &tmux{t: t, socket: testenv.ProjectName(t)}
	// A session that outlives each command's keeps the server up: a new session started just as
	// the server exits with its last one fails ("server exited unexpectedly").
	if out, err := exec.Command("tmux", "-L", tm.socket, "new-session", "-d", "-s", "keep", "sleep 3600").CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

// run runs mlstack ARGS in a new 120x40 window and returns every distinct screen seen while it ran
// and the last one (which ends with EXIT=<code>).
func (tm *tmux) run(p *testenv.Project, args string) (frames []string, final string) {
	tm.t.Helper()
	tm.n++
	name := "w" + itoa(tm.n)
	script := "cd " + p.Dir + " && " + p.Bin + " -p " + p.Name + " " + args + "; echo EXIT=$?; sleep 600"
	if out, err := exec.Command("tmux", "-L", tm.socket, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", script).CombinedOutput(); err != nil {
		tm.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		out, err := exec.Command("tmux", "-L", tm.socket, "capture-pane", "-p", "-t", name).Output()
		if err != nil {
			tm.t.Fatalf("tmux capture-pane: %v", err)
		}
		screen := strings.TrimRight(string(out), "\n ")
		if len(frames) == 0 || frames[len(frames)-1] != screen {
			frames = append(frames, screen)
		}
		if strings.Contains(screen, "EXIT=") {
			_ = exec.Command("tmux", "-L", tm.socket, "kill-session", "-t", name).Run()
			return frames, screen
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("mlstack %s did not finish in a terminal within 2 minutes; last screen:\n%s", args, frames[len(frames)-1])
	return nil, ""
}

// interrupt runs mlstack ARGS in a new window until marker shows, then sends Ctrl-C and returns the
// screen once it exited.
func (tm *tmux) interrupt(p *testenv.Project, args, marker string) string {
	tm.t.Helper()
	tm.n++
	name := "w" + itoa(tm.n)
	script := "cd " + p.Dir + " && " + p.Bin + " -p " + p.Name + " " + args + "; echo EXIT=$?; sleep 600"
	if out, err := exec.Command("tmux", "-L", tm.socket, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", script).CombinedOutput(); err != nil {
		tm.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sent := false
	screen := ""
	for ctx.Err() == nil {
		out, err := exec.Command("tmux", "-L", tm.socket, "capture-pane", "-p", "-t", name).Output()
		if err != nil {
			tm.t.Fatalf("tmux capture-pane: %v", err)
		}
		screen = strings.TrimRight(string(out), "\n ")
		if strings.Contains(screen, "EXIT=") {
			_ = exec.Command("tmux", "-L", tm.socket, "kill-session", "-t", name).Run()
			return screen
		}
		if !sent && strings.Contains(screen, marker) {
			// The logs have the terminal: stop the attached up as a user would.
			_ = exec.Command("tmux", "-L", tm.socket, "send-keys", "-t", name, "C-c").Run()
			sent = true
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("mlstack %s did not finish in a terminal within 2 minutes; last screen:\n%s", args, screen)
	return ""
}

func anyFrame(frames []string, ok func(string) bool) bool {
	for _, f := range frames {
		if ok(f) {
			return true
		}
	}
	return false
}

func hasSpinner(s string) bool { return strings.ContainsAny(s, "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏") }

func countLines(screen, sub string) int {
	n := 0
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}
