package watch

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/fsnotify/fsnotify"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func ev(p string, op fsnotify.Op) fsnotify.Event { return fsnotify.Event{Name: p, Op: op} }

// summary renders a flush as "rule-target: kind container-path" lines.
func summary(f Flush) []string {
	var out []string
	for _, g := range f.Groups {
		for _, c := range g.Changes {
			out = append(out, string(g.Rule.Action)+" "+string(c.Kind)+" "+c.ContainerPath)
		}
	}
	return out
}

func TestBatcherCoalescesToLastStateOnDisk(t *testing.T) {
	const (
		C = fsnotify.Create
		W = fsnotify.Write
		R = fsnotify.Remove
		N = fsnotify.Rename
		A = fsnotify.Chmod
	)
	tests := []struct {
		name  string
		disk  []string // files present when the batch flushes (dirs end in /)
		steps func(dir string) []fsnotify.Event
		want  []string
	}{
		{
			name: "vim save: 4913 probe, backup by rename, new file, backup removed",
			disk: []string{"train.py"},
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{
					ev(d+"/4913", C), ev(d+"/4913", A), ev(d+"/4913", R),
					ev(d+"/train.py", N), ev(d+"/train.py~", C),
					ev(d+"/train.py", C), ev(d+"/train.py", W), ev(d+"/train.py", A),
					ev(d+"/train.py~", R),
				}
			},
			want: []string{"sync write /app/train.py"},
		},
		{
			name: "atomic save: write temp then rename over the target",
			disk: []string{"config.yaml"},
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{
					ev(d+"/.config.yaml.x81Kq", C), ev(d+"/.config.yaml.x81Kq", W),
					ev(d+"/.config.yaml.x81Kq", N), ev(d+"/config.yaml", C),
				}
			},
			want: []string{"sync write /app/config.yaml"},
		},
		{
			name: "temp file created and deleted is nothing",
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{ev(d+"/scratch.txt", C), ev(d+"/scratch.txt", W), ev(d+"/scratch.txt", R)}
			},
			want: nil,
		},
		{
			name: "many writes to one file are one write",
			disk: []string{"log.txt"},
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{ev(d+"/log.txt", W), ev(d+"/log.txt", W), ev(d+"/log.txt", W)}
			},
			want: []string{"sync write /app/log.txt"},
		},
		{
			name: "delete",
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{ev(d+"/old.py", R)}
			},
			want: []string{"sync remove /app/old.py"},
		},
		{
			name: "rename is remove old and write new",
			disk: []string{"new.py"},
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{ev(d+"/old.py", N), ev(d+"/new.py", C)}
			},
			want: []string{"sync remove /app/old.py", "sync write /app/new.py"},
		},
		{
			name: "deleted directory is one remove",
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{
					ev(d+"/pkg/a.py", R), ev(d+"/pkg/sub/b.py", R), ev(d+"/pkg/sub", R), ev(d+"/pkg", R),
				}
			},
			want: []string{"sync remove /app/pkg"},
		},
		{
			name: "new nested directory is written through its files, empty dirs as dirs",
			disk: []string{"pkg/", "pkg/sub/", "pkg/sub/m.py", "empty/"},
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{
					ev(d+"/pkg", C), ev(d+"/pkg/sub", C), ev(d+"/pkg/sub/m.py", C), ev(d+"/empty", C),
				}
			},
			want: []string{"sync write /app/empty", "sync write /app/pkg/sub/m.py"},
		},
		{
			name: "ignored and dropping paths never show",
			disk: []string{"data/x.csv", ".train.py.swp"},
			steps: func(d string) []fsnotify.Event {
				return []fsnotify.Event{ev(d+"/data/x.csv", C), ev(d+"/.train.py.swp", W), ev(d+"/.git/index", W)}
			},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, ".dockerignore"), "data/\n")
			for _, p := range tt.disk {
				if strings.HasSuffix(p, "/") {
					if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, filepath.Join(dir, p), "x")
			}
			r := mustRule(t, types.Trigger{Path: dir, Action: types.WatchActionSync, Target: "/app"}, dir)
			b := NewBatcher([]*Rule{r}, Options{})
			for i, e := range tt.steps(r.Path) {
				b.Add(e, ms(i))
			}
			if got := summary(b.Flush()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("flush = %q\nwant    %q", got, tt.want)
			}
		})
	}
}

func TestBatcherGroupsPerRuleWithItsAction(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "src/app.py"), "x")
	writeFile(t, filepath.Join(dir, "requirements.txt"), "torch")
	sync := mustRule(t, types.Trigger{Path: filepath.Join(dir, "src"), Action: types.WatchActionSync, Target: "/app/src"}, "")
	restart := mustRule(t, types.Trigger{Path: dir, Action: types.WatchActionSyncRestart, Target: "/app", Include: []string{"**/*.py"}}, "")
	rebuild := mustRule(t, types.Trigger{Path: filepath.Join(dir, "requirements.txt"), Action: types.WatchActionRebuild}, "")
	b := NewBatcher([]*Rule{sync, restart, rebuild}, Options{})
	b.Add(ev(filepath.Join(sync.Path, "app.py"), fsnotify.Write), ms(0))
	b.Add(ev(rebuild.Path, fsnotify.Write), ms(1))
	f := b.Flush()
	want := []string{"sync write /app/src/app.py", "sync+restart write /app/src/app.py", "rebuild write "}
	if got := summary(f); !reflect.DeepEqual(got, want) {
		t.Errorf("flush = %q, want %q", got, want)
	}
	if f.Groups[2].Changes[0].HostPath != rebuild.Path {
		t.Errorf("rebuild change host path = %q", f.Groups[2].Changes[0].HostPath)
	}
}

func TestBatcherDebounce(t *testing.T) {
	dir := t.TempDir()
	r := mustRule(t, types.Trigger{Path: dir, Action: types.WatchActionSync, Target: "/app"}, "")
	b := NewBatcher([]*Rule{r}, Options{Quiet: 20 * time.Millisecond}) // 200 ms max
	if _, ok := b.Due(); ok {
		t.Fatal("empty batcher is due")
	}
	b.Add(ev(filepath.Join(dir, "a"), fsnotify.Write), ms(0))
	if due, _ := b.Due(); !due.Equal(ms(20)) {
		t.Errorf("one event: due %v, want quiet period after it", due.Sub(t0))
	}
	b.Add(ev(filepath.Join(dir, "a"), fsnotify.Write), ms(15))
	if due, _ := b.Due(); !due.Equal(ms(35)) {
		t.Errorf("second event extends the quiet period: due %v", due.Sub(t0))
	}
	// A writer that never pauses for 20 ms still gets flushed at 200 ms.
	for n := 25; n < 400; n += 10 {
		b.Add(ev(filepath.Join(dir, "a"), fsnotify.Write), ms(n))
	}
	if due, _ := b.Due(); !due.Equal(ms(200)) {
		t.Errorf("continuous stream: due %v, want max wait 200ms", due.Sub(t0))
	}
	b.Flush()
	if _, ok := b.Due(); ok {
		t.Error("flush did not start a new batch")
	}
	b.Add(ev(filepath.Join(dir, "b"), fsnotify.Create), ms(500))
	if due, _ := b.Due(); !due.Equal(ms(520)) {
		t.Errorf("next batch measures from its own first event: due %v", due.Sub(t0))
	}

	custom := NewBatcher([]*Rule{r}, Options{Quiet: 5 * time.Millisecond, MaxWait: 50 * time.Millisecond})
	custom.Add(ev(filepath.Join(dir, "a"), fsnotify.Write), ms(0))
	if due, _ := custom.Due(); !due.Equal(ms(5)) {
		t.Errorf("custom quiet: due %v", due.Sub(t0))
	}
}

func TestBatcherQuietLengthensInBursts(t *testing.T) {
	dir := t.TempDir()
	r := mustRule(t, types.Trigger{Path: dir, Action: types.WatchActionSync, Target: "/app"}, "")
	b := NewBatcher([]*Rule{r}, Options{}) // 4 ms quiet, 20 ms in a burst, 200 ms max
	b.Add(ev(filepath.Join(dir, "a"), fsnotify.Write), ms(0))
	if due, _ := b.Due(); !due.Equal(ms(4)) {
		t.Errorf("a lone save: due %v, want the short quiet period", due.Sub(t0))
	}
	b.Flush()
	// Events still coming 10 ms after the last flushed one: a burst, collected for longer.
	b.Add(ev(filepath.Join(dir, "b"), fsnotify.Create), ms(10))
	if due, _ := b.Due(); !due.Equal(ms(30)) {
		t.Errorf("a batch right after a flush: due %v, want the burst quiet period", due.Sub(t0))
	}
	b.Add(ev(filepath.Join(dir, "c"), fsnotify.Create), ms(25))
	if due, _ := b.Due(); !due.Equal(ms(45)) {
		t.Errorf("a burst's later event: due %v", due.Sub(t0))
	}
	b.Flush()
	b.Add(ev(filepath.Join(dir, "a"), fsnotify.Write), ms(300))
	if due, _ := b.Due(); !due.Equal(ms(304)) {
		t.Errorf("the next lone save after the burst: due %v, want the short quiet period again", due.Sub(t0))
	}
}

func TestBatcherRescanOnOverflow(t *testing.T) {
	r := mustRule(t, types.Trigger{Path: t.TempDir(), Action: types.WatchActionSync, Target: "/app"}, "")
	b := NewBatcher([]*Rule{r}, Options{})
	b.Rescan(ms(0))
	if _, ok := b.Due(); !ok {
		t.Fatal("rescan not due")
	}
	f := b.Flush()
	if !f.Rescan || f.Empty() {
		t.Errorf("flush = %+v, want Rescan", f)
	}
	if b.Flush().Rescan {
		t.Error("rescan repeated")
	}
}

// TestBatcherSendsLinksAndNothingBelowThem checks a directory replaced by a symlink while events
// under it are pending yields the link alone, and links to directories are changes of their own.
func TestBatcherSendsLinksAndNothingBelowThem(t *testing.T) {
	dir, outside := tree(t), tree(t)
	writeFile(t, filepath.Join(dir, "pkg/model.py"), "x")
	writeFile(t, filepath.Join(outside, "model.py"), "host secret")
	r := syncRule(t, dir)
	b := NewBatcher([]*Rule{r}, Options{})
	b.Add(ev(filepath.Join(dir, "pkg/model.py"), fsnotify.Write), ms(0))
	if err := os.RemoveAll(filepath.Join(dir, "pkg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "pkg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(dir, "etc")); err != nil {
		t.Fatal(err)
	}
	b.Add(ev(filepath.Join(dir, "pkg"), fsnotify.Create), ms(1))
	b.Add(ev(filepath.Join(dir, "etc"), fsnotify.Create), ms(2))
	got := summary(b.Flush())
	want := []string{"sync write /app/etc", "sync write /app/pkg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flush = %q, want %q", got, want)
	}
}

func TestBelowLinkLooksOnlyInsideTheRoot(t *testing.T) {
	links := map[string]bool{"/p/src/link": true, "/home": true}
	lstat := func(p string) (os.FileInfo, error) {
		if links[p] {
			return linkInfo{}, nil
		}
		return nil, os.ErrNotExist
	}
	for _, tc := range []struct {
		root, p string
		want    bool
	}{
		{"/p/src", "/p/src/link/x.py", true},
		{"/p/src", "/p/src/link/deep/x.py", true},
		{"/p/src", "/p/src/link", false}, // the link itself is a change
		{"/p/src", "/p/src/dir/x.py", false},
		{"/home/u/src", "/home/u/src/x.py", false}, // a link above the root is the user's choice
		{"/home/u/cfg.yaml", "/home/u/cfg.yaml", false},
		{"", "/p/src/link/x.py", false},
	} {
		if got := belowLink(tc.root, tc.p, lstat); got != tc.want {
			t.Errorf("belowLink(%q, %q) = %v, want %v", tc.root, tc.p, got, tc.want)
		}
	}
}

// linkInfo is the FileInfo of a symlink.
type linkInfo struct{ os.FileInfo }

func (linkInfo) Mode() os.FileMode { return os.ModeSymlink | 0o777 }
