package scaffold

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Include is one entry of a compose file's top-level include: list.
type Include struct {
	// Path is the included file, relative to the project directory.
	Path string
	// ProjectDirectory, when set, is the directory the included file's relative paths resolve
	// against (compose's include.project_directory); empty means the included file's own directory.
	ProjectDirectory string
}

var (
	includeKey  = regexp.MustCompile(`^include:[ \t]*(#.*)?$`)
	includeFlow = regexp.MustCompile(`^include:[ \t]*\[(.*)\][ \t]*(#.*)?$`)
	topLevelKey = regexp.MustCompile(`^[^\s#-][^:]*:`)
	seqItem     = regexp.MustCompile(`^([ \t]*)-[ \t]`)
)

// AddInclude returns the compose file src with entry appended to its top-level include: list, or
// with a new include: list before the first top-level key. Every other byte of src is kept, so the
// user's comments, order and formatting survive.
func AddInclude(src []byte, entry Include) ([]byte, error) {
	lines := strings.SplitAfter(string(src), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		bare := strings.TrimRight(l, "\r\n")
		if m := includeFlow.FindStringSubmatch(bare); m != nil {
			items := strings.TrimSpace(m[1])
			if items != "" {
				items += ", "
			}
			item := entry.Path
			if entry.ProjectDirectory != "" {
				item = "{path: " + entry.Path + ", project_directory: " + entry.ProjectDirectory + "}"
			}
			lines[i] = "include: [" + items + item + "]" + suffixComment(m[2]) + l[len(bare):]
			return []byte(strings.Join(lines, "")), nil
		}
		if !includeKey.MatchString(bare) {
			continue
		}
		// The block runs until the next line at column 0 that is neither blank nor a comment (a
		// sequence may sit at column 0 under its key, so "- " lines belong to it too).
		last, indent := i, "  "
		found := false
		for j := i + 1; j < len(lines); j++ {
			b := strings.TrimRight(lines[j], "\r\n")
			t := strings.TrimSpace(b)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if b[0] != ' ' && b[0] != '\t' && b[0] != '-' {
				break
			}
			if m := seqItem.FindStringSubmatch(b); m != nil && !found {
				indent, found = m[1], true
			}
			last = j
		}
		if !found && last > i {
			return nil, fmt.Errorf("line %d: include: is not a list mlstack understands; add the entry by hand", i+1)
		}
		ins := entryLines(entry, indent, lineEnding(lines))
		if !strings.HasSuffix(lines[last], "\n") {
			lines[last] += lineEnding(lines)
		}
		out := append(append(append([]string{}, lines[:last+1]...), ins), lines[last+1:]...)
		return []byte(strings.Join(out, "")), nil
	}
	// No include: yet. Put it before the first top-level key, after any header comments.
	at := len(lines)
	for i, l := range lines {
		if topLevelKey.MatchString(l) {
			at = i
			break
		}
	}
	nl := lineEnding(lines)
	block := "include:" + nl + entryLines(entry, "  ", nl) + nl
	if at == len(lines) && at > 0 && !strings.HasSuffix(lines[at-1], "\n") {
		lines[at-1] += nl
	}
	out := append(append(append([]string{}, lines[:at]...), block), lines[at:]...)
	return []byte(strings.Join(out, "")), nil
}

func entryLines(e Include, indent, nl string) string {
	if e.ProjectDirectory == "" {
		return indent + "- " + e.Path + nl
	}
	return indent + "- path: " + e.Path + nl + indent + "  project_directory: " + e.ProjectDirectory + nl
}

func suffixComment(c string) string {
	if c == "" {
		return ""
	}
	return " " + c
}

// lineEnding keeps a CRLF file CRLF.
func lineEnding(lines []string) string {
	for _, l := range lines {
		if strings.HasSuffix(l, "\r\n") {
			return "\r\n"
		}
		if strings.HasSuffix(l, "\n") {
			return "\n"
		}
	}
	return "\n"
}

// hasInclude reports whether src already includes path (textually, as written by AddInclude).
func hasInclude(src []byte, path string) bool {
	return bytes.Contains(src, []byte("- "+path)) || bytes.Contains(src, []byte("path: "+path)) || bytes.Contains(src, []byte("["+path)) || bytes.Contains(src, []byte(" "+path+"]"))
}
