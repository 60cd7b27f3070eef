package build

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/testenv"
)

func newContext(t testing.TB, dir string, b types.BuildConfig) *Context {
	t.Helper()
	if b.Context == "" {
		b.Context = dir
	}
	c, err := New(dir, "app", &b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// paths lists what Walk returns, directories with a trailing slash.
func paths(t *testing.T, c *Context) []string {
	t.Helper()
	files, err := c.Walk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if f.Mode.IsDir() {
			out = append(out, f.Path+"/")
		} else {
			out = append(out, f.Path)
		}
	}
	slices.Sort(out)
	return out
}

func TestWalkAppliesDockerignore(t *testing.T) {
	tree := map[string]string{
		"Dockerfile":               "FROM python:3.11\n",
		"app.py":                   "print(1)\n",
		"app.pyc":                  "x",
		"src/model.py":             "m",
		"src/model.pyc":            "x",
		"src/__pycache__/model.py": "x",
		"data/train.csv":           "1,2",
		"data/keep/README":         "keep me",
		".mlstack/state.json":      "{}",
		"docs/.mlstack":            "a file of that name is user data",
	}
	tests := []struct {
		name   string
		ignore string
		want   []string
	}{
		{"no ignore file sends everything but .mlstack", "",
			[]string{"Dockerfile", "app.py", "app.pyc", "data/", "data/keep/", "data/keep/README", "data/train.csv", "docs/", "docs/.mlstack", "src/", "src/__pycache__/", "src/__pycache__/model.py", "src/model.py", "src/model.pyc"}},
		{"directory pattern drops the whole tree", "data\n",
			[]string{".dockerignore", "Dockerfile", "app.py", "app.pyc", "docs/", "docs/.mlstack", "src/", "src/__pycache__/", "src/__pycache__/model.py", "src/model.py", "src/model.pyc"}},
		{"single star stays at the top level", "*.pyc\ndata\ndocs\nsrc/__pycache__\n",
			[]string{".dockerignore", "Dockerfile", "app.py", "src/", "src/model.py", "src/model.pyc"}},
		{"double star matches at any depth", "**/*.pyc\n**/__pycache__\ndata\ndocs\n",
			[]string{".dockerignore", "Dockerfile", "app.py", "src/", "src/model.py"}},
		{"exception brings back a file below an ignored dir", "data\n!data/keep/README\ndocs\nsrc\n*.pyc\n",
			[]string{".dockerignore", "Dockerfile", "app.py", "data/keep/README"}},
		{"ignore everything but src", "*\n!src\n",
			[]string{".dockerignore", "Dockerfile", "src/", "src/__pycache__/", "src/__pycache__/model.py", "src/model.py", "src/model.pyc"}},
		{"Dockerfile and .dockerignore are sent even when ignored", "Dockerfile\n.dockerignore\n*\n",
			[]string{".dockerignore", "Dockerfile"}},
		{".mlstack cannot be brought back", "*\n!.mlstack\n!.mlstack/state.json\n",
			[]string{".dockerignore", "Dockerfile"}},
		{"comments and leading slashes as Docker reads them", "# data is big\n/data\n  docs  \n/src/\n*.pyc\n",
			[]string{".dockerignore", "Dockerfile", "app.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.WriteFiles(t, dir, tree)
			if tt.ignore != "" {
				testenv.WriteFiles(t, dir, map[string]string{".dockerignore": tt.ignore})
			}
			got := paths(t, newContext(t, dir, types.BuildConfig{}))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("walk\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// The classic builder reads <context>/.dockerignore only; <Dockerfile>.dockerignore is BuildKit's.
func TestOnlyTheContextDockerignoreApplies(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		".dockerignore":                      "a.txt\n",
		"docker/app.Dockerfile":              "FROM scratch\n",
		"docker/app.Dockerfile.dockerignore": "b.txt\ndocker\n",
		"a.txt":                              "a",
		"b.txt":                              "b",
	})
	got := paths(t, newContext(t, dir, types.BuildConfig{Dockerfile: "docker/app.Dockerfile"}))
	want := []string{".dockerignore", "b.txt", "docker/", "docker/app.Dockerfile", "docker/app.Dockerfile.dockerignore"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walk\n got %q\nwant %q", got, want)
	}
}

func TestWalkDoesNotDescendIntoIgnoredDirs(t *testing.T) {
	tree := map[string]string{
		"Dockerfile":                "FROM scratch\n",
		"train.py":                  "x",
		"data/raw/a.csv":            "x",
		"data/raw/deep/b.csv":       "x",
		"data/keep/c.csv":           "x",
		"models/m1/weights.bin":     "x",
		".venv/lib/site/pkg/mod.py": "x",
		"src/pkg/__pycache__/m.pyc": "x",
		"src/pkg/m.py":              "x",
	}
	tests := []struct {
		name   string
		ignore string
		read   []string // directories Walk may read
	}{
		{"plain ignores", "data\nmodels/\n.venv\n**/__pycache__\n",
			[]string{".", "src", "src/pkg"}},
		{"exception below one dir opens only that path", "data\nmodels\n.venv\n!data/keep/c.csv\n",
			[]string{".", "data", "data/keep", "src", "src/pkg", "src/pkg/__pycache__"}},
		{"exception elsewhere keeps ignored dirs closed", "data\nmodels\n.venv\n!src/pkg/m.py\n",
			[]string{".", "src", "src/pkg", "src/pkg/__pycache__"}},
		{"a ** exception must look everywhere", "data\nmodels\n.venv\n!**/*.csv\n",
			[]string{".", ".venv", ".venv/lib", ".venv/lib/site", ".venv/lib/site/pkg", "data", "data/keep", "data/raw", "data/raw/deep", "models", "models/m1", "src", "src/pkg", "src/pkg/__pycache__"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.WriteFiles(t, dir, tree)
			testenv.WriteFiles(t, dir, map[string]string{".dockerignore": tt.ignore})
			c := newContext(t, dir, types.BuildConfig{})
			var read []string
			c.readDir = func(p string) ([]os.DirEntry, error) {
				rel, _ := filepath.Rel(dir, p)
				read = append(read, filepath.ToSlash(rel))
				return os.ReadDir(p)
			}
			if _, err := c.Walk(context.Background()); err != nil {
				t.Fatal(err)
			}
			slices.Sort(read)
			if !reflect.DeepEqual(read, tt.read) {
				t.Errorf("read dirs\n got %q\nwant %q", read, tt.read)
			}
		})
	}
}

// tarEntries lists the names in a tar with their contents.
func tarEntries(t *testing.T, c *Context) map[string]string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.WriteTar(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s owned by %d:%d, want 0:0", hdr.Name, hdr.Uid, hdr.Gid)
		}
		data, _ := io.ReadAll(tr)
		out[hdr.Name] = string(data)
	}
}

func TestTarHoldsExactlyTheWalkedFiles(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"Dockerfile":       "FROM python:3.11\nCOPY . /app\n",
		".dockerignore":    "data\n!data/keep.txt\n*.log\n",
		"app.py":           "print('hi')\n",
		"data/big.bin":     "xxxx",
		"data/keep.txt":    "keep",
		"run.log":          "log",
		"empty/":           "",
		".mlstack/cache/x": "state",
	})
	if err := os.Symlink("app.py", filepath.Join(dir, "main.py")); err != nil {
		t.Fatal(err)
	}
	c := newContext(t, dir, types.BuildConfig{})
	got := tarEntries(t, c)
	var names []string
	for n := range got {
		names = append(names, strings.TrimSuffix(n, "/"))
	}
	slices.Sort(names)
	var walked []string
	for _, p := range paths(t, c) {
		walked = append(walked, strings.TrimSuffix(p, "/"))
	}
	if !reflect.DeepEqual(names, walked) {
		t.Errorf("tar holds %q, walk (and so the hash) saw %q", names, walked)
	}
	if got["app.py"] != "print('hi')\n" || got["data/keep.txt"] != "keep" {
		t.Errorf("tar contents wrong: %q", got)
	}

	inline := newContext(t, dir, types.BuildConfig{DockerfileInline: "FROM scratch\n"})
	if df := tarEntries(t, inline)[inline.DockerfileName]; df != "FROM scratch\n" {
		t.Errorf("inline Dockerfile in tar as %q = %q", inline.DockerfileName, df)
	}
}

func TestHashTracksEveryInput(t *testing.T) {
	base := map[string]string{
		"Dockerfile":     "ARG BASE=python:3.11\nFROM ${BASE}\nCOPY . /app\n",
		".dockerignore":  "data\n",
		"app.py":         "print(1)\n",
		"data/train.csv": "1,2,3\n",
	}
	type inputs struct {
		b   types.BuildConfig
		ids map[string]string
	}
	arg := func(v string) types.MappingWithEquals { return types.MappingWithEquals{"EPOCHS": &v} }
	start := inputs{b: types.BuildConfig{Args: arg("1")}, ids: map[string]string{"python:3.11": "sha256:aaa"}}
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string, in *inputs)
		changes bool
	}{
		{"nothing changes", func(*testing.T, string, *inputs) {}, false},
		{"a source file is edited", func(t *testing.T, dir string, _ *inputs) {
			testenv.WriteFiles(t, dir, map[string]string{"app.py": "print(2)\n"})
		}, true},
		{"a file is added", func(t *testing.T, dir string, _ *inputs) {
			testenv.WriteFiles(t, dir, map[string]string{"util.py": ""})
		}, true},
		{"a file becomes executable", func(t *testing.T, dir string, _ *inputs) {
			os.Chmod(filepath.Join(dir, "app.py"), 0o755)
		}, true},
		{"the Dockerfile is edited", func(t *testing.T, dir string, _ *inputs) {
			testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "ARG BASE=python:3.11\nFROM ${BASE}\nCOPY . /srv\n"})
		}, true},
		{"a build arg changes", func(_ *testing.T, _ string, in *inputs) { in.b.Args = arg("2") }, true},
		{"the target changes", func(_ *testing.T, _ string, in *inputs) { in.b.Target = "dev" }, true},
		{"a label changes", func(_ *testing.T, _ string, in *inputs) { in.b.Labels = types.Labels{"team": "ml"} }, true},
		{"the base image is rebuilt", func(_ *testing.T, _ string, in *inputs) {
			in.ids = map[string]string{"python:3.11": "sha256:bbb"}
		}, true},
		{"an ignored file changes", func(t *testing.T, dir string, _ *inputs) {
			testenv.WriteFiles(t, dir, map[string]string{"data/train.csv": "4,5,6,7\n", "data/new.csv": "x"})
		}, false},
		{"mlstack state changes", func(t *testing.T, dir string, _ *inputs) {
			testenv.WriteFiles(t, dir, map[string]string{".mlstack/other.json": "{}"})
		}, false},
		{"a file is touched without edits", func(t *testing.T, dir string, _ *inputs) {
			future := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(dir, "app.py"), future, future)
		}, false},
		{"same-size edit with mtime restored is still seen", func(t *testing.T, dir string, _ *inputs) {
			p := filepath.Join(dir, "app.py")
			st, _ := os.Stat(p)
			testenv.WriteFiles(t, dir, map[string]string{"app.py": "print(9)\n"})
			os.Chtimes(p, st.ModTime(), st.ModTime())
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.WriteFiles(t, dir, base)
			hash := func(in inputs) string {
				c := newContext(t, dir, in.b)
				c.now = func() time.Time { return time.Now().Add(time.Hour) } // every file old enough to cache
				h, err := c.Hash(context.Background(), in.ids)
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			before := hash(start)
			in := start
			tt.change(t, dir, &in)
			after := hash(in)
			if (before != after) != tt.changes {
				t.Errorf("hash changed = %v, want %v (%s -> %s)", before != after, tt.changes, before, after)
			}
		})
	}
}

func TestHashCache(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "a.txt": "a", "b.txt": "b"})
	c := newContext(t, dir, types.BuildConfig{})
	c.now = func() time.Time { return time.Now().Add(time.Hour) }
	want := filepath.Join(dir, ".mlstack", "cache", "build-app.json")
	if c.CachePath != want {
		t.Fatalf("CachePath = %s, want %s", c.CachePath, want)
	}
	hash := func() string {
		h, err := c.Hash(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	cold := hash()
	if hash() != cold {
		t.Fatal("warm hash differs from cold hash")
	}

	// Poisoning a cached sum changes the hash, which shows warm runs trust the cache instead of reading files.
	var hc hashCache
	data, err := os.ReadFile(c.CachePath)
	if err != nil {
		t.Fatalf("cache not written: %v", err)
	}
	if err := json.Unmarshal(data, &hc); err != nil || len(hc.Files) != 3 {
		t.Fatalf("cache holds %d files (%v), want 3", len(hc.Files), err)
	}
	e := hc.Files["a.txt"]
	e.Sum = strings.Repeat("0", 64)
	hc.Files["a.txt"] = e
	data, _ = json.Marshal(hc)
	os.WriteFile(c.CachePath, data, 0o644)
	if hash() == cold {
		t.Error("hash ignored the cache")
	}

	for _, corrupt := range []string{"", "{not json", `{"version":99}`} {
		os.WriteFile(c.CachePath, []byte(corrupt), 0o644)
		if got := hash(); got != cold {
			t.Errorf("with cache %q: hash %s, want %s", corrupt, got, cold)
		}
	}
	os.RemoveAll(filepath.Join(dir, ".mlstack"))
	if got := hash(); got != cold {
		t.Errorf("without cache dir: hash %s, want %s", got, cold)
	}

	// Files changed within the racy window are not cached, so a quick second edit cannot hide.
	c.now = nil
	os.Remove(c.CachePath)
	hash()
	data, _ = os.ReadFile(c.CachePath)
	if strings.Contains(string(data), "a.txt") {
		t.Errorf("just-written file cached: %s", data)
	}
}

func TestBaseImages(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		args       map[string]string
		want       []string
	}{
		{"single stage", "FROM python:3.11-slim\nRUN pip install x\n", nil, []string{"python:3.11-slim"}},
		{"scratch is not an image", "FROM scratch\nCOPY app /\n", nil, nil},
		{"multi-stage skips earlier stages", "FROM golang:1.26 AS Build\nRUN go build\nFROM build AS test\nFROM debian:bookworm\nCOPY --from=build /app /app\n",
			nil, []string{"golang:1.26", "debian:bookworm"}},
		{"ARG default in FROM", "ARG BASE=python\nARG TAG=3.11\nFROM ${BASE}:$TAG\n", nil, []string{"python:3.11"}},
		{"build arg overrides the default", "ARG TAG=3.11\nFROM python:${TAG}\n", map[string]string{"TAG": "3.12"}, []string{"python:3.12"}},
		{"ARG without default takes the build arg", "ARG REG\nFROM ${REG}/app:1\n", map[string]string{"REG": "local"}, []string{"local/app:1"}},
		{"default syntax falls back", "ARG TAG\nFROM python:${TAG:-3.10}\n", nil, []string{"python:3.10"}},
		{"stage ARGs do not reach later FROMs", "FROM alpine AS a\nARG TAG=9\nFROM python:${TAG:-3}\n", nil, []string{"alpine", "python:3"}},
		{"COPY --from an image counts, a stage index does not", "FROM alpine\nCOPY --from=busybox:1.36 /bin/sh /sh\nCOPY --from=0 /x /y\n",
			nil, []string{"alpine", "busybox:1.36"}},
		{"platform flag and repeats", "FROM --platform=linux/amd64 debian:bookworm AS a\nFROM debian:bookworm\n", nil, []string{"debian:bookworm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BaseImages([]byte(tt.dockerfile), tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BaseImages = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBaseImagesErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "# base\nARG BASE\nFROM ${BASE}\n"})
	_, err := newContext(t, dir, types.BuildConfig{}).BaseImages()
	want := filepath.Join(dir, "Dockerfile") + ":3: FROM ${BASE} is empty"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %q", err, want)
	}
}

func TestCheckSyntaxDirective(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		wantLine   string // "" means accepted
	}{
		{"plain Dockerfile", "FROM scratch\n", ""},
		{"syntax directive", "# syntax=docker/dockerfile:1\nFROM scratch\n", "Dockerfile:1:"},
		{"spaced and upper case", "#  Syntax = docker/dockerfile:1.7\nFROM scratch\n", "Dockerfile:1:"},
		{"after another directive", "# escape=`\n# syntax=docker/dockerfile:1\nFROM scratch\n", "Dockerfile:2:"},
		{"a comment first makes it a comment", "# build the app\n# syntax=docker/dockerfile:1\nFROM scratch\n", ""},
		{"after an instruction it is a comment", "FROM scratch\n# syntax=docker/dockerfile:1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSyntaxDirective([]byte(tt.dockerfile))
			if tt.wantLine == "" {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted a syntax directive")
			}
			msg := err.Error()
			for _, want := range []string{tt.wantLine, "classic builder", "cannot pull", "Remove the line"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
		})
	}
}

func TestSizeWarnsAboutLargeContexts(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "app.py": "x", "ckpt/": ""})
	sparse := func(name string, size int64) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
	}
	c := newContext(t, dir, types.BuildConfig{})
	if _, warn, err := c.Size(context.Background()); err != nil || warn != "" {
		t.Fatalf("small context: warning %q, err %v", warn, err)
	}
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	sparse("data/train.parquet", 2_100_000_000)
	sparse("ckpt/last.pt", 150_000_000)
	sparse("dump.sql", 40_000_000)
	total, warn, err := c.Size(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if total < 2_290_000_000 {
		t.Errorf("total = %d", total)
	}
	for _, want := range []string{"data/ 2.1 GB", "ckpt/ 150.0 MB", "dump.sql 40.0 MB", ".dockerignore"} {
		if !strings.Contains(warn, want) {
			t.Errorf("warning %q lacks %q", warn, want)
		}
	}
	if strings.Index(warn, "data/") > strings.Index(warn, "ckpt/") {
		t.Errorf("largest path not first: %q", warn)
	}

	testenv.WriteFiles(t, dir, map[string]string{".dockerignore": "data\nckpt\n"})
	c = newContext(t, dir, types.BuildConfig{})
	if _, warn, _ := c.Size(context.Background()); warn != "" {
		t.Errorf("ignored data still warned: %q", warn)
	}
}

func TestImageName(t *testing.T) {
	b := &types.BuildConfig{Context: "."}
	tests := []struct {
		name  string
		b     *types.BuildConfig
		image string
		want  string
	}{
		{"image wins", b, "team/trainer:dev", "team/trainer:dev"},
		{"compose v2 default", b, "", "mlproj-trainer"},
		{"no build, no image", nil, "", ""},
	}
	for _, tt := range tests {
		if got := ImageName("mlproj", "trainer", tt.b, tt.image); got != tt.want {
			t.Errorf("%s: ImageName = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "file": ""})
	tests := []struct {
		name string
		b    types.BuildConfig
		want string
	}{
		{"git context", types.BuildConfig{Context: "https://github.com/x/y.git"}, "remote"},
		{"missing context", types.BuildConfig{Context: "nope"}, "build context"},
		{"context is a file", types.BuildConfig{Context: "file"}, "not a directory"},
		{"missing Dockerfile", types.BuildConfig{Context: ".", Dockerfile: "Dockerfile.gpu"}, "Dockerfile.gpu"},
	}
	for _, tt := range tests {
		_, err := New(dir, "app", &tt.b)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"app"`) {
			t.Errorf("%s: err = %v, want it to name the service and contain %q", tt.name, err, tt.want)
		}
	}
}

func TestNewResolvesRelativePathsAndArgs(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"svc/docker/Dockerfile": "FROM scratch\n"})
	one := "1"
	c, err := New(dir, "app", &types.BuildConfig{Context: "svc", Dockerfile: "docker/Dockerfile",
		Args: types.MappingWithEquals{"SET": &one, "UNSET": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != filepath.Join(dir, "svc") || c.DockerfileName != "docker/Dockerfile" {
		t.Errorf("Dir %s, DockerfileName %s", c.Dir, c.DockerfileName)
	}
	if !reflect.DeepEqual(c.Args, map[string]string{"SET": "1"}) {
		t.Errorf("Args = %v", c.Args)
	}
	out, err := New(dir, "app", &types.BuildConfig{Context: "svc", Dockerfile: filepath.Join(dir, "svc/docker/Dockerfile")})
	if err != nil || out.DockerfileName != "docker/Dockerfile" {
		t.Errorf("absolute Dockerfile inside context: %v %v", out, err)
	}
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile.outside": "FROM scratch\n"})
	out, err = New(dir, "app", &types.BuildConfig{Context: "svc", Dockerfile: "../Dockerfile.outside"})
	if err != nil || out.DockerfileName != inlineDockerfileName {
		t.Errorf("Dockerfile outside context: %+v %v", out, err)
	}
}
