package syncd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// session runs Serve in-process over pipes, with a temp dir standing in for
// the container's file system and <root>/app as the only allowed root.
type session struct {
	c    *Client
	host string // host project dir
	ctr  string // container "/" (a temp dir)
	app  string // the rule target inside ctr
}

func newSession(t *testing.T) *session { return newBenchSession(t) }

func newBenchSession(t testing.TB) *session {
	t.Helper()
	toServer, clientW := io.Pipe()
	clientR, fromServer := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// Not t.Context: it ends before cleanup closes the stream.
		err := Serve(context.Background(), toServer, fromServer)
		fromServer.CloseWithError(io.EOF)
		done <- err
	}()
	t.Cleanup(func() {
		clientW.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	s := &session{c: NewClient(clientW, clientR), host: t.TempDir(), ctr: t.TempDir()}
	s.app = filepath.Join(s.ctr, "app")
	if err := s.c.Hello(t.Context(), []string{s.app}); err != nil {
		t.Fatalf("Hello: %v", err)
	}
	return s
}

func (s *session) hostFile(t *testing.T, rel, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(s.host, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *session) apply(t *testing.T, ops ...Op) error {
	t.Helper()
	_, err := s.c.Apply(t.Context(), Batch{Ops: ops})
	var ackErr *AckError
	if err != nil && !errors.As(err, &ackErr) {
		t.Fatalf("Apply: stream error: %v", err)
	}
	return err
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return string(b)
}

func assertGone(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (err=%v)", p, err)
	}
}

func TestWriteCreatesParentsAndKeepsModeAndMtime(t *testing.T) {
	s := newSession(t)
	src := s.hostFile(t, "src/pkg/train.py", "print('hi')\n", 0o750)
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	if err := os.Chtimes(src, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(s.app, "src/pkg/train.py")
	if err := s.apply(t, WriteOp(src, dst)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := readFile(t, dst); got != "print('hi')\n" {
		t.Errorf("content = %q", got)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o750 {
		t.Errorf("mode = %v, want 0750", fi.Mode().Perm())
	}
	if !fi.ModTime().Equal(mtime) {
		t.Errorf("mtime = %v, want %v", fi.ModTime(), mtime)
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.app, "src/pkg/.mlstack-sync-*"))
	if len(leftovers) > 0 {
		t.Errorf("temp files left behind: %v", leftovers)
	}
}

func TestOverwriteEmptyFileAndMkdir(t *testing.T) {
	s := newSession(t)
	empty := s.hostFile(t, "empty", "", 0o644)
	dst := filepath.Join(s.app, "a.txt")
	if err := os.MkdirAll(s.app, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.app, "logs/run1")
	if err := s.apply(t, WriteOp(empty, dst), MkdirOp(dir, 0o700)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := readFile(t, dst); got != "" {
		t.Errorf("content = %q, want empty", got)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("mkdir: fi=%v err=%v", fi, err)
	}
}

func TestRemoveIsRecursiveAndMissingIsFine(t *testing.T) {
	s := newSession(t)
	tree := filepath.Join(s.app, "data/cache/deep")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "x.bin"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := s.apply(t,
		RemoveOp(filepath.Join(s.app, "data")),
		RemoveOp(filepath.Join(s.app, "never/existed.txt")),
	)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	assertGone(t, filepath.Join(s.app, "data"))
}

func TestRenameIsRemoveOldPlusWriteNew(t *testing.T) {
	s := newSession(t)
	old := s.hostFile(t, "model.py", "v1", 0o644)
	if err := s.apply(t, WriteOp(old, filepath.Join(s.app, "model.py"))); err != nil {
		t.Fatal(err)
	}
	newPath := filepath.Join(s.host, "models/model_v2.py")
	if err := os.MkdirAll(filepath.Dir(newPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(old, newPath); err != nil {
		t.Fatal(err)
	}
	err := s.apply(t,
		RemoveOp(filepath.Join(s.app, "model.py")),
		WriteOp(newPath, filepath.Join(s.app, "models/model_v2.py")),
	)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	assertGone(t, filepath.Join(s.app, "model.py"))
	if got := readFile(t, filepath.Join(s.app, "models/model_v2.py")); got != "v1" {
		t.Errorf("renamed content = %q", got)
	}
}

func TestVanishedHostFileBecomesRemove(t *testing.T) {
	s := newSession(t)
	src := s.hostFile(t, "tmp.py", "x", 0o644)
	dst := filepath.Join(s.app, "tmp.py")
	if err := s.apply(t, WriteOp(src, dst)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if err := s.apply(t, WriteOp(src, dst)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	assertGone(t, dst)
}

func TestHostDirectoryBecomesMkdirAndReplacesFile(t *testing.T) {
	s := newSession(t)
	if err := os.MkdirAll(filepath.Join(s.host, "conf"), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(s.host, "conf"), 0o711); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(s.app, "conf")
	if err := os.MkdirAll(s.app, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("was a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.apply(t, WriteOp(filepath.Join(s.host, "conf"), dst)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if fi, err := os.Stat(dst); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o711 {
		t.Errorf("want dir 0711, got fi=%v err=%v", fi, err)
	}
	// and back: a file where the container has a directory
	if err := os.Remove(filepath.Join(s.host, "conf")); err != nil {
		t.Fatal(err)
	}
	src := s.hostFile(t, "conf", "now a file", 0o644)
	if err := os.WriteFile(filepath.Join(dst, "inner"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.apply(t, WriteOp(src, dst)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := readFile(t, dst); got != "now a file" {
		t.Errorf("content = %q", got)
	}
}

func TestPathsOutsideRootsAreRefused(t *testing.T) {
	s := newSession(t)
	src := s.hostFile(t, "evil", "pwned", 0o644)
	victim := filepath.Join(s.ctr, "etc/passwd")
	if err := os.MkdirAll(filepath.Dir(victim), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, []byte("root:x:0:0"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := s.hostFile(t, "ok.py", "fine", 0o644)
	tests := []struct {
		name string
		op   Op
	}{
		{"dotdot write", WriteOp(src, s.app+"/../etc/passwd")},
		{"dotdot remove", RemoveOp(s.app + "/sub/../../etc")},
		{"sibling with root as prefix", WriteOp(src, s.app+"x/evil")},
		{"relative path", WriteOp(src, "app/evil")},
		{"chown outside", ChownOp(victim, 0, 0)},
		{"mkdir outside", MkdirOp(filepath.Join(s.ctr, "opt/x"), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.apply(t, tt.op, WriteOp(good, filepath.Join(s.app, "ok.py")))
			var ackErr *AckError
			if !errors.As(err, &ackErr) || len(ackErr.Errors) != 1 {
				t.Fatalf("want one refused op, got %v", err)
			}
			if !strings.Contains(ackErr.Errors[0], "outside the allowed roots") &&
				!strings.Contains(ackErr.Errors[0], "not absolute") {
				t.Errorf("error = %q", ackErr.Errors[0])
			}
			if got := readFile(t, victim); got != "root:x:0:0" {
				t.Errorf("victim changed: %q", got)
			}
			if got := readFile(t, filepath.Join(s.app, "ok.py")); got != "fine" {
				t.Errorf("the allowed op of the same batch was not applied: %q", got)
			}
		})
	}
	assertGone(t, s.app+"x")
	assertGone(t, filepath.Join(s.ctr, "opt"))
}

func TestAckReportsFailuresAndStreamStaysUsable(t *testing.T) {
	s := newSession(t)
	src := s.hostFile(t, "a.py", "a", 0o644)
	if err := os.MkdirAll(s.app, 0o755); err != nil {
		t.Fatal(err)
	}
	// A name longer than the file system allows makes the write fail on the
	// server after its content is already on the wire.
	long := strings.Repeat("x", 300) + ".py"
	err := s.apply(t,
		WriteOp(src, filepath.Join(s.app, long)),
		WriteOp(filepath.Join(s.host, "unreadable-missing-dir/"), filepath.Join(s.app, "gone")),
		WriteOp(src, filepath.Join(s.app, "b.py")),
	)
	var ackErr *AckError
	if !errors.As(err, &ackErr) || len(ackErr.Errors) != 1 || !strings.Contains(ackErr.Errors[0], long) {
		t.Fatalf("want one error naming the long name, got %v", err)
	}
	if got := readFile(t, filepath.Join(s.app, "b.py")); got != "a" {
		t.Errorf("op after the failed one: %q", got)
	}
	if err := s.apply(t, WriteOp(src, filepath.Join(s.app, "c.py"))); err != nil {
		t.Errorf("next batch: %v", err)
	}
}

func TestChownIgnoresEPERMWhenNotRoot(t *testing.T) {
	s := newSession(t)
	src := s.hostFile(t, "own.py", "x", 0o644)
	dst := filepath.Join(s.app, "own.py")
	op := WriteOp(src, dst)
	op.Owner = &Owner{UID: 4242, GID: 4242}
	if err := s.apply(t, op, ChownOp(dst, 4343, 4343)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if readFile(t, dst) != "x" {
		t.Error("file not written")
	}
	if euidIsRoot() {
		uid, gid := owner(t, dst)
		if uid != 4343 || gid != 4343 {
			t.Errorf("owner = %d:%d, want 4343:4343", uid, gid)
		}
	}
}

// TestWriteIsAtomic has a reader in the "container" read the file while
// batches replace it: it must only ever see one complete version.
func TestWriteIsAtomic(t *testing.T) {
	s := newSession(t)
	a := strings.Repeat("A", 256<<10)
	b := strings.Repeat("B", 300<<10)
	srcA := s.hostFile(t, "a", a, 0o644)
	srcB := s.hostFile(t, "b", b, 0o644)
	dst := filepath.Join(s.app, "weights.txt")
	if err := s.apply(t, WriteOp(srcA, dst)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var torn []int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := os.ReadFile(dst)
			if err != nil {
				torn = append(torn, -1)
				continue
			}
			if string(got) != a && string(got) != b {
				torn = append(torn, len(got))
			}
		}
	}()
	for i := 0; i < 30; i++ {
		src := srcA
		if i%2 == 0 {
			src = srcB
		}
		if err := s.apply(t, WriteOp(src, dst)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if len(torn) > 0 {
		t.Errorf("reader saw %d torn or missing versions, e.g. %v", len(torn), torn[0])
	}
}

func TestProtocolGuards(t *testing.T) {
	ctx := t.Context()
	run := func(t *testing.T, client func(c *Client) error) error {
		toServer, clientW := io.Pipe()
		clientR, fromServer := io.Pipe()
		go func() {
			_ = Serve(ctx, toServer, fromServer)
			fromServer.Close()
		}()
		defer clientW.Close()
		return client(NewClient(clientW, clientR))
	}
	t.Run("ops before hello are refused", func(t *testing.T) {
		err := run(t, func(c *Client) error {
			_, err := c.Apply(ctx, Batch{Ops: []Op{RemoveOp("/app/x")}})
			return err
		})
		var ackErr *AckError
		if !errors.As(err, &ackErr) || !strings.Contains(ackErr.Error(), "no hello") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("relative root is refused", func(t *testing.T) {
		err := run(t, func(c *Client) error { return c.Hello(ctx, []string{"app"}) })
		if err == nil || !strings.Contains(err.Error(), "not absolute") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("cancelled wait makes the client refuse further calls", func(t *testing.T) {
		// A server that never answers.
		r, w := io.Pipe()
		defer w.Close()
		c := NewClient(io.Discard, r)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		if err := c.Hello(cctx, []string{"/app"}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Hello = %v, want deadline exceeded", err)
		}
		if _, err := c.Apply(ctx, Batch{}); err == nil || !strings.Contains(err.Error(), "unusable") {
			t.Errorf("Apply after cancel = %v", err)
		}
	})
	t.Run("server returns nil on EOF", func(t *testing.T) {
		if err := Serve(ctx, bytes.NewReader(nil), io.Discard); err != nil {
			t.Errorf("Serve = %v", err)
		}
	})
	t.Run("server fails on a truncated frame", func(t *testing.T) {
		if err := Serve(ctx, bytes.NewReader([]byte{0, 0, 0, 9, '{'}), io.Discard); err == nil {
			t.Error("want error")
		}
	})
}

func TestListAndDiffDriveInitialSync(t *testing.T) {
	s := newSession(t)
	s.hostFile(t, "train.py", "new", 0o644)
	s.hostFile(t, "lib/util.py", "same", 0o644)
	s.hostFile(t, "data/huge.bin", "ignored", 0o644)
	// container: stale train.py, same util.py, an extra file, installed deps
	for rel, content := range map[string]string{
		"train.py":                "old",
		"lib/util.py":             "same",
		"lib/stale.py":            "gone on host",
		"old/a.py":                "gone dir",
		"node_modules/x/index.js": "deps",
	} {
		p := filepath.Join(s.app, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ignore := func(rel string) bool {
		return rel == "data" || strings.HasPrefix(rel, "data/") ||
			rel == "node_modules" || strings.HasPrefix(rel, "node_modules/")
	}
	host, err := Manifest(s.host, ManifestOptions{Hash: true, Skip: func(rel string, _ bool) bool { return ignore(rel) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range host {
		if strings.HasPrefix(e.Path, "data") {
			t.Errorf("skipped dir listed: %v", e)
		}
	}
	ctr, err := s.c.List(t.Context(), s.app, true)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	write, remove := Diff(host, ctr, ignore)
	if want := []string{"train.py"}; !reflect.DeepEqual(write, want) {
		t.Errorf("write = %v, want %v", write, want)
	}
	if want := []string{"lib/stale.py", "old"}; !reflect.DeepEqual(remove, want) {
		t.Errorf("remove = %v, want %v", remove, want)
	}
	missing, err := s.c.List(t.Context(), filepath.Join(s.app, "not-yet"), false)
	if err != nil || len(missing) != 0 {
		t.Errorf("List of a missing dir = %v, %v; want empty", missing, err)
	}
}

func TestDiff(t *testing.T) {
	file := func(p string, size, mtime int64, sum string) Entry {
		return Entry{Path: p, Size: size, Mode: 0o644, MTime: mtime, SHA256: sum}
	}
	dir := func(p string) Entry { return Entry{Path: p, Mode: os.ModeDir | 0o755} }
	noIgnore := func(string) bool { return false }
	tests := []struct {
		name       string
		host, ctr  []Entry
		ignore     func(string) bool
		write, rmv []string
	}{
		{"identical by mtime", []Entry{file("a", 1, 10, "")}, []Entry{file("a", 1, 10, "")}, noIgnore, nil, nil},
		{"missing in container", []Entry{dir("d"), file("d/a", 1, 10, "")}, nil, noIgnore, []string{"d", "d/a"}, nil},
		{"size differs", []Entry{file("a", 2, 10, "")}, []Entry{file("a", 1, 10, "")}, noIgnore, []string{"a"}, nil},
		{"mtime differs without hashes", []Entry{file("a", 1, 11, "")}, []Entry{file("a", 1, 10, "")}, noIgnore, []string{"a"}, nil},
		{"hash equal wins over mtime", []Entry{file("a", 1, 11, "h")}, []Entry{file("a", 1, 10, "h")}, noIgnore, nil, nil},
		{"hash differs", []Entry{file("a", 1, 10, "h1")}, []Entry{file("a", 1, 10, "h2")}, noIgnore, []string{"a"}, nil},
		{"mode differs", []Entry{{Path: "run.sh", Size: 1, MTime: 1, Mode: 0o755}}, []Entry{file("run.sh", 1, 1, "")}, noIgnore, []string{"run.sh"}, nil},
		{"extra dir removed once", nil, []Entry{dir("old"), file("old/a", 1, 1, ""), dir("old/sub"), file("old/sub/b", 1, 1, "")}, noIgnore, nil, []string{"old"}},
		{"file became dir", []Entry{dir("x"), file("x/y", 1, 1, "")}, []Entry{file("x", 1, 1, "")}, noIgnore, []string{"x", "x/y"}, []string{"x"}},
		{"dir became file", []Entry{file("x", 1, 1, "")}, []Entry{dir("x"), file("x/y", 1, 1, "")}, noIgnore, []string{"x"}, []string{"x"}},
		{"ignored paths untouched on both sides", []Entry{file("secret", 1, 1, "")}, []Entry{dir(".venv"), file(".venv/bin", 1, 1, "")},
			func(rel string) bool { return rel == "secret" || strings.HasPrefix(rel, ".venv") }, nil, nil},
		{"nil ignore", nil, []Entry{file("z", 1, 1, "")}, nil, nil, []string{"z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write, remove := Diff(tt.host, tt.ctr, tt.ignore)
			if len(write) == 0 {
				write = nil
			}
			if len(remove) == 0 {
				remove = nil
			}
			if !reflect.DeepEqual(write, tt.write) || !reflect.DeepEqual(remove, tt.rmv) {
				t.Errorf("Diff = write %v remove %v; want write %v remove %v", write, remove, tt.write, tt.rmv)
			}
		})
	}
}
