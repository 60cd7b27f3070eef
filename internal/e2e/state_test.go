package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

// Forty `mlstack profile enable` processes at once: none is lost, the file is never partial.
func TestConcurrentProfileEnable(t *testing.T) {
	var compose strings.Builder
	compose.WriteString("services:\n  web: {image: ${FIXTURE}, command: [serve]}\n")
	for i := range 40 {
		fmt.Fprintf(&compose, "  s%02d: {image: ${FIXTURE}, profiles: [p%02d]}\n", i, i)
	}
	p := testenv.NewProject(t, compose.String())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan string, 80)
	for i := range 40 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			cmd := p.Command(ctx, nil, "profile", "enable", fmt.Sprintf("p%02d", i))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Sprintf("profile enable p%02d: %v\n%s", i, err, out)
			}
		}()
		go func() {
			defer wg.Done()
			// A reader at the same time sees a whole file, old or new.
			var out bytes.Buffer
			cmd := p.Command(ctx, nil, "profile", "list", "--format", "json")
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				errs <- fmt.Sprintf("profile list during enables: %v\n%s", err, out.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	b, err := os.ReadFile(filepath.Join(p.Dir, ".mlstack", "profiles.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Enabled []string }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("profiles.json is not valid JSON after concurrent enables: %v\n%s", err, b)
	}
	if len(f.Enabled) != 40 {
		t.Errorf("%d of 40 profiles enabled after 40 concurrent enables: %v", len(f.Enabled), f.Enabled)
	}
}

// runNoName runs mlstack in the project's directory without -p: the name must come from elsewhere.
func runNoName(t *testing.T, p *testenv.Project, args ...string) testenv.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Bin, args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "COMPOSE_PROJECT_NAME=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := testenv.Result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustNoName(t *testing.T, p *testenv.Project, args ...string) testenv.Result {
	t.Helper()
	r := runNoName(t, p, args...)
	if r.Code != 0 {
		t.Fatalf("mlstack %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

const teardownStack = `name: %s
services:
  web:
    image: ${FIXTURE}
    command: ["serve"]
  worker:
    image: ${FIXTURE}
    command: ["sleep"]
`

// A corrupt profiles.json, .mlstack being a file, or a broken compose file never block the commands
// that only need the project's name.
func TestBrokenStateNeverBlocksTeardown(t *testing.T) {
	p := testenv.NewProject(t, "services: {}\n")
	p.Write("compose.yaml", fmt.Sprintf(teardownStack, p.Name))
	mustNoName(t, p, "up", "-d")
	state := filepath.Join(p.Dir, ".mlstack")
	profiles := filepath.Join(state, "profiles.json")

	// A corrupt state file: named with how to reset it; up refuses, ps and logs go on.
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(profiles, []byte(`{"enabled": ["monit`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runNoName(t, p, "up", "-d"); r.Code == 0 || !strings.Contains(r.Stderr, profiles) || !strings.Contains(r.Stderr, "rm "+profiles) {
		t.Errorf("up with a corrupt %s: exit %d, stderr:\n%s\nwant a failure naming the file and how to reset it", profiles, r.Code, r.Stderr)
	}
	r := mustNoName(t, p, "ps")
	if !strings.Contains(r.Stdout, "web") || !strings.Contains(r.Stderr, profiles) {
		t.Errorf("ps with a corrupt state file: stdout:\n%s\nstderr:\n%s\nwant web listed and a warning naming the file", r.Stdout, r.Stderr)
	}
	mustNoName(t, p, "logs", "web")

	// A broken compose file: the raw name: line still names the project.
	p.Write("compose.yaml", fmt.Sprintf(teardownStack, p.Name)+"  broken: [\n")
	r = mustNoName(t, p, "ps")
	if !strings.Contains(r.Stdout, "worker") || !strings.Contains(r.Stderr, "compose.yaml") {
		t.Errorf("ps with a broken compose file: stdout:\n%s\nstderr:\n%s\nwant worker listed and a warning naming compose.yaml", r.Stdout, r.Stderr)
	}
	mustNoName(t, p, "logs", "worker")
	mustNoName(t, p, "stop", "worker")
	mustNoName(t, p, "rm", "-f", "worker")
	for _, c := range p.Containers() {
		if strings.Contains(c.Names[0], "worker") {
			t.Errorf("worker container %s left after stop and rm -f", c.Names[0])
		}
	}

	// .mlstack being a file, and the compose file still broken: down removes everything.
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustNoName(t, p, "down")
	if c, n, _ := testenv.Counts(t, p.Eng, p.Name); c+n != 0 {
		t.Errorf("down left %d containers and %d networks", c, n)
	}

	// With the name nowhere to be found, the error says how to give it.
	p.Write("compose.yaml", "services:\n  web: [\n")
	if r := runNoName(t, p, "down"); r.Code == 0 || !strings.Contains(r.Stderr, "-p NAME") {
		t.Errorf("down with a broken, nameless file: exit %d, stderr:\n%s\nwant a hint to pass -p", r.Code, r.Stderr)
	}
}

// A .mlstack file (not a directory) is named, with what to do, by the commands that need the state.
func TestStateDirIsAFile(t *testing.T) {
	p := testenv.NewProject(t, "services:\n  web: {image: ${FIXTURE}, command: [serve]}\n")
	p.Write(".mlstack", "oops")
	r := p.Run("ps")
	if r.Code != 0 {
		t.Fatalf("ps with .mlstack a file: exit %d\n%s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, filepath.Join(p.Dir, ".mlstack")+" is a file") {
		t.Errorf("ps did not say .mlstack is a file:\n%s", r.Stderr)
	}
}

// Two checkouts of one project (one name, two directories) take turns on one engine: never two
// networks with one name. A duplicate left from before is reported with the command that fixes it.
func TestOneLockPerEngineAndProjectName(t *testing.T) {
	const stack = "services:\n  web: {image: ${FIXTURE}, command: [serve]}\n  worker: {image: ${FIXTURE}, command: [sleep]}\n"
	p := testenv.NewProject(t, stack)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "compose.yaml"), []byte(strings.ReplaceAll(stack, "${FIXTURE}", p.Fixture)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for round := range 3 {
		var wg sync.WaitGroup
		for _, dir := range []string{p.Dir, other, p.Dir, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := p.Command(ctx, nil, "up", "-d")
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("round %d: up -d in %s: %v\n%s", round, dir, err, out)
				}
			}()
		}
		wg.Wait()
		nets, err := p.Eng.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", p.Name+"_default"))})
		if err != nil {
			t.Fatal(err)
		}
		if len(nets) != 1 {
			t.Fatalf("round %d: %d networks named %s_default after concurrent ups from two directories, want 1", round, len(nets), p.Name)
		}
		p.MustRun("down")
	}

	// A duplicate network, as the old race left them. The Go client always asks the engine to refuse
	// duplicates below API 1.44, so the request is made raw.
	for range 2 {
		body := fmt.Sprintf(`{"Name": %q, "CheckDuplicate": false, "Labels": {%q: %q, %q: "default"}}`, p.Name+"_default", labels.Project, p.Name, labels.Network)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://engine/v1.41/networks/create", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := p.Eng.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create a duplicate network: %s: %s", resp.Status, b)
		}
	}
	r := p.Run("up", "-d")
	if r.Code == 0 || !strings.Contains(r.Stderr, "2 networks are named "+p.Name+"_default") || !strings.Contains(r.Stderr, "docker network rm ") {
		t.Errorf("up with a duplicate network: exit %d, stderr:\n%s\nwant the duplicates named with the command that removes them", r.Code, r.Stderr)
	}
	p.MustRun("down")
	if _, n, _ := testenv.Counts(t, p.Eng, p.Name); n != 0 {
		t.Errorf("down left %d networks of the duplicate pair", n)
	}
}

// `mlstack config` output, saved and given back with -f, prints the same project again.
func TestConfigOutputLoadsAgain(t *testing.T) {
	bin := testenv.Binary(t)
	root := testenv.ModuleRoot(t)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"compose.yaml": `
name: roundtrip
services:
  api:
    image: busybox
    command: ["sh", "-c", "echo $$HOME"]
    env_file: [app.env]
    depends_on: {db: {condition: service_healthy}}
  db:
    image: busybox
    healthcheck: {test: ["CMD-SHELL", "test -n \"$$HOSTNAME\""], interval: 1s}
  train: {build: ., profiles: [training]}
networks: {spare: {}}
volumes: {unused: {}}
`,
		"app.env":    "DB_URL='postgres://u:p$w@db/x'\n",
		"Dockerfile": "FROM scratch\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "COMPOSE_PROFILES=", "COMPOSE_PROJECT_NAME=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("mlstack %v in %s: %v", args, dir, err)
		}
		return string(out)
	}
	fixtures := map[string]string{
		"written here":     dir,
		"demo":             cleanCopy(t, filepath.Join(root, "examples", "demo")),
		"fraud-detection":  cleanCopy(t, filepath.Join(root, "examples", "fraud-detection")),
		"with training on": dir,
	}
	for name, fdir := range fixtures {
		args := []string{"config"}
		if name == "with training on" {
			args = []string{"--profile", "training", "config"}
		}
		first := config(fdir, args...)
		again := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(again, []byte(first), 0o644); err != nil {
			t.Fatal(err)
		}
		if second := config(filepath.Dir(again), append([]string{"-f", again}, args...)...); second != first {
			t.Errorf("%s: config of config differs:\n--- first\n%s\n--- second\n%s", name, first, second)
		}
	}
}

// cleanCopy copies an example directory without what `make example` leaves in it (.env, .mlstack/),
// so the test reads the example as a fresh clone has it.
func cleanCopy(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == ".env" || rel == ".mlstack" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}
