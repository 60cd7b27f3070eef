package dashboard

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

// assets are the page's files, read once from the binary. The page names each script and
// stylesheet with its content hash, so the browser may keep them for good and a new mlstack's page
// never runs an old script.
type assets struct {
	// tmpl holds index.html (the page) and stack.tmpl (the stack view).
	tmpl  *template.Template
	files map[string]asset
}

type asset struct {
	body  []byte
	hash  string
	ctype string
}

// loadAssets reads the page's files from web; index.html refers to each as {{asset "NAME"}}.
func loadAssets(web fs.FS) (*assets, error) {
	a := &assets{files: map[string]asset{}}
	for _, name := range []string{"app.js", "style.css"} {
		b, err := fs.ReadFile(web, name)
		if err != nil {
			return nil, fmt.Errorf("dashboard: page file: %w", err)
		}
		sum := sha256.Sum256(b)
		a.files[name] = asset{body: b, hash: hex.EncodeToString(sum[:6]), ctype: mime.TypeByExtension(path.Ext(name))}
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			f, ok := a.files[name]
			if !ok {
				return "", fmt.Errorf("no page file %q", name)
			}
			return name + "?v=" + f.hash, nil
		},
	}
	t, err := template.New("").Funcs(funcs).ParseFS(web, "index.html", "stack.tmpl")
	if err != nil {
		return nil, fmt.Errorf("dashboard: page template: %w", err)
	}
	a.tmpl = t
	return a, nil
}

// pageData is what index.html shows: with the token, the project and its stack; without, nothing.
type pageData struct {
	Project, Tracking string
	Version           int
	Stack             *stackView
}

// servePage answers the page itself, which is never cached: it names the current files and, for a
// request that carries the token, holds the stack as it is now.
func (a *assets) servePage(w http.ResponseWriter, d pageData) {
	var b bytes.Buffer
	if err := a.tmpl.ExecuteTemplate(&b, "index.html", d); err != nil {
		http.Error(w, "dashboard: render the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
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
