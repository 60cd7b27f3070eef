package watch

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/syncd"
)

// TestRuleDrivesInitialSyncDiff checks Rule.Skip and Rule.Ignored fit
// syncd.Manifest and syncd.Diff: ignored host trees are not even listed and
// ignored container content is never pruned.
func TestRuleDrivesInitialSyncDiff(t *testing.T) {
	host := tree(t)
	ctr := tree(t)
	writeFile(t, filepath.Join(host, ".dockerignore"), "data/\n")
	writeFile(t, filepath.Join(host, "train.py"), "new")
	writeFile(t, filepath.Join(host, "data/huge.bin"), "x")
	writeFile(t, filepath.Join(host, ".git/HEAD"), "ref")
	writeFile(t, filepath.Join(ctr, "train.py"), "old")
	writeFile(t, filepath.Join(ctr, "stale.py"), "x")
	writeFile(t, filepath.Join(ctr, ".venv/bin/python"), "x")
	if err := os.MkdirAll(filepath.Join(ctr, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := mustRule(t, types.Trigger{Path: host, Action: types.WatchActionSync, Target: "/app", Ignore: []string{".venv/"}}, host)

	hostEntries, err := syncd.Manifest(host, syncd.ManifestOptions{Hash: true, Skip: r.Skip})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hostEntries {
		if e.Path == "data" || e.Path == ".git" {
			t.Errorf("ignored dir %s was listed", e.Path)
		}
	}
	ctrEntries, err := syncd.Manifest(ctr, syncd.ManifestOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	write, remove := syncd.Diff(hostEntries, ctrEntries, r.Ignored)
	if want := []string{".dockerignore", "train.py"}; !reflect.DeepEqual(write, want) {
		t.Errorf("write = %v, want %v", write, want)
	}
	if want := []string{"stale.py"}; !reflect.DeepEqual(remove, want) {
		t.Errorf("remove = %v, want %v", remove, want)
	}
}
