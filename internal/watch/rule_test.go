package watch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRule(t *testing.T, trig types.Trigger, contextDir string) *Rule {
	t.Helper()
	r, err := NewRule("trainer", trig, contextDir)
	if err != nil {
		t.Fatalf("NewRule(%+v): %v", trig, err)
	}
	return r
}

// mlProject makes a build context with a .dockerignore like an ML repo's.
func mlProject(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, ".dockerignore"), "# big things stay out of the image\ndata/\nmodels\n!models/keep.txt\n*.ckpt\n/secrets.env\n")
	return dir
}

func TestMatchIgnoreIncludeMatrix(t *testing.T) {
	proj := mlProject(t)
	sync := mustRule(t, types.Trigger{Path: proj, Action: types.WatchActionSync, Target: "/app",
		Ignore: []string{"node_modules/", ".venv/", "**/__pycache__"}}, proj)
	include := mustRule(t, types.Trigger{Path: filepath.Join(proj, "src"), Action: types.WatchActionSyncRestart, Target: "/srv",
		Include: []string{"**/*.py", "requirements.txt"}}, "")
	writeFile(t, filepath.Join(proj, "svc/.dockerignore"), "*.py\n")
	outside := mustRule(t, types.Trigger{Path: filepath.Join(proj, "shared"), Action: types.WatchActionSync, Target: "/shared"},
		filepath.Join(proj, "svc"))
	rebuild := mustRule(t, types.Trigger{Path: filepath.Join(proj, "requirements.txt"), Action: types.WatchActionRebuild}, proj)

	tests := []struct {
		name string
		rule *Rule
		rel  string // relative to proj
		want string // container path
		ok   bool
	}{
		{"plain file", sync, "train.py", "/app/train.py", true},
		{"nested file", sync, "src/pkg/mod.py", "/app/src/pkg/mod.py", true},
		{"rule root maps to target", sync, ".", "/app", true},
		{"dockerignore dir", sync, "data/raw/x.csv", "", false},
		{"dockerignore dir itself", sync, "data", "", false},
		{"dockerignore without slash", sync, "models/m.bin", "", false},
		{"dockerignore exception", sync, "models/keep.txt", "/app/models/keep.txt", true},
		{"dockerignore glob is top level only", sync, "weights.ckpt", "", false},
		{"dockerignore glob below top", sync, "runs/w.ckpt", "/app/runs/w.ckpt", true},
		{"dockerignore leading slash", sync, "secrets.env", "", false},
		{"rule ignore dir", sync, "node_modules/a/b.js", "", false},
		{"rule ignore venv", sync, ".venv/bin/python", "", false},
		{"rule ignore at any depth", sync, "src/pkg/__pycache__/m.pyc", "", false},
		{".git always", sync, ".git/HEAD", "", false},
		{"nested .git always", sync, "vendor/lib/.git/config", "", false},
		{".mlstack always", sync, ".mlstack/state.json", "", false},
		{".gitignore is not .git", sync, ".gitignore", "/app/.gitignore", true},
		{"vim swap", sync, "src/.train.py.swp", "", false},
		{"vim swx", sync, ".train.py.swx", "", false},
		{"backup tilde", sync, "train.py~", "", false},
		{"emacs lock", sync, ".#train.py", "", false},
		{"emacs autosave", sync, "#train.py#", "", false},
		{"vim write test", sync, "src/4913", "", false},
		{"tmp file", sync, "out.tmp", "", false},
		{"jetbrains temp", sync, "train.py___jb_tmp___", "", false},
		{"finder droppings", sync, "src/.DS_Store", "", false},
		{"outside the rule", sync, "../elsewhere/x.py", "", false},
		{"include glob matches deep", include, "src/pkg/model.py", "/srv/pkg/model.py", true},
		{"include exact name", include, "src/requirements.txt", "/srv/requirements.txt", true},
		{"include leaves others out", include, "src/README.md", "", false},
		{"include with ignore still ignores droppings", include, "src/.model.py.swp", "", false},
		{"dockerignore of another context does not apply", outside, "shared/util.py", "/shared/util.py", true},
		{"file rule matches itself", rebuild, "requirements.txt", "", true},
		{"file rule ignores siblings", rebuild, "train.py", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.rule.Match(filepath.Join(proj, tt.rel))
			if ok != tt.ok || got != tt.want {
				t.Errorf("Match(%s) = %q, %v; want %q, %v", tt.rel, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSkipDir(t *testing.T) {
	proj := mlProject(t)
	r := mustRule(t, types.Trigger{Path: proj, Action: types.WatchActionSync, Target: "/app",
		Ignore: []string{"node_modules/", "runs/", "!runs/best/"}}, proj)
	tests := []struct {
		rel  string
		skip bool
	}{
		{".", false},
		{"src", false},
		{"data", true},
		{"data/raw", true},
		{"models", false}, // !models/keep.txt reaches inside
		{"node_modules", true},
		{".git", true},
		{"lib/.git", true},
		{".mlstack", true},
		{"runs", false}, // !runs/best/ reaches inside
		{"runs/old", true},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			if got := r.SkipDir(filepath.Join(proj, tt.rel)); got != tt.skip {
				t.Errorf("SkipDir(%s) = %v, want %v", tt.rel, got, tt.skip)
			}
		})
	}
}

func TestRulesForService(t *testing.T) {
	proj := mlProject(t)
	svc := types.ServiceConfig{
		Name: "api",
		Develop: &types.DevelopConfig{Watch: []types.Trigger{
			{Path: filepath.Join(proj, "src"), Action: types.WatchActionSync, Target: "/app/src"},
			{Path: filepath.Join(proj, "requirements.txt"), Action: types.WatchActionRebuild},
		}},
	}
	svc.Build = &types.BuildConfig{Context: proj}
	rules, err := RulesFor(svc)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Service != "api" || rules[1].Action != types.WatchActionRebuild {
		t.Fatalf("rules = %+v", rules)
	}
	if _, ok := rules[0].Match(filepath.Join(proj, "src/data/x")); !ok {
		t.Error("src/data is not data/ of the context and must sync")
	}
	bad := svc
	bad.Develop = &types.DevelopConfig{Watch: []types.Trigger{{Path: proj, Action: types.WatchActionSync, Target: "relative/dir"}}}
	if _, err := RulesFor(bad); err == nil {
		t.Error("relative target accepted")
	}
	bad.Develop = &types.DevelopConfig{Watch: []types.Trigger{{Path: proj, Action: types.WatchActionSync, Target: "/app", Ignore: []string{"["}}}}
	if _, err := RulesFor(bad); err == nil {
		t.Error("malformed ignore pattern accepted")
	}
}
