package build

import (
	"archive/tar"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	archive "github.com/moby/go-archive"

	"github.com/mlstack/mlstack/internal/testenv"
)

// TestWalkAgreesWithDockerCLI compares the file set with what the docker CLI's classic-builder path
// sends: go-archive's TarWithOptions with the .dockerignore patterns plus its Dockerfile and
// .dockerignore exceptions (and .mlstack, which mlstack always drops).
func TestWalkAgreesWithDockerCLI(t *testing.T) {
	tree := map[string]string{
		"Dockerfile":              "FROM scratch\n",
		"docker/Dockerfile":       "FROM scratch\n",
		"app.py":                  "x",
		"app.pyc":                 "x",
		"src/a/b/c.py":            "x",
		"src/a/b/c.pyc":           "x",
		"src/a/__pycache__/d.pyc": "x",
		"data/raw/1.csv":          "x",
		"data/keep/2.csv":         "x",
		"models/m.bin":            "x",
		".venv/bin/python":        "x",
		".mlstack/s.json":         "x",
	}
	tests := []struct {
		ignore     string
		dockerfile string
	}{
		{"data\nmodels\n.venv\n", ""},
		{"**/*.pyc\n**/__pycache__\n", ""},
		{"*\n!src\n!app.py\n", ""},
		{"data\n!data/keep\n!data/keep/2.csv\n", ""},
		{"data/*/1.csv\nsrc/*/b\n!src/a/b/c.py\n", ""},
		{"*\n", "docker/Dockerfile"},
		{"docker\nDockerfile\n.dockerignore\n", "docker/Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.ignore, "\n", " "), func(t *testing.T) {
			dir := t.TempDir()
			testenv.WriteFiles(t, dir, tree)
			testenv.WriteFiles(t, dir, map[string]string{".dockerignore": tt.ignore})
			c := newContext(t, dir, types.BuildConfig{Dockerfile: tt.dockerfile})
			var ours []string
			for _, p := range paths(t, c) {
				ours = append(ours, strings.TrimSuffix(p, "/"))
			}

			excludes := append(strings.Fields(tt.ignore), "!.dockerignore", "!"+c.DockerfileName, ".mlstack")
			rc, err := archive.TarWithOptions(dir, &archive.TarOptions{ExcludePatterns: excludes})
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var docker []string
			tr := tar.NewReader(rc)
			for {
				hdr, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				docker = append(docker, strings.TrimSuffix(hdr.Name, "/"))
			}
			slices.Sort(docker)
			if !reflect.DeepEqual(ours, docker) {
				t.Errorf("file sets differ\nmlstack %q\ndocker  %q", ours, docker)
			}
		})
	}
}
