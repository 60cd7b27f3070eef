package dashboard

import (
	"context"
	"testing"

	"github.com/docker/docker/api/types/container"
)

func TestStatusWord(t *testing.T) {
	for _, tc := range []struct{ state, health, want string }{
		{"created", "", "created"},
		{"running", "", "running"},
		{"running", "starting", "starting"},
		{"running", "healthy", "healthy"},
		{"running", "unhealthy", "unhealthy"},
		{"restarting", "", "restarting"},
		{"exited", "healthy", "exited"},
		{"dead", "", "exited"},
		{"paused", "", "paused"},
	} {
		if got := statusWord(tc.state, tc.health); got != tc.want {
			t.Errorf("statusWord(%q, %q) = %q, want %q", tc.state, tc.health, got, tc.want)
		}
	}
}

func TestObserverFollowsEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng := newFakeEngine()
	eng.set(ctr("p", "db", "p-db-1", "running", false), "")
	o := Observe(ctx, eng, "p")
	waitFor(t, o, "db running", statusOf("p-db-1", "running"))

	// A container dies with a code: the page's word and the code follow.
	db := ctr("p", "db", "p-db-1", "exited", false)
	db.State.ExitCode = 3
	eng.set(db, "die")
	cs := waitFor(t, o, "db exited", statusOf("p-db-1", "exited"))
	if c, _ := find(cs, "p-db-1"); c.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", c.ExitCode)
	}

	// A failed health check shows its last probe output.
	api := ctr("p", "api", "p-api-1", "running", false)
	api.State.Health = &container.Health{Status: "unhealthy", Log: []*container.HealthcheckResult{
		{ExitCode: 1, Output: "first failure"}, {ExitCode: 1, Output: "connection refused on :8080\n"},
	}}
	api.RestartCount = 2
	eng.set(api, "health_status: unhealthy")
	cs = waitFor(t, o, "api unhealthy", statusOf("p-api-1", "unhealthy"))
	if c, _ := find(cs, "p-api-1"); c.Probe != "connection refused on :8080" || c.Restarts != 2 {
		t.Errorf("probe %q restarts %d; want the last probe's output and 2", c.Probe, c.Restarts)
	}

	// Probe execs change nothing and cost no inspect of note; a destroy removes the container.
	eng.set(api, "exec_start: /fixture probe")
	eng.remove("id-p-db-1")
	waitFor(t, o, "db gone", func(cs []Container) bool { _, ok := find(cs, "p-db-1"); return !ok })
}

func TestLastStartAndWaitStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng := newFakeEngine()
	c := ctr("p", "web", "p-web-1", "running", false)
	eng.set(c, "")
	o := Observe(ctx, eng, "p")
	waitFor(t, o, "web running", statusOf("p-web-1", "running"))
	first := o.lastStart("web")
	if first.IsZero() {
		t.Fatal("no start time")
	}
	done := make(chan struct{})
	go func() { o.waitStart(ctx, "web", first); close(done) }()
	c2 := ctr("p", "web", "p-web-1", "running", false)
	c2.State.StartedAt = first.Add(1e9).Format("2006-01-02T15:04:05.999999999Z07:00")
	eng.set(c2, "start")
	<-done
	if !o.lastStart("web").After(first) {
		t.Errorf("waitStart returned before a later start")
	}
}

// A death shows at once, even while the engine holds inspects back (as during a stop's clean-up);
// the inspect's fuller reading follows, and an older reading never overwrites a newer event.
func TestObserverShowsEventsBeforeInspects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng := newFakeEngine()
	eng.set(ctr("p", "web", "p-web-1", "running", false), "")
	o := Observe(ctx, eng, "p")
	waitFor(t, o, "web running", statusOf("p-web-1", "running"))

	gate := make(chan struct{})
	eng.mu.Lock()
	eng.gate = gate
	eng.mu.Unlock()
	dead := ctr("p", "web", "p-web-1", "exited", false)
	dead.State.ExitCode = 137
	dead.RestartCount = 4
	eng.set(dead, "die")
	cs := waitFor(t, o, "web exited while inspects wait", statusOf("p-web-1", "exited"))
	if c, _ := find(cs, "p-web-1"); c.ExitCode != 137 || c.Restarts != 0 {
		t.Errorf("from the event: exit %d restarts %d; want 137 and the old count until the inspect", c.ExitCode, c.Restarts)
	}
	eng.mu.Lock()
	eng.gate = nil
	eng.mu.Unlock()
	close(gate)
	waitFor(t, o, "the inspect's restart count", func(cs []Container) bool { c, _ := find(cs, "p-web-1"); return c.Restarts == 4 })
}
