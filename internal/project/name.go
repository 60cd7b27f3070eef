package project

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
)

// defaultFiles are compose's default file names, in its order of preference.
var defaultFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// rawName matches a top-level `name:` line with a literal, valid project name.
var rawName = regexp.MustCompile(`^name:\s*["']?([a-z0-9][a-z0-9_-]*)["']?\s*(#.*)?$`)

// KnownName returns the project's name without loading the project: -p, COMPOSE_PROJECT_NAME, or a
// literal top-level `name:` line of the compose files (the last one wins, as in a merge), read as
// text so a file that does not load still gives it. It returns "" when none says.
func KnownName(o Options) string {
	if o.Name != "" {
		return o.Name
	}
	if n := os.Getenv("COMPOSE_PROJECT_NAME"); n != "" {
		return n
	}
	files := o.Files
	if len(files) == 0 {
		dir := o.WorkingDir
		if dir == "" {
			dir, _ = os.Getwd()
		}
		for _, f := range defaultFiles {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				files = []string{filepath.Join(dir, f)}
				break
			}
		}
	}
	name := ""
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if m := rawName.FindStringSubmatch(string(bytes.TrimRight(sc.Bytes(), "\r"))); m != nil {
				name = m[1]
			}
		}
	}
	return name
}
