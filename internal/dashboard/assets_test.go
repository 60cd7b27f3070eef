package dashboard

import (
	"regexp"
	"strings"
	"testing"
)

// The page names each file by its content hash; asked for by that name the file may be kept for
// good, asked for otherwise it may not, and the page itself is never kept.
func TestPageFilesAreCachedByContentHash(t *testing.T) {
	s, _, h := testServer(t)
	page := call(h, "GET", "/")
	if page.Code != 200 || page.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /: %d, Cache-Control %q; want 200, no-store", page.Code, page.Header().Get("Cache-Control"))
	}
	if strings.Contains(page.Body.String(), "{{") {
		t.Fatalf("GET /: a file's hash was not filled in:\n%s", page.Body)
	}
	refs := regexp.MustCompile(`(?:src|href)="([a-z.]+)\?v=([0-9a-f]{12})"`).FindAllStringSubmatch(page.Body.String(), -1)
	if len(refs) != len(s.page.files) {
		t.Fatalf("GET /: want %d hashed file references, got %q", len(s.page.files), refs)
	}
	for _, ref := range refs {
		name, hash := ref[1], ref[2]
		got := call(h, "GET", "/"+name+"?v="+hash)
		if got.Code != 200 || !strings.Contains(got.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s?v=%s: %d, Cache-Control %q; want 200, immutable", name, hash, got.Code, got.Header().Get("Cache-Control"))
		}
		if ct := got.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/") {
			t.Errorf("GET %s: Content-Type %q", name, ct)
		}
		if stale := call(h, "GET", "/"+name+"?v=000000000000"); stale.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s with an old hash: Cache-Control %q; want no-store", name, stale.Header().Get("Cache-Control"))
		}
	}
	if got := call(h, "GET", "/index.html"); got.Code != 404 {
		t.Errorf("GET /index.html: %d; want 404 (the page is served at / only)", got.Code)
	}
	if got := call(h, "GET", "/.."); got.Code == 200 {
		t.Errorf("GET /..: %d", got.Code)
	}
}
