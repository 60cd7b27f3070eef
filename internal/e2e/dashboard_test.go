package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/testenv"
)

const dashboardCompose = `
services:
  db:
    image: ${FIXTURE}
    command: ["serve"]
    environment:
      FIXTURE_HEALTHY_AFTER: 1s
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
  web:
    image: ${FIXTURE}
    command: ["serve"]
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
    depends_on:
      db: {condition: service_healthy}
  cache:
    image: ${FIXTURE}
    command: ["serve"]
    environment:
      FIXTURE_UNHEALTHY: "1"
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
      retries: 1
  banner:
    image: ${FIXTURE}
    command: ["exit", "--message", "<img src=x onerror=window.__xss=1><b>not bold</b>"]
  training:
    image: ${FIXTURE}
    profiles: [training]
    command: ["train", "--metrics", "--epochs", "8", "--steps", "4", "--interval", "250ms"]
    depends_on:
      db: {condition: service_healthy}
`

// artifactsDir is where the browser tests leave their screenshots (MLSTACK_ARTIFACTS, else a
// directory under the system's temp dir), so a person can look at each view afterwards.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("MLSTACK_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "mlstack-dashboard-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// headless starts Chromium (Debian's `chromium` package) for one test.
func headless(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("browser tests need Chromium: apt-get install -y chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1400, 820))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// step runs browser actions, bounded so that a page that never shows what is awaited fails the
// test instead of hanging it.
func step(t *testing.T, ctx context.Context, what string, bound time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		body, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v\npage text:\n%s", what, err, body)
	}
}

// read runs one browser action that returns a value, bounded.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func hash(h string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf("location.hash = %q", h))
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// The page draws within a frame of its data; the pause only lets the last frame paint.
	step(t, ctx, "settle before screenshot "+name, 10*time.Second, chromedp.Sleep(300*time.Millisecond))
	png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	path := filepath.Join(artifactsDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// startDashboard runs `mlstack dashboard` and returns the URL it printed first.
func startDashboard(t *testing.T, p *testenv.Project, args ...string) (string, *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := p.Command(ctx, nil, append([]string{"dashboard"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatalf("dashboard printed no URL; stderr:\n%s", stderr.String())
	}
	url := sc.Text()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q is not a 127.0.0.1 URL", url)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return url, cmd
}

func TestDashboardInBrowser(t *testing.T) {
	p := testenv.NewProject(t, dashboardCompose)
	p.MustRun("up", "-d")
	url, dash := startDashboard(t, p)
	base, token, _ := strings.Cut(url, "?token=")
	if len(token) != 32 {
		t.Fatalf("URL %q carries no token", url)
	}

	// Without the token the API refuses; with it, it answers.
	resp, err := http.Get(base + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/state without the token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", base+"api/state", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/state with the token: %v %v", resp, err)
	}
	resp.Body.Close()
	// The printed URL's page arrives with the stack in it; the page without the token shows nothing of it.
	if body := get(t, url); !strings.Contains(body, `data-service="db"`) {
		t.Errorf("the printed URL's page does not hold the stack:\n%s", body)
	}
	if body := get(t, base); strings.Contains(body, `data-service=`) {
		t.Errorf("the page without the token shows services:\n%s", body)
	}

	ctx := headless(t)
	status := func(svc, st string) string {
		return fmt.Sprintf(`.node[data-service=%q] .status[data-status=%q]`, svc, st)
	}

	// The stack: every service with its health, the job's profile off, the token gone from the address bar.
	step(t, ctx, "page lists the services with their health", time.Minute,
		chromedp.Navigate(url),
		chromedp.WaitVisible(css(status("db", "healthy"))),
		chromedp.WaitVisible(css(status("web", "healthy"))),
		chromedp.WaitVisible(css(status("cache", "unhealthy"))),
		chromedp.WaitVisible(css(`.node.disabled[data-service="training"]`)),
		chromedp.WaitVisible(css(`.node[data-service="cache"] .probe`)),
		chromedp.WaitVisible(css(`.node[data-service="web"] a.port`)),
	)
	loc := read(t, ctx, "address", chromedp.Location())
	probe := read(t, ctx, "probe output", chromedp.Text(css(`.node[data-service="cache"] .probe`)))
	if strings.Contains(loc, token) {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	if !strings.Contains(probe, "unhealthy") || !strings.Contains(probe, "503") {
		t.Errorf("probe output shown: %q", probe)
	}
	screenshot(t, ctx, "stack")

	// A reload keeps working without the token in the address bar: the page kept it for this tab.
	step(t, ctx, "a reloaded page still lists the services", time.Minute,
		chromedp.Reload(),
		chromedp.WaitVisible(css(status("db", "healthy"))),
	)

	// Stopping a container by hand shows on the page without a reload.
	web := p.Inspect("web")
	stopAt := time.Now()
	if err := p.Eng.ContainerStop(context.Background(), web.ID, container.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	step(t, ctx, "web turns exited on the page", time.Minute, chromedp.WaitVisible(css(status("web", "exited"))))
	t.Logf("web stopped in %s; the page showed it %s after the stop returned", stopped.Sub(stopAt).Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond))

	// Restart through the page, behind its confirmation.
	step(t, ctx, "restart web from the page", time.Minute,
		chromedp.Click(css(`.node[data-service="web"] button.restart`)),
		chromedp.WaitVisible(css(`#confirm-yes`)),
		chromedp.Click(css(`#confirm-yes`)),
		chromedp.WaitVisible(css(status("web", "healthy"))))

	// Logs: all services together with prefixes, and a filter.
	step(t, ctx, "logs show the services' output", 30*time.Second,
		hash("#/logs"),
		chromedp.Poll[chromedp.Void](`['db', 'cache', 'web'].every(s => (document.getElementById('logbox') || {textContent: ''}).textContent.includes(s + ' | listening on'))`),
		chromedp.SendKeys(css(`#log-filter`), "listening"))
	screenshot(t, ctx, "logs")
	// What a container prints is text, never markup.
	step(t, ctx, "a log line with markup shows as text", 30*time.Second,
		chromedp.Poll[chromedp.Void](`document.getElementById('logbox').textContent.includes('banner | <img src=x onerror=window.__xss=1><b>not bold</b>')`))
	if n := read(t, ctx, "markup in the logs", chromedp.Evaluate[int](`document.querySelectorAll('#logbox img, #logbox b').length + (window.__xss ? 100 : 0)`)); n != 0 {
		t.Errorf("a log line became markup (%d elements, or its script ran)", n)
	}

	// A training run appears while it runs, and its metric curve renders after it ends.
	tctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	train := p.Command(tctx, nil, "train")
	var trainOut strings.Builder
	train.Stdout, train.Stderr = &trainOut, &trainOut
	if err := train.Start(); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "the running run is listed", time.Minute,
		hash("#/runs"),
		chromedp.WaitVisible(css(`tr.run .st [data-status="running"]`)))
	screenshot(t, ctx, "runs-running")
	if err := train.Wait(); err != nil {
		t.Fatalf("train: %v\n%s", err, trainOut.String())
	}
	recs := listRuns(t, p)
	if len(recs) != 1 {
		t.Fatalf("want 1 run, got %d", len(recs))
	}
	first := recs[0].ID
	step(t, ctx, "the finished run's curve", 30*time.Second,
		chromedp.WaitVisible(css(fmt.Sprintf(`tr.run[data-run=%q] .st [data-status="done"]`, first))),
		hash(fmt.Sprintf("#/run/%s", first)),
		chromedp.WaitVisible(css(`svg.chart[data-metric="loss"] polyline`)))
	points := read(t, ctx, "the curve", chromedp.AttributeValue(css(`svg.chart[data-metric="loss"] polyline`), "points"))
	if n := len(strings.Fields(points.Value)); n != 8 {
		t.Errorf("loss curve has %d points, want one per epoch (8)", n)
	}
	screenshot(t, ctx, "run")

	// Two runs side by side, metrics overlaid.
	p.MustRun("train", "--", "train", "--metrics", "--epochs", "4", "--steps", "1", "--interval", "10ms")
	second := listRuns(t, p)[0].ID
	step(t, ctx, "compare two runs", 30*time.Second,
		hash(fmt.Sprintf("#/diff/%s/%s", first, second)),
		chromedp.WaitVisible(css(`svg.chart[data-metric="loss"] polyline.a`)),
		chromedp.WaitVisible(css(`svg.chart[data-metric="loss"] polyline.b`)))
	diff := read(t, ctx, "the diff", chromedp.Text(css(`table.diff`)))
	for _, want := range []string{"command", "duration", "metrics.loss"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %s:\n%s", want, diff)
		}
	}
	screenshot(t, ctx, "diff")

	// Stopping a running job from its page, behind the confirmation: `train` records the end.
	lctx, cancelLong := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancelLong()
	long := p.Command(lctx, nil, "train", "--", "train", "--metrics", "--epochs", "200", "--steps", "2", "--interval", "250ms")
	var longOut strings.Builder
	long.Stdout, long.Stderr = &longOut, &longOut
	if err := long.Start(); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "the long run is listed as running", time.Minute,
		hash("#/runs"),
		chromedp.WaitVisible(css(`tr.run .st [data-status="running"]`)))
	id := read(t, ctx, "the running run's ID", chromedp.Evaluate[string](`document.querySelector('tr.run:has(.st [data-status="running"])').dataset.run`))
	step(t, ctx, "stop the job from its page", time.Minute,
		hash("#/run/"+id),
		chromedp.WaitVisible(css(`#stop-run`)),
		chromedp.Click(css(`#stop-run`)),
		chromedp.WaitVisible(css(`#confirm-yes`)),
		chromedp.Click(css(`#confirm-yes`)),
		chromedp.WaitVisible(css(`h2 + .status[data-status="failed"]`)))
	if err := long.Wait(); err == nil {
		t.Errorf("train of a stopped job exited 0:\n%s", longOut.String())
	}
	if recs := listRuns(t, p); recs[0].ID != id || !recs[0].Finished() || recs[0].ExitCode == 0 {
		t.Errorf("the stopped run's record: %+v", recs[0])
	}

	// A tab without the token is refused.
	other, cancelOther := chromedp.NewContext(ctx)
	defer cancelOther()
	// The tab lives as long as the context of its first run, so that run has no deadline.
	if err := chromedp.Do(other); err != nil {
		t.Fatal(err)
	}
	step(t, other, "a page without the token is refused", 30*time.Second,
		chromedp.Navigate(base),
		chromedp.WaitVisible(css(`#banner:not(.hidden)`)))
	if _, err := os.Stat(filepath.Join(p.Dir, ".mlstack")); err != nil {
		t.Errorf("project state: %v", err)
	}

	// Ctrl-C ends it with exit code 0.
	dash.Process.Signal(os.Interrupt)
	if err := dash.Wait(); err != nil {
		t.Errorf("dashboard after Ctrl-C: %v, want exit 0", err)
	}
}

// get returns the body of a 200 answer to a GET.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
