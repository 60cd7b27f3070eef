// Package watch turns file events under compose develop.watch rules into debounced batches of container changes.
package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/patternmatcher"

	"github.com/mlstack/mlstack/internal/build"
)

// builtinIgnores never sync: version control and mlstack's own state, and
// the files editors leave next to the ones being edited.
var builtinIgnores = []string{
	"**/.git", "**/.mlstack",
	"**/*.swp", "**/*.swx", "**/*~", "**/.#*", "**/#*#", "**/4913",
	"**/*.tmp", "**/*___jb_tmp___", "**/*___jb_old___", "**/.DS_Store",
}

// Rule is one compiled develop.watch trigger of a service. Its methods are
// safe for concurrent use.
type Rule struct {
	// Service is the compose service the trigger belongs to.
	Service string
	// Path is the watched host path, absolute with symlinks resolved.
	Path string
	// Target is the container path that Path maps to; empty for rebuild.
	Target string
	// Action is what to do with the service after a change: sync, rebuild, restart, sync+restart or sync+exec.
	Action types.WatchAction
	// Exec is the command of a sync+exec trigger.
	Exec types.ServiceHook
	// InitialSync asks for the target to be brought up to date before watching.
	InitialSync bool

	contextDir string
	// patternmatcher compiles patterns lazily on first use, so the
	// matchers are not safe for concurrent use without this lock.
	mu           sync.Mutex
	builtin      *patternmatcher.PatternMatcher
	ignore       *patternmatcher.PatternMatcher
	dockerignore *patternmatcher.PatternMatcher
	include      *patternmatcher.PatternMatcher
}

// RulesFor compiles every develop.watch trigger of svc, applying the
// .dockerignore of its build context when it has a local one.
func RulesFor(svc types.ServiceConfig) ([]*Rule, error) {
	if svc.Develop == nil {
		return nil, nil
	}
	contextDir := ""
	if svc.Build != nil {
		contextDir = svc.Build.Context
	}
	rules := make([]*Rule, 0, len(svc.Develop.Watch))
	for _, t := range svc.Develop.Watch {
		r, err := NewRule(svc.Name, t, contextDir)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", svc.Name, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// NewRule compiles trigger t of service. contextDir is the service's build
// context ("" without one); its .dockerignore applies to paths inside it.
func NewRule(service string, t types.Trigger, contextDir string) (*Rule, error) {
	if t.Path == "" {
		return nil, errors.New("watch rule without a path")
	}
	p, err := resolve(t.Path)
	if err != nil {
		return nil, fmt.Errorf("watch rule %q: %w", t.Path, err)
	}
	if t.Target != "" && !path.IsAbs(t.Target) {
		return nil, fmt.Errorf("watch rule %q: target %q is not an absolute container path", t.Path, t.Target)
	}
	r := &Rule{
		Service:     service,
		Path:        p,
		Target:      cleanTarget(t.Target),
		Action:      t.Action,
		Exec:        t.Exec,
		InitialSync: t.InitialSync,
	}
	if r.builtin, err = patternmatcher.New(builtinIgnores); err != nil {
		return nil, fmt.Errorf("built-in ignores: %w", err)
	}
	if r.ignore, err = compile(t.Ignore); err != nil {
		return nil, fmt.Errorf("watch rule %q: ignore: %w", t.Path, err)
	}
	if r.include, err = compile(t.Include); err != nil {
		return nil, fmt.Errorf("watch rule %q: include: %w", t.Path, err)
	}
	if contextDir != "" && !strings.Contains(contextDir, "://") {
		if r.contextDir, err = resolve(contextDir); err != nil {
			return nil, fmt.Errorf("build context %q: %w", contextDir, err)
		}
		patterns, _, err := build.ReadIgnore(r.contextDir)
		if err != nil {
			return nil, err
		}
		if r.dockerignore, err = compile(patterns); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(r.contextDir, ".dockerignore"), err)
		}
	}
	return r, nil
}

// resolve makes p absolute and resolves symlinks, so that it compares equal
// to the paths the watcher reports. A path that does not exist yet is kept.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return abs, nil
	}
	return real, err
}

func cleanTarget(t string) string {
	if t == "" {
		return ""
	}
	return path.Clean(t)
}

func compile(patterns []string) (*patternmatcher.PatternMatcher, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	return patternmatcher.New(patterns)
}

// Match reports whether a change of hostPath concerns this rule and, if so,
// the container path it maps to. Ignores win over include: the built-in
// ignores, the rule's ignore (relative to Path) and the build context's
// .dockerignore (relative to the context) exclude a path; a non-empty
// include then keeps only matching paths.
func (r *Rule) Match(hostPath string) (containerPath string, ok bool) {
	rel, ok := r.rel(hostPath)
	if !ok {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ignoredLocked(hostPath, rel) {
		return "", false
	}
	if r.include != nil && rel != "." && !matches(r.include, rel) {
		return "", false
	}
	if r.Target == "" {
		return "", true
	}
	return path.Join(r.Target, rel), true
}

// Ignored reports whether rel (slash-separated, relative to Path) is left
// out of syncing; it suits syncd.Diff when comparing manifests of the rule.
func (r *Rule) Ignored(rel string) bool {
	_, ok := r.Match(filepath.Join(r.Path, filepath.FromSlash(rel)))
	return !ok
}

// SkipDir reports whether the watcher and manifests can leave directory
// hostDir out entirely: it is ignored and no exclusion (`!pattern`) can
// bring back anything below it. Include never prunes directories.
func (r *Rule) SkipDir(hostDir string) bool {
	rel, ok := r.rel(hostDir)
	if !ok {
		return true
	}
	if rel == "." {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if matches(r.builtin, rel) {
		return true
	}
	if r.ignore != nil && matches(r.ignore, rel) && !reopens(r.ignore, rel) {
		return true
	}
	if crel, ok := r.contextRel(hostDir); ok && r.dockerignore != nil &&
		matches(r.dockerignore, crel) && !reopens(r.dockerignore, crel) {
		return true
	}
	return false
}

// Skip adapts SkipDir and Match to syncd.ManifestOptions.Skip for the initial sync of this rule.
func (r *Rule) Skip(rel string, isDir bool) bool {
	p := filepath.Join(r.Path, filepath.FromSlash(rel))
	if isDir {
		return r.SkipDir(p)
	}
	_, ok := r.Match(p)
	return !ok
}

func (r *Rule) ignoredLocked(hostPath, rel string) bool {
	if rel != "." && matches(r.builtin, rel) {
		return true
	}
	if r.ignore != nil && rel != "." && matches(r.ignore, rel) {
		return true
	}
	if crel, ok := r.contextRel(hostPath); ok && r.dockerignore != nil && matches(r.dockerignore, crel) {
		return true
	}
	return false
}

// rel returns hostPath relative to the rule path, slash-separated, when it is inside it.
func (r *Rule) rel(hostPath string) (string, bool) {
	return within(r.Path, hostPath)
}

func (r *Rule) contextRel(hostPath string) (string, bool) {
	if r.contextDir == "" {
		return "", false
	}
	rel, ok := within(r.contextDir, hostPath)
	return rel, ok && rel != "."
}

func within(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// matches treats a malformed pattern as no match: patterns were validated
// when compiled, so an error here cannot come from user input.
func matches(pm *patternmatcher.PatternMatcher, rel string) bool {
	ok, err := pm.MatchesOrParentMatches(rel)
	return err == nil && ok
}

// reopens reports whether an exclusion pattern could match something below
// dir, in which case an ignored dir must still be walked.
func reopens(pm *patternmatcher.PatternMatcher, dir string) bool {
	if !pm.Exclusions() {
		return false
	}
	dirParts := strings.Split(dir, "/")
	for _, p := range pm.Patterns() {
		if !p.Exclusion() {
			continue
		}
		parts := strings.Split(filepath.ToSlash(p.String()), "/")
		if len(parts) <= len(dirParts) && !strings.Contains(p.String(), "**") {
			continue
		}
		below := true
		for i, dp := range dirParts {
			if i >= len(parts) || strings.Contains(parts[i], "**") {
				break
			}
			if ok, _ := path.Match(parts[i], dp); !ok {
				below = false
				break
			}
		}
		if below {
			return true
		}
	}
	return false
}
