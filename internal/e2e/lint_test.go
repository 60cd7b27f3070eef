package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

type finding struct {
	Rule, Severity, File, Message, Hint string
	Line                                int
}

// lint --format json on a Dockerfile with the seeds' mistakes reports them with lines, including the
// requirements file it installs, and exits 1; a Dockerfile that follows the rules passes.
func TestLintCLI(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"bad/Dockerfile": `FROM python:latest
ENV HF_TOKEN=hf_abc
COPY . /app
RUN pip install -r /app/requirements.txt
RUN apt-get update && apt-get install -y libgomp1
CMD ["python", "/app/serve.py"]
`,
		"bad/requirements.txt": "pandas>=1.5\nscikit-learn\n",
		"good/Dockerfile": `FROM python:3.11-slim@sha256:4c2cf9917bd1cbacc5e9b07320025bdb7cdf2df7b0ceaccb55e9dd7e30987419
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY src/ ./src/
USER 1000:1000
CMD ["python", "src/serve.py"]
`,
		"good/requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\n",
		"good/.dockerignore":    ".git\ndata/\nmodels/\n",
		"good/src/serve.py":     "print('serve')\n",
	})

	out, stderr, code := mlstackIn(t, dir, "lint", "--format", "json", "bad")
	if code != 1 {
		t.Errorf("lint bad: exit %d, want 1; stderr: %s", code, stderr)
	}
	var fs []finding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("lint --format json output is not a JSON array: %v\n%s", err, out)
	}
	rules := map[string]bool{}
	onRequirements := false
	for _, f := range fs {
		if f.Rule == "" || f.Severity == "" || f.File == "" || f.Message == "" || f.Hint == "" {
			t.Errorf("incomplete finding: %+v", f)
		}
		if filepath.Base(f.File) == "Dockerfile" && f.Line > 0 {
			rules[f.Rule] = true
		}
		if filepath.Base(f.File) == "requirements.txt" && f.Line > 0 {
			onRequirements = true
		}
	}
	if len(rules) < 4 {
		t.Errorf("want at least 4 distinct rules with lines in the Dockerfile, got %v\n%s", rules, out)
	}
	for _, r := range []string{"base-latest", "secret-in-env", "copy-before-install", "pip-no-cache-dir", "apt-no-install-recommends"} {
		if !rules[r] {
			t.Errorf("rule %s not reported", r)
		}
	}
	if !onRequirements {
		t.Errorf("no finding on requirements.txt:\n%s", out)
	}

	out, stderr, code = mlstackIn(t, dir, "lint", "--format", "json", "good")
	if code != 0 || stringsTrim(out) != "[]" {
		t.Errorf("lint good: exit %d, output %s, stderr %s", code, out, stderr)
	}
	out, _, code = mlstackIn(t, dir, "lint", "good/Dockerfile")
	if code != 0 || out != "" {
		t.Errorf("lint good/Dockerfile (text): exit %d, output %q", code, out)
	}
}

// With no paths, lint takes the Dockerfile of every build context of the project, once each.
func TestLintProject(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"compose.yaml": `services:
  train:
    build: ./svc
    profiles: [training]
  serve:
    build: ./svc
  db:
    image: redis:7
`,
		"svc/Dockerfile": "FROM python:3.11\nENV DB_PASSWORD=x\n",
	})
	out, _, code := mlstackIn(t, dir, "lint", "--format", "json")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var fs []finding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		if f.Rule == "secret-in-env" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("secret-in-env reported %d times, want once for the shared Dockerfile:\n%s", n, out)
	}

	empty := t.TempDir()
	testenv.WriteFiles(t, empty, map[string]string{"compose.yaml": "services:\n  db:\n    image: redis:7\n"})
	_, stderr, code := mlstackIn(t, empty, "lint")
	if code != 0 || !containsAll(stderr, "no service", "build section") {
		t.Errorf("project without builds: exit %d, stderr %q", code, stderr)
	}
}

func stringsTrim(s string) string { return strings.TrimSpace(s) }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(strings.ToLower(s), strings.ToLower(sub)) {
			return false
		}
	}
	return true
}
