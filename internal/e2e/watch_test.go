package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/mlstack/mlstack/internal/testenv"
)

// watchProc is a running `mlstack watch`.
type watchProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	out, err *testenv.SyncBuffer
	done     chan struct{}
}

func startWatch(t *testing.T, p *testenv.Project, args ...string) *watchProc {
	t.Helper()
	cmd := p.Command(context.Background(), nil, append([]string{"watch"}, args...)...)
	w := &watchProc{t: t, cmd: cmd, out: &testenv.SyncBuffer{}, err: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.out, w.err
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		select {
		case <-w.done:
		default:
			cmd.Process.Kill()
			<-w.done
		}
	})
	w.waitOutput("Watching", 2*time.Minute)
	return w
}

// waitOutput waits until stderr or stdout shows s.
func (w *watchProc) waitOutput(s string, timeout time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(w.err.String()+w.out.String(), s) {
		select {
		case <-w.done:
			w.t.Fatalf("watch exited before printing %q\nstdout:\n%s\nstderr:\n%s", s, w.out, w.err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("watch did not print %q in %s\nstdout:\n%s\nstderr:\n%s", s, timeout, w.out, w.err)
		}
	}
}

// interrupt sends Ctrl-C and checks watch exits 0.
func (w *watchProc) interrupt() {
	w.t.Helper()
	w.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-w.done:
	case <-time.After(15 * time.Second):
		w.t.Fatalf("watch did not exit on SIGINT\nstderr:\n%s", w.err)
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		w.t.Fatalf("watch exited %d on SIGINT, want 0\nstdout:\n%s\nstderr:\n%s", code, w.out, w.err)
	}
}

// fileServer reads files of a service's container through the fixture's HTTP /files/ route on
// its published port, from outside the container.
type fileServer struct {
	t       *testing.T
	p       *testenv.Project
	service string
	base    string
}

func newFileServer(t *testing.T, p *testenv.Project, service string) *fileServer {
	f := &fileServer{t: t, p: p, service: service}
	f.refresh()
	return f
}

// refresh reads the published port again: a restarted container gets a new one.
func (f *fileServer) refresh() {
	f.t.Helper()
	in := f.p.Inspect(f.service)
	b := in.NetworkSettings.Ports["8080/tcp"]
	if len(b) == 0 {
		f.t.Fatalf("service %s publishes no port 8080", f.service)
	}
	f.base = fmt.Sprintf("http://127.0.0.1:%s/files", b[0].HostPort)
}

// get returns the file's content and whether it exists.
func (f *fileServer) get(p string) (string, bool) {
	resp, err := http.Get(f.base + p)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode == http.StatusOK
}

// want waits until path p has content (or, when content is "", is gone).
func (f *fileServer) want(p, content string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, ok := f.get(p)
		if content == "" && !ok || ok && got == content {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("container file %s = %q (exists %v), want %q", p, got, ok, content)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fileServer) wantGone(p string) { f.t.Helper(); f.want(p, "") }

func writeHost(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ctrExec runs the fixture in a service's container and returns its stdout.
func ctrExec(t *testing.T, p *testenv.Project, service string, cmd ...string) string {
	t.Helper()
	ctx := context.Background()
	id := p.Inspect(service).ID
	ex, err := p.Eng.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Eng.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	var out, errb bytes.Buffer
	stdcopy.StdCopy(&out, &errb, resp.Reader)
	return out.String() + errb.String()
}

const watchCompose = `services:
  web:
    image: ${FIXTURE}
    command: ["serve", "--root", "/app"]
    user: "1000:1000"
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
    develop:
      watch:
        - action: sync
          path: ./src
          target: /app/src
          ignore: ["data/", "*.log"]
`

func TestWatchSyncsEditsDeletesRenamesAndIgnores(t *testing.T) {
	p := testenv.NewProject(t, watchCompose)
	src := filepath.Join(p.Dir, "src")
	writeHost(t, src, "a.py", "print('a')\n")
	writeHost(t, src, "pkg/b.py", "b = 1\n")
	writeHost(t, src, "data/big.bin", "weights")
	writeHost(t, src, "run.log", "log")

	w := startWatch(t, p)
	w.waitOutput("initial sync", 10*time.Second)
	f := newFileServer(t, p, "web")
	f.want("/src/a.py", "print('a')\n")
	f.want("/src/pkg/b.py", "b = 1\n")
	f.wantGone("/src/data/big.bin")
	f.wantGone("/src/run.log")
	if got := ctrExec(t, p, "web", "/fixture", "stat", "/app/src/pkg/b.py"); !strings.HasPrefix(got, "1000:1000 ") {
		t.Errorf("initial sync owner: stat = %q, want 1000:1000", got)
	}

	writeHost(t, src, "a.py", "print('edited')\n")
	f.want("/src/a.py", "print('edited')\n")
	writeHost(t, src, "c.py", "c = 3\n")
	f.want("/src/c.py", "c = 3\n")
	if err := os.Remove(filepath.Join(src, "pkg/b.py")); err != nil {
		t.Fatal(err)
	}
	f.wantGone("/src/pkg/b.py")
	if err := os.Rename(filepath.Join(src, "c.py"), filepath.Join(src, "renamed.py")); err != nil {
		t.Fatal(err)
	}
	f.want("/src/renamed.py", "c = 3\n")
	f.wantGone("/src/c.py")
	writeHost(t, src, "n1/n2/n3/deep.py", "deep\n")
	f.want("/src/n1/n2/n3/deep.py", "deep\n")
	for _, p2 := range []string{"/app/src/n1", "/app/src/n1/n2/n3/deep.py", "/app/src/a.py"} {
		if got := ctrExec(t, p, "web", "/fixture", "stat", p2); !strings.HasPrefix(got, "1000:1000 ") {
			t.Errorf("owner of %s: stat = %q, want 1000:1000", p2, got)
		}
	}
	// A directory renamed away takes its files with it.
	if err := os.Rename(filepath.Join(src, "n1"), filepath.Join(src, "m1")); err != nil {
		t.Fatal(err)
	}
	f.want("/src/m1/n2/n3/deep.py", "deep\n")
	f.wantGone("/src/n1")

	// Ignored paths stay out; the marker written after them proves the batch was applied.
	writeHost(t, src, "data/new.bin", "more weights")
	writeHost(t, src, "other.log", "log")
	writeHost(t, src, ".a.py.swp", "vim swap")
	writeHost(t, src, "marker.py", "m")
	f.want("/src/marker.py", "m")
	f.wantGone("/src/data/new.bin")
	f.wantGone("/src/other.log")
	f.wantGone("/src/.a.py.swp")

	// Changes made while the container is stopped arrive once it is back.
	ctx := context.Background()
	id := p.Inspect("web").ID
	timeout := 1
	if err := p.Eng.ContainerStop(ctx, id, container.StopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	writeHost(t, src, "while-down.py", "down\n")
	if err := os.Remove(filepath.Join(src, "marker.py")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the watcher flush while the container is down
	if err := p.Eng.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.want("/src/while-down.py", "down\n")
	f.wantGone("/src/marker.py")
	writeHost(t, src, "after.py", "after\n")
	f.want("/src/after.py", "after\n")

	w.interrupt()
	if st := p.Inspect("web").State; st == nil || !st.Running {
		t.Errorf("web is not running after watch stopped")
	}
	if !strings.Contains(w.out.String(), "web  synced ") {
		t.Errorf("no per-batch line like `web  synced 1 file in 3 ms`:\n%s", w.out)
	}
}

// hostTree reads every file under dir, keyed by slash path.
func hostTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

// containerTree lists the container's tree with the fixture's ls -R and reads each file over HTTP.
func containerTree(t *testing.T, p *testenv.Project, f *fileServer) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(ctrExec(t, p, "web", "/fixture", "ls", "-R", "/app/src")), "\n") {
		if l == "" || strings.HasSuffix(l, "/") {
			continue
		}
		c, ok := f.get("/src/" + l)
		if !ok {
			c = "<unreadable>"
		}
		out[l] = c
	}
	return out
}

func TestWatchBurstEndsByteIdentical(t *testing.T) {
	p := testenv.NewProject(t, strings.Replace(watchCompose, `    user: "1000:1000"`+"\n", "", 1))
	src := filepath.Join(p.Dir, "src")
	writeHost(t, src, "seed.py", "seed")
	w := startWatch(t, p, "--quiet")
	f := newFileServer(t, p, "web")
	f.want("/src/seed.py", "seed")

	rng := rand.New(rand.NewSource(1))
	var live []string
	for i := 0; i < 1000; i++ {
		switch op := rng.Intn(10); {
		case op < 4 || len(live) < 10:
			rel := fmt.Sprintf("d%d/f%d.py", rng.Intn(8), i)
			writeHost(t, src, rel, fmt.Sprintf("create %d", i))
			live = append(live, rel)
		case op < 7:
			writeHost(t, src, live[rng.Intn(len(live))], fmt.Sprintf("modify %d %s", i, strings.Repeat("x", rng.Intn(5000))))
		case op < 8:
			k := rng.Intn(len(live))
			os.Remove(filepath.Join(src, live[k]))
			live = append(live[:k], live[k+1:]...)
		default:
			k := rng.Intn(len(live))
			to := fmt.Sprintf("r%d/moved%d.py", rng.Intn(4), i)
			os.MkdirAll(filepath.Dir(filepath.Join(src, to)), 0o755)
			if err := os.Rename(filepath.Join(src, live[k]), filepath.Join(src, to)); err != nil {
				t.Fatal(err)
			}
			live[k] = to
		}
	}
	writeHost(t, src, "zz-last.py", "last")
	f.want("/src/zz-last.py", "last")
	want := hostTree(t, src)
	var got map[string]string
	deadline := time.Now().Add(15 * time.Second)
	for {
		got = containerTree(t, p, f)
		if equalTrees(want, got) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !equalTrees(want, got) {
		var diffs []string
		for k, v := range want {
			if got[k] != v {
				diffs = append(diffs, "differs or missing: "+k)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				diffs = append(diffs, "extra: "+k)
			}
		}
		sort.Strings(diffs)
		if len(diffs) > 20 {
			diffs = diffs[:20]
		}
		t.Fatalf("after the burst the container's tree (%d files) differs from the host's (%d files):\n%s", len(got), len(want), strings.Join(diffs, "\n"))
	}
	w.interrupt()
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func TestWatchSyncRestartSyncExecAndPrune(t *testing.T) {
	p := testenv.NewProject(t, `services:
  web:
    image: ${FIXTURE}
    command: ["serve", "--root", "/app"]
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
    develop:
      watch:
        - action: sync
          path: ./src
          target: /app/src
          ignore: ["cache/"]
        - action: sync+restart
          path: ./conf
          target: /app/conf
        - action: sync+exec
          path: ./hook
          target: /app/hook
          exec:
            command: ["/fixture", "write", "/app/exec-ran", "yes"]
`)
	writeHost(t, p.Dir, "src/keep.py", "keep")
	writeHost(t, p.Dir, "conf/app.toml", "v = 1")
	writeHost(t, p.Dir, "hook/h.txt", "1")
	p.MustRun("up", "-d", "--wait")
	ctrExec(t, p, "web", "/fixture", "write", "/app/src/stale.py", "stale")
	ctrExec(t, p, "web", "/fixture", "write", "/app/src/cache/c.bin", "cached")

	w := startWatch(t, p, "--no-up", "--prune")
	f := newFileServer(t, p, "web")
	f.want("/src/keep.py", "keep")
	f.wantGone("/src/stale.py")
	f.want("/src/cache/c.bin", "cached") // ignored paths survive a prune

	before := p.Inspect("web").State.StartedAt
	writeHost(t, p.Dir, "conf/app.toml", "v = 2")
	w.waitOutput("restarted", 30*time.Second)
	if after := p.Inspect("web").State.StartedAt; after == before {
		t.Errorf("sync+restart did not restart the container (StartedAt %s)", after)
	}
	f.refresh()
	f.want("/conf/app.toml", "v = 2")

	writeHost(t, p.Dir, "hook/h.txt", "2")
	f.want("/hook/h.txt", "2")
	f.want("/exec-ran", "yes")
	// After the restart the helper is back: plain syncs still work.
	writeHost(t, p.Dir, "src/new.py", "new")
	f.want("/src/new.py", "new")
	w.interrupt()
}

func TestWatchRebuildRecreatesAndDockerignoreApplies(t *testing.T) {
	p := testenv.NewProject(t, `services:
  web:
    build: .
    command: ["serve", "--root", "/app"]
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
    develop:
      watch:
        - action: rebuild
          path: ./VERSION
        - action: sync
          path: ./src
          target: /app/src
`)
	removeProjectImages(t, p)
	p.Write("Dockerfile", "FROM ${FIXTURE}\nCOPY VERSION /app/VERSION\n")
	p.Write(".dockerignore", "src/secret.txt\n")
	p.Write("VERSION", "1")
	p.Write("src/app.py", "app")
	p.Write("src/secret.txt", "token")

	w := startWatch(t, p)
	f := newFileServer(t, p, "web")
	f.want("/VERSION", "1")
	f.want("/src/app.py", "app")
	f.wantGone("/src/secret.txt")
	old := p.Inspect("web").ID

	p.Write("VERSION", "2")
	w.waitOutput("rebuilt", 2*time.Minute)
	if p.Inspect("web").ID == old {
		t.Fatal("rebuild did not recreate the container")
	}
	f.refresh()
	f.want("/VERSION", "2")
	// The new container is found and synced again.
	f.want("/src/app.py", "app")
	p.Write("src/app.py", "app v2")
	f.want("/src/app.py", "app v2")
	w.interrupt()
}
