//go:build unix

package syncd

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStatFallsBackToNearestExistingParent(t *testing.T) {
	s := newSession(t)
	if err := os.MkdirAll(filepath.Join(s.app, "src"), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ask, want string }{
		{"src", "src"},
		{"src/new/deeper/file.py", "src"},
		{"", ""},
	} {
		e, err := s.c.Stat(t.Context(), filepath.Join(s.app, tc.ask))
		if err != nil {
			t.Fatalf("Stat(%q): %v", tc.ask, err)
		}
		if want := filepath.ToSlash(filepath.Join(s.app, tc.want)); e.Path != want {
			t.Errorf("Stat(%q) answered for %q, want %q", tc.ask, e.Path, want)
		}
		if !e.IsDir() || e.UID != os.Getuid() || e.GID != os.Getgid() {
			t.Errorf("Stat(%q) = %+v, want a directory owned by %d:%d", tc.ask, e, os.Getuid(), os.Getgid())
		}
	}
	if _, err := s.c.Stat(t.Context(), filepath.Join(s.ctr, "elsewhere")); err == nil {
		t.Error("Stat outside the roots succeeded")
	}
}
