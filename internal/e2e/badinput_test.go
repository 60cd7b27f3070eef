package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/testenv"
)

// TestBadInputIsRefusedClearly feeds broken projects to the binary: each must fail with one clear
// error naming the culprit (file, service, field, port), and leave no container, network or volume.
func TestBadInputIsRefusedClearly(t *testing.T) {
	eng := testenv.Integration(t)
	// A port something else holds.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	// A container of another project holding a fixed name.
	foreignName := testenv.ProjectName(t) + "-foreign"
	fixture := testenv.FixtureImage(t, eng)
	resp, err := eng.ContainerCreate(context.Background(), &container.Config{Image: fixture, Cmd: []string{"sleep"}, Labels: map[string]string{"com.docker.compose.project": "someone-else"}}, nil, nil, nil, foreignName)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.ContainerRemove(context.Background(), resp.ID, container.RemoveOptions{Force: true}) })

	tests := []struct {
		name  string
		files map[string]string // compose.yaml plus any other file
		args  []string          // global flags before "up -d", then extra up args after "--"
		want  []string
	}{
		{"invalid YAML names file and line", map[string]string{"compose.yaml": "services:\n  a:\n    image: x\n   bad: [\n"}, nil, []string{"compose.yaml", "invalid YAML", "line 3"}},
		{"empty file", map[string]string{"compose.yaml": ""}, nil, []string{"compose.yaml", "empty"}},
		{"unknown top-level key", map[string]string{"compose.yaml": "servics:\n  a: {image: x}\n"}, nil, []string{"compose.yaml", "servics"}},
		{"unknown service key", map[string]string{"compose.yaml": "services:\n  a: {image: x, imagee: y}\n"}, nil, []string{"compose.yaml", "services.a.imagee"}},
		{"depends_on an unknown service", map[string]string{"compose.yaml": "services:\n  a: {image: x, depends_on: [ghost]}\n"}, nil, []string{"compose.yaml", `"a"`, "ghost"}},
		{"unknown service on the command line", map[string]string{"compose.yaml": "services:\n  api: {image: ${FIXTURE}}\n  db: {image: ${FIXTURE}}\n"}, []string{"--", "apii"}, []string{`"apii"`, "api, db"}},
		{"unknown profile on the command line", map[string]string{"compose.yaml": "services:\n  api: {image: ${FIXTURE}}\n  t: {image: ${FIXTURE}, profiles: [training]}\n"}, []string{"--profile", "trainig"}, []string{`"trainig"`, "training"}},
		{"unknown profile in COMPOSE_PROFILES", map[string]string{"compose.yaml": "services:\n  api: {image: ${FIXTURE}}\n  t: {image: ${FIXTURE}, profiles: [training]}\n", "env:COMPOSE_PROFILES": "monitorin"}, nil, []string{`"monitorin"`, "COMPOSE_PROFILES", "training"}},
		{"three-service cycle", map[string]string{"compose.yaml": "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n"}, nil, []string{"cycle", "a -> b -> c -> a"}},
		{"self dependency", map[string]string{"compose.yaml": "services:\n  a: {image: x, depends_on: [a]}\n"}, nil, []string{"cycle", "a -> a"}},
		{"service_healthy without healthcheck", map[string]string{"compose.yaml": "services:\n  app: {image: ${FIXTURE}, depends_on: {db: {condition: service_healthy}}}\n  db: {image: ${FIXTURE}}\n"}, nil, []string{`"app"`, `"db" has no healthcheck`}},
		{"invalid depends_on condition", map[string]string{"compose.yaml": "services:\n  a: {image: x, depends_on: {b: {condition: service_ready}}}\n  b: {image: x}\n"}, nil, []string{"services.a.depends_on.b.condition"}},
		{"required variable missing", map[string]string{"compose.yaml": "services:\n  a: {image: \"${MODEL_IMAGE:?set MODEL_IMAGE to the model server image}\"}\n"}, nil, []string{"MODEL_IMAGE", "set MODEL_IMAGE to the model server image"}},
		{"invalid duration", map[string]string{"compose.yaml": "services:\n  a:\n    image: x\n    healthcheck: {test: [CMD, x], interval: 5parsecs}\n"}, nil, []string{"compose.yaml", "services[a].healthcheck.interval", "parsecs"}},
		{"invalid port", map[string]string{"compose.yaml": "services:\n  a: {image: x, ports: [\"abc:80\"]}\n"}, nil, []string{"compose.yaml", "abc"}},
		{"invalid memory size", map[string]string{"compose.yaml": "services:\n  a: {image: x, mem_limit: lots}\n"}, nil, []string{"compose.yaml", "services[a].mem_limit", "lots"}},
		{"invalid restart policy", map[string]string{"compose.yaml": "services:\n  a: {image: ${FIXTURE}, restart: sometimes}\n"}, nil, []string{"services.a.restart", "sometimes"}},
		{"missing env_file", map[string]string{"compose.yaml": "services:\n  a: {image: x, env_file: [secrets.env]}\n"}, nil, []string{"secrets.env", "not found"}},
		{"missing --env-file", map[string]string{"compose.yaml": "services:\n  a: {image: x}\n"}, []string{"--env-file", "nope.env"}, []string{"nope.env"}},
		{"missing -f file", map[string]string{"compose.yaml": "services:\n  a: {image: x}\n"}, []string{"-f", "other.yaml"}, []string{"other.yaml"}},
		{"missing include", map[string]string{"compose.yaml": "include: [shared.yaml]\nservices:\n  a: {image: x}\n"}, nil, []string{"shared.yaml"}},
		{"missing extends file", map[string]string{"compose.yaml": "services:\n  a: {extends: {file: base.yaml, service: x}}\n"}, nil, []string{"base.yaml"}},
		{"missing build context", map[string]string{"compose.yaml": "services:\n  a: {build: ./nope}\n"}, nil, []string{`"a"`, "nope"}},
		{"undeclared named volume", map[string]string{"compose.yaml": "services:\n  a: {image: x, volumes: [\"data:/data\"]}\n"}, nil, []string{`"a"`, "undefined volume data"}},
		{"undeclared network", map[string]string{"compose.yaml": "services:\n  a: {image: x, networks: [back]}\n"}, nil, []string{`"a"`, "undefined network back"}},
		{"external network missing", map[string]string{"compose.yaml": "services:\n  a: {image: ${FIXTURE}, networks: [back]}\nnetworks:\n  back: {external: true, name: mlstack-test-no-such-net}\n"}, nil, []string{"mlstack-test-no-such-net", "external", "networks.back"}},
		{"external volume missing", map[string]string{"compose.yaml": "services:\n  a: {image: ${FIXTURE}, volumes: [\"models:/models\"]}\nvolumes:\n  models: {external: true, name: mlstack-test-no-such-vol}\n"}, nil, []string{"mlstack-test-no-such-vol", "external", "volumes.models"}},
		{"image absent and not pullable", map[string]string{"compose.yaml": "services:\n  ok: {image: ${FIXTURE}}\n  model: {image: registry.invalid/model-server:2}\n"}, nil, []string{`service "model"`, "registry.invalid/model-server:2", "could not be pulled"}},
		{"host port in use", map[string]string{"compose.yaml": fmt.Sprintf("services:\n  ok: {image: ${FIXTURE}}\n  api: {image: ${FIXTURE}, ports: [\"127.0.0.1:%d:8080\"]}\n", taken)}, nil, []string{`"api"`, fmt.Sprint(taken), "already in use"}},
		{"two services publish one port", map[string]string{"compose.yaml": "services:\n  a: {image: ${FIXTURE}, ports: [\"127.0.0.1:19997:8080\"]}\n  b: {image: ${FIXTURE}, ports: [\"127.0.0.1:19997:8080\"]}\n"}, nil, []string{`"a"`, `"b"`, "19997"}},
		{"long-syntax bind source missing", map[string]string{"compose.yaml": "services:\n  a:\n    image: ${FIXTURE}\n    volumes: [{type: bind, source: ./models, target: /models}]\n"}, nil, []string{"services.a.volumes[0]", "models", "does not exist", "create_host_path"}},
		{"container_name used by another project", map[string]string{"compose.yaml": "services:\n  a: {image: ${FIXTURE}, container_name: " + foreignName + "}\n"}, nil, []string{`"a"`, foreignName, "someone-else"}},
		{"invalid project name", map[string]string{"compose.yaml": "services:\n  a: {image: x}\n"}, []string{"-p", "Bad Name!"}, []string{"Bad Name!", "project name"}},
		{"relative mount target", map[string]string{"compose.yaml": "services:\n  a:\n    image: ${FIXTURE}\n    volumes: [{type: volume, source: m, target: models}]\nvolumes:\n  m: {}\n"}, nil, []string{"services.a.volumes[0]", "models", "absolute"}},
		{"scale with a fixed container_name", map[string]string{"compose.yaml": "services:\n  a: {image: x, container_name: fixed, scale: 2}\n"}, nil, []string{"container_name"}},
	}
	if len(tests) < 30 {
		t.Fatalf("the corpus has %d cases; keep at least 30", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testenv.NewProject(t, "")
			var env []string
			for name, content := range tt.files {
				if strings.HasPrefix(name, "env:") {
					env = append(env, strings.TrimPrefix(name, "env:")+"="+content)
					continue
				}
				p.Write(name, content)
			}
			global, extra := tt.args, []string(nil)
			for i, a := range tt.args {
				if a == "--" {
					global, extra = tt.args[:i], tt.args[i+1:]
				}
			}
			args := append(append(append([]string{}, global...), "up", "-d"), extra...)
			r := p.RunEnv(env, args...)
			if r.Code == 0 {
				t.Fatalf("up succeeded:\n%s", r.Stderr)
			}
			msg := strings.TrimSpace(r.Stderr)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not name %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
				t.Errorf("crashed:\n%s", msg)
			}
			name := p.Name
			for i, a := range global {
				if a == "-p" && i+1 < len(global) {
					name = global[i+1]
				}
			}
			if c, n, v := testenv.Counts(t, p.Eng, name); c+n+v != 0 {
				t.Errorf("left %d containers, %d networks, %d volumes", c, n, v)
			}
		})
	}
}
