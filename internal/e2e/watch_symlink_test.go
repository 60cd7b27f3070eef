package e2e

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/testenv"
)

// ctrEntry is one path of a container as the archive API (docker cp) shows it.
type ctrEntry struct {
	typ     byte
	link    string
	mode    int64
	content string
}

// ctrArchive reads path p of service's container through the archive API, keyed by path relative
// to p's parent ("src/a.py" for p = /app/src). A missing path reads as nil.
func ctrArchive(t *testing.T, p *testenv.Project, service, path string) map[string]ctrEntry {
	t.Helper()
	rc, _, err := p.Eng.CopyFromContainer(context.Background(), p.Inspect(service).ID, path)
	if err != nil {
		if strings.Contains(err.Error(), "No such container:path") || strings.Contains(strings.ToLower(err.Error()), "not found") {
			return nil
		}
		t.Fatalf("read %s from the container: %v", path, err)
	}
	defer rc.Close()
	out := map[string]ctrEntry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[strings.TrimSuffix(h.Name, "/")] = ctrEntry{typ: h.Typeflag, link: h.Linkname, mode: h.Mode & 0o7777, content: string(b)}
	}
}

// eventually polls check until it returns "" (a bounded wait for a sync, not a timing assertion).
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func symlinkHost(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestWatchSyncsSymlinksAsLinksAndKeepsModes checks every form of symlink, in the initial sync and
// as a live change, arrives as a link with the same target text, that nothing a link points to
// outside the project (the host's /etc/passwd, a secret file or directory) reaches the container,
// that modes arrive as on the host, and that a file and a directory replace each other without a
// restart.
func TestWatchSyncsSymlinksAsLinksAndKeepsModes(t *testing.T) {
	p := testenv.NewProject(t, watchCompose)
	src := filepath.Join(p.Dir, "src")
	outside := t.TempDir()
	const secret = "host secret: do not copy"
	writeHost(t, outside, "secret.txt", secret)
	writeHost(t, outside, "dir/inner.txt", secret)
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	writeHost(t, src, "real.py", "real\n")
	writeHost(t, src, "pkg/m.py", "m\n")
	writeHost(t, src, "replace-me", "a file, then a directory\n")
	writeHost(t, src, "dir-then-file/x.py", "x\n")
	writeHost(t, src, "tool.sh", "#!/bin/sh\n")
	writeHost(t, src, "locked", "nobody reads me\n")
	if err := os.Chmod(filepath.Join(src, "tool.sh"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "locked"), 0o000); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"to-file":    "real.py",
		"to-dir":     "pkg",
		"dangling":   "nowhere.py",
		"rel-out":    "../../" + filepath.Base(outside) + "/secret.txt",
		"passwd":     "/etc/passwd",
		"abs-out":    filepath.Join(outside, "secret.txt"),
		"dir-out":    filepath.Join(outside, "dir"),
		"pkg/up-two": "../..",
	}
	for name, target := range links {
		symlinkHost(t, target, filepath.Join(src, name))
	}

	w := startWatch(t, p)
	w.waitOutput("initial sync", 30*time.Second)
	started := p.Inspect("web").State.StartedAt

	checkLinks := func(links map[string]string) func() string {
		return func() string {
			tree := ctrArchive(t, p, "web", "/app/src")
			for name, target := range links {
				e, ok := tree["src/"+name]
				switch {
				case !ok:
					return name + " is missing"
				case e.typ != tar.TypeSymlink:
					return name + " is not a symlink"
				case e.link != target:
					return name + " -> " + e.link + ", want -> " + target
				}
			}
			return ""
		}
	}
	noLeak := func() {
		t.Helper()
		for name, e := range ctrArchive(t, p, "web", "/app/src") {
			if strings.Contains(e.content, secret) || len(passwd) > 0 && strings.Contains(e.content, string(passwd[:min(len(passwd), 40)])) {
				t.Errorf("%s in the container carries host content from outside the project: %q", name, e.content)
			}
			if strings.HasPrefix(name, "src/dir-out/") {
				t.Errorf("the container has %s: a link to a directory was followed", name)
			}
		}
	}
	modes := func(want map[string]int64) func() string {
		return func() string {
			tree := ctrArchive(t, p, "web", "/app/src")
			for name, mode := range want {
				if e, ok := tree["src/"+name]; !ok || e.mode != mode {
					return fmt.Sprintf("%s has mode %o (exists %v), want %o", name, e.mode, ok, mode)
				}
			}
			return ""
		}
	}
	eventually(t, "initial sync of symlinks", checkLinks(links))
	eventually(t, "initial sync of modes", modes(map[string]int64{"tool.sh": 0o750, "locked": 0, "real.py": 0o644}))
	noLeak()

	// The same forms as live changes, and a link retargeted.
	live := map[string]string{}
	for name, target := range links {
		if !strings.Contains(name, "/") {
			live["live-"+name] = target
			symlinkHost(t, target, filepath.Join(src, "live-"+name))
		}
	}
	if err := os.Remove(filepath.Join(src, "to-file")); err != nil {
		t.Fatal(err)
	}
	symlinkHost(t, "pkg/m.py", filepath.Join(src, "to-file"))
	live["to-file"] = "pkg/m.py"
	eventually(t, "live symlinks", checkLinks(live))

	// Modes as live changes: a chmod alone, and a new file with a mode.
	if err := os.Chmod(filepath.Join(src, "real.py"), 0o000); err != nil {
		t.Fatal(err)
	}
	writeHost(t, src, "new-tool.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(src, "new-tool.sh"), 0o700); err != nil {
		t.Fatal(err)
	}
	eventually(t, "live modes", modes(map[string]int64{"real.py": 0, "new-tool.sh": 0o700}))

	// A file replaced by a directory of the same name, and a directory by a file.
	if err := os.Remove(filepath.Join(src, "replace-me")); err != nil {
		t.Fatal(err)
	}
	writeHost(t, src, "replace-me/inside.py", "inside\n")
	if err := os.RemoveAll(filepath.Join(src, "dir-then-file")); err != nil {
		t.Fatal(err)
	}
	writeHost(t, src, "dir-then-file", "now a file\n")
	eventually(t, "file and directory swapped", func() string {
		tree := ctrArchive(t, p, "web", "/app/src")
		if e := tree["src/replace-me"]; e.typ != tar.TypeDir {
			return "replace-me is not a directory"
		}
		if e := tree["src/replace-me/inside.py"]; e.content != "inside\n" {
			return "replace-me/inside.py = " + e.content
		}
		if e := tree["src/dir-then-file"]; e.typ != tar.TypeReg || e.content != "now a file\n" {
			return "dir-then-file is not the new file"
		}
		if _, ok := tree["src/dir-then-file/x.py"]; ok {
			return "dir-then-file/x.py is still there"
		}
		return ""
	})
	noLeak()
	if now := p.Inspect("web").State.StartedAt; now != started {
		t.Errorf("the container restarted (StartedAt %s, was %s)", now, started)
	}
	if strings.Contains(w.err.String(), "not applied") {
		t.Errorf("watch warned about changes it could not apply:\n%s", w.err)
	}

	// A fresh container (down and up again) gets the same links from the initial sync.
	w.interrupt()
	p.MustRun("up", "-d", "--wait", "--force-recreate")
	w = startWatch(t, p, "--no-up")
	w.waitOutput("initial sync", 30*time.Second)
	eventually(t, "initial sync into a new container", checkLinks(live))
	noLeak()
	w.interrupt()
}
