package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/stack"
)

// Timing of the live streams.
const (
	runsEvery      = time.Second      // how often a live stream looks at the runs directory
	heartbeatEvery = 15 * time.Second // a comment line, so a vanished page is noticed
	actionTimeout  = 2 * time.Minute  // restart and stop wait at most this long
	logBatch       = 500              // lines sent in one event at most
	firstListWait  = 3 * time.Second  // how long the page waits for the engine's first list
)

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

func (s *Server) state() State {
	cs, engErr, v, _ := s.obs.Snapshot()
	return buildState(s.proj, cs, engErr, v)
}

// running returns the names of the project's running one-off containers (training jobs).
func (s *Server) running() map[string]bool {
	cs, _, _, _ := s.obs.Snapshot()
	out := map[string]bool{}
	for _, c := range cs {
		if c.OneOff && c.running() {
			out[c.Name] = true
		}
	}
	return out
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.state()) }

// handlePage serves the page; asked for with the token, it arrives with the stack drawn, so the
// first paint shows it without waiting for a script and a request.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	var d pageData
	if s.guard.pageAuthorized(r) {
		// A page asked for the moment the URL is printed waits, briefly, for the engine's first answer.
		ctx, cancel := context.WithTimeout(r.Context(), firstListWait)
		s.obs.waitListed(ctx)
		cancel()
		st := s.state()
		v := newStackView(st, time.Now())
		d = pageData{Project: st.Project, Tracking: st.Tracking, Version: st.Version, Stack: &v}
	}
	s.page.servePage(w, d)
}

// stackEvent is the stack view rendered for one version of the state.
type stackEvent struct {
	Version int    `json:"version"`
	HTML    string `json:"html"`
}

func (s *Server) handleRuns(w http.ResponseWriter, r *http.Request) {
	list, err := s.runs.List(s.running())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, list)
}

// RunView is a run page: the record with its curves, its status and the tail of its output.
type RunView struct {
	Record *runs.Record `json:"record"`
	Status string       `json:"status"`
	Log    []string     `json:"log"`
	// LogError says why no output is shown, "" when Log is the output.
	LogError string `json:"log_error,omitempty"`
}

func (s *Server) runView(id string) (*RunView, error) {
	rec, err := s.runs.Get(id)
	if err != nil {
		return nil, err
	}
	v := &RunView{Record: rec, Status: runStatus(rec, s.running()), Log: []string{}}
	if lines, err := s.runs.Tail(rec.ID); err != nil {
		v.LogError = err.Error()
	} else {
		v.Log = lines
	}
	return v, nil
}

func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) {
	v, err := s.runView(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, v)
}

func (s *Server) handleDiff(w http.ResponseWriter, r *http.Request) {
	a, err := s.runs.Get(r.URL.Query().Get("a"))
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	b, err := s.runs.Get(r.URL.Query().Get("b"))
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	changes := runs.Diff(a, b)
	if changes == nil {
		changes = []runs.Change{}
	}
	writeJSON(w, map[string]any{"a": a, "b": b, "changes": changes})
}

func (s *Server) handleRestart(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := s.st.Project.All[name]; !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such service %q", name))
		return
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), actionTimeout, fmt.Errorf("timed out after %s restarting service %q", actionTimeout, name))
	defer cancel()
	if err := s.st.Restart(ctx, stack.RestartOptions{Services: []string{name}}); err != nil {
		if cerr := context.Cause(ctx); cerr != nil {
			err = cerr
		}
		writeError(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, map[string]string{"restarted": name})
}

func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	rec, err := s.runs.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if rec.Finished() {
		writeError(w, http.StatusConflict, fmt.Errorf("run %s has already finished", rec.ID))
		return
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), actionTimeout, fmt.Errorf("timed out after %s stopping run %s", actionTimeout, rec.ID))
	defer cancel()
	in, err := s.eng.ContainerInspect(ctx, rec.ContainerName)
	if engine.IsNotFound(err) {
		writeError(w, http.StatusConflict, fmt.Errorf("run %s: its container %s is gone", rec.ID, rec.ContainerName))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("run %s: inspect container %s: %w", rec.ID, rec.ContainerName, err))
		return
	}
	// Only a one-off job of this project is stopped, whatever the record on disk says.
	if in.Config == nil || in.Config.Labels[labels.Project] != s.st.Name() || in.Config.Labels[labels.OneOff] != "True" {
		writeError(w, http.StatusForbidden, fmt.Errorf("run %s: container %s is not a job of project %q", rec.ID, rec.ContainerName, s.st.Name()))
		return
	}
	// The engine sends SIGTERM, then SIGKILL after the container's stop timeout; the `mlstack
	// train` that runs the job records the exit as for any other.
	if err := s.eng.ContainerStop(ctx, in.ID, container.StopOptions{}); err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("run %s: stop container %s: %w", rec.ID, rec.ContainerName, err))
		return
	}
	writeJSON(w, map[string]string{"stopped": rec.ID})
}

// sse writes server-sent events.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, rc: http.NewResponseController(w)}
	s.rc.Flush()
	return s
}

func (s *sse) send(event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sse) ping() error {
	if _, err := fmt.Fprint(s.w, ": ping\n\n"); err != nil {
		return err
	}
	return s.rc.Flush()
}

// handleEvents streams the stack's state, and its view rendered, on every change the engine
// reports, and the runs list whenever a record changes or a job starts or ends.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	out := startSSE(w)
	ctx := r.Context()
	runsTick := time.NewTicker(runsEvery)
	defer runsTick.Stop()
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	sentVersion := -1
	var sentRuns []byte
	for {
		cs, engErr, v, next := s.obs.Snapshot()
		if v != sentVersion {
			st := buildState(s.proj, cs, engErr, v)
			if err := out.send("state", st); err != nil {
				return
			}
			html, err := s.page.renderStack(newStackView(st, time.Now()))
			if err != nil {
				return
			}
			if err := out.send("stack", stackEvent{Version: v, HTML: html}); err != nil {
				return
			}
			sentVersion = v
		}
		if list, err := s.runs.List(s.running()); err == nil {
			if b, _ := json.Marshal(list); string(b) != string(sentRuns) {
				if err := out.send("runs", json.RawMessage(b)); err != nil {
					return
				}
				sentRuns = b
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-next:
		case <-runsTick.C:
		case <-beat.C:
			if out.ping() != nil {
				return
			}
		}
	}
}

// handleLogs streams the kept and new lines of the services named in ?services=a,b (all when empty).
func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	var services []string
	for n := range strings.SplitSeq(r.URL.Query().Get("services"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			if _, ok := s.st.Project.All[n]; !ok {
				writeError(w, http.StatusNotFound, fmt.Errorf("no such service %q", n))
				return
			}
			services = append(services, n)
		}
	}
	if len(services) == 0 {
		for n := range s.st.Project.All {
			services = append(services, n)
		}
		slices.Sort(services)
	}
	backlog, sub := s.logs.Subscribe(services)
	defer s.logs.Unsubscribe(sub)
	out := startSSE(w)
	if backlog == nil {
		backlog = []LogLine{}
	}
	if err := out.send("lines", backlog); err != nil {
		return
	}
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			if out.ping() != nil {
				return
			}
		case l, ok := <-sub.C:
			if !ok {
				out.send("dropped", "the page fell behind the logs; reconnecting")
				return
			}
			batch := []LogLine{l}
		drain:
			for len(batch) < logBatch {
				select {
				case l, ok := <-sub.C:
					if !ok {
						break drain
					}
					batch = append(batch, l)
				default:
					break drain
				}
			}
			if err := out.send("lines", batch); err != nil {
				return
			}
		}
	}
}
