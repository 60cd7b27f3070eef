package build

import (
	"context"
	"fmt"
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
		return total, "", nil
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
	return total, warning, nil
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
