package build

import (
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/testenv"
)

func TestWithLabelLine(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\nCOPY . /app", ".dockerignore": "data\n", "a.txt": "a"})
	c := newContext(t, dir, types.BuildConfig{})
	own := map[string]string{HashLabel: "sha256:abc", "com.docker.compose.service": "web"}

	lc, ok := c.withLabelLine(own)
	if !ok {
		t.Fatal("plain labels not inlined")
	}
	want := "FROM scratch\nCOPY . /app\nLABEL com.docker.compose.service=web dev.mlstack.build-hash=sha256:abc\n"
	if got := string(lc.DockerfileContent()); got != want {
		t.Errorf("Dockerfile =\n%q\nwant\n%q", got, want)
	}
	if string(c.DockerfileContent()) != "FROM scratch\nCOPY . /app" {
		t.Error("the original context was modified")
	}
	tar := tarEntries(t, lc)
	if tar[lc.DockerfileName] != want {
		t.Errorf("tar has the Dockerfile as %q", tar[lc.DockerfileName])
	}
	// The engine drops files .dockerignore names after reading them, so the synthetic Dockerfile
	// never reaches a COPY . /app.
	if tar[".dockerignore"] != "data\n"+inlineDockerfileName+"\n" {
		t.Errorf(".dockerignore in tar = %q", tar[".dockerignore"])
	}

	if _, ok := c.withLabelLine(map[string]string{"k": "has space"}); ok {
		t.Error("a value needing quotes was inlined")
	}
	tc := newContext(t, dir, types.BuildConfig{Target: "dev"})
	if _, ok := tc.withLabelLine(own); ok {
		t.Error("inlined with a target stage, which need not be the last")
	}
}

func TestSyntheticIgnoreWithoutDockerignore(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"a.txt": "a"})
	c := newContext(t, dir, types.BuildConfig{DockerfileInline: "FROM scratch\n"})
	got := tarEntries(t, c)[".dockerignore"]
	if got != ".dockerignore\n"+inlineDockerfileName+"\n" {
		t.Errorf(".dockerignore = %q; it must name itself and the synthetic Dockerfile", got)
	}
}

func TestStepLine(t *testing.T) {
	df := []byte("# comment\nFROM scratch\n\nCOPY a /a\nRUN x \\\n  && y\nLABEL k=v\n")
	tests := []struct {
		step string
		want int
	}{
		{"Step 1/4 : FROM scratch", 2},
		{"Step 2/4 : COPY a /a", 4},
		{"Step 3/4 : RUN x && y", 5},
		{"Step 3/5 : RUN x", 0}, // counts differ: no guess
		{"garbage", 0},
	}
	for _, tt := range tests {
		if got := stepLine(df, tt.step); got != tt.want {
			t.Errorf("stepLine(%q) = %d, want %d", tt.step, got, tt.want)
		}
	}
}

func TestCycle(t *testing.T) {
	tests := []struct {
		deps map[string][]string
		want []string
	}{
		{map[string][]string{"train": {"base"}, "serve": {"base"}}, nil},
		{map[string][]string{"a": {"b"}, "b": {"a"}}, []string{"a", "b"}},
		{map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"b"}}, []string{"b", "c"}},
	}
	for _, tt := range tests {
		if got := cycle(tt.deps); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("cycle(%v) = %v, want %v", tt.deps, got, tt.want)
		}
	}
}

func TestImageDeps(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"base/Dockerfile":  "FROM debian:bookworm\n",
		"train/Dockerfile": "FROM proj-base\n",
		"serve/Dockerfile": "FROM ml/base:1\n",
		"other/Dockerfile": "FROM python:3.11\n",
	})
	svc := func(name, ctxDir, image string) types.ServiceConfig {
		s := types.ServiceConfig{Name: name}
		s.Image = image
		s.Build = &types.BuildConfig{Context: dir + "/" + ctxDir}
		return s
	}
	p := &project.Project{Project: &types.Project{Name: "proj", WorkingDir: dir, Services: types.Services{
		"base":  svc("base", "base", ""),
		"base2": svc("base2", "base", "ml/base:1"),
		"train": svc("train", "train", ""),
		"serve": svc("serve", "serve", ""),
		"other": svc("other", "other", ""),
	}}}
	got := imageDeps(p)
	want := map[string][]string{"train": {"base"}, "serve": {"base2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("imageDeps = %v, want %v", got, want)
	}
}

func TestUnsupportedFields(t *testing.T) {
	b := &types.BuildConfig{Secrets: []types.ServiceSecretConfig{{Source: "s"}}, Platforms: []string{"linux/arm64"}}
	if got := strings.Join(unsupportedFields(b), ","); got != "secrets,platforms" {
		t.Errorf("unsupportedFields = %s", got)
	}
	if got := unsupportedFields(&types.BuildConfig{Args: types.MappingWithEquals{}}); got != nil {
		t.Errorf("plain build flagged: %v", got)
	}
}

func TestGroupsOfIdenticalBuilds(t *testing.T) {
	dir := t.TempDir()
	svc := func(name, ctxDir string, args map[string]string, tags ...string) types.ServiceConfig {
		s := types.ServiceConfig{Name: name}
		s.Build = &types.BuildConfig{Context: ctxDir, Tags: tags, Args: types.NewMappingWithEquals(nil)}
		for k, v := range args {
			s.Build.Args[k] = &v
		}
		return s
	}
	p := &project.Project{Project: &types.Project{Name: "proj", WorkingDir: dir, Services: types.Services{
		"trainer":  svc("trainer", "app", nil),
		"eval":     svc("eval", "./app", nil, "eval:dev"), // same context written differently, own tag
		"worker":   svc("worker", dir+"/app", nil),        // same context, absolute
		"gpu":      svc("gpu", "app", map[string]string{"CUDA": "1"}),
		"notebook": svc("notebook", "nb", nil),
		"plain":    {Name: "plain"},
	}}}
	g := groups(p)
	same := func(a, b string) bool { return g[a] != "" && g[a] == g[b] }
	for _, pair := range [][2]string{{"trainer", "eval"}, {"trainer", "worker"}} {
		if !same(pair[0], pair[1]) {
			t.Errorf("%s and %s have one build section but different groups", pair[0], pair[1])
		}
	}
	for _, other := range []string{"gpu", "notebook"} {
		if same("trainer", other) {
			t.Errorf("trainer and %s build differently but share a group", other)
		}
	}
	if _, ok := g["plain"]; ok {
		t.Errorf("a service without build: has a group")
	}
}
