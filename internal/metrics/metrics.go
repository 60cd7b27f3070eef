// Package metrics reads the metrics a training job reports on its standard output: one line
// `MLSTACK_METRIC {"step": 3, "loss": 0.25}` per report, no library needed.
package metrics

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"sync"
)

// Prefix starts every metric line; the rest of the line is one JSON object.
const Prefix = "MLSTACK_METRIC "

// StepKey names the optional step field; without it a point's step is its metric's point count.
const StepKey = "step"

// Bounds on what one run can make mlstack keep, whatever its job prints.
const (
	MaxNames  = 64   // distinct metrics per run; later names are ignored
	MaxName   = 64   // bytes of a metric name; longer names are ignored
	MaxPoints = 2000 // points kept per metric; past it every other point is dropped and the stride doubles
	maxLine   = 64 << 10
)

// Point is one reported value; it is stored as a two-element JSON array [step, value].
type Point struct {
	Step  float64
	Value float64
}

// MarshalJSON writes [step, value].
func (p Point) MarshalJSON() ([]byte, error) { return json.Marshal([2]float64{p.Step, p.Value}) }

// UnmarshalJSON reads [step, value].
func (p *Point) UnmarshalJSON(b []byte) error {
	var a [2]float64
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	p.Step, p.Value = a[0], a[1]
	return nil
}

// Parse reads one output line. ok is false unless the line (after the last '\r', where a progress
// bar may have drawn) is a metric line with at least one finite number besides the step.
func Parse(line []byte) (step float64, hasStep bool, values map[string]float64, ok bool) {
	line = bytes.TrimRight(line, "\r\n \t")
	if i := bytes.LastIndexByte(line, '\r'); i >= 0 {
		line = line[i+1:]
	}
	if len(line) > maxLine {
		return 0, false, nil, false
	}
	rest, found := bytes.CutPrefix(line, []byte(Prefix))
	if !found {
		return 0, false, nil, false
	}
	var obj map[string]any
	if err := json.Unmarshal(rest, &obj); err != nil {
		return 0, false, nil, false
	}
	values = map[string]float64{}
	for k, v := range obj {
		f, isNum := v.(float64)
		if !isNum || math.IsInf(f, 0) || math.IsNaN(f) {
			continue
		}
		if k == StepKey {
			step, hasStep = f, true
			continue
		}
		if k == "" || len(k) > MaxName {
			continue
		}
		values[k] = f
	}
	return step, hasStep, values, len(values) > 0
}

// Recorder is an io.Writer that keeps the metric lines written to it, bounded; safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	partial []byte
	// tooLong is set while the current line has passed maxLine: it is dropped whole.
	tooLong bool
	series  map[string]*series
	version int
}

type series struct {
	points []Point
	seen   int // points reported
	stride int // keep one reported point in stride
	last   Point
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{series: map[string]*series{}} }

// Write scans b for complete lines and records the metric lines among them.
func (r *Recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(b)
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(r.partial)+len(b) > maxLine {
				r.tooLong, r.partial = true, r.partial[:0]
			} else if !r.tooLong {
				r.partial = append(r.partial, b...)
			}
			return n, nil
		}
		line := b[:i]
		if len(r.partial) > 0 {
			line = append(r.partial, line...)
			r.partial = r.partial[:0]
		}
		if !r.tooLong {
			r.addLine(line)
		}
		r.tooLong = false
		b = b[i+1:]
	}
}

func (r *Recorder) addLine(line []byte) {
	step, hasStep, values, ok := Parse(line)
	if !ok {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		s, known := r.series[name]
		if !known {
			if len(r.series) >= MaxNames {
				continue
			}
			s = &series{stride: 1}
			r.series[name] = s
		}
		p := Point{Step: float64(s.seen), Value: values[name]}
		if hasStep {
			p.Step = step
		}
		s.add(p)
	}
	r.version++
}

func (s *series) add(p Point) {
	s.last = p
	keep := s.seen%s.stride == 0
	s.seen++
	if !keep {
		return
	}
	if len(s.points) == MaxPoints {
		// Halve: keep every other point, so the curve keeps its whole span at half the density.
		kept := s.points[:0]
		for i := 0; i < len(s.points); i += 2 {
			kept = append(kept, s.points[i])
		}
		s.points = kept
		s.stride *= 2
	}
	s.points = append(s.points, p)
}

// Version changes whenever a metric line was recorded, so callers save only when something is new.
func (r *Recorder) Version() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// Last returns each metric's last reported value, nil when none was reported.
func (r *Recorder) Last() map[string]float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.series) == 0 {
		return nil
	}
	out := make(map[string]float64, len(r.series))
	for k, s := range r.series {
		out[k] = s.last.Value
	}
	return out
}

// Series returns each metric's kept points (the last reported one always included), nil when none.
func (r *Recorder) Series() map[string][]Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.series) == 0 {
		return nil
	}
	out := make(map[string][]Point, len(r.series))
	for k, s := range r.series {
		pts := slices.Clone(s.points)
		if n := len(pts); n == 0 || pts[n-1] != s.last {
			pts = append(pts, s.last)
		}
		out[k] = pts
	}
	return out
}
