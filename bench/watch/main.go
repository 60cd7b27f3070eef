// Command watch measures `mlstack watch` and `docker compose watch` (Docker Compose v5) on the real
// engine, one after the other on identical projects and identical edits: edit-to-visible latency
// read from outside the container over HTTP, and each watch process's memory on a 10,000-file tree
// whose 9,000 files are under ignored directories. Run it with `go run ./bench/watch` (MLSTACK_BIN
// names a static mlstack binary, else one is built; COMPOSE_V5_BIN or -compose-v5 names Compose v5,
// else only mlstack is measured). Besides a table it prints one `RESULT` line per tool for mlbench.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/fixtureimage"
)

func main() {
	edits := flag.Int("edits", 100, "number of timed edits per tool")
	v5 := flag.String("compose-v5", os.Getenv("COMPOSE_V5_BIN"), "Docker Compose v5 binary to measure beside mlstack (empty: mlstack only)")
	flag.Parse()
	if err := run(*edits, *v5); err != nil {
		fmt.Fprintln(os.Stderr, "bench/watch:", err)
		os.Exit(1)
	}
}

// watcher is one tool's watch command: how to start it, what it prints once it watches, and how to
// take its project down.
type watcher struct {
	name  string
	argv  []string // before -p NAME
	ready string
}

// result is one tool's measurement.
type result struct {
	lat      []time.Duration // sorted
	rss, hwm string
	extra    []string // table lines only this tool has
}

func run(edits int, v5 string) error {
	ctx := context.Background()
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mlstack-bench-watch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := os.Getenv("MLSTACK_BIN")
	if bin == "" {
		bin = filepath.Join(tmp, "mlstack")
		if err := goBuild(root, bin, "./cmd/mlstack"); err != nil {
			return err
		}
	}
	eng, err := engine.Connect(ctx, engine.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	fixtureRef, err := fixtureimage.Ensure(ctx, eng, root)
	if err != nil {
		return err
	}
	tools := []watcher{{name: "mlstack", argv: []string{bin}, ready: "initial sync"}}
	if v5 != "" {
		v, err := exec.Command(v5, "version", "--short").Output()
		if err != nil {
			return fmt.Errorf("compose v5 at %s: %w", v5, err)
		}
		tools = append(tools, watcher{name: "compose v" + strings.TrimPrefix(strings.TrimSpace(string(v)), "v"), argv: []string{v5}, ready: "Watch enabled"})
	}
	results := map[string]result{}
	for i, w := range tools {
		res, err := measure(ctx, eng, w, filepath.Join(tmp, fmt.Sprint("proj", i)), fixtureRef, edits)
		if err != nil {
			return fmt.Errorf("%s watch: %w", w.name, err)
		}
		results[w.name] = res
	}

	fmt.Print("| metric |")
	for _, w := range tools {
		fmt.Printf(" %s |", w.name)
	}
	fmt.Print("\n|---|" + strings.Repeat("---|", len(tools)) + "\n")
	line := func(metric string, f func(result) string) {
		fmt.Printf("| %s |", metric)
		for _, w := range tools {
			fmt.Printf(" %s |", f(results[w.name]))
		}
		fmt.Println()
	}
	line("edit-to-visible p50", func(r result) string { return fmt.Sprintf("%.1f ms", ms(pct(r.lat, 50))) })
	line("edit-to-visible p99", func(r result) string { return fmt.Sprintf("%.1f ms", ms(pct(r.lat, 99))) })
	line("edit-to-visible max", func(r result) string { return fmt.Sprintf("%.1f ms", ms(r.lat[len(r.lat)-1])) })
	line("watch RSS at the end (10k files, 9k ignored)", func(r result) string { return r.rss })
	line("watch peak RSS", func(r result) string { return r.hwm })
	line("edits", func(r result) string { return fmt.Sprint(len(r.lat)) })
	for _, w := range tools {
		for _, e := range results[w.name].extra {
			fmt.Printf("\n%s: %s", w.name, e)
		}
	}
	fmt.Println()
	for _, w := range tools {
		r := results[w.name]
		fmt.Printf("RESULT tool=%q p50=%.1fms p99=%.1fms max=%.1fms rss=%q hwm=%q edits=%d\n", w.name, ms(pct(r.lat, 50)), ms(pct(r.lat, 99)), ms(r.lat[len(r.lat)-1]), r.rss, r.hwm, len(r.lat))
	}
	return nil
}

// measure starts w's watch on a fresh project in dir, edits one synced file edits times, each time
// polling the container's HTTP server until it serves the new content, and reads the watch
// process's memory at the end.
func measure(ctx context.Context, eng *engine.Client, w watcher, dir, fixtureRef string, edits int) (result, error) {
	var res result
	if err := writeProject(dir, fixtureRef); err != nil {
		return res, err
	}
	b := make([]byte, 3)
	rand.Read(b)
	name := "mlbench-watch-" + hex.EncodeToString(b)
	tool := func(args ...string) *exec.Cmd {
		cmd := exec.Command(w.argv[0], append(append(w.argv[1:], "-p", name, "-f", "compose.yaml"), args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		return cmd
	}
	defer func() {
		down := tool("down", "-v", "-t", "1")
		down.Run()
	}()

	var out lockedBuffer
	cmd := tool("watch")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return res, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}()
	if err := waitFor(&out, exited, w.ready, 3*time.Minute); err != nil {
		return res, err
	}
	if ws := regexp.MustCompile(`\[(\d+) directories\]`).FindStringSubmatch(out.String()); len(ws) == 2 {
		res.extra = append(res.extra, "inotify watches: "+ws[1]+" (ignored directories get none)")
	}

	var in, err = eng.ContainerInspect(ctx, name+"-web-1")
	deadline := time.Now().Add(time.Minute)
	for err == nil && len(in.NetworkSettings.Ports["8080/tcp"]) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		in, err = eng.ContainerInspect(ctx, name+"-web-1")
	}
	if err != nil {
		return res, err
	}
	if len(in.NetworkSettings.Ports["8080/tcp"]) == 0 {
		return res, fmt.Errorf("%s-web-1 publishes no port 8080 after a minute", name)
	}
	url := "http://127.0.0.1:" + in.NetworkSettings.Ports["8080/tcp"][0].HostPort + "/files/src/app/edit.py"
	client := &http.Client{Timeout: 2 * time.Second}
	// One untimed edit first: the server answering and the watcher's first sync are set-up.
	for i := -1; i < edits; i++ {
		content := fmt.Sprintf("edit %d %d\n", i, time.Now().UnixNano())
		start := time.Now()
		if err := os.WriteFile(filepath.Join(dir, "src", "app", "edit.py"), []byte(content), 0o644); err != nil {
			return res, err
		}
		for {
			if got, ok := get(client, url); ok && got == content {
				break
			}
			if time.Since(start) > 30*time.Second {
				return res, fmt.Errorf("edit %d not visible after 30 s\n%s", i, out.String())
			}
			// A short pause between reads keeps the poller from taking a core from the tools it times.
			time.Sleep(time.Millisecond)
		}
		if i >= 0 {
			res.lat = append(res.lat, time.Since(start))
		}
		time.Sleep(30 * time.Millisecond)
	}
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	res.rss, res.hwm = procStatus(cmd.Process.Pid)
	var applied []time.Duration
	for _, m := range regexp.MustCompile(`synced 1 file in (\d+) ms\n`).FindAllStringSubmatch(out.String(), -1) {
		d, _ := time.ParseDuration(m[1] + "ms")
		applied = append(applied, d)
	}
	if len(applied) > 0 {
		sort.Slice(applied, func(i, j int) bool { return applied[i] < applied[j] })
		res.extra = append(res.extra, fmt.Sprintf("helper apply (send to ack) median %.0f ms", ms(pct(applied, 50))))
	}
	return res, nil
}

// writeProject makes a compose project whose src tree has 1,000 synced files and 9,000 under
// ignored directories.
func writeProject(dir, fixtureRef string) error {
	compose := `services:
  web:
    image: ` + fixtureRef + `
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
          ignore: [data/, models/, node_modules/]
`
	if err := os.MkdirAll(filepath.Join(dir, "src", "app"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		return err
	}
	write := func(rel string, n int) error {
		for i := 0; i < n; i++ {
			p := filepath.Join(dir, "src", rel, fmt.Sprintf("d%02d", i/100), fmt.Sprintf("f%04d.py", i))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte(fmt.Sprintf("x = %d\n", i)), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	for rel, n := range map[string]int{"app": 1000, "data": 3000, "models": 3000, "node_modules": 3000} {
		if err := write(rel, n); err != nil {
			return err
		}
	}
	return nil
}

func get(c *http.Client, url string) (string, bool) {
	resp, err := c.Get(url)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode == http.StatusOK
}

func pct(d []time.Duration, p int) time.Duration {
	i := (len(d)*p+99)/100 - 1
	if len(d) == 0 {
		return 0
	}
	return d[max(0, min(i, len(d)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// procStatus reads VmRSS and VmHWM of pid, as "12.3 MB".
func procStatus(pid int) (rss, hwm string) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "n/a", "n/a"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int
		if n, _ := fmt.Sscanf(sc.Text(), "VmRSS: %d kB", &kb); n == 1 {
			rss = fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
		if n, _ := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &kb); n == 1 {
			hwm = fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
	}
	return rss, hwm
}

func waitFor(out *lockedBuffer, exited <-chan error, s string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for !strings.Contains(out.String(), s) {
		select {
		case err := <-exited:
			return fmt.Errorf("watch exited (%v) before %q:\n%s", err, s, out.String())
		case <-deadline:
			return fmt.Errorf("watch did not print %q in %s:\n%s", s, timeout, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return "", fmt.Errorf("find module root: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

func goBuild(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
