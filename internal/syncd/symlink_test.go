package syncd

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func readLink(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatalf("lstat %s: %v", p, err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("%s is a %v, want a symlink", p, fi.Mode().Type())
	}
	got, err := os.Readlink(p)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSymlinksAreSyncedAsLinks checks every form of link arrives as a link with the same target
// text, and that the content of what it points to (a host file outside the project) never travels.
func TestSymlinksAreSyncedAsLinks(t *testing.T) {
	s := newSession(t)
	outside := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(outside, []byte("root:x:0:0:host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.hostFile(t, "src/real.py", "real", 0o644)
	if err := os.MkdirAll(filepath.Join(s.host, "src/pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"to-file":      "real.py",
		"to-dir":       "pkg",
		"dangling":     "nowhere.py",
		"up-relative":  "../../outside",
		"absolute":     "/etc/passwd",
		"out-of-tree":  outside,
		"to-dir-above": "..",
	}
	var ops []Op
	for name, target := range links {
		mustSymlink(t, target, filepath.Join(s.host, "src", name))
		op := WriteOp(filepath.Join(s.host, "src", name), filepath.Join(s.app, name))
		op.Root = filepath.Join(s.host, "src")
		ops = append(ops, op)
	}
	if err := s.apply(t, ops...); err != nil {
		t.Fatal(err)
	}
	for name, target := range links {
		if got := readLink(t, filepath.Join(s.app, name)); got != target {
			t.Errorf("%s -> %q, want -> %q", name, got, target)
		}
	}
	// A link replaced by a file, and a file by a link, in place.
	if err := os.Remove(filepath.Join(s.host, "src/to-file")); err != nil {
		t.Fatal(err)
	}
	s.hostFile(t, "src/to-file", "now a file", 0o644)
	mustSymlink(t, "to-file", filepath.Join(s.host, "src/was-file"))
	if err := os.WriteFile(filepath.Join(s.app, "was-file"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	op1, op2 := WriteOp(filepath.Join(s.host, "src/to-file"), filepath.Join(s.app, "to-file")), WriteOp(filepath.Join(s.host, "src/was-file"), filepath.Join(s.app, "was-file"))
	if err := s.apply(t, op1, op2); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(s.app, "to-file")); got != "now a file" {
		t.Errorf("to-file = %q", got)
	}
	if got := readLink(t, filepath.Join(s.app, "was-file")); got != "to-file" {
		t.Errorf("was-file -> %q", got)
	}
}

// TestWritesNeverGoThroughALinkOutOfTheTarget checks a write or remove below a symlink in the
// container (one a sync put there) never lands outside the target, and a write below a host link
// never reads outside the watched tree.
func TestWritesNeverGoThroughALinkOutOfTheTarget(t *testing.T) {
	s := newSession(t)
	victim := filepath.Join(s.ctr, "etc")
	if err := os.MkdirAll(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(victim, "passwd"), []byte("container passwd"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, victim, filepath.Join(s.app, "abs"))
	mustSymlink(t, "../etc", filepath.Join(s.app, "rel"))
	src := s.hostFile(t, "src/passwd", "from the host", 0o644)
	// Removes through links fail or remove nothing outside; writes through them replace the link
	// with the directory the host has (the op says the host has one there).
	_ = s.apply(t, RemoveOp(filepath.Join(s.app, "abs/passwd")), RemoveOp(filepath.Join(s.app, "rel/passwd")))
	if got := readFile(t, filepath.Join(victim, "passwd")); got != "container passwd" {
		t.Fatalf("a remove went through a link: %q", got)
	}
	_ = s.apply(t, WriteOp(src, filepath.Join(s.app, "abs/passwd")), WriteOp(src, filepath.Join(s.app, "rel/passwd")))
	if got := readFile(t, filepath.Join(victim, "passwd")); got != "container passwd" {
		t.Fatalf("a write went through a link: %q", got)
	}

	// On the host: a source below a link that leads out of the op's root is never read.
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.MkdirAll(secret, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secret, "key"), []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, secret, filepath.Join(s.host, "src/linked"))
	op := WriteOp(filepath.Join(s.host, "src/linked/key"), filepath.Join(s.app, "linked/key"))
	op.Root = filepath.Join(s.host, "src")
	if err := s.apply(t, op); err == nil {
		t.Error("a write through a host link out of its root was not refused")
	}
	if _, err := os.Lstat(filepath.Join(s.app, "linked/key")); err == nil {
		t.Errorf("content behind a host link arrived: %q", readFile(t, filepath.Join(s.app, "linked/key")))
	}
}

func TestModesAreKept(t *testing.T) {
	s := newSession(t)
	for _, mode := range []fs.FileMode{0, 0o600, 0o755, 0o777} {
		name := mode.String()
		src := s.hostFile(t, name, "x", mode)
		dst := filepath.Join(s.app, name)
		if err := s.apply(t, WriteOp(src, dst)); err != nil {
			if os.Geteuid() != 0 && mode&0o400 == 0 {
				continue // an unreadable file cannot be sent by a non-root user
			}
			t.Fatal(err)
		}
		fi, err := os.Lstat(dst)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode.Perm() {
			t.Errorf("%s arrived as %v", name, fi.Mode())
		}
	}
	src := s.hostFile(t, "suid", "x", 0o755)
	if err := os.Chmod(src, 0o755|fs.ModeSetuid|fs.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	if err := s.apply(t, WriteOp(src, filepath.Join(s.app, "suid"))); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(filepath.Join(s.app, "suid")); fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != fs.ModeSetuid|fs.ModeSetgid {
		t.Errorf("setuid/setgid lost: %v", fi.Mode())
	}
	dir := filepath.Join(s.host, "private")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.apply(t, WriteOp(dir, filepath.Join(s.app, "private"))); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(filepath.Join(s.app, "private")); !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory arrived as %v", fi.Mode())
	}
}

func TestFileAndDirectoryReplaceEachOther(t *testing.T) {
	s := newSession(t)
	s.hostFile(t, "x", "file", 0o644)
	if err := s.apply(t, WriteOp(filepath.Join(s.host, "x"), filepath.Join(s.app, "x"))); err != nil {
		t.Fatal(err)
	}
	// The host's x becomes a directory with a file: only the file's write arrives (the batcher
	// drops the directory's), and it must replace the container's file x.
	if err := os.Remove(filepath.Join(s.host, "x")); err != nil {
		t.Fatal(err)
	}
	s.hostFile(t, "x/inner.py", "inner", 0o644)
	if err := s.apply(t, WriteOp(filepath.Join(s.host, "x/inner.py"), filepath.Join(s.app, "x/inner.py"))); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(s.app, "x/inner.py")); got != "inner" {
		t.Errorf("x/inner.py = %q", got)
	}
	// And back: a file replaces the directory.
	if err := os.RemoveAll(filepath.Join(s.host, "x")); err != nil {
		t.Fatal(err)
	}
	s.hostFile(t, "x", "file again", 0o644)
	if err := s.apply(t, WriteOp(filepath.Join(s.host, "x"), filepath.Join(s.app, "x"))); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(s.app, "x")); got != "file again" {
		t.Errorf("x = %q", got)
	}
	// A directory replaced by a link to one elsewhere: the link replaces the directory.
	s.hostFile(t, "d/inner.py", "inner", 0o644)
	if err := s.apply(t, WriteOp(filepath.Join(s.host, "d/inner.py"), filepath.Join(s.app, "d/inner.py"))); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(s.host, "d")); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "/etc", filepath.Join(s.host, "d"))
	if err := s.apply(t, WriteOp(filepath.Join(s.host, "d"), filepath.Join(s.app, "d"))); err != nil {
		t.Fatal(err)
	}
	if got := readLink(t, filepath.Join(s.app, "d")); got != "/etc" {
		t.Errorf("d -> %q", got)
	}
}

func TestManifestAndDiffTreatLinksAsLinks(t *testing.T) {
	host, ctr := t.TempDir(), t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, secret, filepath.Join(host, "out"))
	mustSymlink(t, "/etc", filepath.Join(host, "etc"))
	mustSymlink(t, "a", filepath.Join(host, "same"))
	mustSymlink(t, "b", filepath.Join(host, "retarget"))
	mustSymlink(t, "a", filepath.Join(ctr, "same"))
	mustSymlink(t, "a", filepath.Join(ctr, "retarget"))
	if err := os.WriteFile(filepath.Join(ctr, "etc"), []byte("a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	he, err := Manifest(host, ManifestOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range he {
		if !e.IsSymlink() || e.SHA256 != "" || e.Size != 0 {
			t.Errorf("entry %+v: want a link without content", e)
		}
	}
	ce, err := Manifest(ctr, ManifestOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	write, remove := Diff(he, ce, nil)
	if want := []string{"etc", "out", "retarget"}; !reflect.DeepEqual(write, want) {
		t.Errorf("write = %v, want %v", write, want)
	}
	if want := []string{"etc"}; !reflect.DeepEqual(remove, want) {
		t.Errorf("remove = %v, want %v", remove, want)
	}
}
