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

func TestWatchOutputParsing(t *testing.T) {
	tests := []struct {
		out, p50, p99, rss string
	}{
		{"edit-to-visible p50 12.3 ms p99 45.6 ms\nRSS 23.4 MB\n", "12.3 ms", "45.6 ms", "23.4 MB"},
		{"| metric | value |\n| p50 | 8ms |\n| p99 | 31ms |\n| watch RSS (10k files) | 19 MiB |\n", "8ms", "31ms", "19 MiB"},
		{"nothing here", "", "", ""},
	}
	for _, tt := range tests {
		if got := first(p50Re, tt.out); got != tt.p50 {
			t.Errorf("p50 of %q = %q, want %q", tt.out, got, tt.p50)
		}
		if got := first(p99Re, tt.out); got != tt.p99 {
			t.Errorf("p99 of %q = %q, want %q", tt.out, got, tt.p99)
		}
		if got := first(rssRe, tt.out); got != tt.rss {
			t.Errorf("rss of %q = %q, want %q", tt.out, got, tt.rss)
		}
	}
}

func TestMegabytes(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"20.3 MB", 20.3, true},
		{"19 MiB", 19, true},
		{"20MB", 20, true},
		{"1 GB", 1024, true},
		{"512 kB", 0.5, true},
		{"lots", 0, false},
	}
	for _, tt := range tests {
		if got, ok := megabytes(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("megabytes(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
