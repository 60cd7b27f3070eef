package scaffold

import (
	"strings"
	"testing"
)

func TestAddInclude(t *testing.T) {
	plain := Include{Path: "mlstack/monitoring.yaml"}
	proj := Include{Path: "mlstack/training.yaml", ProjectDirectory: "."}
	tests := []struct {
		name  string
		src   string
		entry Include
		want  string
	}{
		{"no include, header kept on top", "# my stack\n\nservices:\n  web:\n    image: x\n", plain,
			"# my stack\n\ninclude:\n  - mlstack/monitoring.yaml\n\nservices:\n  web:\n    image: x\n"},
		{"no include, name first", "name: demo\nservices:\n  web: {image: x}\n", plain,
			"include:\n  - mlstack/monitoring.yaml\n\nname: demo\nservices:\n  web: {image: x}\n"},
		{"existing block list, comments kept", "include:\n  - a.yaml # mine\n  # keep me\n\nservices: # s\n  web: {image: x}\n", plain,
			"include:\n  - a.yaml # mine\n  - mlstack/monitoring.yaml\n  # keep me\n\nservices: # s\n  web: {image: x}\n"},
		{"list at column 0", "services:\n  web: {image: x}\ninclude:\n- a.yaml\n", proj,
			"services:\n  web: {image: x}\ninclude:\n- a.yaml\n- path: mlstack/training.yaml\n  project_directory: .\n"},
		{"long-form items", "include:\n    - path: a.yaml\n      env_file: a.env\nservices: {}\n", plain,
			"include:\n    - path: a.yaml\n      env_file: a.env\n    - mlstack/monitoring.yaml\nservices: {}\n"},
		{"flow list", "include: [a.yaml]  # x\nservices: {}\n", plain,
			"include: [a.yaml, mlstack/monitoring.yaml] # x\nservices: {}\n"},
		{"flow list with project dir", "include: []\nservices: {}\n", proj,
			"include: [{path: mlstack/training.yaml, project_directory: .}]\nservices: {}\n"},
		{"no trailing newline", "include:\n  - a.yaml", plain, "include:\n  - a.yaml\n  - mlstack/monitoring.yaml\n"},
		{"CRLF file", "services:\r\n  web: {image: x}\r\n", plain, "include:\r\n  - mlstack/monitoring.yaml\r\n\r\nservices:\r\n  web: {image: x}\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AddInclude([]byte(tt.src), tt.entry)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestAddIncludeRefusesOddInclude(t *testing.T) {
	_, err := AddInclude([]byte("include:\n  foo: bar\nservices: {}\n"), Include{Path: "x.yaml"})
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("err = %v, want one naming line 1", err)
	}
}
