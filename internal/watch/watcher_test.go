package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// running starts a Watcher over rules and returns it with its flush channel.
func running(t *testing.T, rules ...*Rule) (*Watcher, <-chan Flush) {
	t.Helper()
	w, err := NewWatcher(rules, Options{})
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	out := make(chan Flush)
	done := make(chan error, 1)
	ctx := t.Context()
	go func() { done <- w.Run(ctx, out) }()
	t.Cleanup(func() {
		// t.Context is cancelled before cleanups run.
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		w.Close()
	})
	return w, out
}

// await collects flushes until the changes seen so far, as
// "kind container-path", contain all of want; it fails after 3 s.
func await(t *testing.T, out <-chan Flush, want ...string) []string {
	t.Helper()
	var got []string
	deadline := time.After(3 * time.Second)
	for {
		if containsAll(got, want) {
			return got
		}
		select {
		case f := <-out:
			for _, g := range f.Groups {
				for _, c := range g.Changes {
					got = append(got, string(c.Kind)+" "+c.ContainerPath)
				}
			}
		case <-deadline:
			t.Fatalf("timed out; got %q, want %q", got, want)
		}
	}
}

func containsAll(got, want []string) bool {
	set := map[string]bool{}
	for _, g := range got {
		set[g] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

func tree(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func syncRule(t *testing.T, dir string, ignore ...string) *Rule {
	return mustRule(t, types.Trigger{Path: dir, Action: types.WatchActionSync, Target: "/app", Ignore: ignore}, dir)
}

// TestNoWatchesUnderIgnoredDirs builds a 10,000-file ML repo where 9,000
// files sit in data/, models/, node_modules/ and .venv/: only the source
// directories may be watched.
func TestNoWatchesUnderIgnoredDirs(t *testing.T) {
	dir := tree(t)
	writeFile(t, filepath.Join(dir, ".dockerignore"), "data/\nmodels/\n")
	seed := filepath.Join(dir, ".seed")
	writeFile(t, seed, "")
	files := 0
	add := func(sub string, dirs, per int) {
		for d := 0; d < dirs; d++ {
			parent := filepath.Join(dir, sub, fmt.Sprintf("d%03d", d))
			if err := os.MkdirAll(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			for f := 0; f < per; f++ {
				// Hard links of one file: creating 10,000 inodes is slow on some disks.
				if err := os.Link(seed, filepath.Join(parent, fmt.Sprintf("f%02d.txt", f))); err != nil {
					t.Fatal(err)
				}
				files++
			}
		}
	}
	add("src", 50, 20)          // 1,000 source files in 50 dirs
	add("data/raw", 300, 10)    // ignored by .dockerignore
	add("models/ckpt", 100, 20) // ignored by .dockerignore
	add("node_modules/pkg", 200, 10)
	add(".venv/lib", 200, 10)
	add(".git/objects", 10, 10) // always ignored
	if files != 10100 {
		t.Fatalf("built %d files", files)
	}
	w, err := NewWatcher([]*Rule{syncRule(t, dir, "node_modules/", ".venv/")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// root + src + 50 dirs under src
	if got, want := w.Watches(), 1+1+50; got != want {
		t.Errorf("Watches() = %d, want %d", got, want)
	}
	var watched []string
	for d := range w.dirs {
		rel, _ := filepath.Rel(dir, d)
		watched = append(watched, rel)
	}
	sort.Strings(watched)
	for _, rel := range watched {
		if rel != "." && rel != "src" && filepath.Dir(rel) != "src" {
			t.Errorf("watching ignored dir %s", rel)
		}
	}
}

func TestNewNestedDirectoryWithFilesRightAfterMkdir(t *testing.T) {
	dir := tree(t)
	w, out := running(t, syncRule(t, dir, "node_modules/"))
	before := w.Watches()
	if err := os.MkdirAll(filepath.Join(dir, "pkg/a/b"), 0o755); err != nil {
		t.Fatal(err)
	}
	// No pause: these land before the watcher can add watches for pkg/a/b.
	writeFile(t, filepath.Join(dir, "pkg/a/b/model.py"), "x")
	writeFile(t, filepath.Join(dir, "pkg/a/top.py"), "x")
	writeFile(t, filepath.Join(dir, "node_modules/x/index.js"), "x")
	got := await(t, out, "write /app/pkg/a/b/model.py", "write /app/pkg/a/top.py")
	for _, g := range got {
		if g == "write /app/node_modules/x/index.js" || g == "write /app/node_modules" {
			t.Errorf("ignored dir synced: %q", got)
		}
	}
	if after := w.Watches(); after != before+3 {
		t.Errorf("watches %d -> %d, want +3 (pkg, pkg/a, pkg/a/b)", before, after)
	}
	// the new deepest directory is watched: a later file there is seen
	writeFile(t, filepath.Join(dir, "pkg/a/b/later.py"), "y")
	await(t, out, "write /app/pkg/a/b/later.py")
}

func TestDeleteAndRename(t *testing.T) {
	dir := tree(t)
	writeFile(t, filepath.Join(dir, "old.py"), "x")
	writeFile(t, filepath.Join(dir, "pkg/a.py"), "x")
	writeFile(t, filepath.Join(dir, "pkg/sub/b.py"), "x")
	writeFile(t, filepath.Join(dir, "mod/c.py"), "x")
	w, out := running(t, syncRule(t, dir))
	if w.Watches() != 4 {
		t.Fatalf("watches = %d, want 4", w.Watches())
	}

	if err := os.Rename(filepath.Join(dir, "old.py"), filepath.Join(dir, "new.py")); err != nil {
		t.Fatal(err)
	}
	got := await(t, out, "remove /app/old.py", "write /app/new.py")
	if len(got) != 2 {
		t.Errorf("rename gave %q", got)
	}

	if err := os.RemoveAll(filepath.Join(dir, "pkg")); err != nil {
		t.Fatal(err)
	}
	got = await(t, out, "remove /app/pkg")
	if !reflect.DeepEqual(got, []string{"remove /app/pkg"}) {
		t.Errorf("deleted dir gave %q, want one remove", got)
	}
	if w.Watches() != 2 {
		t.Errorf("watches after rm -rf = %d, want 2", w.Watches())
	}

	if err := os.Rename(filepath.Join(dir, "mod"), filepath.Join(dir, "models2")); err != nil {
		t.Fatal(err)
	}
	await(t, out, "remove /app/mod", "write /app/models2/c.py")
	writeFile(t, filepath.Join(dir, "models2/d.py"), "x")
	await(t, out, "write /app/models2/d.py")
}

func TestEditorSavesSyncOnlyTheFile(t *testing.T) {
	dir := tree(t)
	target := filepath.Join(dir, "train.py")
	writeFile(t, target, "v1")
	_, out := running(t, syncRule(t, dir))

	// vim with backupcopy=no: probe, back up by rename, write anew, drop backup
	writeFile(t, filepath.Join(dir, "4913"), "")
	if err := os.Remove(filepath.Join(dir, "4913")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(target, target+"~"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, target, "v2")
	if err := os.Remove(target + "~"); err != nil {
		t.Fatal(err)
	}
	if got := await(t, out, "write /app/train.py"); len(got) != 1 {
		t.Errorf("vim save gave %q", got)
	}

	// VS Code / many tools: write a temp file, rename it over the target
	tmp := filepath.Join(dir, ".train.py.3f9a")
	writeFile(t, tmp, "v3")
	if err := os.Rename(tmp, target); err != nil {
		t.Fatal(err)
	}
	if got := await(t, out, "write /app/train.py"); len(got) != 1 {
		t.Errorf("atomic save gave %q", got)
	}
}

func TestSymlinksAreNotFollowedOutOfTheTree(t *testing.T) {
	dir := tree(t)
	outside := tree(t)
	writeFile(t, filepath.Join(outside, "sub/secret.txt"), "x")
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	w, out := running(t, syncRule(t, dir))
	if w.Watches() != 1 {
		t.Errorf("watches = %d, want only the root", w.Watches())
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link2")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(outside, "sub/new.txt"), "x")
	writeFile(t, filepath.Join(dir, "marker.py"), "x")
	got := await(t, out, "write /app/marker.py")
	for _, g := range got {
		// The new link is a change of its own, synced as a link; nothing behind it is.
		if g != "write /app/marker.py" && g != "write /app/link2" {
			t.Errorf("unexpected change %q", g)
		}
	}
	if w.Watches() != 1 {
		t.Errorf("watches = %d after a new symlink, want 1", w.Watches())
	}
}

func TestFileRuleSeesReplacementByRename(t *testing.T) {
	dir := tree(t)
	req := filepath.Join(dir, "requirements.txt")
	writeFile(t, req, "numpy")
	writeFile(t, filepath.Join(dir, "data/big.bin"), "x")
	rebuild := mustRule(t, types.Trigger{Path: req, Action: types.WatchActionRebuild}, dir)
	w, out := running(t, rebuild)
	if w.Watches() != 1 {
		t.Errorf("watches = %d, want the parent dir only", w.Watches())
	}
	writeFile(t, req+".new", "numpy\ntorch")
	if err := os.Rename(req+".new", req); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-out:
		if len(f.Groups) != 1 || f.Groups[0].Rule != rebuild || f.Groups[0].Changes[0].HostPath != req {
			t.Errorf("flush = %+v", f)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no flush")
	}
}

func TestRuleDirectoryCreatedLaterAndRecreated(t *testing.T) {
	dir := tree(t)
	src := filepath.Join(dir, "src")
	_, out := running(t, mustRule(t, types.Trigger{Path: src, Action: types.WatchActionSync, Target: "/app/src"}, ""))

	writeFile(t, filepath.Join(src, "pkg/a.py"), "x")
	await(t, out, "write /app/src/pkg/a.py")

	if err := os.RemoveAll(src); err != nil {
		t.Fatal(err)
	}
	await(t, out, "remove /app/src")

	writeFile(t, filepath.Join(src, "b.py"), "x")
	await(t, out, "write /app/src/b.py")
	writeFile(t, filepath.Join(src, "pkg/c.py"), "x")
	await(t, out, "write /app/src/pkg/c.py")
}
