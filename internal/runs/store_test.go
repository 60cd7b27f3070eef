package runs

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortsByStartTime(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	base := time.Date(2026, 11, 23, 15, 30, 12, 0, time.UTC)
	starts := []time.Time{
		base.Add(-24 * time.Hour),
		base,
		base.Add(time.Second),
		base.Add(time.Hour).In(time.FixedZone("UTC+5", 5*3600)), // zone does not change the order
		base.AddDate(1, 0, 0),
	}
	var ids []string
	for _, st := range starts {
		ids = append(ids, s.NewID(st))
	}
	if !slices.IsSorted(ids) {
		t.Errorf("IDs not sorted by start time: %v", ids)
	}
	if !regexp.MustCompile(`^20261123-153012\.000000000-[0-9a-f]{6}$`).MatchString(ids[1]) {
		t.Errorf("ID %q does not look like 20261123-153012.000000000-ab12cd", ids[1])
	}
	if a, b := s.NewID(base), s.NewID(base); a == b {
		t.Errorf("two IDs for the same second collide: %s", a)
	}
}

// seed saves runs with the given IDs and a log for each.
func seed(t *testing.T, s Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		r := &Record{ID: id, Service: "training", LogFile: s.LogPath(id), StartedAt: time.Now()}
		r.Finish(r.StartedAt.Add(time.Second), 0)
		if err := s.Save(r); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.LogPath(id), []byte("epoch 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListNewestFirst(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), ".mlstack", "runs")}
	if recs, err := s.List(0); err != nil || len(recs) != 0 {
		t.Fatalf("List before any run = %v, %v", recs, err)
	}
	seed(t, s, "20261121-090000-aaaaaa", "20261123-153012-ab12cd", "20261122-120000-bbbbbb")
	tests := []struct {
		n    int
		want []string
	}{
		{0, []string{"20261123-153012-ab12cd", "20261122-120000-bbbbbb", "20261121-090000-aaaaaa"}},
		{2, []string{"20261123-153012-ab12cd", "20261122-120000-bbbbbb"}},
		{10, []string{"20261123-153012-ab12cd", "20261122-120000-bbbbbb", "20261121-090000-aaaaaa"}},
	}
	for _, tt := range tests {
		recs, err := s.List(tt.n)
		if err != nil {
			t.Fatalf("List(%d): %v", tt.n, err)
		}
		if got := idsOf(recs); !slices.Equal(got, tt.want) {
			t.Errorf("List(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestListSkipsCorruptRecords(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	seed(t, s, "20261121-090000-aaaaaa", "20261123-090000-cccccc")
	bad := filepath.Join(s.Dir, "20261122-090000-bbbbbb.json")
	if err := os.WriteFile(bad, []byte(`{"id": "20261122-09`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A half-written temp file of a concurrent Save is not a record.
	if err := os.WriteFile(filepath.Join(s.Dir, ".20261124-000000-dddddd.json.tmp-1"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := s.List(0)
	var corrupt *CorruptError
	if !errors.As(err, &corrupt) || !slices.Equal(corrupt.Files, []string{bad}) {
		t.Fatalf("List error = %v, want a CorruptError naming %s", err, bad)
	}
	if got := idsOf(recs); !slices.Equal(got, []string{"20261123-090000-cccccc", "20261121-090000-aaaaaa"}) {
		t.Errorf("List with a corrupt record = %v", got)
	}
}

func TestGet(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	seed(t, s, "20261120-100000-aaaaaa", "20261121-100000-bbbbbb", "20261122-100000-cccccc",
		"20261123-100000-dddddd", "20261123-110000-eeeeee", "20261123-120000-ffffff")
	tests := []struct {
		query    string
		want     string
		wantErr  error
		mentions []string
	}{
		{query: "20261121-100000-bbbbbb", want: "20261121-100000-bbbbbb"},
		{query: "20261122", want: "20261122-100000-cccccc"},
		{query: "latest", want: "20261123-120000-ffffff"},
		{query: "20261123", wantErr: ErrAmbiguous, mentions: []string{"20261123-100000-dddddd", "20261123-110000-eeeeee", "20261123-120000-ffffff"}},
		{query: "2025", wantErr: ErrUnknownRun, mentions: []string{"20261123-120000-ffffff", "20261121-100000-bbbbbb"}},
		{query: "", wantErr: ErrUnknownRun},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r, err := s.Get(tt.query)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Get(%q) error = %v, want %v", tt.query, err, tt.wantErr)
				}
				for _, m := range tt.mentions {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error %q does not mention %s", err, m)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Get(%q): %v", tt.query, err)
			}
			if r.ID != tt.want {
				t.Errorf("Get(%q) = %s, want %s", tt.query, r.ID, tt.want)
			}
		})
	}
	// The unknown-run error lists only the five newest.
	_, err := s.Get("2025")
	if strings.Contains(err.Error(), "20261120-100000-aaaaaa") {
		t.Errorf("unknown-run error lists more than five runs: %v", err)
	}
	if _, err := (Store{Dir: filepath.Join(t.TempDir(), "none")}).Get("latest"); !errors.Is(err, ErrUnknownRun) {
		t.Errorf("Get(latest) on an empty store = %v", err)
	}
}

func TestPrune(t *testing.T) {
	ids := []string{"20261120-100000-aaaaaa", "20261121-100000-bbbbbb", "20261122-100000-cccccc", "20261123-100000-dddddd"}
	tests := []struct {
		keep        int
		wantRemoved []string
		wantLeft    []string
	}{
		{keep: 10, wantRemoved: nil, wantLeft: []string{ids[3], ids[2], ids[1], ids[0]}},
		{keep: 2, wantRemoved: []string{ids[1], ids[0]}, wantLeft: []string{ids[3], ids[2]}},
		{keep: 0, wantRemoved: []string{ids[3], ids[2], ids[1], ids[0]}, wantLeft: nil},
	}
	for _, tt := range tests {
		s := Store{Dir: t.TempDir()}
		seed(t, s, ids...)
		removed, err := s.Prune(tt.keep)
		if err != nil {
			t.Fatalf("Prune(%d): %v", tt.keep, err)
		}
		if !slices.Equal(removed, tt.wantRemoved) {
			t.Errorf("Prune(%d) removed %v, want %v", tt.keep, removed, tt.wantRemoved)
		}
		recs, _ := s.List(0)
		if got := idsOf(recs); !slices.Equal(got, tt.wantLeft) {
			t.Errorf("after Prune(%d): %v, want %v", tt.keep, got, tt.wantLeft)
		}
		for _, id := range removed {
			if _, err := os.Stat(s.LogPath(id)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Prune(%d) left the log of %s", tt.keep, id)
			}
		}
	}
	if _, err := (Store{Dir: t.TempDir()}).Prune(-1); err == nil {
		t.Error("Prune(-1) succeeded")
	}
}

func TestSaveIsAtomicAndRefusesBadIDs(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	r := &Record{ID: "20261123-153012-ab12cd", Service: "training", ExitCode: -1}
	if err := s.Save(r); err != nil {
		t.Fatal(err)
	}
	r.Finish(time.Now(), 0)
	if err := s.Save(r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(r.ID)
	if err != nil || got.ExitCode != 0 || !got.Finished() {
		t.Errorf("Get after second Save = %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(s.Dir)
	if len(entries) != 1 {
		t.Errorf("Save left extra files: %v", entries)
	}
	for _, id := range []string{"", "../escape", ".hidden", "latest"} {
		if err := s.Save(&Record{ID: id}); err == nil {
			t.Errorf("Save accepted ID %q", id)
		}
	}
}

func idsOf(recs []Record) []string {
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

// Runs started within one second sort by their start, not by their random suffix.
func TestRunsInOneSecondKeepTheirOrder(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	base := time.Date(2026, 11, 23, 15, 30, 12, 0, time.UTC)
	var ids []string
	for i := range 50 {
		ids = append(ids, s.NewID(base.Add(time.Duration(i)*3*time.Millisecond+time.Duration(i))))
	}
	if !slices.IsSorted(ids) {
		t.Fatalf("IDs of runs started within one second are not in start order: %v", ids)
	}
	seed(t, s, ids...)
	latest, err := s.Get(Latest)
	if err != nil || latest.ID != ids[len(ids)-1] {
		t.Errorf("latest = %v, %v; want the last started, %s", latest, err, ids[len(ids)-1])
	}
	removed, err := s.Prune(10)
	if err != nil || len(removed) != 40 {
		t.Fatalf("Prune(10) removed %d, %v", len(removed), err)
	}
	left, _ := s.List(0)
	if left[9].ID != ids[40] {
		t.Errorf("Prune(10) kept %s as the oldest, want %s", left[9].ID, ids[40])
	}
}

func TestPruneKeepsRunsInProgress(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	seed(t, s, "20261120-100000.000000000-aaaaaa", "20261122-100000.000000000-cccccc")
	going := &Record{ID: "20261121-100000.000000000-bbbbbb", Service: "training", StartedAt: time.Now()}
	if err := s.Save(going); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.LogPath(going.ID), []byte("epoch 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Prune(0)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(removed, going.ID) {
		t.Errorf("Prune(0) removed %s, a run in progress", going.ID)
	}
	if _, err := os.Stat(s.LogPath(going.ID)); err != nil {
		t.Errorf("the log of a run in progress is gone: %v", err)
	}
	if len(removed) != 2 {
		t.Errorf("Prune(0) removed %v, want the two finished runs", removed)
	}
}
