package dashboard

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/metrics"
	"github.com/mlstack/mlstack/internal/runs"
)

func saveRun(t *testing.T, dir string, r runs.Record, log string) {
	t.Helper()
	if err := (runs.Store{Dir: dir}).Save(&r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, r.ID+".log"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunReaderListsNewestFirstWithStatus(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	done := runs.Record{ID: "20261201-100000-aaaaaa", StartedAt: t0, ContainerName: "p-train-run-1",
		Metrics: map[string]float64{"loss": 0.5}, MetricSeries: map[string][]metrics.Point{"loss": {{Step: 1, Value: 0.5}}}}
	done.Finish(t0.Add(time.Minute), 0)
	failed := runs.Record{ID: "20261201-100100-bbbbbb", StartedAt: t0.Add(time.Minute)}
	failed.Finish(t0.Add(2*time.Minute), 2)
	live := runs.Record{ID: "20261201-100200-cccccc", StartedAt: t0.Add(2 * time.Minute), ContainerName: "p-train-run-3"}
	lost := runs.Record{ID: "20261201-100300-dddddd", StartedAt: t0.Add(3 * time.Minute), ContainerName: "p-train-run-4"}
	for _, r := range []runs.Record{done, failed, live, lost} {
		saveRun(t, dir, r, "out\n")
	}
	os.WriteFile(filepath.Join(dir, "20261201-100400-eeeeee.json"), []byte("{broken"), 0o644)

	rr := newRunReader(dir)
	list, err := rr.List(map[string]bool{"p-train-run-3": true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range list {
		got = append(got, s.ID[len(s.ID)-6:]+":"+s.Status)
		if s.MetricSeries != nil {
			t.Errorf("list of %s carries curves", s.ID)
		}
	}
	if strings.Join(got, " ") != "dddddd:lost cccccc:running bbbbbb:failed aaaaaa:done" {
		t.Errorf("runs = %v", got)
	}
	full, err := rr.Get(done.ID)
	if err != nil || len(full.MetricSeries["loss"]) != 1 {
		t.Errorf("Get: %v, %+v", err, full)
	}
}

func TestRunReaderRefusesSymlinksAndBadIDs(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte(`{"id":"x","env":{"K":"stolen"}}`), 0o644)
	real := runs.Record{ID: "20261201-100000-aaaaaa", StartedAt: time.Now()}
	saveRun(t, dir, real, "")
	os.Remove(filepath.Join(dir, real.ID+".log"))
	os.Symlink(secret, filepath.Join(dir, real.ID+".log"))
	os.Symlink(secret, filepath.Join(dir, "20261201-110000-ffffff.json"))

	rr := newRunReader(dir)
	list, _ := rr.List(nil)
	if len(list) != 1 || list[0].ID != real.ID {
		t.Errorf("list followed a symlinked record: %+v", list)
	}
	if _, err := rr.Get("20261201-110000-ffffff"); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("Get of a symlinked record: %v", err)
	}
	if _, err := rr.Tail(real.ID); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("Tail of a symlinked log: %v", err)
	}
	for _, id := range []string{"../secret", ".hidden", "a/b", ""} {
		if _, err := rr.Get(id); err == nil {
			t.Errorf("Get(%q) succeeded", id)
		}
	}
}

func TestRunReaderTail(t *testing.T) {
	dir := t.TempDir()
	r := runs.Record{ID: "20261201-100000-aaaaaa", StartedAt: time.Now()}
	var b strings.Builder
	for i := range 300 {
		b.WriteString("line ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\n")
	}
	b.WriteString("[#  ]\r[## ]\r[###] <script>alert(1)</script>\n")
	saveRun(t, dir, r, b.String())
	lines, err := newRunReader(dir).Tail(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != logTailLines || lines[len(lines)-1] != "[###] <script>alert(1)</script>" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	// The page receives the text as JSON data; it never becomes markup there (see TestFrontEndSetsNoHTML).
	if b, _ := json.Marshal(lines[len(lines)-1]); !strings.Contains(string(b), `\u003cscript\u003e`) {
		t.Errorf("JSON of a log line: %s", b)
	}
}

func TestValidRunID(t *testing.T) {
	for id, want := range map[string]bool{
		"20261201-120000-ab12": true, "a": true, "A.b_c-d": true, strings.Repeat("a", 128): true,
		"": false, ".hidden": false, "-x": false, "../etc": false, "a/b": false, "a b": false,
		"é": false, strings.Repeat("a", 129): false, "run\x00": false,
	} {
		if got := validRunID(id); got != want {
			t.Errorf("validRunID(%q) = %v, want %v", id, got, want)
		}
	}
}
