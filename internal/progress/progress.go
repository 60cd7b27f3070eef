// Package progress is the typed stream of service states that long commands (up, down, build, pull,
// train's dependency phase) emit and renderers (the terminal view, a dashboard) consume.
package progress

import (
	"fmt"
	"time"
)

// State is where a service is in a command's work.
type State string

// The states a command emits, in roughly the order a service goes through them.
const (
	Building   State = "building"   // its image is being built
	Built      State = "built"      // its image was built (or found up to date)
	Pulling    State = "pulling"    // its image is being pulled
	Pulled     State = "pulled"     // its image was pulled
	Waiting    State = "waiting"    // waiting for a dependency; Detail names it and the condition
	Recreating State = "recreating" // its old container is being replaced
	Created    State = "created"    // its container exists, not started
	Started    State = "started"    // its container was started
	Starting   State = "starting"   // its container runs; its healthcheck has not passed yet
	Running    State = "running"    // its container was already running and is unchanged
	Healthy    State = "healthy"    // its healthcheck passed
	Exited     State = "exited"     // its container exited; ExitCode says how
	Stopping   State = "stopping"   // SIGTERM sent; Detail says how long the grace period is
	Stopped    State = "stopped"    // its container stopped
	Removed    State = "removed"    // its container was removed
	Failed     State = "failed"     // the command failed on it; Detail is the error
)

// ServiceState is one transition of one service.
type ServiceState struct {
	Service  string    // the compose service name
	State    State     // what it is doing or has done
	Detail   string    // more about the state ("feature-store healthy", "grace period 10s"); may be empty
	ExitCode int       // for Exited
	Time     time.Time // when the transition happened
}

// String is the state as a person reads it: "waiting for feature-store healthy", "exited (1)".
func (e ServiceState) String() string {
	switch {
	case e.State == Waiting && e.Detail != "":
		return "waiting for " + e.Detail
	case e.State == Exited:
		return fmt.Sprintf("exited (%d)", e.ExitCode)
	case e.Detail != "":
		return string(e.State) + " (" + e.Detail + ")"
	}
	return string(e.State)
}

// Settled reports whether the state ends the service's part of the work: nothing more follows
// unless the command does something new to it.
func (e ServiceState) Settled() bool {
	switch e.State {
	case Built, Pulled, Created, Started, Running, Healthy, Exited, Stopped, Removed, Failed:
		return true
	}
	return false
}

// OK reports whether a settled state is a success (a failure or a non-zero exit is not).
func (e ServiceState) OK() bool {
	return e.State != Failed && (e.State != Exited || e.ExitCode == 0)
}

// Sink receives a command's transitions, in order per service, from many goroutines at once. Emit
// must return quickly: emitters call it inline at each transition.
type Sink interface {
	Emit(ServiceState)
}

// Ender is a Sink that shows a phase of work (the terminal's live view): End says the phase is over,
// so that what follows (an attached up's logs, a training job's output) gets the terminal.
type Ender interface {
	Sink
	End()
}

// Func adapts a function to a Sink.
type Func func(ServiceState)

// Emit calls f.
func (f Func) Emit(e ServiceState) { f(e) }
