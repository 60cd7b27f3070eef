package dashboard

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestColumnsPlaceEachServiceRightOfItsDeepestDependency(t *testing.T) {
	svcs := []Service{
		{Name: "app", DependsOn: []Dep{{"cache", "service_started"}, {"db", "service_healthy"}}},
		{Name: "cache", DependsOn: []Dep{{"db", "service_healthy"}}},
		{Name: "db"},
		// Old containers' labels can name a cycle or a service that is gone; both still draw.
		{Name: "loop-a", DependsOn: []Dep{{"loop-b", ""}}},
		{Name: "loop-b", DependsOn: []Dep{{"loop-a", ""}}},
		{Name: "orphan", DependsOn: []Dep{{"gone", ""}}},
	}
	var got [][]string
	for _, col := range columns(svcs) {
		var names []string
		for _, s := range col {
			names = append(names, s.Name)
		}
		got = append(got, names)
	}
	if want := "[[db orphan] [cache loop-b] [app loop-a]]"; fmt.Sprint(got) != want {
		t.Errorf("columns %v, want %s", got, want)
	}
}

func TestStackViewGeometryMatchesTheColumns(t *testing.T) {
	v := newStackView(State{Version: 1, Services: []Service{
		{Name: "a"}, {Name: "b"},
		{Name: "c", DependsOn: []Dep{{"a", "service_healthy"}, {"b", "service_started"}}},
		{Name: "d", DependsOn: []Dep{{"c", "service_started"}, {"a", "service_started"}}},
	}}, time.Now())
	if len(v.Columns) != 3 || len(v.Columns[0]) != 2 {
		t.Fatalf("columns %+v", v.Columns)
	}
	// Three columns of 250 px, 70 px apart, in 10 px of padding; two rows of 164 px, 22 apart,
	// with room for an edge below the last.
	if v.Width != 10+3*250+2*70+10 || v.Height != 10+2*(164+22)+10 {
		t.Errorf("size %dx%d", v.Width, v.Height)
	}
	if len(v.Edges) != 4 {
		t.Fatalf("edges %+v", v.Edges)
	}
	for _, e := range v.Edges {
		// Each edge ends at the left side of its service's box, at x = column * 320 + 10, less the arrow.
		col := map[string]int{"c": 1, "d": 2}[e.To]
		if end := fmt.Sprintf(" %d,", 10+col*320-6); !strings.Contains(e.Path, end) {
			t.Errorf("edge %s -> %s: path %q does not end at x=%d", e.From, e.To, e.Path, 10+col*320-6)
		}
	}
	// a -> d skips a column, so it runs in the gap below a's row (y = 10 + 164 + 11).
	for _, e := range v.Edges {
		if e.From == "a" && e.To == "d" && !strings.Contains(e.Path, ",185 L") {
			t.Errorf("a -> d: path %q does not run below a's row", e.Path)
		}
	}
}

func TestNodeViewSaysWhatTheServiceIsDoing(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	started := now.Add(-(3*time.Minute + 5*time.Second))
	for _, tc := range []struct {
		name   string
		svc    Service
		status string
		class  string
		text   string
		uptime string
	}{
		{"none", Service{Name: "x", Enabled: true}, "not created", "s-not-created", "not created", ""},
		{"healthy", Service{Name: "x", Enabled: true, Containers: []Container{{State: "running", Status: "healthy", StartedAt: started}}}, "healthy", "s-healthy", "healthy", "3m05s"},
		{"completed", Service{Name: "x", Enabled: true, Containers: []Container{{State: "exited", Status: "exited"}}}, "exited", "s-completed", "exited (0)", ""},
		{"failed", Service{Name: "x", Enabled: true, Containers: []Container{{State: "exited", Status: "exited", ExitCode: 3}}}, "exited", "s-exited", "exited (3)", ""},
		{"restarting", Service{Name: "x", Enabled: true, Containers: []Container{{State: "restarting", Status: "restarting", Restarts: 4}}}, "restarting", "s-restarting", "restarting (restarts: 4)", ""},
		{"running one of two", Service{Name: "x", Enabled: true, Containers: []Container{{State: "exited", Status: "exited", ExitCode: 1}, {State: "running", Status: "running", Restarts: 1, StartedAt: started}}}, "running", "s-running", "running (restarts: 1)", "3m05s"},
	} {
		n := newNodeView(tc.svc, now)
		if n.Status != tc.status || n.StatusClass != tc.class || n.StatusText != tc.text || n.Uptime != tc.uptime {
			t.Errorf("%s: %q %q %q up %q; want %q %q %q up %q", tc.name, n.Status, n.StatusClass, n.StatusText, n.Uptime, tc.status, tc.class, tc.text, tc.uptime)
		}
	}
	n := newNodeView(Service{Name: "two", Profiles: []string{"gpu", "train"}, Containers: []Container{
		{State: "running", Status: "running", Ports: []Port{{HostIP: "0.0.0.0", Published: 8080, Target: 80, Proto: "tcp"}, {HostIP: "::1", Published: 53, Target: 53, Proto: "udp"}}},
		{State: "exited", Status: "exited"},
	}}, now)
	if n.Containers != "1/2 containers running" || n.ProfileOff != "profile gpu,train off" || !n.Disabled {
		t.Errorf("%+v", n)
	}
	if len(n.Ports) != 2 || n.Ports[0] != (portView{"http://127.0.0.1:8080/", "127.0.0.1:8080→80"}) || n.Ports[1] != (portView{"", "[::1]:53→53/udp"}) {
		t.Errorf("ports %+v", n.Ports)
	}
}

func TestUptimeMatchesThePagesClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                  "",
		59 * time.Second:              "59s",
		61 * time.Second:              "1m01s",
		2*time.Hour + 5*time.Minute:   "2h05m",
		47*time.Hour + 59*time.Minute: "47h59m",
		50 * time.Hour:                "2d2h",
	} {
		if got := uptime(d); got != want {
			t.Errorf("uptime(%s) = %q, want %q", d, got, want)
		}
	}
}

// Whatever a container, a label or the compose files hold stays text in the rendered view.
func TestStackViewEscapesEverything(t *testing.T) {
	s, _, _ := testServer(t)
	evil := `<img src=x onerror="alert(1)">`
	html, err := s.page.renderStack(newStackView(State{Version: 2, Engine: evil, Services: []Service{
		{Name: `a"b<c>`, Enabled: true, Image: evil, Containers: []Container{{State: "running", Status: `x" onclick="y`, Probe: "</pre><script>alert(1)</script>"}}},
		{Name: "z", Enabled: true, DependsOn: []Dep{{`a"b<c>`, `c"><script>`}}},
	}}, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`<(img|script)|" on(error|click)`).FindString(html); m != "" {
		t.Errorf("rendered view has %q unescaped:\n%s", m, html)
	}
	for _, want := range []string{`data-service="a&#34;b&lt;c&gt;"`, `&lt;img src=x onerror=&#34;alert(1)&#34;&gt;`, `href="#/logs/a%22b%3cc%3e"`, `Engine: &lt;img`} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered view lacks %s:\n%s", want, html)
		}
	}
}

// The printed URL's page arrives with the stack drawn; without the token it holds nothing of the project.
func TestPageCarriesTheStackOnlyWithTheToken(t *testing.T) {
	s, eng, h := testServer(t)
	eng.set(ctr("p", "db", "p-db-1", "running", false), "start")
	waitFor(t, s.obs, "db running", statusOf("p-db-1", "running"))
	page := func(path string) string {
		r := call(h, "GET", path)
		if r.Code != 200 {
			t.Fatalf("GET %s: %d", path, r.Code)
		}
		return r.Body.String()
	}
	with := page("/?token=" + testToken)
	for _, want := range []string{`data-service="db"`, `data-status="running"`, `data-service="training"`, `<span id="project">p</span>`, `id="view" data-version=`} {
		if !strings.Contains(with, want) {
			t.Errorf("page with the token lacks %s:\n%s", want, with)
		}
	}
	for _, path := range []string{"/", "/?token=", "/?token=nope", "/?tok=" + testToken} {
		if got := page(path); strings.Contains(got, "db") || strings.Contains(got, "data-version") || strings.Contains(got, `"project">p<`) {
			t.Errorf("GET %s shows the project:\n%s", path, got)
		}
	}
}

// A page asked for before the engine has answered waits for its first list rather than show no containers.
func TestPageWaitsForTheEnginesFirstList(t *testing.T) {
	eng := newFakeEngine()
	eng.set(ctr("p", "db", "p-db-1", "running", false), "")
	eng.gate = make(chan struct{})
	_, h := testServerOn(t, eng)
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(eng.gate)
	}()
	if body := call(h, "GET", "/?token="+testToken).Body.String(); !strings.Contains(body, `data-status="running"`) {
		t.Errorf("the page shows no running db:\n%s", body)
	}
}
