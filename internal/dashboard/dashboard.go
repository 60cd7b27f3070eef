// Package dashboard serves `mlstack dashboard`: one local page with the stack's services, their
// logs and the training runs, updated live from the engine's event stream. It only changes the
// stack when the user asks on the page (restart a service, stop a training job).
package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

//go:embed web
var webFS embed.FS

// Options are `mlstack dashboard`'s choices.
type Options struct {
	// Port to listen on at 127.0.0.1; 0 picks a free one.
	Port int
	// NoToken serves the page to anyone on this machine who knows the port.
	NoToken bool
}

// Server is one dashboard over one project.
type Server struct {
	// proj is the project as loaded (its Services are the enabled ones); st has every service enabled.
	proj  *project.Project
	st    *stack.Stack
	eng   Engine
	obs   *Observer
	logs  *logHub
	runs  *runReader
	guard *guard
	page  *assets
}

// shutdownGrace bounds how long open page connections may take to close at exit.
const shutdownGrace = 3 * time.Second

// Serve listens on 127.0.0.1, calls ready with the page's URL (the token in its query), and
// serves until ctx ends.
func Serve(ctx context.Context, st *stack.Stack, o Options, ready func(url string)) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port)))
	if err != nil {
		return fmt.Errorf("dashboard: listen on 127.0.0.1:%d: %w", o.Port, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	token := ""
	if !o.NoToken {
		token = newToken()
	}
	s, err := newServer(ctx, st, st.Eng, port, token)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		// Page connections end with the dashboard, so Shutdown does not wait on live streams.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	if token != "" {
		url += "?token=" + token
	}
	ready(url)
	select {
	case err := <-served:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

func newServer(ctx context.Context, st *stack.Stack, eng Engine, port int, token string) (*Server, error) {
	web, _ := fs.Sub(webFS, "web") // the embedded directory exists at build time
	page, err := loadAssets(web)
	if err != nil {
		return nil, err
	}
	obs := Observe(ctx, eng, st.Name())
	s := &Server{proj: st.Project, st: withAllServices(st), eng: eng, obs: obs, runs: newRunReader(st.Project.State.RunsDir()), guard: newGuard(port, token), page: page}
	s.logs = newLogHub(ctx, obs, stackFollower(s.st))
	return s, nil
}

// withAllServices returns a copy of st whose project has every service enabled, so logs and
// restart reach services of profiles that are off but still have containers. Its UI is silent:
// the dashboard's terminal shows only its URL and errors.
func withAllServices(st *stack.Stack) *stack.Stack {
	p := *st.Project
	tp := *p.Project
	tp.Services = maps.Clone(p.All)
	p.Project = &tp
	return &stack.Stack{Eng: st.Eng, Project: &p, UI: ui.Test(nil, io.Discard, io.Discard)}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("GET /{file}", s.page.serveFile)
	mux.HandleFunc("GET /api/state", s.handleState)
	mux.HandleFunc("POST /api/events", s.handleEvents)
	mux.HandleFunc("POST /api/logs", s.handleLogs)
	mux.HandleFunc("GET /api/runs", s.handleRuns)
	mux.HandleFunc("GET /api/runs/{id}", s.handleRun)
	mux.HandleFunc("GET /api/diff", s.handleDiff)
	mux.HandleFunc("POST /api/services/{name}/restart", s.handleRestart)
	mux.HandleFunc("POST /api/runs/{id}/stop", s.handleStop)
	return s.guard.wrap(mux)
}
