package lint

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"

	"github.com/mlstack/mlstack/internal/build"
)

// buildContext is the directory sent to the engine and the .dockerignore that filters it.
type buildContext struct {
	dir        string
	ignoreFile string
	hasIgnore  bool
	// matcher is nil when there is no .dockerignore; it is not safe for concurrent use.
	matcher *patternmatcher.PatternMatcher
}

// mlDataDirs are directories ML projects keep next to their code that do not belong in an image.
func mlDataDirs() []string {
	return []string{"data", "datasets", "models", "checkpoints", "mlruns", "wandb", "lightning_logs", "outputs", "runs"}
}

// isModelWeights reports whether a file name has the extension of a model weights file.
func isModelWeights(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pt", ".pth", ".pkl", ".joblib", ".ckpt", ".h5", ".onnx", ".safetensors":
		return true
	}
	return false
}

func loadContext(dir string) (*buildContext, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("read build context: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("read build context %q: not a directory", dir)
	}
	bc := &buildContext{dir: dir, ignoreFile: filepath.Join(dir, build.IgnoreFile)}
	patterns, found, err := build.ReadIgnore(dir)
	if err != nil {
		return nil, err
	}
	if !found {
		return bc, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", bc.ignoreFile, err)
	}
	bc.hasIgnore, bc.matcher = true, pm
	return bc, nil
}

// excluded reports whether .dockerignore keeps the context-relative path out of the build.
func (bc *buildContext) excluded(rel string) bool {
	if bc.matcher == nil {
		return false
	}
	ok, err := bc.matcher.MatchesOrParentMatches(filepath.ToSlash(rel))
	return err == nil && ok
}

// excludesDir reports whether a directory's contents stay out of the build, whether the
// pattern names the directory ("data") or its contents ("data/*", "data/**").
func (bc *buildContext) excludesDir(rel string) bool {
	return bc.excluded(rel) || bc.excluded(path.Join(rel, "mlstack-lint-probe"))
}

func (bc *buildContext) isDir(rel string) bool {
	fi, err := os.Stat(filepath.Join(bc.dir, rel))
	return err == nil && fi.IsDir()
}

func checkDockerignore(bc *buildContext) []Finding {
	var present []string
	for _, d := range mlDataDirs() {
		if bc.isDir(d) {
			present = append(present, d+"/")
		}
	}
	if !bc.hasIgnore {
		msg := "the build context has no .dockerignore, so everything in it, .git included, is sent to the engine on every build"
		if len(present) > 0 {
			msg = fmt.Sprintf("the build context has no .dockerignore, so .git and %s are sent to the engine on every build", strings.Join(present, ", "))
		}
		return []Finding{newFinding(RuleDockerignoreMissing, bc.ignoreFile, 0,
			"create .dockerignore listing at least .git and the data, model and experiment directories", "%s", msg)}
	}
	var fs []Finding
	if !bc.excludesDir(".git") {
		fs = append(fs, newFinding(RuleDockerignoreIncomplete, bc.ignoreFile, 0,
			"add a line: .git", ".dockerignore does not exclude .git, so the whole repository history is sent on every build"))
	}
	for _, d := range present {
		if !bc.excludesDir(strings.TrimSuffix(d, "/")) {
			fs = append(fs, newFinding(RuleDockerignoreIncomplete, bc.ignoreFile, 0,
				"add a line: "+d+" (mount it into the container instead)",
				".dockerignore does not exclude %s, which is in the build context and is sent on every build", d))
		}
	}
	return fs
}

// contextSources expands the sources of a COPY or ADD to existing context-relative paths.
func contextSources(bc *buildContext, srcs []string) []string {
	var out []string
	for _, src := range srcs {
		if strings.Contains(src, "://") || strings.Contains(src, "$") {
			continue
		}
		rel := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(src)), "/")
		if rel == "" {
			rel = "."
		}
		if strings.ContainsAny(rel, "*?[") {
			matches, err := filepath.Glob(filepath.Join(bc.dir, filepath.FromSlash(rel)))
			if err != nil {
				continue
			}
			for _, m := range matches {
				if r, err := filepath.Rel(bc.dir, m); err == nil {
					out = append(out, filepath.ToSlash(r))
				}
			}
			continue
		}
		if _, err := os.Stat(filepath.Join(bc.dir, filepath.FromSlash(rel))); err == nil {
			out = append(out, rel)
		}
	}
	return out
}

func checkLargeModels(df *dockerfile, bc *buildContext) ([]Finding, error) {
	var fs []Finding
	for _, s := range df.stages {
		for _, st := range s.steps {
			if !isContextCopy(st) {
				continue
			}
			seen := map[string]bool{}
			for _, src := range contextSources(bc, copySources(st.node)) {
				big, err := bc.largeModels(src)
				if err != nil {
					return nil, err
				}
				for _, m := range big {
					if seen[m.rel] {
						continue
					}
					seen[m.rel] = true
					fs = append(fs, newFinding(RuleLargeModelInContext, df.path, st.node.StartLine,
						"exclude it in .dockerignore and mount it as a volume, or download it when the container starts",
						"%s sends and copies model weights %s (%s) into the image", strings.ToUpper(st.cmd), m.rel, describeSize(m.size)))
				}
			}
		}
	}
	return fs, nil
}

type sizedFile struct {
	rel  string
	size int64
}

// largeModels lists weights files over LargeModelBytes under the context-relative path src
// that .dockerignore lets through.
func (bc *buildContext) largeModels(src string) ([]sizedFile, error) {
	var out []sizedFile
	root := filepath.Join(bc.dir, filepath.FromSlash(src))
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable entry would fail the build itself; the linter reports what it can read.
			if d != nil && d.IsDir() && p != root {
				return fs.SkipDir
			}
			return nil
		}
		rel, rerr := filepath.Rel(bc.dir, p)
		if rerr != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" || (rel != "." && bc.excluded(rel) && !bc.matcher.Exclusions()) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !isModelWeights(d.Name()) || bc.excluded(rel) {
			return nil
		}
		info, ierr := d.Info()
		if ierr != nil || info.Size() <= LargeModelBytes {
			return nil
		}
		out = append(out, sizedFile{rel: rel, size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan build context %q for model files: %w", bc.dir, err)
	}
	return out, nil
}
