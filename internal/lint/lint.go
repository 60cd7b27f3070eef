// Package lint checks an ML service's Dockerfile, its build context and the requirements files it installs.
package lint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Severity says whether a finding should fail a check ("error") or only be reported ("warning").
type Severity string

// Severities a finding can have.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one problem found at a file and line; Line is 0 when the problem concerns a whole file.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint"`
}

// Rule describes one check: its stable id, its severity and what it looks for.
type Rule struct {
	ID          string   `json:"id"`
	Severity    Severity `json:"severity"`
	Description string   `json:"description"`
}

// Rule ids, stable across releases because users name them in suppression comments.
const (
	RuleSyntaxDirective        = "syntax-directive"
	RuleBaseLatest             = "base-latest"
	RuleBaseNoDigest           = "base-no-digest"
	RuleBaseAlpinePython       = "base-alpine-python"
	RuleCopyBeforeInstall      = "copy-before-install"
	RulePipNoCacheDir          = "pip-no-cache-dir"
	RulePipUnpinned            = "pip-unpinned"
	RuleRequirementsUnpinned   = "requirements-unpinned"
	RuleAptNoInstallRecommends = "apt-no-install-recommends"
	RuleAptListsNotRemoved     = "apt-lists-not-removed"
	RuleUserRoot               = "user-root"
	RuleSecretInEnv            = "secret-in-env"
	RuleDockerignoreMissing    = "dockerignore-missing"
	RuleDockerignoreIncomplete = "dockerignore-incomplete"
	RuleLargeModelInContext    = "large-model-in-context"
)

// LargeModelBytes is the size above which a model weights file in the build context is reported.
const LargeModelBytes = 50 << 20

// Rules lists every rule in the order the documentation presents them.
func Rules() []Rule {
	return []Rule{
		{RuleSyntaxDirective, SeverityWarning, "a '# syntax=' directive needs BuildKit, which the engine here does not have"},
		{RuleBaseLatest, SeverityError, "base image has no tag or the tag 'latest'"},
		{RuleBaseNoDigest, SeverityWarning, "base image is not pinned by an @sha256: digest"},
		{RuleBaseAlpinePython, SeverityWarning, "Python image built on alpine (musl breaks most ML wheels)"},
		{RuleCopyBeforeInstall, SeverityWarning, "whole build context copied before dependencies are installed"},
		{RulePipNoCacheDir, SeverityWarning, "pip install keeps its download cache in the image"},
		{RulePipUnpinned, SeverityError, "package installed by pip in RUN without an exact == version"},
		{RuleRequirementsUnpinned, SeverityError, "requirements file line without an exact == version"},
		{RuleAptNoInstallRecommends, SeverityWarning, "apt-get install without --no-install-recommends"},
		{RuleAptListsNotRemoved, SeverityWarning, "apt-get install in a RUN that does not remove /var/lib/apt/lists"},
		{RuleUserRoot, SeverityWarning, "final stage runs as root (no USER, or USER root/0)"},
		{RuleSecretInEnv, SeverityError, "ENV or ARG named like a secret (TOKEN, SECRET, PASSWORD, PASSWD, KEY)"},
		{RuleDockerignoreMissing, SeverityWarning, "build context has no .dockerignore"},
		{RuleDockerignoreIncomplete, SeverityWarning, ".dockerignore does not exclude .git or data/model directories present in the context"},
		{RuleLargeModelInContext, SeverityWarning, "model weights over 50 MB sent in the build context and copied into the image"},
	}
}

// HasErrors reports whether any finding has severity error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// LintDockerfile lints the Dockerfile at path, built with contextDir as its build context
// (the Dockerfile's directory when contextDir is empty). It also reads the context's
// .dockerignore, the requirements files the Dockerfile installs, and model files it copies.
// The error is for files that cannot be read or parsed; problems are findings.
func LintDockerfile(path, contextDir string) ([]Finding, error) {
	if contextDir == "" {
		contextDir = filepath.Dir(path)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lint Dockerfile: %w", err)
	}
	df, err := parseDockerfile(path, content)
	if err != nil {
		return nil, err
	}
	bc, err := loadContext(contextDir)
	if err != nil {
		return nil, err
	}

	var fs []Finding
	fs = append(fs, checkSyntaxDirective(df)...)
	fs = append(fs, checkBaseImages(df)...)
	fs = append(fs, checkCopyBeforeInstall(df)...)
	fs = append(fs, checkRuns(df)...)
	fs = append(fs, checkUser(df)...)
	fs = append(fs, checkSecrets(df)...)
	fs = append(fs, checkDockerignore(bc)...)
	more, err := checkRequirements(df, bc)
	if err != nil {
		return nil, err
	}
	fs = append(fs, more...)
	more, err = checkLargeModels(df, bc)
	if err != nil {
		return nil, err
	}
	fs = append(fs, more...)

	fs = suppress(fs, path, content)
	sortFindings(fs)
	return fs, nil
}

// newFinding fills in the severity from the rule table so the two never disagree.
func newFinding(rule, file string, line int, hint, format string, args ...any) Finding {
	sev := SeverityWarning
	for _, r := range Rules() {
		if r.ID == rule {
			sev = r.Severity
		}
	}
	return Finding{Rule: rule, Severity: sev, File: file, Line: line, Message: fmt.Sprintf(format, args...), Hint: hint}
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

var suppressRe = regexp.MustCompile(`^\s*#\s*mlstack-lint:\s*(ignore|disable)\s*=\s*([A-Za-z0-9_,\s-]+?)\s*$`)

// suppress drops findings silenced by comments: "# mlstack-lint: ignore=rule[,rule]" in the
// comment block right above a finding's line (in any linted file), and
// "# mlstack-lint: disable=rule[,rule]" anywhere in the Dockerfile for the whole run.
func suppress(fs []Finding, dockerfile string, content []byte) []Finding {
	disabled := map[string]bool{}
	for _, l := range splitLines(content) {
		if m := suppressRe.FindStringSubmatch(l); m != nil && m[1] == "disable" {
			for _, id := range splitIDs(m[2]) {
				disabled[id] = true
			}
		}
	}
	files := map[string][]string{dockerfile: splitLines(content)}
	out := fs[:0]
	for _, f := range fs {
		if disabled[f.Rule] {
			continue
		}
		lines, ok := files[f.File]
		if !ok {
			// A file that cannot be read has no suppression comments; the finding stands.
			b, _ := os.ReadFile(f.File)
			lines = splitLines(b)
			files[f.File] = lines
		}
		if !ignoredAt(lines, f.Line, f.Rule) {
			out = append(out, f)
		}
	}
	return out
}

// ignoredAt looks through the contiguous comment lines above line (1-based) for an ignore of rule.
func ignoredAt(lines []string, line int, rule string) bool {
	for i := line - 2; i >= 0 && i < len(lines); i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "#") {
			return false
		}
		if m := suppressRe.FindStringSubmatch(l); m != nil && m[1] == "ignore" {
			for _, id := range splitIDs(m[2]) {
				if id == rule {
					return true
				}
			}
		}
	}
	return false
}

func splitIDs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

func splitLines(b []byte) []string {
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	return strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
}
