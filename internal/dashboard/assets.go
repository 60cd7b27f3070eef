package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// assets are the page's files, read once from the binary. index.html names each script and
// stylesheet with its content hash, so the browser may keep them for good and a new mlstack's page
// never runs an old script.
type assets struct {
	index []byte
	files map[string]asset
}

type asset struct {
	body  []byte
	hash  string
	ctype string
}

// loadAssets reads the page's files from web; index.html refers to each as NAME?v={{NAME}}.
func loadAssets(web fs.FS) (*assets, error) {
	a := &assets{files: map[string]asset{}}
	var pairs []string
	for _, name := range []string{"boot.js", "app.js", "style.css"} {
		b, err := fs.ReadFile(web, name)
		if err != nil {
			return nil, fmt.Errorf("dashboard: page file: %w", err)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:6])
		a.files[name] = asset{body: b, hash: h, ctype: mime.TypeByExtension(path.Ext(name))}
		pairs = append(pairs, "{{"+name+"}}", h)
	}
	index, err := fs.ReadFile(web, "index.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: page file: %w", err)
	}
	a.index = []byte(strings.NewReplacer(pairs...).Replace(string(index)))
	return a, nil
}

// serveIndex answers the page itself, which is never cached: it names the current files.
func (a *assets) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(a.index)
}

// serveFile answers a script or the stylesheet; asked for by its current hash, the browser may keep it.
func (a *assets) serveFile(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Write(f.body)
}
