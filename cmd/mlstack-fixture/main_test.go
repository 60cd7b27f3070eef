package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/testenv"
)

// fixture runs one command line in-process, as the container would.
type fixture struct {
	env     []string
	signals chan os.Signal
	stdout  testenv.SyncBuffer
	stderr  testenv.SyncBuffer
}

func newFixture(env ...string) *fixture {
	return &fixture{env: env, signals: make(chan os.Signal, 4)}
}

func (f *fixture) sys() *sys {
	return &sys{
		stdout:   &f.stdout,
		stderr:   &f.stderr,
		environ:  f.env,
		signals:  f.signals,
		hostname: func() (string, error) { return "host-1", nil },
	}
}

func (f *fixture) run(args ...string) int { return run(f.sys(), args) }

func TestUsage(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
		wantOut  string
	}{
		{args: nil, wantCode: 2, wantErr: "usage: fixture COMMAND"},
		{args: []string{"frobnicate"}, wantCode: 2, wantErr: `unknown command "frobnicate"`},
		{args: []string{"help"}, wantCode: 0, wantOut: "train"},
		{args: []string{"sleep", "--nope"}, wantCode: 2, wantErr: "usage: fixture sleep"},
		{args: []string{"exit", "extra"}, wantCode: 2, wantErr: `unexpected argument "extra"`},
		{args: []string{"serve", "-h"}, wantCode: 0, wantErr: "FIXTURE_HEALTHY_AFTER"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := newFixture()
			if got := f.run(tt.args...); got != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", got, tt.wantCode, f.stderr.String())
			}
			if !strings.Contains(f.stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", f.stderr.String(), tt.wantErr)
			}
			if !strings.Contains(f.stdout.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", f.stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestHealthTurnsOKAfterDelay(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		cfg        serveConfig
		elapsed    time.Duration
		wantStatus int
		wantBody   string
	}{
		{"healthy at once by default", serveConfig{}, 0, 200, "ok\n"},
		{"starting before the delay", serveConfig{healthyAfter: 2 * time.Second}, 1999 * time.Millisecond, 503, "starting\n"},
		{"ok once the delay has passed", serveConfig{healthyAfter: 2 * time.Second}, 2 * time.Second, 200, "ok\n"},
		{"unhealthy forever", serveConfig{unhealthy: true}, time.Hour, 503, "unhealthy\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := func() time.Time { return start.Add(tt.elapsed) }
			h := newHandler(newFixture().sys(), tt.cfg, start, now)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("GET /health = %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec.Code, rec.Body.String()
}

func TestFilesAreReadFreshEachRequest(t *testing.T) {
	root := t.TempDir()
	h := newHandler(newFixture().sys(), serveConfig{root: root}, time.Now(), time.Now)
	file := filepath.Join(root, "src", "train.py")

	if code, _ := get(t, h, "/files/src/train.py"); code != 404 {
		t.Fatalf("missing file: status %d, want 404", code)
	}
	for _, content := range []string{"v1", "v2 changed"} {
		if err := writeFile(file, content); err != nil {
			t.Fatal(err)
		}
		code, body := get(t, h, "/files/src/train.py")
		if code != 200 || body != content {
			t.Errorf("after writing %q: GET = %d %q", content, code, body)
		}
	}
	if code, body := get(t, h, "/files/src"); code != 200 || body != "train.py\n" {
		t.Errorf("directory listing = %d %q, want 200 \"train.py\\n\"", code, body)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, h, "/files/src/train.py"); code != 404 {
		t.Errorf("removed file: status %d, want 404", code)
	}
}

func TestFilesStayInsideRoot(t *testing.T) {
	root := t.TempDir()
	if err := writeFile(filepath.Join(root, "etc", "passwd"), "inside"); err != nil {
		t.Fatal(err)
	}
	body, code, err := readForHTTP(root, "../../etc/passwd")
	if err != nil || code != 200 || body != "inside" {
		t.Errorf("readForHTTP(../../etc/passwd) = %d %q %v, want the copy inside root", code, body, err)
	}
}

func TestRootAndEnvEndpoints(t *testing.T) {
	tests := []struct {
		name       string
		env        []string
		target     string
		wantStatus int
		wantBody   string
	}{
		{"name from FIXTURE_NAME", []string{"FIXTURE_NAME=trainer"}, "/", 200, "trainer\n"},
		{"name falls back to hostname", nil, "/", 200, "host-1\n"},
		{"env var is answered verbatim", []string{"MLFLOW_TRACKING_URI=http://mlflow:5000"}, "/env/MLFLOW_TRACKING_URI", 200, "http://mlflow:5000"},
		{"empty env var is set", []string{"EMPTY="}, "/env/EMPTY", 200, ""},
		{"unset env var is 404", nil, "/env/NOPE", 404, "NOPE unset\n"},
		{"unknown path is 404", nil, "/nothing", 404, "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(newFixture(tt.env...).sys(), serveConfig{root: "/"}, time.Now(), time.Now)
			if code, body := get(t, h, tt.target); code != tt.wantStatus || body != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tt.target, code, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// waitFor polls until cond holds, failing the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServeStopsGracefullyOnSIGTERM(t *testing.T) {
	f := newFixture()
	done := make(chan int, 1)
	go func() { done <- f.run("serve", "--addr", "127.0.0.1:0") }()

	waitFor(t, "listening line", func() bool { return strings.Contains(f.stdout.String(), "\n") })
	line := strings.TrimSpace(f.stdout.String())
	addr, ok := strings.CutPrefix(line, "listening on ")
	if !ok || strings.HasSuffix(addr, ":0") {
		t.Fatalf("first line = %q, want \"listening on HOST:PORT\" with the real port", line)
	}
	if code := f.run("probe", "--url", "http://"+addr+"/health"); code != 0 {
		t.Errorf("probe of the running server exited %d; stderr: %s", code, f.stderr.String())
	}

	f.signals <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGTERM, want 0; stderr: %s", code, f.stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	if !strings.HasSuffix(f.stdout.String(), "got SIGTERM\nstopping\n") {
		t.Errorf("stdout = %q, want it to end with \"stopping\"", f.stdout.String())
	}
}

func TestServeReportsBusyAddress(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	f := newFixture()
	if code := f.run("serve", "--addr", srv.Listener.Addr().String()); code != 1 {
		t.Errorf("serve on a busy address exited %d, want 1", code)
	}
	if !strings.Contains(f.stderr.String(), "listen on") {
		t.Errorf("stderr = %q, want it to say what failed", f.stderr.String())
	}
}

func TestProbeExitCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
		io.WriteString(w, "because\n")
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	dir := t.TempDir()
	present := filepath.Join(dir, "ready")
	if err := writeFile(present, ""); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"200 is healthy", nil, []string{"--url", srv.URL + "/200"}, 0, ""},
		{"503 is unhealthy", nil, []string{"--url", srv.URL + "/503"}, 1, "status 503: because"},
		{"URL from environment", []string{"FIXTURE_PROBE_URL=" + srv.URL + "/500"}, nil, 1, "status 500"},
		{"nothing listening", nil, []string{"--url", closed.URL}, 1, "connection refused"},
		{"file present", nil, []string{"--file", present}, 0, ""},
		{"file missing", nil, []string{"--file", filepath.Join(dir, "absent")}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.env...)
			if code := f.run(append([]string{"probe"}, tt.args...)...); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.wantCode, f.stderr.String())
			}
			if !strings.Contains(f.stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", f.stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"defaults", nil, nil, 0, "done\n"},
		{"code flag", nil, []string{"--code", "3", "--message", "bye"}, 3, "bye\n"},
		{"FIXTURE_EXIT_CODE", []string{"FIXTURE_EXIT_CODE=4", "FIXTURE_MESSAGE=from env"}, nil, 4, "from env\n"},
		{"TRAIN_EXIT beats FIXTURE_EXIT_CODE", []string{"FIXTURE_EXIT_CODE=4", "TRAIN_EXIT=5"}, nil, 5, "done\n"},
		{"flag beats TRAIN_EXIT", []string{"TRAIN_EXIT=5"}, []string{"--code", "0"}, 0, "done\n"},
		{"bad TRAIN_EXIT is a usage error", []string{"TRAIN_EXIT=lots"}, nil, 2, ""},
		{"code out of range", nil, []string{"--code", "256"}, 2, ""},
		{"short wait", nil, []string{"--after", "1ms", "--code", "7"}, 7, "done\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.env...)
			if code := f.run(append([]string{"exit"}, tt.args...)...); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.wantCode, f.stderr.String())
			}
			if f.stdout.String() != tt.wantOut {
				t.Errorf("stdout = %q, want %q", f.stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestExitWaitEndsOnSignal(t *testing.T) {
	f := newFixture()
	f.signals <- syscall.SIGTERM
	if code := f.run("exit", "--after", "1h", "--code", "9"); code != 9 {
		t.Errorf("exit code = %d, want 9", code)
	}
	if want := "done\ngot SIGTERM\n"; f.stdout.String() != want {
		t.Errorf("stdout = %q, want %q", f.stdout.String(), want)
	}
}

func TestSleep(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		args    []string
		signals []os.Signal
		wantOut string
	}{
		{"SIGTERM ends it", nil, nil, []os.Signal{syscall.SIGTERM}, "sleeping\ngot SIGTERM\n"},
		{"SIGINT ends it", nil, nil, []os.Signal{syscall.SIGINT}, "sleeping\ngot SIGINT\n"},
		{"--for ends it", nil, []string{"--for", "1ms"}, nil, "sleeping\nslept 1ms\n"},
		{"--ignore-term outlasts signals", nil, []string{"--ignore-term", "--for", "50ms"},
			[]os.Signal{syscall.SIGTERM, syscall.SIGINT}, "sleeping\nignoring SIGTERM\nignoring SIGINT\nslept 50ms\n"},
		{"FIXTURE_IGNORE_TERM=1", []string{"FIXTURE_IGNORE_TERM=1", "FIXTURE_SLEEP_FOR=50ms"}, nil,
			[]os.Signal{syscall.SIGTERM}, "sleeping\nignoring SIGTERM\nslept 50ms\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.env...)
			for _, sig := range tt.signals {
				f.signals <- sig
			}
			if code := f.run(append([]string{"sleep"}, tt.args...)...); code != 0 {
				t.Errorf("exit code = %d, want 0; stderr: %s", code, f.stderr.String())
			}
			if f.stdout.String() != tt.wantOut {
				t.Errorf("stdout = %q, want %q", f.stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestPrint(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		args    []string
		wantOut string
	}{
		{"default three lines", nil, nil, "line 1\nline 2\nline 3\n"},
		{"lines flag", nil, []string{"--lines", "1"}, "line 1\n"},
		{"progress redraws with \\r then ends the line", nil, []string{"--progress", "3", "--lines", "2", "--interval", "1ms"},
			"\rprogress 0/3\rprogress 1/3\rprogress 2/3\rprogress 3/3\nline 1\nline 2\n"},
		{"settings from environment", []string{"FIXTURE_LINES=2", "FIXTURE_PROGRESS=1"}, nil,
			"\rprogress 0/1\rprogress 1/1\nline 1\nline 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.env...)
			if code := f.run(append([]string{"print"}, tt.args...)...); code != 0 {
				t.Errorf("exit code = %d, want 0; stderr: %s", code, f.stderr.String())
			}
			if f.stdout.String() != tt.wantOut {
				t.Errorf("stdout = %q, want %q", f.stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestPrintEachWriteReachesStdout(t *testing.T) {
	// Counting writes proves nothing is buffered: a log follower sees each redraw as it happens.
	var w countingWriter
	f := newFixture()
	s := f.sys()
	s.stdout = &w
	if code := run(s, []string{"print", "--progress", "2", "--lines", "2"}); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
	if want := 3 + 1 + 2; w.writes != want {
		t.Errorf("writes = %d, want %d (3 redraws, a newline, 2 lines)", w.writes, want)
	}
}

type countingWriter struct{ writes int }

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return len(p), nil }

func TestTrain(t *testing.T) {
	out := filepath.Join(t.TempDir(), "models", "model.txt")
	f := newFixture("MLFLOW_TRACKING_URI=http://mlflow:5000", "TRAIN_EXIT=3")
	code := f.run("train", "--epochs", "2", "--steps", "2", "--interval", "1ms", "--show-env", "MLFLOW_TRACKING_URI, DATA_DIR", "--out", out)
	if code != 3 {
		t.Errorf("exit code = %d, want TRAIN_EXIT 3; stderr: %s", code, f.stderr.String())
	}
	stdout := f.stdout.String()
	for _, want := range []string{
		"MLFLOW_TRACKING_URI=http://mlflow:5000\nDATA_DIR unset\n",
		"\r[#####     ] 1/2\r[##########] 2/2\repoch 1/2 loss=0.5000\n",
		"\repoch 2/2 loss=0.3333\n",
		"saved model to " + out + "\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout = %q, want it to contain %q", stdout, want)
		}
	}
	if body, err := os.ReadFile(out); err != nil || string(body) != "model trained\n" {
		t.Errorf("model file = %q, %v; want \"model trained\\n\"", body, err)
	}
}

func TestTrainVisibleLinesAreClean(t *testing.T) {
	// What a terminal shows of each line is the text after its last \r; with many steps the bar is wider than the epoch line.
	f := newFixture()
	if code := f.run("train", "--epochs", "1", "--steps", "1000", "--interval", "0", "--show-env", ""); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
	var visible []string
	for _, line := range strings.Split(strings.TrimSuffix(f.stdout.String(), "\n"), "\n") {
		shown := []byte(strings.Repeat(" ", 40))
		for _, part := range strings.Split(line, "\r") {
			copy(shown, part)
		}
		visible = append(visible, strings.TrimRight(string(shown), " "))
	}
	want := []string{"training 1 epochs", "epoch 1/1 loss=0.5000", "training done, exit 0"}
	if strings.Join(visible, "|") != strings.Join(want, "|") {
		t.Errorf("terminal shows %q, want %q", visible, want)
	}
}

func TestTrainInterrupted(t *testing.T) {
	f := newFixture()
	f.signals <- syscall.SIGTERM
	if code := f.run("train", "--interval", "1h"); code != 130 {
		t.Errorf("exit code = %d, want 130", code)
	}
	if !strings.HasSuffix(f.stdout.String(), "\ngot SIGTERM\ntraining interrupted\n") {
		t.Errorf("stdout = %q, want it to end with \"training interrupted\"", f.stdout.String())
	}
}

func TestFileTools(t *testing.T) {
	dir := t.TempDir()
	p := func(rel string) string { return filepath.Join(dir, rel) }
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	uidgid := strconv.Itoa(os.Getuid()) + ":" + strconv.Itoa(os.Getgid())

	steps := []struct {
		args     []string
		wantCode int
		wantOut  string
		prefix   bool // wantOut is only the start, for sizes that depend on the filesystem
		wantErr  string
	}{
		{args: []string{"write", p("src/a/b.txt"), "hello world\n"}},
		{args: []string{"write", p("src/a.py"), "x"}},
		{args: []string{"cat", p("src/a/b.txt")}, wantOut: "hello world\n"},
		{args: []string{"stat", p("src/a/b.txt")}, wantOut: uidgid + " -rw-r--r-- 12\n"},
		{args: []string{"stat", p("src/a")}, wantOut: uidgid + " drwxr-xr-x ", prefix: true},
		{args: []string{"ls", p("src")}, wantOut: "a.py\na/\n"},
		{args: []string{"ls", "-R", p("src")}, wantOut: "a.py\na/\na/b.txt\n"},
		{args: []string{"ls", p("src/a.py")}, wantOut: "a.py\n"},
		{args: []string{"rm", p("src/a")}, wantCode: 1, wantErr: "needs -r"},
		{args: []string{"rm", p("src/a.py")}},
		{args: []string{"rm", "-r", p("src/a")}},
		{args: []string{"ls", "-R", p("src")}},
		{args: []string{"rm", p("src/a.py")}, wantCode: 1, wantErr: "no such file"},
		{args: []string{"cat", p("missing")}, wantCode: 1, wantErr: "no such file"},
		{args: []string{"ls", p("missing")}, wantCode: 1, wantErr: "no such file"},
		{args: []string{"stat"}, wantCode: 2, wantErr: "want one PATH"},
		{args: []string{"write", p("x")}, wantCode: 2, wantErr: "want PATH CONTENT"},
	}
	for _, st := range steps {
		f := newFixture()
		if code := f.run(st.args...); code != st.wantCode {
			t.Errorf("%q: exit code = %d, want %d; stderr: %s", st.args, code, st.wantCode, f.stderr.String())
		}
		if got := f.stdout.String(); got != st.wantOut && !(st.prefix && strings.HasPrefix(got, st.wantOut)) {
			t.Errorf("%q: stdout = %q, want %q", st.args, got, st.wantOut)
		}
		if !strings.Contains(f.stderr.String(), st.wantErr) {
			t.Errorf("%q: stderr = %q, want it to contain %q", st.args, f.stderr.String(), st.wantErr)
		}
	}
}

func TestEnvIsSorted(t *testing.T) {
	f := newFixture("B=2", "A=1", "C=")
	if code := f.run("env"); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
	if want := "A=1\nB=2\nC=\n"; f.stdout.String() != want {
		t.Errorf("stdout = %q, want %q", f.stdout.String(), want)
	}
}

func TestBadEnvironmentValuesAreUsageErrors(t *testing.T) {
	tests := []struct {
		env  string
		args []string
	}{
		{"FIXTURE_HEALTHY_AFTER=5", []string{"serve"}},
		{"FIXTURE_UNHEALTHY=maybe", []string{"serve"}},
		{"FIXTURE_LINES=three", []string{"print"}},
		{"FIXTURE_EPOCHS=-", []string{"train"}},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			f := newFixture(tt.env)
			if code := f.run(tt.args...); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			name, _, _ := strings.Cut(tt.env, "=")
			if !strings.Contains(f.stderr.String(), "environment "+name) {
				t.Errorf("stderr = %q, want it to name %s", f.stderr.String(), name)
			}
		})
	}
}
