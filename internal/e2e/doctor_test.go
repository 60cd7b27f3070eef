package e2e

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// doctor reports the engine version and GPU state and exits 0 without a project; in a project it
// names a published port something else holds, still exiting 0; a broken project exits 1.
func TestDoctor(t *testing.T) {
	eng := testenv.Integration(t)
	fixture := testenv.FixtureImage(t, eng)
	dir := t.TempDir()
	out, stderr, code := mlstackIn(t, dir, "doctor")
	if code != 0 {
		t.Fatalf("doctor: exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"Docker Engine ", "Engine API 1.", "gpu", "--gpus auto", "registry", "no compose file"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	testenv.WriteFiles(t, dir, map[string]string{"compose.yaml": "services:\n  web:\n    image: " + fixture + "\n    ports: [\"127.0.0.1:" + itoa(port) + ":8080\"]\n"})
	out, _, code = mlstackIn(t, dir, "doctor", "--format", "json")
	if code != 0 {
		t.Errorf("doctor with a taken port: exit %d, want 0 (not a hard blocker)", code)
	}
	var r struct {
		Checks []struct{ Name, Status, Detail, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("doctor --format json: %v\n%s", err, out)
	}
	found := false
	for _, c := range r.Checks {
		if c.Name == "ports" && c.Status == "warn" && strings.Contains(c.Detail, itoa(port)) && strings.Contains(c.Detail, "web") && c.Fix != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("taken port %d not reported:\n%s", port, out)
	}

	// An image that is neither here nor buildable: up fails for certain without a registry.
	testenv.WriteFiles(t, dir, map[string]string{
		"compose.yaml": "services:\n  web:\n    image: mlstack-test/absent:1\n  api:\n    build: .\n",
		"Dockerfile":   "FROM mlstack-test/absent-base:1\n",
	})
	out, _, code = mlstackIn(t, dir, "doctor", "--format", "json")
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("doctor --format json: %v\n%s", err, out)
	}
	var registry, images struct{ Status, Detail, Fix string }
	for _, c := range r.Checks {
		switch c.Name {
		case "registry":
			registry = struct{ Status, Detail, Fix string }{c.Status, c.Detail, c.Fix}
		case "images":
			images = struct{ Status, Detail, Fix string }{c.Status, c.Detail, c.Fix}
		}
	}
	for _, want := range []string{"mlstack-test/absent:1 (service web)", "mlstack-test/absent-base:1 (FROM in api's Dockerfile)"} {
		if !strings.Contains(images.Detail, want) {
			t.Errorf("images check lacks %q: %+v", want, images)
		}
	}
	if registry.Status != "ok" && (code != 1 || images.Status != "FAIL" || !strings.Contains(images.Fix, "docker load")) {
		t.Errorf("missing images with no registry: exit %d, images %+v; want exit 1, FAIL with how to get each", code, images)
	}

	testenv.WriteFiles(t, dir, map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    depends_on: [nope]\n"})
	out, _, code = mlstackIn(t, dir, "doctor")
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, "nope") {
		t.Errorf("doctor with an invalid project: exit %d\n%s", code, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
