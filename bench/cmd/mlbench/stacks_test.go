package main

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCriticalPath(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		s         stack
		start     time.Duration
		want      time.Duration
		wantChain []string
	}{
		{
			// db 0→0.2 start, ready 1.2; migrate 1.2→1.4 exits; tracking 1.4→1.6, ready 2.6;
			// inference 2.6→2.8, engine's first probe 1 s later.
			name: "ml stack", s: mlStack(), start: 200 * ms,
			want: 3800 * ms, wantChain: []string{"db", "migrate", "tracking", "inference"},
		},
		{
			// Ready at 1.2 s, probed every 5 s: db ready 1.4, migrate 1.4→1.6, tracking ready 3.0,
			// inference started 3.2; dependents go at readiness (an early probe sees
			// it), the run ends at inference's first engine probe, 5 s after it starts.
			name: "readiness between probes", s: gapStack(), start: 200 * ms,
			want: 8200 * ms, wantChain: []string{"db", "migrate", "tracking", "inference"},
		},
		{
			name: "one service, ready before the first probe", start: 100 * ms,
			s:    stack{interval: time.Second, services: []service{{name: "a", kind: "serve", healthyAfter: 300 * ms}}},
			want: 1100 * ms, wantChain: []string{"a"},
		},
		{
			name: "ready after two intervals", start: 100 * ms,
			s:    stack{interval: time.Second, services: []service{{name: "a", kind: "serve", healthyAfter: 1500 * ms}}},
			want: 2100 * ms, wantChain: []string{"a"},
		},
		{
			name: "started dependency adds only its start", start: 100 * ms,
			s: stack{interval: time.Second, services: []service{
				{name: "a", kind: "plain"},
				{name: "b", kind: "plain", deps: map[string]string{"a": condStarted}},
			}},
			want: 200 * ms, wantChain: []string{"a", "b"},
		},
		{
			name: "profiled services are not waited for", start: 100 * ms, s: trainStack(),
			// db ready at 0.6, tracking 0.6→0.7, first probe 1 s after start.
			want: 1700 * ms, wantChain: []string{"db", "tracking"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, chain := tt.s.criticalPath(tt.start)
			if got != tt.want || !reflect.DeepEqual(chain, tt.wantChain) {
				t.Errorf("criticalPath = %v %v, want %v %v", got, chain, tt.want, tt.wantChain)
			}
		})
	}
}

func TestBoundThroughputFloor(t *testing.T) {
	b, _, floor := bigStack().bound(100*time.Millisecond, 200*time.Millisecond)
	if !floor || b != 20*time.Second {
		t.Errorf("bound of 100 services at 200 ms each = %v (floor %v), want 20s from the throughput floor", b, floor)
	}
}

func TestBigStackShape(t *testing.T) {
	s := bigStack()
	if len(s.services) != 100 {
		t.Fatalf("bigStack has %d services, want 100", len(s.services))
	}
	names := s.byName()
	for _, sv := range s.services {
		for d, cond := range sv.deps {
			dep, ok := names[d]
			if !ok {
				t.Errorf("%s depends on unknown %s", sv.name, d)
			}
			if cond == condHealthy && dep.kind != "serve" {
				t.Errorf("%s waits for %s to be healthy, which has no healthcheck", sv.name, d)
			}
		}
	}
}

func TestYAMLIsComposeV1Compatible(t *testing.T) {
	y := downStack().yaml("img:1")
	for _, want := range []string{"stop_grace_period: 2s", `test: ["CMD", "/fixture", "probe"]`, "condition: service_completed_successfully", `command: ["sleep", "--ignore-term"]`} {
		if !strings.Contains(y, want) {
			t.Errorf("compose file lacks %q:\n%s", want, y)
		}
	}
	// docker-compose 1.29 rejects keys it does not know, such as develop: or start_interval.
	for _, bad := range []string{"develop:", "start_interval", "version:"} {
		if strings.Contains(y, bad) {
			t.Errorf("compose file has %q, which docker-compose 1.29 rejects or warns about", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3, 1, 2}, 2},
		{[]time.Duration{4, 1, 3, 2}, 2},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseWatch(t *testing.T) {
	out := "| metric | mlstack |\nRESULT tool=\"mlstack\" p50=9.5ms p99=31.0ms max=40.2ms rss=\"20.1 MB\" hwm=\"22.0 MB\" edits=100\n" +
		"RESULT tool=\"compose v5.6.0\" p50=612.0ms p99=1010.3ms max=1020.0ms rss=\"40.0 MB\" hwm=\"51.5 MB\" edits=100\n"
	got := parseWatch(out)
	want := map[string]watchResult{
		"mlstack":        {p50: 9500 * time.Microsecond, p99: 31 * time.Millisecond, hwm: "22.0 MB"},
		"compose v5.6.0": {p50: 612 * time.Millisecond, p99: 1010300 * time.Microsecond, hwm: "51.5 MB"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseWatch = %+v, want %+v", got, want)
	}
	if m := megabytes("51.5 MB"); m != 51.5 {
		t.Errorf("megabytes(51.5 MB) = %v", m)
	}
}

func TestVerdict(t *testing.T) {
	yes, no := check(true), check(false)
	for _, tt := range []struct {
		conds []*bool
		want  string
	}{
		{[]*bool{yes, yes}, "met"},
		{[]*bool{yes, no}, "not met"},
		{[]*bool{no, nil}, "—"},
		{nil, "—"},
	} {
		if got := verdict(tt.conds...); got != tt.want {
			t.Errorf("verdict(%v) = %q, want %q", tt.conds, got, tt.want)
		}
	}
}

func TestTraceIdle(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	o := &observer{createdAt: map[string]time.Time{}, startedAt: map[string]time.Time{}}
	// a: 0→100, b: 50→300 (overlaps a), c: 500→600 after 200 ms with nothing in hand, d: never started.
	for id, span := range map[string][2]int{"a": {0, 100}, "b": {50, 300}, "c": {500, 600}} {
		o.createdAt[id], o.startedAt[id] = at(span[0]), at(span[1])
	}
	o.createdAt["d"] = at(550)
	c2s, idle := o.trace(t0)
	if c2s != 100*time.Millisecond || idle != 200*time.Millisecond {
		t.Errorf("trace = %v create→start, %v idle; want 100ms, 200ms", c2s, idle)
	}
}
