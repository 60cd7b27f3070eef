package runs

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	start := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	clean, dirty := false, true
	a := &Record{
		ID: "a", ImageID: "sha256:111", GitCommit: "abc", GitDirty: &clean, ConfigHash: "h1",
		Command:       []string{"python", "train.py", "--lr", "0.1"},
		Env:           map[string]string{"EPOCHS": "10", "LR": "0.1", "HF_TOKEN": "***", "OLD": "x"},
		GPUsRequested: "all", GPUsGranted: "none", StartedAt: start,
	}
	a.Finish(start.Add(61*time.Second), 0)
	b := &Record{
		ID: "b", ImageID: "sha256:222", GitCommit: "abc", GitDirty: &dirty, ConfigHash: "h1",
		Command:       []string{"python", "train.py", "--note", "two words"},
		Env:           map[string]string{"EPOCHS": "10", "LR": "0.01", "HF_TOKEN": "***", "NEW": ""},
		GPUsRequested: "all", GPUsGranted: "all", StartedAt: start,
	}
	b.Finish(start.Add(125*time.Second), 137)

	want := []Change{
		{"image", "sha256:111", "sha256:222"},
		{"git_commit", "abc", "abc (dirty)"},
		{"command", "python train.py --lr 0.1", "python train.py --note 'two words'"},
		{"env.LR", "0.1", "0.01"},
		{"env.NEW", "(unset)", ""},
		{"env.OLD", "x", "(unset)"},
		{"gpus_granted", "none", "all"},
		{"exit_code", "0", "137"},
		{"duration", "1m1s", "2m5s"},
	}
	if got := Diff(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("Diff\n got %q\nwant %q", got, want)
	}
	if got := Diff(a, a); len(got) != 0 {
		t.Errorf("Diff of a run with itself = %v", got)
	}
	running := &Record{ID: "c", StartedAt: start}
	if got := Diff(running, running); len(got) != 0 {
		t.Errorf("Diff of a running run with itself = %v", got)
	}
}

func TestWriteTable(t *testing.T) {
	start := time.Date(2026, 11, 23, 15, 30, 12, 0, time.Local)
	dirty := true
	done := Record{ID: "20261123-153012-ab12cd", Service: "training", StartedAt: start, GPUsGranted: "none",
		GitCommit: "0123456789abcdef", GitDirty: &dirty, ImageTags: []string{"proj-training:latest"}}
	done.Finish(start.Add(90*time.Second), 1)
	going := Record{ID: "20261123-160000-ffffff", Service: "training", StartedAt: start.Add(time.Hour), ImageID: "sha256:0123456789abcdef0123"}

	var out bytes.Buffer
	if err := WriteTable(&out, []Record{going, done}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines:\n%s", len(lines), out.String())
	}
	checks := []struct {
		line  int
		words []string
	}{
		{0, []string{"ID", "SERVICE", "STARTED", "DURATION", "EXIT", "GPUS", "COMMIT", "IMAGE"}},
		{1, []string{"20261123-160000-ffffff", "2026-11-23 16:30:12", "running", "0123456789ab"}},
		{2, []string{"20261123-153012-ab12cd", "1m30s", " 1 ", "none", "0123456*", "proj-training:latest"}},
	}
	for _, c := range checks {
		for _, w := range c.words {
			if !strings.Contains(lines[c.line], w) {
				t.Errorf("table line %d %q lacks %q", c.line, lines[c.line], w)
			}
		}
	}
}

func TestWriteDiff(t *testing.T) {
	var out bytes.Buffer
	if err := WriteDiff(&out, nil); err != nil || out.String() != "no differences\n" {
		t.Errorf("WriteDiff(nil) = %q, %v", out.String(), err)
	}
	out.Reset()
	if err := WriteDiff(&out, []Change{{"env.LR", "0.1", "0.01"}, {"env.NEW", "(unset)", ""}}); err != nil {
		t.Fatal(err)
	}
	want := "FIELD    A        B\nenv.LR   0.1      0.01\nenv.NEW  (unset)  -\n"
	if out.String() != want {
		t.Errorf("WriteDiff =\n%s\nwant\n%s", out.String(), want)
	}
}

func TestDiffMetrics(t *testing.T) {
	a := &Record{ID: "a", Metrics: map[string]float64{"loss": 0.25, "auc": 0.9, "old": 1}}
	b := &Record{ID: "b", Metrics: map[string]float64{"loss": 0.125, "auc": 0.9, "new": 2}}
	var got []Change
	for _, c := range Diff(a, b) {
		if strings.HasPrefix(c.Field, "metrics.") {
			got = append(got, c)
		}
	}
	wantM := []Change{{"metrics.loss", "0.25", "0.125"}, {"metrics.new", "", "2"}, {"metrics.old", "1", ""}}
	if !reflect.DeepEqual(got, wantM) {
		t.Errorf("metric changes\n got %q\nwant %q", got, wantM)
	}
}
