package doctor

import (
	"strings"
	"testing"
)

func TestImagesCheck(t *testing.T) {
	needs := []imageNeed{
		{ref: "redis:7-alpine", why: "service feature-store"},
		{ref: "mlstack/debian:bookworm", why: "FROM in prometheus's offline/prometheus.Dockerfile"},
		{ref: "fraud-detection-base", why: "FROM in inference's Dockerfile"},
		{ref: "team/tool:1", why: "service tool"},
	}
	built := map[string]bool{"fraud-detection-base": true}
	present := func(have ...string) func(string) bool {
		return func(ref string) bool {
			for _, h := range have {
				if h == ref {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name     string
		have     []string
		pullable bool
		status   Status
		want     []string // in Detail and Fix
	}{
		{"everything here or built", []string{"redis:7-alpine", "mlstack/debian:bookworm", "team/tool:1"}, false, OK,
			[]string{"every image the project needs (4, base images included)"}},
		{"missing but a registry answers", []string{"redis:7-alpine"}, true, Warn,
			[]string{"up will pull them", "mlstack/debian:bookworm (FROM in prometheus's offline/prometheus.Dockerfile)", "team/tool:1 (service tool)", "mlstack pull"}},
		{"missing with no registry: up fails, each with its recipe", nil, false, Fail,
			[]string{"no registry", "mlstack up` will fail",
				"mlstack/debian:bookworm: debootstrap --variant=minbase bookworm",
				"redis:7-alpine: in examples/fraud-detection, use the offline override",
				"team/tool:1: pull it on a machine with a registry and `docker save`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := imagesCheck(needs, built, nil, present(tt.have...), tt.pullable)
			if c.Status != tt.status {
				t.Errorf("status %s, want %s: %s", c.Status, tt.status, c.Detail)
			}
			text := c.Detail + "\n" + c.Fix
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, "fraud-detection-base") {
				t.Errorf("an image the project builds is reported missing:\n%s", text)
			}
		})
	}
}
