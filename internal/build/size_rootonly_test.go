package build

import (
	"strings"
	"testing"
)

func TestRootOnlyWarnings(t *testing.T) {
	files := []File{{Path: "model.ckpt"}, {Path: "checkpoints/best.ckpt"}, {Path: "checkpoints/last.ckpt"}, {Path: "src/train.py"}, {Path: "README.md"}}
	tests := []struct {
		name     string
		patterns []string
		want     []string // substrings, one warning per entry
	}{
		{"nested weights still sent", []string{"data/", "*.ckpt"}, []string{`"*.ckpt"`, "2 file(s)", "checkpoints/best.ckpt", `"**/*.ckpt"`}},
		{"already anchored everywhere", []string{"**/*.ckpt"}, nil},
		{"pattern with a slash is explicit", []string{"checkpoints/*.ckpt"}, nil},
		{"exceptions are not exclusions", []string{"!*.ckpt"}, nil},
		{"nothing nested matches", []string{"*.md"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rootOnlyWarnings(tt.patterns, files)
			if len(tt.want) == 0 {
				if len(got) != 0 {
					t.Fatalf("unexpected warnings: %v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one warning, got %v", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("warning %q does not mention %q", got[0], w)
				}
			}
		})
	}
}
