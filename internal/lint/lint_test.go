package lint

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const digest = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// writeContext creates a build context from name -> content; a content of "<dir>" makes a
// directory and "<sparse:N>" a sparse file of N MiB.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if content == "<dir>" {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var mib int64
		if n, ok := strings.CutPrefix(content, "<sparse:"); ok {
			for _, r := range strings.TrimSuffix(n, ">") {
				mib = mib*10 + int64(r-'0')
			}
			content = ""
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if mib > 0 {
			if err := os.Truncate(p, mib<<20); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func lintContext(t *testing.T, files map[string]string) (string, []Finding) {
	t.Helper()
	dir := writeContext(t, files)
	fs, err := LintDockerfile(filepath.Join(dir, "Dockerfile"), dir)
	if err != nil {
		t.Fatalf("LintDockerfile: %v", err)
	}
	return dir, fs
}

// ruleCase is one snippet checked for one rule; file is the finding's file relative to the
// context ("Dockerfile" when empty) and lines the lines the rule must report, none for a good snippet.
type ruleCase struct {
	name  string
	files map[string]string
	file  string
	lines []int
}

func df(lines ...string) map[string]string {
	return map[string]string{"Dockerfile": strings.Join(lines, "\n") + "\n"}
}

func with(files map[string]string, more ...string) map[string]string {
	for i := 0; i+1 < len(more); i += 2 {
		files[more[i]] = more[i+1]
	}
	return files
}

func runRuleCases(t *testing.T, rule string, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, fs := lintContext(t, tc.files)
			file := tc.file
			if file == "" {
				file = "Dockerfile"
			}
			want := filepath.Join(dir, filepath.FromSlash(file))
			var got []int
			for _, f := range fs {
				if f.Rule == rule {
					if f.File != want {
						t.Errorf("%s reported in %s, want %s", rule, f.File, want)
					}
					got = append(got, f.Line)
				}
			}
			if !reflect.DeepEqual(got, tc.lines) {
				t.Errorf("%s lines = %v, want %v; all findings:\n%s", rule, got, tc.lines, text(fs))
			}
		})
	}
}

func text(fs []Finding) string {
	var b strings.Builder
	_ = WriteText(&b, fs)
	return b.String()
}

func TestSyntaxDirective(t *testing.T) {
	runRuleCases(t, RuleSyntaxDirective, []ruleCase{
		{name: "syntax line fires", files: df("# syntax=docker/dockerfile:1.7", "FROM debian:bookworm"+digest), lines: []int{1}},
		{name: "after a shebang-free escape directive", files: df("# escape=\\", "# syntax=docker/dockerfile:1", "FROM debian:bookworm"+digest), lines: []int{2}},
		{name: "plain file is fine", files: df("FROM debian:bookworm" + digest)},
		{name: "ordinary comment mentioning syntax is fine", files: df("# build me", "# syntax=docker/dockerfile:1", "FROM debian:bookworm"+digest)},
	})
}

func TestBaseLatest(t *testing.T) {
	runRuleCases(t, RuleBaseLatest, []ruleCase{
		{name: "no tag", files: df("FROM python"), lines: []int{1}},
		{name: "latest tag", files: df("FROM pytorch/pytorch:latest"), lines: []int{1}},
		{name: "registry port is not a tag", files: df("FROM localhost:5000/trainer"), lines: []int{1}},
		{name: "ARG default resolved", files: df("ARG BASE=python", "FROM ${BASE}"), lines: []int{2}},
		{name: "second stage only", files: df("FROM python:3.11"+digest+" AS build", "FROM debian"), lines: []int{2}},
		{name: "tagged", files: df("FROM python:3.11-slim")},
		{name: "digest without tag", files: df("FROM python" + digest)},
		{name: "scratch", files: df("FROM scratch")},
		{name: "earlier stage", files: df("FROM python:3.11"+digest+" AS Build", "FROM build")},
		{name: "unresolvable ARG", files: df("ARG BASE", "FROM $BASE")},
	})
}

func TestBaseNoDigest(t *testing.T) {
	runRuleCases(t, RuleBaseNoDigest, []ruleCase{
		{name: "tag without digest", files: df("FROM python:3.11-slim"), lines: []int{1}},
		{name: "ARG in tag resolved", files: df("ARG PY=3.11", "FROM python:${PY}-slim AS base", "FROM base"), lines: []int{2}},
		{name: "local imported base", files: df("FROM mlstack/debian:bookworm", "FROM mlstack/debian:bookworm"), lines: []int{1, 2}},
		{name: "digest", files: df("FROM python:3.11-slim" + digest)},
		{name: "latest is base-latest, not both", files: df("FROM python:latest")},
		{name: "scratch", files: df("FROM scratch")},
	})
}

func TestBaseAlpinePython(t *testing.T) {
	runRuleCases(t, RuleBaseAlpinePython, []ruleCase{
		{name: "python alpine image", files: df("FROM python:3.11-alpine" + digest), lines: []int{1}},
		{name: "alpine with pip", files: df("FROM alpine:3.19"+digest, "RUN apk add --no-cache py3-pip && pip install --no-cache-dir numpy==1.26.4"), lines: []int{1}},
		{name: "alpine running python", files: df("FROM alpine:3.19"+digest, `CMD ["python3", "serve.py"]`), lines: []int{1}},
		{name: "alpine without python", files: df("FROM alpine:3.19"+digest, "RUN apk add --no-cache curl")},
		{name: "slim python", files: df("FROM python:3.11-slim-bookworm" + digest)},
	})
}

func TestCopyBeforeInstall(t *testing.T) {
	runRuleCases(t, RuleCopyBeforeInstall, []ruleCase{
		{name: "copy dot dot before pip", files: df("FROM python:3.11-slim"+digest, "WORKDIR /app", "COPY . .", "RUN pip install --no-cache-dir -r requirements.txt"), lines: []int{3}},
		{name: "copy to /app before apt", files: df("FROM debian:bookworm"+digest, "COPY . /app", "RUN apt-get update && apt-get install -y --no-install-recommends gcc"), lines: []int{2}},
		{name: "ADD dot before conda", files: df("FROM continuumio/miniconda3:24.1.2-0"+digest, "ADD . /src", "RUN conda env create -f /src/environment.yml"), lines: []int{2}},
		{name: "poetry install", files: df("FROM python:3.11-slim"+digest, "COPY ./ /app/", "RUN poetry install"), lines: []int{2}},
		{name: "requirements first, then code", files: df("FROM python:3.11-slim"+digest, "WORKDIR /app", "COPY requirements.txt .",
			"RUN pip install --no-cache-dir -r requirements.txt", "COPY . .", "RUN pip install --no-cache-dir --no-deps -e .")},
		{name: "poetry only-root after copy", files: df("FROM python:3.11-slim"+digest, "COPY pyproject.toml poetry.lock ./", "RUN poetry install --no-root", "COPY . .", "RUN poetry install --only-root")},
		{name: "copy from another stage", files: df("FROM python:3.11-slim"+digest+" AS build", "FROM python:3.11-slim"+digest, "COPY --from=build . /app", "RUN pip install --no-cache-dir /app/wheels/*.whl")},
		{name: "install in a later stage", files: df("FROM python:3.11-slim"+digest+" AS src", "COPY . /src", "FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir numpy==1.26.4")},
	})
}

func TestPipNoCacheDir(t *testing.T) {
	runRuleCases(t, RulePipNoCacheDir, []ruleCase{
		{name: "pip install", files: df("FROM python:3.11-slim"+digest, "RUN pip install torch==2.3.1"), lines: []int{2}},
		{name: "python -m pip, continued line", files: df("FROM python:3.11-slim"+digest, "RUN python3 -m pip install \\", "    numpy==1.26.4"), lines: []int{2}},
		{name: "exec form", files: df("FROM python:3.11-slim"+digest, `RUN ["pip", "install", "numpy==1.26.4"]`), lines: []int{2}},
		{name: "env set to 0 does not count", files: df("FROM python:3.11-slim"+digest, "ENV PIP_NO_CACHE_DIR=0", "RUN pip install numpy==1.26.4"), lines: []int{3}},
		{name: "flag", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir torch==2.3.1")},
		{name: "global flag before install", files: df("FROM python:3.11-slim"+digest, "RUN pip --no-cache-dir install torch==2.3.1")},
		{name: "ENV", files: df("FROM python:3.11-slim"+digest, "ENV PIP_NO_CACHE_DIR=1", "RUN pip install torch==2.3.1")},
		{name: "ENV inherited from earlier stage", files: df("FROM python:3.11-slim"+digest+" AS base", "ENV PIP_NO_CACHE_DIR=1", "FROM base", "RUN pip install torch==2.3.1")},
		{name: "inline variable", files: df("FROM python:3.11-slim"+digest, "RUN PIP_NO_CACHE_DIR=1 pip install torch==2.3.1")},
		{name: "cache removed in the same RUN", files: df("FROM python:3.11-slim"+digest, "RUN pip install torch==2.3.1 && rm -rf /root/.cache/pip")},
		{name: "other pip commands", files: df("FROM python:3.11-slim"+digest, "RUN pip freeze > /tmp/freeze.txt && pip list")},
	})
}

func TestPipUnpinned(t *testing.T) {
	runRuleCases(t, RulePipUnpinned, []ruleCase{
		{name: "bare name", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir torch"), lines: []int{2}},
		{name: "range", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir 'numpy>=1.24' scipy==1.13.0"), lines: []int{2}},
		{name: "upgrade pip", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir -U pip"), lines: []int{2}},
		{name: "redirect after pins is not a package", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir torch==2.3.1 2>&1 > /tmp/pip.log")},
		{name: "pinned with extras", files: df("FROM python:3.11-slim"+digest, `RUN pip install --no-cache-dir "transformers[torch]==4.41.2" pip==24.0`)},
		{name: "index url option value", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.3.1")},
		{name: "local project and wheels", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir -e . && pip install --no-cache-dir /wheels/*.whl")},
		{name: "requirements file is not a package", files: df("FROM python:3.11-slim"+digest, "RUN pip install --no-cache-dir -r requirements.txt")},
	})
}

func TestRequirementsUnpinned(t *testing.T) {
	const install = "RUN pip install --no-cache-dir -r requirements.txt"
	runRuleCases(t, RuleRequirementsUnpinned, []ruleCase{
		{name: "ranges and bare names",
			files: with(df("FROM python:3.11-slim"+digest, "WORKDIR /app", "COPY requirements.txt .", install),
				"requirements.txt", "numpy==1.26.4\npandas>=2.0\n\n# tools\ntorch~=2.3\nscikit-learn\nmlflow>2,<3\n"),
			file: "requirements.txt", lines: []int{2, 5, 6, 7}},
		{name: "included file",
			files: with(df("FROM python:3.11-slim"+digest, "COPY requirements/ /opt/req/", "RUN pip install --no-cache-dir -r /opt/req/prod.txt"),
				"requirements/prod.txt", "-r base.txt\nfastapi==0.111.0\n", "requirements/base.txt", "numpy\n"),
			file: "requirements/base.txt", lines: []int{1}},
		{name: "copied with COPY . . and installed",
			files: with(df("FROM python:3.11-slim"+digest, "WORKDIR /srv", "COPY . .", install), "requirements.txt", "torch\n"),
			file:  "requirements.txt", lines: []int{1}},
		{name: "copied but not installed is still linted",
			files: with(df("FROM python:3.11-slim"+digest, "COPY requirements-dev.txt /tmp/"), "requirements-dev.txt", "pytest\n"),
			file:  "requirements-dev.txt", lines: []int{1}},
		{name: "continued line reported where it starts",
			files: with(df("FROM python:3.11-slim"+digest, "COPY requirements.txt .", install), "requirements.txt", "numpy==1.26.4\nscipy \\\n  >=1.10\n"),
			file:  "requirements.txt", lines: []int{2}},
		{name: "pinned file with options, markers, hashes and URLs",
			files: with(df("FROM python:3.11-slim"+digest, "COPY requirements.txt .", install), "requirements.txt", strings.Join([]string{
				"--extra-index-url https://download.pytorch.org/whl/cpu",
				"-c constraints.txt",
				"-e ./libs/features",
				"torch==2.3.1+cpu ; platform_machine == 'x86_64'  # CPU wheels",
				"numpy==1.26.4 \\",
				"    --hash=sha256:0123456789abcdef",
				"mypkg @ https://example.com/mypkg-1.0-py3-none-any.whl#sha256=0123456789abcdef",
				"feats @ git+https://github.com/acme/feats@0123456789abcdef0123456789abcdef01234567",
				"./vendor/tokenizer",
				"",
			}, "\n")),
			file: "requirements.txt"},
		{name: "file in the context that the Dockerfile never uses",
			files: with(df("FROM python:3.11-slim"+digest, "COPY src/ /app/src/"), "requirements.txt", "numpy\n", "src/app.py", ""),
			file:  "requirements.txt"},
	})
}

func TestUserRoot(t *testing.T) {
	runRuleCases(t, RuleUserRoot, []ruleCase{
		{name: "no USER", files: df("FROM python:3.11-slim"+digest, `CMD ["python", "serve.py"]`), lines: []int{1}},
		{name: "USER only in the build stage", files: df("FROM python:3.11-slim"+digest+" AS build", "USER app", "FROM python:3.11-slim"+digest), lines: []int{3}},
		{name: "USER root last", files: df("FROM python:3.11-slim"+digest, "USER app", "RUN id", "USER root"), lines: []int{4}},
		{name: "USER 0:0", files: df("FROM python:3.11-slim"+digest, "USER 0:0"), lines: []int{2}},
		{name: "unprivileged user", files: df("FROM python:3.11-slim"+digest, "USER root", "RUN apt-get update", "USER 1000:1000")},
		{name: "inherited from parent stage", files: df("FROM python:3.11-slim"+digest+" AS base", "USER app", "FROM base", "RUN id")},
	})
}

func TestApt(t *testing.T) {
	good := "RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*"
	runRuleCases(t, RuleAptNoInstallRecommends, []ruleCase{
		{name: "missing flag", files: df("FROM debian:bookworm"+digest, "RUN apt-get update && apt-get install -y python3-sklearn && rm -rf /var/lib/apt/lists/*"), lines: []int{2}},
		{name: "apt install, multi-line", files: df("FROM debian:bookworm"+digest, "RUN apt-get update \\", " && apt install -y curl"), lines: []int{2}},
		{name: "flag", files: df("FROM debian:bookworm"+digest, good)},
		{name: "-o option", files: df("FROM debian:bookworm"+digest, "RUN apt-get install -y -o APT::Install-Recommends=false curl")},
		{name: "apt.conf.d set earlier", files: df("FROM debian:bookworm"+digest,
			`RUN echo 'APT::Install-Recommends "0";' > /etc/apt/apt.conf.d/90norecommends`, "RUN apt-get install -y curl")},
		{name: "apt-get update alone", files: df("FROM debian:bookworm"+digest, "RUN apt-get update")},
	})
	runRuleCases(t, RuleAptListsNotRemoved, []ruleCase{
		{name: "lists kept", files: df("FROM debian:bookworm"+digest, "RUN apt-get update && apt-get install -y --no-install-recommends curl"), lines: []int{2}},
		{name: "removed in a later RUN is too late", files: df("FROM debian:bookworm"+digest, "RUN apt-get update && apt-get install -y --no-install-recommends curl", "RUN rm -rf /var/lib/apt/lists/*"), lines: []int{2}},
		{name: "removed in the same RUN", files: df("FROM debian:bookworm"+digest, good)},
		{name: "no install", files: df("FROM debian:bookworm"+digest, "RUN apt-get update")},
	})
}

func TestSecretInEnv(t *testing.T) {
	runRuleCases(t, RuleSecretInEnv, []ruleCase{
		{name: "ENV API_KEY", files: df("FROM python:3.11-slim"+digest, "ENV WANDB_API_KEY=abc123"), lines: []int{2}},
		{name: "ARG AWS secret", files: df("FROM python:3.11-slim"+digest, "ARG AWS_SECRET_ACCESS_KEY"), lines: []int{2}},
		{name: "old ENV form", files: df("FROM python:3.11-slim"+digest, "ENV HF_TOKEN hf_abc"), lines: []int{2}},
		{name: "ARG before FROM", files: df("ARG MLFLOW_TRACKING_PASSWORD=x", "FROM python:3.11-slim"+digest), lines: []int{1}},
		{name: "one of several ENV pairs", files: df("FROM python:3.11-slim"+digest, "ENV PYTHONUNBUFFERED=1 \\", "    DB_PASSWD=hunter2"), lines: []int{2}},
		{name: "look-alike names", files: df("FROM python:3.11-slim"+digest,
			"ENV KEYBOARD_LAYOUT=us TOKENIZERS_PARALLELISM=false MONKEY=1", "ARG PASSWORDLESS=1")},
		{name: "public key fingerprint and secret file path", files: df("FROM python:3.11-slim"+digest,
			"ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D SECRET_KEY_FILE=/run/secrets/key")},
	})
}

func TestDockerignore(t *testing.T) {
	base := "FROM python:3.11-slim" + digest
	runRuleCases(t, RuleDockerignoreMissing, []ruleCase{
		{name: "missing", files: df(base), file: ".dockerignore", lines: []int{0}},
		{name: "present", files: with(df(base), ".dockerignore", ".git\n"), file: ".dockerignore"},
	})
	runRuleCases(t, RuleDockerignoreIncomplete, []ruleCase{
		{name: ".git not excluded", files: with(df(base), ".dockerignore", "__pycache__\n"), file: ".dockerignore", lines: []int{0}},
		{name: "data and models present", files: with(df(base), ".dockerignore", ".git\ndata\n", "data", "<dir>", "models", "<dir>", "mlruns", "<dir>"),
			file: ".dockerignore", lines: []int{0, 0}},
		{name: "all excluded, in several spellings", files: with(df(base), ".dockerignore", "/.git\ndata/\nmodels/**\nmlruns/*\n!mlruns/README.md\n",
			"data", "<dir>", "models", "<dir>", "mlruns", "<dir>"), file: ".dockerignore"},
		{name: "data directory absent needs no line", files: with(df(base), ".dockerignore", ".git\n"), file: ".dockerignore"},
		{name: "missing file is the other rule", files: with(df(base), "data", "<dir>"), file: ".dockerignore"},
	})
}

func TestLargeModelInContext(t *testing.T) {
	const ignore = ".git\n"
	runRuleCases(t, RuleLargeModelInContext, []ruleCase{
		{name: "weights copied with the context",
			files: with(df("FROM python:3.11-slim"+digest, "WORKDIR /app", "COPY . ."), ".dockerignore", ignore, "models/bert.safetensors", "<sparse:60>"),
			lines: []int{3}},
		{name: "weights copied by name",
			files: with(df("FROM python:3.11-slim"+digest, "COPY model.pt /app/model.pt"), ".dockerignore", ignore, "model.pt", "<sparse:51>"),
			lines: []int{2}},
		{name: "no .dockerignore at all",
			files: with(df("FROM python:3.11-slim"+digest, "COPY checkpoints/ /ckpt/"), "checkpoints/epoch3.ckpt", "<sparse:80>"),
			lines: []int{2}},
		{name: "excluded by .dockerignore",
			files: with(df("FROM python:3.11-slim"+digest, "COPY . ."), ".dockerignore", ".git\nmodels/\n", "models/bert.safetensors", "<sparse:60>")},
		{name: "small weights", files: with(df("FROM python:3.11-slim"+digest, "COPY . ."), ".dockerignore", ignore, "model.onnx", "<sparse:10>")},
		{name: "large file that is not weights", files: with(df("FROM python:3.11-slim"+digest, "COPY . ."), ".dockerignore", ignore, "train.csv", "<sparse:60>")},
		{name: "weights in the context but not copied",
			files: with(df("FROM python:3.11-slim"+digest, "COPY src/ /app/src/"), ".dockerignore", ignore, "models/big.pth", "<sparse:60>", "src/app.py", "")},
	})
}

func TestLargeModelMessageNamesFileAndSize(t *testing.T) {
	_, fs := lintContext(t, with(df("FROM python:3.11-slim"+digest, "COPY . ."), ".dockerignore", ".git\n", "models/bert.safetensors", "<sparse:60>"))
	for _, f := range fs {
		if f.Rule == RuleLargeModelInContext {
			if !strings.Contains(f.Message, "models/bert.safetensors") || !strings.Contains(f.Message, "60 MB") {
				t.Errorf("message %q should name the file and its size", f.Message)
			}
			return
		}
	}
	t.Fatalf("no %s finding:\n%s", RuleLargeModelInContext, text(fs))
}

func TestSuppression(t *testing.T) {
	runRuleCases(t, RuleBaseNoDigest, []ruleCase{
		{name: "ignore on the line before", files: df("# mlstack-lint: ignore=base-no-digest", "FROM mlstack/debian:bookworm")},
		{name: "ignore within a comment block", files: df("# mlstack-lint: ignore=user-root, base-no-digest", "# imported with docker import, no digest", "FROM mlstack/debian:bookworm")},
		{name: "ignore covers only the next instruction", files: df("# mlstack-lint: ignore=base-no-digest", "FROM mlstack/debian:bookworm AS a", "FROM mlstack/debian:bookworm"), lines: []int{3}},
		{name: "ignore of another rule", files: df("# mlstack-lint: ignore=base-latest", "FROM mlstack/debian:bookworm"), lines: []int{2}},
		{name: "disable anywhere", files: df("FROM mlstack/debian:bookworm AS a", "FROM mlstack/debian:bookworm", "# mlstack-lint: disable=base-no-digest")},
	})
	runRuleCases(t, RuleRequirementsUnpinned, []ruleCase{
		{name: "ignore in a requirements file",
			files: with(df("FROM python:3.11-slim"+digest, "COPY requirements.txt ."), "requirements.txt", "# mlstack-lint: ignore=requirements-unpinned\npip\nnumpy\n"),
			file:  "requirements.txt", lines: []int{3}},
	})
	runRuleCases(t, RuleDockerignoreMissing, []ruleCase{
		{name: "disable a whole-file rule", files: df("# mlstack-lint: disable=dockerignore-missing", "FROM scratch"), file: ".dockerignore"},
	})
}

func TestCleanProjectHasNoFindings(t *testing.T) {
	_, fs := lintContext(t, map[string]string{
		"Dockerfile": strings.Join([]string{
			"# Inference service for the churn model.",
			"FROM python:3.11-slim-bookworm" + digest,
			"ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false",
			"RUN apt-get update \\",
			" && apt-get install -y --no-install-recommends libgomp1 \\",
			" && rm -rf /var/lib/apt/lists/*",
			"RUN useradd --create-home --uid 1000 app",
			"WORKDIR /app",
			"COPY requirements.txt .",
			"RUN pip install -r requirements.txt",
			"COPY src/ ./src/",
			"USER app",
			`CMD ["python", "-m", "src.serve"]`,
		}, "\n") + "\n",
		".dockerignore":       ".git\ndata/\nmodels/\nmlruns/\n**/__pycache__\n",
		"requirements.txt":    "scikit-learn==1.5.0\npandas==2.2.2\nfastapi==0.111.0\nuvicorn[standard]==0.30.1\n",
		"src/serve.py":        "print('ok')\n",
		"data/train.csv":      "a,b\n",
		"models/model.pt":     "<sparse:60>",
		"mlruns/0/meta.yaml":  "",
		"notebooks/eda.ipynb": "{}",
	})
	if len(fs) != 0 {
		t.Errorf("clean project has findings:\n%s", text(fs))
	}
}

func TestSeedMistakes(t *testing.T) {
	dir, fs := lintContext(t, map[string]string{
		"Dockerfile": strings.Join([]string{
			"# syntax=docker/dockerfile:1",
			"FROM python:latest",
			"ENV WANDB_API_KEY=0123abcd",
			"WORKDIR /app",
			"COPY . .",
			"RUN apt-get update && apt-get install -y build-essential",
			"RUN pip install -r requirements.txt",
			`CMD ["python", "train.py"]`,
		}, "\n") + "\n",
		"requirements.txt": "torch\nnumpy>=1.24\n",
		"train.py":         "",
		"data/raw.csv":     "",
		"models/last.pt":   "<sparse:120>",
	})
	rules := map[string]bool{}
	for _, f := range fs {
		rules[f.Rule] = true
	}
	for _, want := range []string{
		RuleSyntaxDirective, RuleBaseLatest, RuleSecretInEnv, RuleCopyBeforeInstall, RuleAptNoInstallRecommends,
		RuleAptListsNotRemoved, RulePipNoCacheDir, RuleRequirementsUnpinned, RuleUserRoot, RuleDockerignoreMissing,
		RuleLargeModelInContext,
	} {
		if !rules[want] {
			t.Errorf("missing %s", want)
		}
	}
	if len(rules) < 4 {
		t.Errorf("want at least 4 distinct rules, got %d", len(rules))
	}
	if !HasErrors(fs) {
		t.Error("HasErrors = false, want true")
	}
	sorted := sort.SliceIsSorted(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	if !sorted {
		t.Errorf("findings not sorted by file, line, rule:\n%s", text(fs))
	}
	wantFiles := map[string]bool{filepath.Join(dir, "Dockerfile"): true, filepath.Join(dir, ".dockerignore"): true, filepath.Join(dir, "requirements.txt"): true}
	for _, f := range fs {
		if !wantFiles[f.File] {
			t.Errorf("finding in unexpected file %s", f.File)
		}
	}
}

func TestParseErrorNamesFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"unterminated heredoc", "FROM debian:bookworm\nRUN <<EOF\necho hi\n", "line 2"},
		{"exec form with a number", "FROM debian:bookworm\nCMD [\"serve\", 1]\n", "line 2"},
		{"empty file", "# nothing here\n", "no instructions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"Dockerfile": tc.content})
			path := filepath.Join(dir, "Dockerfile")
			_, err := LintDockerfile(path, dir)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q should name %s and %q", err, path, tc.want)
			}
		})
	}
}

func TestMissingInputs(t *testing.T) {
	dir := t.TempDir()
	if _, err := LintDockerfile(filepath.Join(dir, "Dockerfile"), dir); err == nil {
		t.Error("missing Dockerfile: want an error")
	}
	p := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(p, []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LintDockerfile(p, filepath.Join(dir, "nope")); err == nil {
		t.Error("missing context: want an error")
	}
	// An empty context defaults to the Dockerfile's directory.
	fs, err := LintDockerfile(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 || fs[0].File != filepath.Join(dir, ".dockerignore") {
		t.Errorf("want the context to default to %s, got:\n%s", dir, text(fs))
	}
}
