package pipeline

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"github.com/mlstack/mlstack/internal/progress"
	"github.com/mlstack/mlstack/internal/stack"
)

// recorder keeps the states emitted into it, in order.
type recorder struct {
	mu  sync.Mutex
	got []progress.ServiceState
}

func (r *recorder) Emit(e progress.ServiceState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, e)
}

func TestBuildStatesReachTheStacksSink(t *testing.T) {
	rec := &recorder{}
	h := &Hooks{st: &stack.Stack{Progress: rec}}
	var out bytes.Buffer
	w := &buildingWriter{w: &out, emit: func() { h.emit("trainer", progress.Building, "") }}
	if _, err := w.Write([]byte("Step 1/3 : FROM scratch\n")); err != nil {
		t.Fatal(err)
	}
	h.emitBuilt("trainer", true)
	h.emitBuilt("inference", false)
	if out.String() != "Step 1/3 : FROM scratch\n" {
		t.Errorf("builder output passed on as %q", out.String())
	}
	var got []string
	for _, e := range rec.got {
		got = append(got, e.Service+" "+e.String())
	}
	want := []string{"trainer building", "trainer built", "inference built (up to date)"}
	if !slices.Equal(got, want) {
		t.Errorf("states %q, want %q", got, want)
	}
}
