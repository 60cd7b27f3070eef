package dashboard

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func guarded(token string) http.Handler {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	return newGuard(4242, token).wrap(ok)
}

func TestGuard(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef"
	page := "http://127.0.0.1:4242"
	for _, tc := range []struct {
		name         string
		noToken      bool
		method, path string
		host, origin string
		auth         string
		want         int
	}{
		{"page shell needs no token", false, "GET", "/", "127.0.0.1:4242", "", "", 200},
		{"api without token refused", false, "GET", "/api/state", "127.0.0.1:4242", "", "", 401},
		{"api with wrong token refused", false, "GET", "/api/state", "127.0.0.1:4242", "", "Bearer nope", 401},
		{"api with token as a query refused", false, "GET", "/api/state?token=" + tok, "127.0.0.1:4242", "", "", 401},
		{"api with token", false, "GET", "/api/state", "127.0.0.1:4242", "", "Bearer " + tok, 200},
		{"localhost host", false, "GET", "/api/state", "localhost:4242", "", "Bearer " + tok, 200},
		{"no-token serves without", true, "GET", "/api/state", "127.0.0.1:4242", "", "", 200},
		{"rebound host refused", false, "GET", "/", "evil.example:4242", "", "", 421},
		{"host without port refused", false, "GET", "/api/state", "127.0.0.1", "", "Bearer " + tok, 421},
		{"other port refused", true, "GET", "/api/state", "127.0.0.1:80", "", "", 421},
		{"post from the page", false, "POST", "/api/events", "127.0.0.1:4242", page, "Bearer " + tok, 200},
		{"post from localhost page", false, "POST", "/api/events", "localhost:4242", "http://localhost:4242", "Bearer " + tok, 200},
		{"post without origin refused", false, "POST", "/api/events", "127.0.0.1:4242", "", "Bearer " + tok, 403},
		{"post from another origin refused", true, "POST", "/api/services/x/restart", "127.0.0.1:4242", "http://evil.example", "", 403},
		{"post from another port refused", true, "POST", "/api/services/x/restart", "127.0.0.1:4242", "http://127.0.0.1:8080", "", 403},
		{"post from https origin refused", true, "POST", "/api/runs/x/stop", "127.0.0.1:4242", "https://127.0.0.1:4242", "", 403},
		{"null origin refused", true, "POST", "/api/events", "127.0.0.1:4242", "null", "", 403},
		{"get from another origin refused", false, "GET", "/api/state", "127.0.0.1:4242", "http://evil.example", "Bearer " + tok, 403},
		{"put refused", true, "PUT", "/api/state", "127.0.0.1:4242", page, "", 405},
		{"delete refused", true, "DELETE", "/api/runs/x", "127.0.0.1:4242", page, "", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tok
			if tc.noToken {
				token = ""
			}
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.Host = tc.host
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			guarded(token).ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("%s %s (Host %s, Origin %q): %d, want %d: %s", tc.method, tc.path, tc.host, tc.origin, w.Code, tc.want, w.Body)
			}
			// Every answer, refusals included, carries the headers.
			h := w.Header()
			if h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", h.Get("Referrer-Policy"))
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if h.Get("Set-Cookie") != "" {
				t.Errorf("a cookie was set: %q", h.Get("Set-Cookie"))
			}
		})
	}
}

func TestNewTokenIsRandom(t *testing.T) {
	a, b := newToken(), newToken()
	if len(a) != 32 || a == b {
		t.Errorf("tokens %q and %q: want two different 128-bit hex strings", a, b)
	}
}

// The page parses no text as HTML but the server's rendering of the stack view (which
// TestStackViewEscapesEverything covers), and its files hold no inline script or style.
func TestFrontEndSetsNoHTML(t *testing.T) {
	bad := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|createContextualFragment|\.cookie`)
	err := fs.WalkDir(webFS, "web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := webFS.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if m := bad.FindString(line); m != "" && strings.TrimSpace(line) != "view.innerHTML = v.html;" {
				t.Errorf("%s uses %s: %s", path, m, line)
			}
		}
		if !strings.HasSuffix(path, ".js") && !strings.HasSuffix(path, ".css") && (strings.Contains(string(b), "<script>") || strings.Contains(string(b), "style=") || strings.Contains(string(b), "http")) {
			t.Errorf("%s has inline script or style, or refers to another site", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
