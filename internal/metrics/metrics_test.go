package metrics

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		ok         bool
		step       float64
		hasStep    bool
		values     map[string]float64
	}{
		{"step and loss", `MLSTACK_METRIC {"step": 3, "loss": 0.25}`, true, 3, true, map[string]float64{"loss": 0.25}},
		{"no step", `MLSTACK_METRIC {"auc": 0.9}`, true, 0, false, map[string]float64{"auc": 0.9}},
		{"after a progress bar", "[====]  50%\rMLSTACK_METRIC {\"acc\": 1}\r\n", true, 0, false, map[string]float64{"acc": 1}},
		{"strings ignored", `MLSTACK_METRIC {"loss": 0.5, "note": "hi", "ok": true}`, true, 0, false, map[string]float64{"loss": 0.5}},
		{"only a step", `MLSTACK_METRIC {"step": 1}`, false, 0, false, nil},
		{"not at line start", `x MLSTACK_METRIC {"loss": 1}`, false, 0, false, nil},
		{"bad JSON", `MLSTACK_METRIC {loss: 1}`, false, 0, false, nil},
		{"plain line", `epoch 1 loss=0.3`, false, 0, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, hasStep, values, ok := Parse([]byte(tc.line))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if step != tc.step || hasStep != tc.hasStep {
				t.Errorf("step = %v,%v want %v,%v", step, hasStep, tc.step, tc.hasStep)
			}
			if fmt.Sprint(values) != fmt.Sprint(tc.values) {
				t.Errorf("values = %v, want %v", values, tc.values)
			}
		})
	}
}

func TestRecorderSplitWritesAndLast(t *testing.T) {
	r := NewRecorder()
	out := "training\nMLSTACK_METRIC {\"step\": 1, \"loss\": 0.5}\nMLSTACK_METR" + "IC {\"step\": 2, \"loss\": 0.25, \"acc\": 0.8}\nbye\n"
	for i := 0; i < len(out); i += 7 {
		r.Write([]byte(out[i:min(i+7, len(out))]))
	}
	if got := fmt.Sprint(r.Last()); got != "map[acc:0.8 loss:0.25]" {
		t.Errorf("Last = %s", got)
	}
	s := r.Series()
	if len(s["loss"]) != 2 || s["loss"][1] != (Point{2, 0.25}) {
		t.Errorf("loss series = %v", s["loss"])
	}
	b, _ := json.Marshal(s["loss"])
	if string(b) != "[[1,0.5],[2,0.25]]" {
		t.Errorf("JSON = %s", b)
	}
	var back []Point
	if err := json.Unmarshal(b, &back); err != nil || back[0] != (Point{1, 0.5}) {
		t.Errorf("round trip = %v, %v", back, err)
	}
}

func TestRecorderBounds(t *testing.T) {
	r := NewRecorder()
	var b strings.Builder
	for i := range 5 * MaxPoints {
		fmt.Fprintf(&b, "MLSTACK_METRIC {\"loss\": %d}\n", i)
	}
	for i := range MaxNames + 10 {
		fmt.Fprintf(&b, "MLSTACK_METRIC {\"m%d\": 1}\n", i)
	}
	r.Write([]byte(b.String()))
	s := r.Series()
	if len(s) != MaxNames {
		t.Errorf("%d metrics kept, want %d", len(s), MaxNames)
	}
	loss := s["loss"]
	if len(loss) > MaxPoints+1 || len(loss) < MaxPoints/2 {
		t.Errorf("%d loss points kept, want about %d", len(loss), MaxPoints)
	}
	if loss[0].Value != 0 || loss[len(loss)-1].Value != float64(5*MaxPoints-1) {
		t.Errorf("span %v..%v, want the first and the last point", loss[0], loss[len(loss)-1])
	}
	if r.Last()["loss"] != float64(5*MaxPoints-1) {
		t.Errorf("last loss = %v", r.Last()["loss"])
	}
}

func TestRecorderDropsHugeLines(t *testing.T) {
	r := NewRecorder()
	r.Write([]byte("MLSTACK_METRIC {\"a\": 1, \"pad\": \"" + strings.Repeat("x", 2*maxLine) + "\"}\nMLSTACK_METRIC {\"b\": 2}\n"))
	if got := fmt.Sprint(r.Last()); got != "map[b:2]" {
		t.Errorf("Last = %s", got)
	}
}
