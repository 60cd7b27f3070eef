package main

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"

	"github.com/mlstack/mlstack/internal/labels"
)

func TestHopsStartAtReadinessOrTheEnginesEvent(t *testing.T) {
	s := stack{interval: time.Second, services: []service{
		{name: "db", kind: "serve", healthyAfter: time.Second},
		{name: "migrate", kind: "oneshot", deps: map[string]string{"db": condHealthy}},
		{name: "api", kind: "plain", deps: map[string]string{"migrate": condCompleted}},
	}}
	o := &observer{ctrs: map[string]*ctr{}, networks: map[string]bool{}, changed: make(chan struct{}), createdAt: map[string]time.Time{}, startedAt: map[string]time.Time{}}
	t0 := time.Unix(1000, 0)
	ev := func(id, svc, action string, at time.Duration, attrs ...string) {
		a := map[string]string{labels.Service: svc}
		for i := 0; i+1 < len(attrs); i += 2 {
			a[attrs[i]] = attrs[i+1]
		}
		o.apply(events.Message{Type: events.ContainerEventType, Action: events.Action(action), Actor: events.Actor{ID: id, Attributes: a}, TimeNano: t0.Add(at).UnixNano()}, "p_")
	}
	ms := time.Millisecond
	ev("d", "db", "create", 0)
	ev("d", "db", "start", 200*ms)
	// The engine says healthy after readiness (1.2 s): the hop counts from readiness.
	ev("d", "db", "health_status: healthy", 2000*ms)
	ev("m", "migrate", "create", 1300*ms)
	ev("m", "migrate", "start", 1500*ms)
	ev("m", "migrate", "die", 1600*ms, "exitCode", "0")
	ev("a", "api", "create", 1650*ms)
	ev("a", "api", "start", 1900*ms)
	got := o.hops(t0, s)
	want := []hop{
		{service: "migrate", dep: "db", toCreate: 100 * ms, toStart: 300 * ms},
		{service: "api", dep: "migrate", toCreate: 50 * ms, toStart: 300 * ms},
	}
	if len(got) != len(want) {
		t.Fatalf("hops = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("hop %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
