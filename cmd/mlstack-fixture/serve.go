package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// serveConfig holds what the HTTP handler answers with.
type serveConfig struct {
	healthyAfter time.Duration
	unhealthy    bool
	root         string
}

// newHandler builds the fixture's HTTP routes; now is the clock and start the moment health is measured from.
func newHandler(s *sys, cfg serveConfig, start time.Time, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	text := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case cfg.unhealthy:
			text(w, http.StatusServiceUnavailable, "unhealthy\n")
		case now().Sub(start) < cfg.healthyAfter:
			text(w, http.StatusServiceUnavailable, "starting\n")
		default:
			text(w, http.StatusOK, "ok\n")
		}
	})
	mux.HandleFunc("GET /files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		// Read fresh on every request: callers time how soon a synced file shows up.
		body, status, err := readForHTTP(cfg.root, r.PathValue("path"))
		if err != nil {
			text(w, status, err.Error()+"\n")
			return
		}
		text(w, http.StatusOK, body)
	})
	mux.HandleFunc("GET /env/{name}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.lookup(r.PathValue("name"))
		if !ok {
			text(w, http.StatusNotFound, r.PathValue("name")+" unset\n")
			return
		}
		text(w, http.StatusOK, v)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		name := s.getenv("FIXTURE_NAME")
		if name == "" && s.hostname != nil {
			name, _ = s.hostname()
		}
		text(w, http.StatusOK, name+"\n")
	})
	return mux
}

// readForHTTP returns the file at root/rel, or a listing when it is a directory, with the HTTP status of a failure.
func readForHTTP(root, rel string) (string, int, error) {
	// Cleaning against "/" keeps the path inside root.
	p := filepath.Join(root, filepath.FromSlash(path.Clean("/"+rel)))
	info, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", http.StatusNotFound, fmt.Errorf("%s: not found", p)
		}
		return "", http.StatusInternalServerError, err
	}
	if info.IsDir() {
		entries, err := os.ReadDir(p)
		if err != nil {
			return "", http.StatusInternalServerError, err
		}
		var b strings.Builder
		for _, name := range entryNames(entries) {
			b.WriteString(name + "\n")
		}
		return b.String(), http.StatusOK, nil
	}
	body, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", http.StatusNotFound, fmt.Errorf("%s: not found", p)
		}
		return "", http.StatusInternalServerError, err
	}
	return string(body), http.StatusOK, nil
}

// entryNames returns sorted entry names with a "/" after directories.
func entryNames(entries []fs.DirEntry) []string {
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func runServe(s *sys, args []string) error {
	f := newFlags(s, "serve")
	addr := f.str("addr", "FIXTURE_ADDR", ":8080", "listen address")
	healthyAfter := f.duration("healthy-after", "FIXTURE_HEALTHY_AFTER", 0, "/health answers 503 starting until this long after start")
	unhealthy := f.boolean("unhealthy", "FIXTURE_UNHEALTHY", "/health always answers 503 unhealthy")
	root := f.str("root", "FIXTURE_ROOT", "/", "directory served under /files/")
	if err := f.parseNone(args); err != nil {
		return err
	}
	start := time.Now()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	shown := *addr
	if strings.HasSuffix(shown, ":0") {
		// The caller asked for any port and needs to learn which one.
		shown = ln.Addr().String()
	}
	srv := &http.Server{
		Handler:           newHandler(s, serveConfig{healthyAfter: *healthyAfter, unhealthy: *unhealthy, root: *root}, start, time.Now),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.printf("listening on %s\n", shown)

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", shown, err)
	case sig := <-s.signals:
		s.printf("got %s\nstopping\n", sigName(sig))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

func runProbe(s *sys, args []string) error {
	f := newFlags(s, "probe")
	url := f.str("url", "FIXTURE_PROBE_URL", "http://127.0.0.1:8080/health", "URL that must answer 200")
	file := f.str("file", "FIXTURE_PROBE_FILE", "", "instead of a URL, succeed iff this path exists")
	timeout := f.duration("timeout", "FIXTURE_PROBE_TIMEOUT", 2*time.Second, "HTTP timeout")
	if err := f.parseNone(args); err != nil {
		return err
	}
	if *file != "" {
		if _, err := os.Lstat(*file); err != nil {
			return fmt.Errorf("unhealthy: %w", err)
		}
		s.printf("ok: %s exists\n", *file)
		return nil
	}
	client := &http.Client{Timeout: *timeout}
	resp, err := client.Get(*url)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: GET %s: status %d: %s", *url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	s.printf("ok: %s answered 200\n", *url)
	return nil
}
