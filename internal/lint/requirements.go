package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// copyOp is a COPY or ADD from the build context, for mapping image paths back to context files.
type copyOp struct {
	srcs      []string // existing context-relative sources
	dest      string   // absolute path in the image
	destIsDir bool
}

func newCopyOp(bc *buildContext, st step) (copyOp, bool) {
	words := nodeWords(st.node)
	if len(words) < 2 {
		return copyOp{}, false
	}
	raw := words[:len(words)-1]
	destRaw := words[len(words)-1]
	dest := resolveImagePath(st.workdir, destRaw)
	isDir := strings.HasSuffix(destRaw, "/") || destRaw == "." || len(raw) > 1 || strings.ContainsAny(strings.Join(raw, ""), "*?[")
	return copyOp{srcs: contextSources(bc, raw), dest: dest, destIsDir: isDir}, true
}

// contextFile finds the context file that ends up at the image path img, searching the
// most recent copies first because later COPYs overwrite earlier ones.
func contextFile(bc *buildContext, ops []copyOp, img string) (string, bool) {
	for i := len(ops) - 1; i >= 0; i-- {
		op := ops[i]
		for _, src := range op.srcs {
			if bc.isDir(src) {
				if img == op.dest || strings.HasPrefix(img, op.dest+"/") {
					cand := path.Join(src, strings.TrimPrefix(img, op.dest))
					if bc.isFile(cand) {
						return cand, true
					}
				}
				continue
			}
			// Without a trailing slash the destination may still be a directory that exists in
			// the image (a WORKDIR, say), so both readings are tried.
			if img == path.Join(op.dest, path.Base(src)) || (!op.destIsDir && img == op.dest) {
				return src, true
			}
		}
	}
	return "", false
}

func (bc *buildContext) isFile(rel string) bool {
	fi, err := os.Stat(filepath.Join(bc.dir, filepath.FromSlash(rel)))
	return err == nil && fi.Mode().IsRegular()
}

// checkRequirements lints the requirements files the Dockerfile installs with pip -r, the
// requirements*.txt files it copies, and the files those include with -r.
func checkRequirements(df *dockerfile, bc *buildContext) ([]Finding, error) {
	var queue []string
	queued := map[string]bool{}
	enqueue := func(rel string) {
		rel = path.Clean(rel)
		if !queued[rel] && !strings.HasPrefix(rel, "../") && rel != ".." {
			queued[rel] = true
			queue = append(queue, rel)
		}
	}
	copies := map[*stage][]copyOp{}
	for _, s := range df.stages {
		ops := append([]copyOp{}, copies[s.parent]...)
		for _, st := range s.steps {
			switch {
			case isContextCopy(st):
				op, ok := newCopyOp(bc, st)
				if !ok {
					continue
				}
				ops = append(ops, op)
				for _, src := range op.srcs {
					if ok, _ := path.Match("requirements*.txt", path.Base(src)); ok && bc.isFile(src) {
						enqueue(src)
					}
				}
			case st.cmd == "run":
				for _, words := range runCommands(st.node) {
					prog, args, _ := program(words)
					pargs, _, ok := pipArgs(prog, args)
					if !ok {
						continue
					}
					pi, ok := parsePipInstall(pargs)
					if !ok {
						continue
					}
					for _, r := range pi.requirements {
						if strings.Contains(r, "$") {
							continue
						}
						if rel, ok := contextFile(bc, ops, resolveImagePath(st.workdir, r)); ok {
							enqueue(rel)
						}
					}
				}
			}
		}
		copies[s] = ops
	}

	var findings []Finding
	for i := 0; i < len(queue); i++ {
		fs, includes, err := lintRequirementsFile(bc, queue[i])
		if err != nil {
			return nil, err
		}
		findings = append(findings, fs...)
		for _, inc := range includes {
			enqueue(path.Join(path.Dir(queue[i]), inc))
		}
	}
	return findings, nil
}

var (
	reqCommentRe = regexp.MustCompile(`(^|\s)#.*$`)
	reqOptionsRe = regexp.MustCompile(`\s+--?[A-Za-z].*$`)
)

// lintRequirementsFile reports unpinned lines of one requirements file and returns the
// files it includes with -r (relative to its own directory).
func lintRequirementsFile(bc *buildContext, rel string) ([]Finding, []string, error) {
	file := filepath.Join(bc.dir, filepath.FromSlash(rel))
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read requirements file: %w", err)
	}
	var (
		findings []Finding
		includes []string
	)
	lines := splitLines(b)
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := lines[i]
		// pip joins lines ending in a backslash before anything else.
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + lines[i]
		}
		line = strings.TrimSpace(reqCommentRe.ReplaceAllString(line, ""))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "-") {
			if inc, ok := requirementInclude(line); ok {
				includes = append(includes, inc)
			}
			continue
		}
		spec := line
		if !strings.Contains(line, "://") {
			spec = reqOptionsRe.ReplaceAllString(line, "")
			if isLocalSpec(spec) {
				continue
			}
		}
		if reason := unpinnedReason(spec); reason != "" {
			findings = append(findings, newFinding(RuleRequirementsUnpinned, file, start,
				"pin the exact version the image was tested with (pip freeze prints them; pip-compile writes a pinned file)",
				"%q is not pinned: %s", spec, reason))
		}
	}
	return findings, includes, nil
}

// requirementInclude returns the file named by a "-r FILE" / "--requirement FILE" line.
func requirementInclude(line string) (string, bool) {
	for _, prefix := range []string{"--requirement=", "--requirement ", "-r "} {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(v), true
		}
	}
	if v, ok := strings.CutPrefix(line, "-r"); ok && v != "" {
		return strings.TrimSpace(v), true
	}
	return "", false
}
