package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// guard holds what every request is checked against.
type guard struct {
	// token is required as "Authorization: Bearer TOKEN" on /api/ unless empty (--no-token); the
	// page itself is served to anyone, with the stack in it only for ?token=TOKEN.
	token string
	// hosts are the only Host headers served: a DNS-rebound name reaching 127.0.0.1 is refused.
	hosts []string
	// origins are the only Origin headers accepted; state-changing requests and the live streams must carry one.
	origins []string
}

func newGuard(port int, token string) *guard {
	p := strconv.Itoa(port)
	return &guard{
		token:   token,
		hosts:   []string{"127.0.0.1:" + p, "localhost:" + p},
		origins: []string{"http://127.0.0.1:" + p, "http://localhost:" + p},
	}
}

// newToken returns 128 random bits as hex.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// csp keeps the page to its own scripts and styles (no inline script can run) and out of frames.
const csp = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// wrap applies the checks to every request before h sees it.
func (g *guard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		if !slices.Contains(g.hosts, r.Host) {
			http.Error(w, "mlstack dashboard: unknown Host "+strconv.Quote(r.Host)+"; open the printed 127.0.0.1 URL", http.StatusMisdirectedRequest)
			return
		}
		origin := r.Header.Get("Origin")
		api := strings.HasPrefix(r.URL.Path, "/api/")
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		case origin != "" && !slices.Contains(g.origins, origin):
			http.Error(w, "mlstack dashboard: cross-origin request refused", http.StatusForbidden)
			return
		case r.Method == http.MethodPost && origin == "":
			// Browsers send Origin with every POST; a request without one did not come from the page.
			http.Error(w, "mlstack dashboard: POST without Origin refused", http.StatusForbidden)
			return
		case api && !g.authorized(r):
			hd.Set("WWW-Authenticate", "Bearer")
			http.Error(w, "mlstack dashboard: missing or wrong token; open the URL mlstack dashboard printed", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authorized says whether an API request carries the token as its credential.
func (g *guard) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return g.matches(got, ok)
}

// pageAuthorized says whether a request for the page carries the token in its URL (?token=), as
// the printed URL does: only then does the page arrive with the stack in it.
func (g *guard) pageAuthorized(r *http.Request) bool {
	return g.matches(r.URL.Query().Get("token"), r.URL.Query().Has("token"))
}

func (g *guard) matches(got string, given bool) bool {
	if g.token == "" {
		return true
	}
	return given && subtle.ConstantTimeCompare([]byte(got), []byte(g.token)) == 1
}
