package progress

import "testing"

func TestServiceStateReadsAsAPersonWouldSayIt(t *testing.T) {
	tests := []struct {
		e       ServiceState
		text    string
		settled bool
		ok      bool
	}{
		{ServiceState{State: Waiting, Detail: "feature-store to be healthy"}, "waiting for feature-store to be healthy", false, true},
		{ServiceState{State: Exited, ExitCode: 0}, "exited (0)", true, true},
		{ServiceState{State: Exited, ExitCode: 3}, "exited (3)", true, false},
		{ServiceState{State: Stopping, Detail: "SIGTERM, killed after a 10s grace period"}, "stopping (SIGTERM, killed after a 10s grace period)", false, true},
		{ServiceState{State: Building}, "building", false, true},
		{ServiceState{State: Built, Detail: "up to date"}, "built (up to date)", true, true},
		{ServiceState{State: Healthy}, "healthy", true, true},
		{ServiceState{State: Failed, Detail: "boom"}, "failed (boom)", true, false},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.text {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.text)
		}
		if got := tt.e.Settled(); got != tt.settled {
			t.Errorf("%q settled %v, want %v", tt.text, got, tt.settled)
		}
		if got := tt.e.OK(); got != tt.ok {
			t.Errorf("%q ok %v, want %v", tt.text, got, tt.ok)
		}
	}
}

func TestFuncIsASink(t *testing.T) {
	var got []State
	var s Sink = Func(func(e ServiceState) { got = append(got, e.State) })
	s.Emit(ServiceState{State: Pulling})
	s.Emit(ServiceState{State: Pulled})
	if len(got) != 2 || got[0] != Pulling || got[1] != Pulled {
		t.Errorf("got %v", got)
	}
}
