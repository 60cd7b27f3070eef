package ui

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/progress"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// testView is a live view that neither ticks nor reads the clock: tests set now.
func testView(out *bytes.Buffer, width int) *liveView {
	return &liveView{out: out, task: "up", width: func() int { return width }, now: func() time.Time { return at(0) }}
}

func TestLiveViewRendersOneLinePerServiceWithStateAndElapsedTime(t *testing.T) {
	v := testView(&bytes.Buffer{}, 70)
	v.ls.update(progress.ServiceState{Service: "feature-store", State: progress.Started, Time: at(0)})
	v.ls.update(progress.ServiceState{Service: "inference", State: progress.Waiting, Detail: "feature-store to be healthy", Time: at(0.5)})
	v.ls.update(progress.ServiceState{Service: "feature-store", State: progress.Healthy, Time: at(2)})
	got := v.render(at(3), false)
	want := [][2]string{ // each line's start and, at the terminal's last column, its elapsed time
		{"[+] up 1/2 ", "3.0s"},
		{" ✔ feature-store  healthy ", "2.0s"},
		{" ⠋ inference      waiting for feature-store to be healthy ", "2.5s"},
	}
	if len(got) != len(want) {
		t.Fatalf("block:\n%s", strings.Join(got, "\n"))
	}
	for i, l := range got {
		if !strings.HasPrefix(l, want[i][0]) || !strings.HasSuffix(l, " "+want[i][1]) || visibleLen(l) != 70 {
			t.Errorf("line %d %q: want %q ... %q, 70 columns wide", i, l, want[i][0], want[i][1])
		}
	}
}

func TestLiveViewCutsLongLinesToTheTerminal(t *testing.T) {
	v := testView(&bytes.Buffer{}, 30)
	v.ls.update(progress.ServiceState{Service: "inference", State: progress.Failed, Detail: "start service \"inference\": a published port is already in use", Time: at(0)})
	for _, l := range v.render(at(1), false) {
		if n := visibleLen(l); n > 30 {
			t.Errorf("line %q is %d columns, wider than the terminal's 30", l, n)
		}
	}
}

func TestLiveViewSummaryCountsFinalStates(t *testing.T) {
	v := testView(&bytes.Buffer{}, 80)
	v.ls.update(progress.ServiceState{Service: "a", State: progress.Healthy, Time: at(0)})
	v.ls.update(progress.ServiceState{Service: "b", State: progress.Healthy, Time: at(1)})
	v.ls.update(progress.ServiceState{Service: "c", State: progress.Exited, ExitCode: 0, Time: at(2)})
	v.ls.update(progress.ServiceState{Service: "Network p_default", Time: at(0)}).status = "Created"
	got := v.render(at(12.34), true)
	if last := got[len(got)-1]; last != " ✔ up: 3 services in 12.3s (1 exited (0), 2 healthy)" {
		t.Errorf("summary %q", last)
	}
	v.ls.update(progress.ServiceState{Service: "d", State: progress.Failed, Detail: "boom", Time: at(3)})
	v.ls.update(progress.ServiceState{Service: "e", State: progress.Stopping, Time: at(3)})
	got = v.render(at(4), true)
	if last := got[len(got)-1]; !strings.HasPrefix(last, " ✘ up: 5 services") || !strings.Contains(last, "1 failed") || !strings.Contains(last, "1 unfinished (stopping)") {
		t.Errorf("summary with a failure %q", last)
	}
	for _, l := range got {
		if strings.Contains(l, "⠋") {
			t.Errorf("a finished block still spins: %q", l)
		}
	}
}

func TestLiveViewRedrawsInPlaceAndWritesOtherOutputAbove(t *testing.T) {
	var term bytes.Buffer
	v := testView(&term, 40)
	v.emit(progress.ServiceState{Service: "a", State: progress.Started, Time: at(0)})
	if !strings.HasSuffix(term.String(), "\x1b[J") || strings.Contains(term.String(), "\x1b[2A") {
		t.Fatalf("first draw moved up before anything was drawn: %q", term.String())
	}
	term.Reset()
	v.emit(progress.ServiceState{Service: "a", State: progress.Healthy, Time: at(1)})
	if !strings.HasPrefix(term.String(), "\x1b[2A\r") {
		t.Errorf("a redraw does not go back over the 2 drawn lines: %q", term.String())
	}
	term.Reset()
	var logs bytes.Buffer
	v.writeAbove(&logs, []byte("a | ready\n"))
	if logs.String() != "a | ready\n" || !strings.HasPrefix(term.String(), "\x1b[2A\r\x1b[J") || !strings.Contains(term.String(), " a  healthy") {
		t.Errorf("log line not printed above a redrawn block: logs %q, terminal %q", logs.String(), term.String())
	}
}

func TestTermWriterKeepsPartialLinesAndLastRedrawsWhileAViewIsDrawn(t *testing.T) {
	if got := string(lastRedraws([]byte("\ra | 10%\ra | 50%\ra | done\nb | x\n"))); got != "a | done\nb | x\n" {
		t.Errorf("lastRedraws: %q", got)
	}
	if got := string(lastRedraws([]byte("x\r\n"))); got != "x\n" {
		t.Errorf("crlf: %q", got)
	}
}

func TestPlainViewPrintsOnlyWhatStatusLinesDoNotSay(t *testing.T) {
	var errb bytes.Buffer
	s := Test(nil, &bytes.Buffer{}, &errb)
	v := &plainView{s: s}
	for _, e := range []progress.ServiceState{
		{Service: "inference", State: progress.Building, Time: at(0)},
		{Service: "inference", State: progress.Built, Time: at(1)},
		{Service: "inference", State: progress.Waiting, Detail: "feature-store to be healthy", Time: at(1)},
		{Service: "inference", State: progress.Waiting, Detail: "feature-store to be healthy", Time: at(1)},
		{Service: "inference", State: progress.Created, Time: at(2)},
		{Service: "feature-store", State: progress.Healthy, Time: at(2)},
		{Service: "training", State: progress.Exited, ExitCode: 3, Time: at(3)},
	} {
		v.emit(e)
	}
	want := " - inference                building\n" +
		" - inference                waiting for feature-store to be healthy\n" +
		" - feature-store            healthy\n" +
		" - training                 exited (3)\n"
	if errb.String() != want {
		t.Errorf("plain lines:\n%s\nwant:\n%s", errb.String(), want)
	}
}

func TestPlainViewHeartbeatDuringALongUnfinishedState(t *testing.T) {
	v := &plainView{s: Test(nil, &bytes.Buffer{}, &bytes.Buffer{})}
	v.ls.update(progress.ServiceState{Service: "inference", State: progress.Stopping, Detail: "SIGTERM, killed after a 10s grace period", Time: at(0)})
	v.ls.update(progress.ServiceState{Service: "redis", State: progress.Removed, Time: at(0)})
	if got := v.heartbeats(at(4)); len(got) != 0 {
		t.Errorf("heartbeat before 5s: %q", got)
	}
	got := v.heartbeats(at(5))
	if len(got) != 1 || got[0] != " … inference                still stopping (SIGTERM, killed after a 10s grace period): 5.0s so far" {
		t.Errorf("heartbeat at 5s: %q", got)
	}
	if got := v.heartbeats(at(20)); len(got) != 0 {
		t.Errorf("a second heartbeat before 30s more: %q", got)
	}
	if got := v.heartbeats(at(35)); len(got) != 1 || !strings.Contains(got[0], "35.0s so far") {
		t.Errorf("heartbeat at 35s: %q", got)
	}
}

func TestQuietPrintsNeitherStatusNorInfoButWarnings(t *testing.T) {
	var errb bytes.Buffer
	s := Test(nil, &bytes.Buffer{}, &errb)
	if err := s.SetProgress(ProgressQuiet, "up"); err != nil {
		t.Fatal(err)
	}
	s.Status("Container x", "Started")
	s.Info("Pulling")
	s.Progress().Emit(progress.ServiceState{Service: "x", State: progress.Waiting, Detail: "y healthy"})
	s.Warn("careful")
	if errb.String() != "warning: careful\n" {
		t.Errorf("quiet printed %q", errb.String())
	}
	if err := s.SetProgress("fancy", "up"); err == nil || !strings.Contains(err.Error(), "auto, tty, plain or quiet") {
		t.Errorf("bad mode: %v", err)
	}
}

func TestBuildOutputInAPipeIsPlainLines(t *testing.T) {
	var out bytes.Buffer
	s := Test(nil, &out, &out)
	w := s.NewPrefixer([]string{"inference"}, false).LinesWhenPiped().Writer("inference")
	w.Write([]byte("Step 1/3 : FROM x\n\x1b[1mGet:1\x1b[0m http://deb.debian.org\r 10% [Working]\r 50% [Working]\rDone\n"))
	want := "inference | Step 1/3 : FROM x\ninference | Get:1 http://deb.debian.org\ninference |  10% [Working]\ninference |  50% [Working]\ninference | Done\n"
	if out.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", out.String(), want)
	}
}

func TestPlainHeartbeatWaitsForSilenceNotForTheStateToChange(t *testing.T) {
	v := &plainView{s: Test(nil, &bytes.Buffer{}, &bytes.Buffer{})}
	v.ls.update(progress.ServiceState{Service: "inference", State: progress.Building, Time: at(0)})
	v.ls.update(progress.ServiceState{Service: "inference", State: progress.Building, Time: at(4)}) // output flows
	if got := v.heartbeats(at(8)); len(got) != 0 {
		t.Errorf("heartbeat 4s after the last output: %q", got)
	}
	if got := v.heartbeats(at(9)); len(got) != 1 || !strings.Contains(got[0], "still building: 9.0s so far") {
		t.Errorf("heartbeat after 5s of silence: %q (elapsed counts from when the build began)", got)
	}
}

// Emits from many goroutines, output written above and the ticker all share the view; End leaves
// one finished block (run with -race).
func TestLiveViewUnderConcurrentUse(t *testing.T) {
	var term bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return term.Write(b) })
	v := newLiveView(w, "up", func() int { return 80 }, false)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := fmt.Sprintf("svc%d", i)
			for _, st := range []progress.State{progress.Created, progress.Started, progress.Healthy} {
				v.emit(progress.ServiceState{Service: svc, State: st, Time: time.Now()})
				v.writeAbove(w, []byte(svc+" | log line\n"))
			}
		}()
	}
	wg.Wait()
	v.end()
	v.end() // idempotent
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(term.String(), " ✔ up: 8 services in ") {
		t.Errorf("no summary:\n%s", term.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func TestLiveViewLeavesToServiceLinesWhatTheySay(t *testing.T) {
	v := testView(&bytes.Buffer{}, 80)
	v.ls.update(progress.ServiceState{Service: "inference", State: progress.Built, Time: at(0)})
	for name, said := range map[string]bool{
		"Container fraud-inference-1": true,
		"Service inference":           true,
		"Image fraud-inference":       true,
		"Network fraud_default":       false,
		"Image redis:7-alpine":        false,
		"Container fraud-training-1":  false,
	} {
		if got := v.saidByService(name); got != said {
			t.Errorf("%q said by a service line: %v, want %v", name, got, said)
		}
	}
}

// train gives its job another stdout through WithOut: what the job's stack prints must join the
// command's one live view, not start a second one.
func TestWithOutSharesTheProgressView(t *testing.T) {
	var out, errb, job bytes.Buffer
	s := Test(nil, &out, &errb)
	if err := s.SetProgress(ProgressTTY, "train"); err != nil {
		t.Fatal(err)
	}
	c := s.WithOut(&job)
	c.Status("Container p-db-1", "Created")
	if s.activeView() == nil {
		t.Fatal("a status line through the copy drew no view on the original streams")
	}
	s.Progress().End()
	if c.activeView() != nil {
		t.Error("the copy still draws a view the original ended")
	}
	fmt.Fprint(c.Out, "job output\n")
	if job.String() != "job output\n" || out.Len() != 0 {
		t.Errorf("the copy's stdout went to %q, the original's got %q", job.String(), out.String())
	}
}
