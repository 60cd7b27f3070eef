package build

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
)

// SizeWarnBytes is the context size above which Size returns a warning.
const SizeWarnBytes = 100 * 1000 * 1000

// Size returns the bytes of regular files sent after ignores and, when that exceeds SizeWarnBytes,
// a warning naming the five largest top-level paths so the user knows what to add to .dockerignore.
func (c *Context) Size(ctx context.Context) (total int64, warning string, err error) {
	files, err := c.Walk(ctx)
	if err != nil {
		return 0, "", err
	}
	total, warning = c.sizeWarning(files)
	return total, warning, nil
}

// sizeWarning totals files and warns when they exceed SizeWarnBytes.
func (c *Context) sizeWarning(files []File) (total int64, warning string) {
	byTop := map[string]int64{}
	for _, f := range files {
		total += f.Size
		top, _, nested := strings.Cut(f.Path, "/")
		if nested || f.Mode.IsDir() {
			top += "/"
		}
		byTop[top] += f.Size
	}
	if total <= SizeWarnBytes {
		return total, ""
	}
	tops := make([]string, 0, len(byTop))
	for p := range byTop {
		tops = append(tops, p)
	}
	sort.Slice(tops, func(i, j int) bool {
		if byTop[tops[i]] != byTop[tops[j]] {
			return byTop[tops[i]] > byTop[tops[j]]
		}
		return tops[i] < tops[j]
	})
	var largest []string
	for _, p := range tops[:min(5, len(tops))] {
		largest = append(largest, p+" "+HumanBytes(byTop[p]))
	}
	warning = fmt.Sprintf("build context %s is %s after .dockerignore; largest: %s. "+
		"The whole context is sent to the engine on every build: list data, models and virtualenvs in .dockerignore",
		c.Dir, HumanBytes(total), strings.Join(largest, ", "))
	return total, warning
}

// HumanBytes formats n in decimal units, e.g. "2.1 GB".
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}

// Warnings walks the context once and returns what a user should hear before the build: a context
// over SizeWarnBytes, and slash-less .dockerignore patterns (`*.ckpt`) that, by Docker's rule, match
// only at the context root while files they name further down are sent anyway.
func (c *Context) Warnings(ctx context.Context) ([]string, error) {
	files, err := c.Walk(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	if _, size := c.sizeWarning(files); size != "" {
		out = append(out, size)
	}
	return append(out, rootOnlyWarnings(c.ignorePatterns, files)...), nil
}

// rootOnlyWarnings names, per slash-less exclusion pattern, the nested files it does not exclude.
func rootOnlyWarnings(patterns []string, files []File) []string {
	var out []string
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "!") || strings.ContainsAny(p, "/\\") {
			continue
		}
		var hits []string
		for _, f := range files {
			if !strings.Contains(f.Path, "/") || f.Mode.IsDir() {
				continue
			}
			if ok, _ := path.Match(p, path.Base(f.Path)); ok {
				hits = append(hits, f.Path)
			}
		}
		if len(hits) == 0 {
			continue
		}
		example := strings.Join(hits[:min(3, len(hits))], ", ")
		out = append(out, fmt.Sprintf(".dockerignore pattern %q matches only at the context root (Docker's rule), so %d file(s) below it are sent (%s); write \"**/%s\" to exclude them everywhere", p, len(hits), example, p))
	}
	return out
}
