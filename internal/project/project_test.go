package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const profiled = `
services:
  api: {image: busybox}
  training: {image: busybox, profiles: [training]}
  prometheus: {image: busybox, profiles: [monitoring]}
`

func TestLoadProfiles(t *testing.T) {
	tests := []struct {
		name      string
		persisted []string
		flags     []string
		env       string
		want      string // enabled services, sorted
		wantErr   string
	}{
		{"no profile", nil, nil, "", "api", ""},
		{"flag", nil, []string{"training"}, "", "api,training", ""},
		{"COMPOSE_PROFILES", nil, nil, "monitoring", "api,prometheus", ""},
		{"flag wins over COMPOSE_PROFILES", nil, []string{"training"}, "monitoring", "api,training", ""},
		{"persisted plus flag", []string{"monitoring"}, []string{"training"}, "", "api,prometheus,training", ""},
		{"unknown flag profile lists known ones", nil, []string{"gpu"}, "", "", `unknown profile "gpu" (from --profile); the project's profiles are: monitoring, training`},
		{"unknown env profile", nil, nil, "nope", "", `unknown profile "nope" (from COMPOSE_PROFILES)`},
		{"stale persisted profile is ignored", []string{"gone"}, nil, "", "api", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "compose.yaml", profiled)
			if tt.persisted != nil {
				if err := NewState(dir).SetProfiles(tt.persisted, nil); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("COMPOSE_PROFILES", tt.env)
			p, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}, Profiles: tt.flags})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.ServiceNames(), ","); got != tt.want {
				t.Errorf("services = %s, want %s", got, tt.want)
			}
			if len(p.All) != 3 {
				t.Errorf("All has %d services, want 3", len(p.All))
			}
		})
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"invalid yaml", "services:\n  a:\n    image: x\n   bad: [\n", "compose.yaml: invalid YAML"},
		{"required variable", "services:\n  a:\n    image: ${IMAGE:?set IMAGE to the model server image}\n", "set IMAGE to the model server image"},
		{"unknown service key", "services:\n  a:\n    image: x\n    imagee: y\n", "imagee"},
		{"depends on unknown service", "services:\n  a:\n    image: x\n    depends_on: [ghost]\n", "ghost"},
		{"empty file", "", "compose.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "compose.yaml", tt.content)
			t.Setenv("IMAGE", "")
			os.Unsetenv("IMAGE")
			_, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load() error = %v, want containing %q", err, tt.want)
			}
		})
	}
}

func TestNamedServiceEnablesItsProfile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "compose.yaml", profiled)
	p, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}, Services: []string{"training"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Services["training"]; !ok {
		t.Fatal("a service named on the command line must be enabled whatever its profile")
	}
	if err := p.CheckServices([]string{"prometheus"}); err == nil || !strings.Contains(err.Error(), "profile monitoring") {
		t.Errorf("CheckServices(prometheus) = %v, want a hint about its profile", err)
	}
}

func TestNoComposeFile(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	_, err := Load(context.Background(), Options{})
	if !IsNoFile(err) {
		t.Fatalf("Load() in an empty directory = %v, want a no-file error", err)
	}
}

func TestStateProfilesRoundTrip(t *testing.T) {
	st := NewState(t.TempDir())
	if err := st.SetProfiles([]string{"b", "a"}, []string{"c"}); err != nil {
		t.Fatal(err)
	}
	en, _ := st.Profiles()
	dis, _ := st.DisabledProfiles()
	if strings.Join(en, ",") != "a,b" || strings.Join(dis, ",") != "c" {
		t.Fatalf("enabled %v disabled %v", en, dis)
	}
	if _, err := os.Stat(filepath.Join(st.Dir, ".gitignore")); err != nil {
		t.Errorf("state dir has no .gitignore: %v", err)
	}
}

func TestConcurrentProfileUpdatesLoseNothing(t *testing.T) {
	st := NewState(t.TempDir())
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.UpdateProfiles(context.Background(), func(en, dis []string) ([]string, []string) {
				return append(en, fmt.Sprintf("p%02d", i)), dis
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	en, err := st.Profiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(en) != 40 {
		t.Errorf("%d profiles persisted after 40 concurrent enables, want 40: %v", len(en), en)
	}
	left, _ := filepath.Glob(filepath.Join(st.Dir, ".profiles.json.tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestCorruptProfilesFileIsNamedAndKept(t *testing.T) {
	st := NewState(t.TempDir())
	if err := st.Ensure(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(st.Dir, "profiles.json")
	write(t, st.Dir, "profiles.json", `{"enabled": ["a"`)
	err := st.UpdateProfiles(context.Background(), func(en, dis []string) ([]string, []string) { return en, dis })
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("UpdateProfiles on a corrupt file = %v, want an error naming %s and how to reset", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"enabled": ["a"` {
		t.Errorf("the corrupt file was changed to %q", b)
	}
}

func TestKnownName(t *testing.T) {
	tests := []struct {
		name, content, flag, env, want string
	}{
		{"-p wins", "name: fromfile\n", "flag", "fromenv", "flag"},
		{"COMPOSE_PROJECT_NAME next", "name: fromfile\n", "", "fromenv", "fromenv"},
		{"the raw name: of a broken file", "name: fraud-demo # ours\nservices:\n  a: [\n", "", "", "fraud-demo"},
		{"quoted", "name: \"q_1\"\r\nservices: {}\n", "", "", "q_1"},
		{"interpolated names are not literal", "name: ${X}\n", "", "", ""},
		{"indented name: is a service field", "services:\n  a:\n    name: x\n", "", "", ""},
		{"no name", "services: {}\n", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "compose.yaml", tt.content)
			t.Setenv("COMPOSE_PROJECT_NAME", tt.env)
			if got := KnownName(Options{Name: tt.flag, WorkingDir: dir}); got != tt.want {
				t.Errorf("KnownName = %q, want %q", got, tt.want)
			}
		})
	}
}

// `make example` selects its files through COMPOSE_FILE in the example's .env, compose's own
// mechanism: a plain command in that directory must load the same files.
func TestDotEnvComposeFileSelectsTheFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "compose.yaml", "services:\n  api: {image: real}\n")
	write(t, dir, "compose.offline.yaml", "services:\n  api: {image: offline}\n")
	write(t, dir, ".env", "COMPOSE_FILE=compose.yaml:compose.offline.yaml\n")
	t.Chdir(dir)
	t.Setenv("COMPOSE_FILE", "")
	os.Unsetenv("COMPOSE_FILE")
	p, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services["api"].Image; got != "offline" {
		t.Errorf("image %q: .env's COMPOSE_FILE was not used (files %v)", got, p.ComposeFiles)
	}
}

// NoSchema is for commands that act on what exists: a field compose's schema refuses does not stop
// them, a type mistake still does, and so does a project without a name.
func TestLoadNoSchema(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "compose.yaml", "services:\n  api: {image: busybox, bogus: 1}\n  job: {image: busybox, profiles: [training]}\n")
	o := Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}}
	if _, err := Load(context.Background(), o); err == nil || !strings.Contains(err.Error(), "services.api") {
		t.Fatalf("Load() error = %v, want the schema's complaint about services.api", err)
	}
	o.NoSchema = true
	p, err := Load(context.Background(), o)
	if err != nil {
		t.Fatalf("Load(NoSchema) error = %v", err)
	}
	if got := strings.Join(sortedKeys(p.All), ","); got != "api,job" || p.Name != strings.ToLower(filepath.Base(dir)) {
		t.Errorf("Load(NoSchema) = project %q with services %s, want %q with api,job", p.Name, got, filepath.Base(dir))
	}

	write(t, dir, "compose.yaml", "services:\n  api: {image: busybox, ports: {a: 1}}\n")
	if _, err := Load(context.Background(), o); err == nil || !IsFileError(err) || !strings.Contains(err.Error(), "services.api.ports") {
		t.Errorf("Load(NoSchema) of a mistyped field: error = %v, want a file error naming services.api.ports", err)
	}

	unnamed := filepath.Join(t.TempDir(), "___")
	if err := os.Mkdir(unnamed, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, unnamed, "compose.yaml", "services:\n  api: {image: busybox}\n")
	o = Options{WorkingDir: unnamed, Files: []string{filepath.Join(unnamed, "compose.yaml")}, NoSchema: true}
	if _, err := Load(context.Background(), o); err == nil || !strings.Contains(err.Error(), "project name must not be empty") {
		t.Errorf("Load(NoSchema) in %s: error = %v, want project name must not be empty", unnamed, err)
	}
}
