// Command dashboard measures `mlstack dashboard` on the real engine with 20 services and 200 run
// records: the dashboard process's memory (RSS) with the page open on each view, the page's load
// time in headless Chromium, and the delay from an engine event to the page showing it. Run it
// with `go run ./bench/dashboard` (MLSTACK_BIN names an mlstack binary; without it one is built);
// -out FILE also writes the report there.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/fixtureimage"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/metrics"
	"github.com/mlstack/mlstack/internal/runs"
)

const (
	services = 20
	runCount = 200
)

func main() {
	loads := flag.Int("loads", 10, "page loads to time")
	evs := flag.Int("events", 10, "container stops whose event-to-page delay is timed")
	out := flag.String("out", "", "also write the report to this file")
	flag.Parse()
	report, err := run(*loads, *evs)
	fmt.Print(report)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/dashboard:", err)
		os.Exit(1)
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench/dashboard:", err)
			os.Exit(1)
		}
	}
}

func run(loads, evs int) (string, error) {
	ctx := context.Background()
	var rep strings.Builder
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "mlstack-bench-dashboard-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := os.Getenv("MLSTACK_BIN")
	if bin == "" {
		bin = filepath.Join(tmp, "mlstack")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/mlstack")
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("build mlstack: %v\n%s", err, b)
		}
	}
	eng, err := engine.Connect(ctx, engine.Options{})
	if err != nil {
		return "", err
	}
	defer eng.Close()
	fixture, err := fixtureimage.Ensure(ctx, eng, root)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(tmp, "proj")
	if err := writeProject(dir, fixture); err != nil {
		return "", err
	}
	b := make([]byte, 3)
	rand.Read(b)
	name := "mlbench-dash-" + hex.EncodeToString(b)
	ml := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"-p", name}, args...)...)
		cmd.Dir = dir
		return cmd
	}
	defer ml("down", "-v").Run()
	if out, err := ml("up", "-d", "--wait").CombinedOutput(); err != nil {
		return "", fmt.Errorf("up: %v\n%s", err, out)
	}

	dash := ml("dashboard")
	stdout, _ := dash.StdoutPipe()
	if err := dash.Start(); err != nil {
		return "", err
	}
	defer func() { dash.Process.Signal(os.Interrupt); dash.Wait() }()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		return "", fmt.Errorf("dashboard printed no URL")
	}
	url := sc.Text()
	go io.Copy(io.Discard, stdout)

	browser, cancel, err := headless()
	if err != nil {
		return "", err
	}
	defer cancel()
	fmt.Fprintf(&rep, "mlstack dashboard: %d services, %d run records, %s, load average %s\n", services, runCount, time.Now().UTC().Format("2006-01-02 15:04 UTC"), loadavg())
	fmt.Fprintf(&rep, "rss after start: %s\n", rss(dash.Process.Pid))

	// The server's part of a page load: the page with the stack rendered in it, its script and its stylesheet.
	base, token, _ := strings.Cut(url, "?token=")
	var serverTimes []time.Duration
	for range 20 {
		start := time.Now()
		for _, path := range []string{"?token=" + token, "app.js", "style.css"} {
			if err := get(base+path, token); err != nil {
				return rep.String(), err
			}
		}
		serverTimes = append(serverTimes, time.Since(start))
	}
	fmt.Fprintf(&rep, "server time for the page's requests (/ with the stack rendered, app.js, style.css): median %s, max %s (20 loads)\n", median(serverTimes), slices.Max(serverTimes).Round(time.Millisecond))

	// Page load in the browser: navigation start to the first frame painted with every service, in
	// a fresh tab each time (the tab's renderer is started before the clock starts). Each load is
	// paired with one of the floor page, so both see the machine alike.
	floor := floorPage()
	defer floor.Close()
	last := fmt.Sprintf(`.node[data-service="svc%02d"] .status[data-status="healthy"]`, services-1)
	var times, painted, floors []time.Duration
	phases := map[string][]time.Duration{}
	for range loads {
		tab, closeTab := newTab(browser)
		start := time.Now()
		err := do(tab, 3*time.Minute, notePainted(services), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(last)))
		times = append(times, time.Since(start))
		if err != nil {
			return rep.String(), fmt.Errorf("page load: %w; the page shows:\n%s", err, pageText(tab))
		}
		ms, err := paintedAt(tab)
		if err != nil {
			return rep.String(), err
		}
		painted = append(painted, ms)
		ph, err := chromedp.Run(tab, chromedp.Evaluate[map[string]float64](phasesJS))
		if err != nil {
			return rep.String(), fmt.Errorf("read the page's phases: %w", err)
		}
		for k, v := range ph {
			phases[k] = append(phases[k], time.Duration(v*float64(time.Millisecond)))
		}
		closeTab()
		ms, err = floorLoad(browser, floor.URL)
		if err != nil {
			return rep.String(), err
		}
		floors = append(floors, ms)
	}
	fmt.Fprintf(&rep, "page load in headless Chromium, navigation start to the first frame with all %d services painted (page clock): median %s, max %s (%d loads)\n", services, median(painted), slices.Max(painted).Round(time.Millisecond), loads)
	fmt.Fprintf(&rep, "  where it goes (page clock, medians):")
	for _, k := range phaseOrder {
		if ds := phases[k]; len(ds) > 0 {
			fmt.Fprintf(&rep, " %s %s;", k, median(ds))
		}
	}
	fmt.Fprintln(&rep)
	fmt.Fprintf(&rep, "the same seen from outside (navigate until chromedp sees all %d services): median %s, max %s\n", services, median(times), slices.Max(times).Round(time.Millisecond))
	fmt.Fprintf(&rep, "this browser's floor for the same chain in its smallest form (a document holding %d boxes, one stylesheet, one deferred script; page clock; each load right after one of the dashboard's): median %s, max %s (%d loads)\n", services, median(floors), slices.Max(floors).Round(time.Millisecond), loads)

	live, closeLive := newTab(browser)
	defer closeLive()
	if err := do(live, 3*time.Minute, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(last))); err != nil {
		return rep.String(), err
	}
	// The page notes, per service, the wall-clock time each state first shows.
	watch := `window.__seen = {};
	  new MutationObserver(() => {
	    for (const n of document.querySelectorAll('.node')) {
	      const k = n.dataset.service + ':' + n.querySelector('.status').dataset.status;
	      if (!(k in window.__seen)) window.__seen[k] = Date.now();
	    }
	  }).observe(document.getElementById('view'), {subtree: true, childList: true, attributes: true});`
	if err := do(live, time.Minute, chromedp.Evaluate[chromedp.Void](watch)); err != nil {
		return rep.String(), err
	}
	evctx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	msgs, errs := received(evctx, eng, name)
	var delays, delivery []time.Duration
	for i := range evs {
		svc := fmt.Sprintf("svc%02d", i%services)
		id, err := containerOf(ctx, eng, name, svc)
		if err != nil {
			return rep.String(), err
		}
		if err := eng.ContainerStop(ctx, id, container.StopOptions{}); err != nil {
			return rep.String(), err
		}
		at, got, err := eventTime(msgs, errs, id, "die")
		if err != nil {
			return rep.String(), err
		}
		delivery = append(delivery, got.Sub(at))
		key := svc + ":exited"
		seen, err := chromedp.Run(live, chromedp.Poll[int64](fmt.Sprintf(`window.__seen[%q]`, key), chromedp.WithPollingTimeout(2*time.Minute)))
		if err != nil {
			return rep.String(), fmt.Errorf("%s never showed on the page: %w", key, err)
		}
		delays = append(delays, time.UnixMilli(seen).Sub(at))
		if err := eng.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
			return rep.String(), err
		}
		if _, _, err := eventTime(msgs, errs, id, "start"); err != nil {
			return rep.String(), err
		}
		chromedp.Run(live, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`delete window.__seen[%q]`, key)))
	}
	fmt.Fprintf(&rep, "engine event (die) to page: median %s, max %s (%d stops; page clock in ms)\n", median(delays), slices.Max(delays).Round(time.Millisecond), evs)
	fmt.Fprintf(&rep, "  of which the engine's own delivery of the event to a subscriber: median %s, max %s\n", median(delivery), slices.Max(delivery).Round(time.Millisecond))
	fmt.Fprintf(&rep, "rss with the stack view open: %s\n", rss(dash.Process.Pid))

	for _, v := range []struct{ hash, sel string }{
		{"#/runs", `tr.run`},
		{"#/logs", `#logbox .line`},
	} {
		if err := do(live, 3*time.Minute, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("location.hash = %q", v.hash)), chromedp.WaitVisible(chromedp.CSS(v.sel))); err != nil {
			return rep.String(), fmt.Errorf("view %s: %w", v.hash, err)
		}
		time.Sleep(2 * time.Second) // every service's log follower has started and sent its backlog
		fmt.Fprintf(&rep, "rss with %s open: %s\n", v.hash, rss(dash.Process.Pid))
	}
	return rep.String(), nil
}

func get(url, token string) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// floorPage serves the smallest page with the dashboard's chain: what this browser on this
// machine takes whatever the page does.
func floorPage() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(`<!doctype html><html><head><link rel="stylesheet" href="s.css"><script src="a.js" defer></script></head><body><main>`)
		for i := range services {
			fmt.Fprintf(&b, `<div class="node">svc%02d</div>`, i)
		}
		b.WriteString(`</main></body></html>`)
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/s.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, `.node { width: 250px; height: 164px; border: 1px solid #ccc; }`)
	})
	mux.HandleFunc("/a.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `document.querySelector('main').dataset.ready = '1';`)
	})
	return httptest.NewServer(mux)
}

// floorLoad times one load of the floor page as the dashboard's loads are timed.
func floorLoad(browser context.Context, url string) (time.Duration, error) {
	tab, closeTab := newTab(browser)
	defer closeTab()
	err := do(tab, time.Minute, notePainted(services), chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS(".node:nth-child("+strconv.Itoa(services)+")")))
	if err != nil {
		return 0, fmt.Errorf("floor page load: %w", err)
	}
	ms, err := paintedAt(tab)
	if err != nil {
		return 0, fmt.Errorf("floor page: %w", err)
	}
	return ms, nil
}

// paintedJS, run in every new document of a tab before the page's own scripts, marks when the
// page first finished a frame with n boxes (.node) in it: a requestAnimationFrame callback runs as
// a frame is made, and a task queued from it runs once that frame is done. It is the bench's own,
// so the dashboard and the floor page are timed alike, and the page itself carries no timing code.
const paintedJS = `(() => {
  const tick = () => {
    if (document.querySelectorAll('.node').length >= %d) setTimeout(() => performance.mark('bench-painted'));
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`

// notePainted adds paintedJS to the tab's next documents.
func notePainted(n int) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(paintedJS, n)})
		return err
	})
}

// paintedAt waits for paintedJS's mark and returns it (ms since navigation start).
func paintedAt(tab context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	ms, err := chromedp.Run(ctx, chromedp.Poll[float64](`(performance.getEntriesByName('bench-painted')[0] || {}).startTime`))
	if err != nil {
		return 0, fmt.Errorf("the page's paint mark: %w", err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// loadavg is the machine's 1-minute load average, which bounds every figure on a shared machine.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}

// newTab opens a tab. Its first run has no deadline: the tab lives as long as that run's context.
func newTab(browser context.Context) (context.Context, context.CancelFunc) {
	tab, cancel := chromedp.NewContext(browser)
	chromedp.Do(tab)
	return tab, cancel
}

// pageText is what a page shows, for reports of a wait that failed.
func pageText(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href.replace(/token=.*/, 'token=...') + "\n" + document.body.innerText`))
	if err != nil {
		return err.Error()
	}
	return text
}

func do(ctx context.Context, bound time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

func headless() (context.Context, context.CancelFunc, error) {
	path := ""
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		return nil, nil, fmt.Errorf("needs Chromium: apt-get install -y chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		return nil, nil, err
	}
	return ctx, func() { cancel(); cancelAlloc() }, nil
}

func containerOf(ctx context.Context, eng *engine.Client, project, svc string) (string, error) {
	cs, err := eng.ContainerList(ctx, container.ListOptions{All: true, Filters: filtersFor(project, svc)})
	if err != nil || len(cs) == 0 {
		return "", fmt.Errorf("container of %s: %v", svc, err)
	}
	return cs[0].ID, nil
}

// arrival is a start or die event and when it reached this subscriber.
type arrival struct {
	m   events.Message
	got time.Time
}

// received reads the project's events as they come (health probes make many), keeping the start
// and die events with their arrival times.
func received(ctx context.Context, eng *engine.Client, project string) (<-chan arrival, <-chan error) {
	msgs, errs := eng.ContainerEvents(ctx, labels.ProjectFilter(project))
	out := make(chan arrival, 1024)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-msgs:
				if m.Action == "die" || m.Action == "start" {
					out <- arrival{m, time.Now()}
				}
			}
		}
	}()
	return out, errs
}

// eventTime waits for the container's next event of that action and returns when the engine had
// it and when it reached this subscriber.
func eventTime(msgs <-chan arrival, errs <-chan error, id, action string) (at, got time.Time, err error) {
	timeout := time.After(time.Minute)
	for {
		select {
		case a := <-msgs:
			if a.m.Actor.ID == id && string(a.m.Action) == action {
				return time.Unix(0, a.m.TimeNano), a.got, nil
			}
		case err := <-errs:
			return time.Time{}, time.Time{}, err
		case <-timeout:
			return time.Time{}, time.Time{}, fmt.Errorf("no %s event for %s within a minute", action, id)
		}
	}
}

// phaseOrder names the page's milestones, each read by phasesJS as ms since navigation start.
var phaseOrder = []string{"html", "css", "app.js", "dom-ready", "loaded", "painted"}

// phasesJS reads Chromium's own timings of one page load: the document's and each resource's
// responseEnd, the DOMContentLoaded and load events' ends, and paintedJS's mark. (Chromium's own
// paint timing entries are missing from some headless loads, so they are not read.)
const phasesJS = `(() => {
  const out = {};
  const nav = performance.getEntriesByType('navigation')[0];
  if (nav) Object.assign(out, { html: nav.responseEnd, 'dom-ready': nav.domContentLoadedEventEnd, loaded: nav.loadEventEnd });
  for (const r of performance.getEntriesByType('resource')) {
    const n = new URL(r.name).pathname;
    if (n === '/style.css') out.css = r.responseEnd;
    if (n === '/app.js') out['app.js'] = r.responseEnd;
  }
  const p = performance.getEntriesByName('bench-painted')[0];
  if (p) out.painted = p.startTime;
  return out;
})()`

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

// rss reads the process's resident and peak memory from /proc.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	var cur, peak string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			cur = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
	}
	return cur + " (peak " + peak + ")"
}

// writeProject writes 20 services in a chain of dependencies with health checks, and 200 run
// records with three metrics of 100 points each and 20 KB of output. The probes run every 10 s:
// at 1 s, 20 probes a second kept both cores of the bench machine busy (Engine 20.10 spends about
// 0.1 s of CPU per exec), so every figure measured the stack's own probes rather than the page. The probes run every 10 s:
// at 1 s, 20 probes a second kept both cores of the bench machine busy (Engine 20.10 spends about
// 0.1 s of CPU per exec), so every figure measured the stack's own probes rather than the page.
func writeProject(dir, fixture string) error {
	var c strings.Builder
	c.WriteString("services:\n")
	for i := range services {
		fmt.Fprintf(&c, "  svc%02d:\n    image: %s\n    command: [\"serve\"]\n    healthcheck:\n      test: [\"CMD\", \"/fixture\", \"probe\"]\n      interval: 10s\n", i, fixture)
		if i > 0 {
			fmt.Fprintf(&c, "    depends_on: [svc%02d]\n", (i-1)/3*3)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(c.String()), 0o644); err != nil {
		return err
	}
	store := runs.Store{Dir: filepath.Join(dir, ".mlstack", "runs")}
	t0 := time.Now().Add(-time.Duration(runCount) * time.Hour)
	log := strings.Repeat("epoch 1/10 [==========] loss=0.1234 accuracy=0.9876\n", 400)
	for i := range runCount {
		start := t0.Add(time.Duration(i) * time.Hour)
		series := map[string][]metrics.Point{}
		last := map[string]float64{}
		for _, m := range []string{"loss", "accuracy", "val_loss"} {
			for s := range 100 {
				series[m] = append(series[m], metrics.Point{Step: float64(s), Value: 1 / float64(s+1+i%7)})
			}
			last[m] = series[m][99].Value
		}
		r := &runs.Record{ID: store.NewID(start), Service: "training", StartedAt: start, ContainerName: "job-" + strconv.Itoa(i),
			Command: []string{"python", "train.py", "--seed", strconv.Itoa(i)}, Env: map[string]string{"SEED": strconv.Itoa(i)},
			GPUsRequested: "none", GPUsGranted: "none", Metrics: last, MetricSeries: series}
		r.Finish(start.Add(time.Duration(60+i)*time.Second), i%5/4)
		if err := store.Save(r); err != nil {
			return err
		}
		if err := os.WriteFile(store.LogPath(r.ID), []byte(log), 0o644); err != nil {
			return err
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

func filtersFor(project, svc string) filters.Args {
	return filters.NewArgs(filters.Arg("label", labels.ProjectFilter(project)), filters.Arg("label", labels.ServiceFilter(svc)))
}
