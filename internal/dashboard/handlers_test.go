package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/stack"
)

const testCompose = `
name: p
services:
  db:
    image: redis
  mlflow:
    image: mlflow
    ports: ["127.0.0.1::5000"]
    depends_on:
      db: {condition: service_healthy}
  training:
    image: trainer
    profiles: [training]
    depends_on: [mlflow]
`

const testToken = "0123456789abcdef0123456789abcdef"

func testServer(t *testing.T) (*Server, *fakeEngine, http.Handler) {
	t.Helper()
	eng := newFakeEngine()
	s, h := testServerOn(t, eng)
	return s, eng, h
}

// testServerOn serves testCompose's project from eng, which may hold containers already.
func testServerOn(t *testing.T, eng *fakeEngine) (*Server, http.Handler) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(testCompose), 0o644)
	p, err := project.Load(context.Background(), project.Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := newServer(ctx, &stack.Stack{Project: p}, eng, 4242, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.routes()
}

func call(h http.Handler, method, path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.Host = "127.0.0.1:4242"
	r.Header.Set("Authorization", "Bearer "+testToken)
	if method == "POST" {
		r.Header.Set("Origin", "http://127.0.0.1:4242")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestStateShowsEveryServiceAndTheMLflowLink(t *testing.T) {
	s, eng, h := testServer(t)
	ml := ctr("p", "mlflow", "p-mlflow-1", "running", false)
	ml.NetworkSettings = &container.NetworkSettings{NetworkSettingsBase: container.NetworkSettingsBase{Ports: nat.PortMap{
		"5000/tcp": {{HostIP: "127.0.0.1", HostPort: "49153"}}}}}
	eng.set(ml, "start")
	waitFor(t, s.obs, "mlflow running", statusOf("p-mlflow-1", "running"))

	w := call(h, "GET", "/api/state")
	var st State
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || w.Code != 200 {
		t.Fatalf("%d %v: %s", w.Code, err, w.Body)
	}
	got := map[string]Service{}
	for _, svc := range st.Services {
		got[svc.Name] = svc
	}
	if len(got) != 3 || got["training"].Enabled || !got["db"].Enabled {
		t.Errorf("services %+v: want db, mlflow, and training with its profile off", st.Services)
	}
	if d := got["mlflow"].DependsOn; len(d) != 1 || d[0] != (Dep{"db", "service_healthy"}) {
		t.Errorf("mlflow depends_on %+v", d)
	}
	if c := got["mlflow"].Containers; len(c) != 1 || len(c[0].Ports) != 1 || c[0].Ports[0].Published != 49153 {
		t.Errorf("mlflow containers %+v", c)
	}
	if st.Tracking != "http://127.0.0.1:49153" {
		t.Errorf("tracking link %q", st.Tracking)
	}
}

func TestEventsStreamSendsStateStackAndRuns(t *testing.T) {
	_, _, h := testServer(t)
	srv := httptest.NewUnstartedServer(h)
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/events", nil)
	req.Host = "127.0.0.1:4242"
	req.Header.Set("Origin", "http://127.0.0.1:4242")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	var seen []string
	for sc.Scan() && len(seen) < 3 {
		if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			seen = append(seen, ev)
		}
	}
	if strings.Join(seen, ",") != "state,stack,runs" {
		t.Errorf("events %v, want state, the stack view, then runs", seen)
	}
}

func TestStopRunStopsOnlyTheProjectsJob(t *testing.T) {
	s, eng, h := testServer(t)
	store := runs.Store{Dir: s.runs.dir}
	mine := runs.Record{ID: "20261201-100000-aaaaaa", StartedAt: time.Now(), ContainerName: "p-training-run-1"}
	foreign := runs.Record{ID: "20261201-100100-bbbbbb", StartedAt: time.Now(), ContainerName: "q-training-run-1"}
	over := runs.Record{ID: "20261201-100200-cccccc", StartedAt: time.Now(), ContainerName: "p-training-run-2"}
	over.Finish(time.Now(), 0)
	for _, r := range []runs.Record{mine, foreign, over} {
		if err := store.Save(&r); err != nil {
			t.Fatal(err)
		}
	}
	eng.set(ctr("p", "training", "p-training-run-1", "running", true), "")
	eng.set(ctr("q", "training", "q-training-run-1", "running", true), "")

	if w := call(h, "GET", "/api/runs/"+mine.ID+"/stop"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET stop: %d, want 405", w.Code)
	}
	if w := call(h, "POST", "/api/runs/"+foreign.ID+"/stop"); w.Code != http.StatusForbidden {
		t.Errorf("stop of another project's container: %d %s", w.Code, w.Body)
	}
	if w := call(h, "POST", "/api/runs/"+over.ID+"/stop"); w.Code != http.StatusConflict {
		t.Errorf("stop of a finished run: %d %s", w.Code, w.Body)
	}
	if w := call(h, "POST", "/api/runs/"+mine.ID+"/stop"); w.Code != 200 {
		t.Errorf("stop: %d %s", w.Code, w.Body)
	}
	if strings.Join(eng.stopped, ",") != "id-p-training-run-1" {
		t.Errorf("stopped %v, want only the project's job", eng.stopped)
	}
	if w := call(h, "POST", "/api/services/nope/restart"); w.Code != http.StatusNotFound {
		t.Errorf("restart of an unknown service: %d", w.Code)
	}
}
