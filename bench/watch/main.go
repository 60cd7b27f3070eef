// Command watch measures mlstack watch on the real engine: edit-to-visible latency read from
// outside the container over HTTP, and the watch process's memory on a 10,000-file tree whose
// 9,000 files are under ignored directories. Run it with `go run ./bench/watch` (MLSTACK_BIN
// names a static mlstack binary; without it one is built).
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
	edits := flag.Int("edits", 100, "number of timed edits")
	flag.Parse()
	if err := run(*edits); err != nil {
		fmt.Fprintln(os.Stderr, "bench/watch:", err)
		os.Exit(1)
	}
}

func run(edits int) error {
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

	dir := filepath.Join(tmp, "proj")
	if err := writeProject(dir, fixtureRef); err != nil {
		return err
	}
	b := make([]byte, 3)
	rand.Read(b)
	name := "mlbench-watch-" + hex.EncodeToString(b)
	defer func() {
		down := exec.Command(bin, "-p", name, "down", "-v")
		down.Dir = dir
		down.Run()
	}()

	var out lockedBuffer
	cmd := exec.Command(bin, "-p", name, "watch")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if err := cmd.Start(); err != nil {
		return err
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
	if err := waitFor(&out, exited, "initial sync", 3*time.Minute); err != nil {
		return err
	}
	watches := regexp.MustCompile(`\[(\d+) directories\]`).FindStringSubmatch(out.String())

	port, err := exec.Command(bin, "-p", name, "port", "web", "8080").Output()
	base := ""
	if err == nil && strings.TrimSpace(string(port)) != "" {
		base = "http://" + strings.TrimSpace(strings.Split(string(port), "\n")[0])
	} else {
		in, err := eng.ContainerInspect(ctx, name+"-web-1")
		if err != nil {
			return err
		}
		base = "http://127.0.0.1:" + in.NetworkSettings.Ports["8080/tcp"][0].HostPort
	}
	url := base + "/files/src/app/edit.py"

	var lat []time.Duration
	client := &http.Client{Timeout: 2 * time.Second}
	for i := 0; i < edits; i++ {
		content := fmt.Sprintf("edit %d %d\n", i, time.Now().UnixNano())
		start := time.Now()
		if err := os.WriteFile(filepath.Join(dir, "src", "app", "edit.py"), []byte(content), 0o644); err != nil {
			return err
		}
		for {
			if got, ok := get(client, url); ok && got == content {
				break
			}
			if time.Since(start) > 10*time.Second {
				return fmt.Errorf("edit %d not visible after 10 s\n%s", i, out.String())
			}
		}
		lat = append(lat, time.Since(start))
		time.Sleep(30 * time.Millisecond)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rss, hwm := procStatus(cmd.Process.Pid)

	fmt.Println("| metric | value |")
	fmt.Println("|---|---|")
	fmt.Printf("| edit-to-visible p50 | %.1f ms |\n", ms(pct(lat, 50)))
	fmt.Printf("| edit-to-visible p99 | %.1f ms |\n", ms(pct(lat, 99)))
	fmt.Printf("| edit-to-visible max | %.1f ms |\n", ms(lat[len(lat)-1]))
	fmt.Printf("| watch RSS (10k files, 9k ignored) | %s |\n", rss)
	fmt.Printf("| watch peak RSS | %s |\n", hwm)
	if len(watches) == 2 {
		fmt.Printf("| inotify watches | %s (ignored directories get none) |\n", watches[1])
	}
	var applied []time.Duration
	for _, m := range regexp.MustCompile(`synced 1 file in (\d+) ms\n`).FindAllStringSubmatch(out.String(), -1) {
		d, _ := time.ParseDuration(m[1] + "ms")
		applied = append(applied, d)
	}
	if len(applied) > 0 {
		sort.Slice(applied, func(i, j int) bool { return applied[i] < applied[j] })
		fmt.Printf("| helper apply (send to ack) median | %.0f ms |\n", ms(pct(applied, 50)))
	}
	fmt.Printf("| edits | %d |\n", len(lat))
	return nil
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
