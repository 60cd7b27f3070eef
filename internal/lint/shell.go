package lint

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// runCommands returns the simple commands a RUN executes, each as words with quotes removed.
func runCommands(n *parser.Node) [][]string {
	if n.Attributes["json"] {
		words := nodeWords(n)
		// RUN ["sh", "-c", "..."] is a shell script in exec form.
		if len(words) >= 3 && strings.HasSuffix(words[0], "sh") && words[1] == "-c" {
			return shellCommands(words[2])
		}
		if len(words) == 0 {
			return nil
		}
		return [][]string{words}
	}
	if n.Next == nil {
		return nil
	}
	script := n.Next.Value
	if strings.HasPrefix(strings.TrimSpace(script), "<<") {
		for _, h := range n.Heredocs {
			script += "\n" + h.Content
		}
	}
	return shellCommands(script)
}

// shellCommands splits a POSIX shell script into simple commands. It is deliberately
// approximate: control operators, parentheses and newlines end a command, redirections
// and their targets are dropped, quotes are removed and variables are left unexpanded.
func shellCommands(script string) [][]string {
	var (
		cmds     [][]string
		words    []string
		cur      strings.Builder
		inWord   bool
		dropNext bool
	)
	flushWord := func() {
		if !inWord {
			return
		}
		if dropNext {
			dropNext = false
		} else {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	flushCmd := func() {
		flushWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	rs := []rune(script)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\':
			if i+1 < len(rs) {
				i++
				if rs[i] != '\n' {
					cur.WriteRune(rs[i])
					inWord = true
				}
			}
		case c == '\'':
			inWord = true
			for i++; i < len(rs) && rs[i] != '\''; i++ {
				cur.WriteRune(rs[i])
			}
		case c == '"':
			inWord = true
			for i++; i < len(rs) && rs[i] != '"'; i++ {
				if rs[i] == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[i+1]) {
					i++
				}
				cur.WriteRune(rs[i])
			}
		case c == '#' && !inWord:
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			flushCmd()
		case c == '>' || c == '<':
			if inWord && isDigits(cur.String()) {
				cur.Reset()
				inWord = false
			} else {
				flushWord()
			}
			for i+1 < len(rs) && strings.ContainsRune("<>&|-", rs[i+1]) {
				i++
			}
			dropNext = true
		case c == ' ' || c == '\t' || c == '\r':
			flushWord()
		case strings.ContainsRune("\n;&|()`", c):
			flushCmd()
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	flushCmd()
	return cmds
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

var assignmentRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// program strips what can precede a program name (variable assignments, shell keywords,
// wrappers such as sudo or env) and returns the program's base name, its arguments and
// the variables assigned for it.
func program(words []string) (string, []string, map[string]string) {
	assigns := map[string]string{}
	wrapper := false
	for len(words) > 0 {
		w := words[0]
		switch {
		case assignmentRe.MatchString(w):
			name, value, _ := strings.Cut(w, "=")
			assigns[name] = value
		case wrapper && strings.HasPrefix(w, "-"):
		case isShellKeyword(w):
		case w == "sudo" || w == "env" || w == "exec" || w == "nohup" || w == "time" || w == "command":
			wrapper = true
		default:
			return path.Base(w), words[1:], assigns
		}
		words = words[1:]
	}
	return "", nil, assigns
}

func isShellKeyword(w string) bool {
	switch w {
	case "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}":
		return true
	}
	return false
}

var (
	pipProgRe    = regexp.MustCompile(`^pip[0-9.]*$`)
	pythonProgRe = regexp.MustCompile(`^python[0-9.]*$`)
)

// pipArgs returns the arguments given to pip when a command runs pip (pip, pip3,
// python -m pip, uv pip); uv reports whether it is uv's pip, which has its own cache flags.
func pipArgs(prog string, args []string) (pargs []string, uv bool, ok bool) {
	switch {
	case pipProgRe.MatchString(prog):
		return args, false, true
	case pythonProgRe.MatchString(prog):
		for i, a := range args {
			switch {
			case a == "-m" && i+1 < len(args):
				return args[i+2:], false, pipProgRe.MatchString(args[i+1])
			case strings.HasPrefix(a, "-m") && len(a) > 2:
				return args[i+1:], false, pipProgRe.MatchString(a[2:])
			case !strings.HasPrefix(a, "-"):
				return nil, false, false
			}
		}
	case prog == "uv" && len(args) > 0 && args[0] == "pip":
		return args[1:], true, true
	}
	return nil, false, false
}

// pipInstall is what one "pip install" command asks for.
type pipInstall struct {
	noCacheDir   bool
	requirements []string // -r files, as written
	specs        []string // packages named on the command line
	local        bool     // installs a local path or an editable (the project itself)
}

// pipOptTakesValue reports whether a pip option takes a value in the next word when
// written without "=".
func pipOptTakesValue(opt string) bool {
	switch opt {
	case "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target",
		"--platform", "--python-version", "--implementation", "--abi", "--root", "--prefix", "--src",
		"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--upgrade-strategy",
		"--no-binary", "--only-binary", "--progress-bar", "--cache-dir", "--log", "--proxy",
		"--retries", "--timeout", "--exists-action", "--trusted-host", "--cert", "--client-cert",
		"--report", "--root-user-action", "-C", "--config-settings", "--global-option",
		"--build-option", "--python", "--group", "--keyring-provider", "--use-feature",
		"--use-deprecated":
		return true
	}
	return false
}

// parsePipInstall reads pip's arguments; ok is false for other pip subcommands.
func parsePipInstall(args []string) (pipInstall, bool) {
	var pi pipInstall
	i := 0
	// Global options may come before the subcommand.
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--no-cache-dir" {
			pi.noCacheDir = true
			continue
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
		if pipOptTakesValue(a) {
			i++
		}
	}
	if i >= len(args) || args[i] != "install" {
		return pi, false
	}
	for i++; i < len(args); i++ {
		a := args[i]
		value := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "--no-cache-dir":
			pi.noCacheDir = true
		case a == "-r" || a == "--requirement":
			if v := value(); v != "" {
				pi.requirements = append(pi.requirements, v)
			}
		case strings.HasPrefix(a, "--requirement="):
			pi.requirements = append(pi.requirements, strings.TrimPrefix(a, "--requirement="))
		case strings.HasPrefix(a, "-r") && !strings.HasPrefix(a, "--"):
			pi.requirements = append(pi.requirements, strings.TrimPrefix(a, "-r"))
		case a == "-e" || a == "--editable":
			value()
			pi.local = true
		case strings.HasPrefix(a, "--editable="):
			pi.local = true
		case strings.HasPrefix(a, "-"):
			if pipOptTakesValue(a) {
				value()
			}
		case isLocalSpec(a):
			pi.local = true
		default:
			pi.specs = append(pi.specs, a)
		}
	}
	return pi, true
}

// isLocalSpec reports whether a pip argument names a path in the image rather than a package
// from an index: the project itself, a wheel or sdist file, or something behind a variable.
func isLocalSpec(s string) bool {
	if strings.Contains(s, "://") {
		return false
	}
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") || strings.HasPrefix(s, "$") {
		return true
	}
	for _, ext := range []string{".whl", ".tar.gz", ".tgz", ".zip"} {
		if strings.HasSuffix(s, ext) {
			return true
		}
	}
	return strings.Contains(s, "/") && !strings.Contains(s, "@")
}

var (
	requirementRe = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$`)
	directRefRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@`)
	gitCommitRe   = regexp.MustCompile(`@[0-9a-f]{40}(#|$)`)
	urlHashRe     = regexp.MustCompile(`#(sha256|sha384|sha512)=[0-9a-fA-F]+|--hash[= ]`)
)

// unpinnedReason says why a requirement specifier does not pin exactly one version,
// or returns "" when it does (or when it is not something this linter can judge).
func unpinnedReason(spec string) string {
	spec, _, _ = strings.Cut(spec, ";") // environment markers do not affect pinning
	spec = strings.TrimSpace(spec)
	if strings.Contains(spec, "://") || directRefRe.MatchString(spec) {
		if urlHashRe.MatchString(spec) || gitCommitRe.MatchString(spec) {
			return ""
		}
		return "direct URL without a #sha256= hash or a commit id"
	}
	m := requirementRe.FindStringSubmatch(spec)
	if m == nil {
		return ""
	}
	rest := strings.TrimSpace(m[3])
	if rest == "" {
		return "no version given"
	}
	parts := strings.Split(rest, ",")
	if len(parts) == 1 {
		p := strings.TrimSpace(parts[0])
		if strings.HasPrefix(p, "===") {
			return ""
		}
		if strings.HasPrefix(p, "==") {
			if strings.Contains(p, "*") {
				return "wildcard version " + p
			}
			return ""
		}
	}
	return "version range " + rest
}

// aptInstall reports whether a command is "apt-get install" (or "apt install") and whether
// it turns off recommended packages.
func aptInstall(prog string, args []string) (install bool, noRecommends bool) {
	if prog != "apt-get" && prog != "apt" {
		return false, false
	}
	sub := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--no-install-recommends":
			noRecommends = true
		case strings.Contains(a, "Install-Recommends=") && recommendsOff(a):
			noRecommends = true
		case a == "-o" || a == "-c" || a == "-t":
			if i+1 < len(args) && recommendsOff(args[i+1]) {
				noRecommends = true
			}
			i++
		case strings.HasPrefix(a, "-"):
		case sub == "":
			sub = a
		}
	}
	return sub == "install", noRecommends
}

func recommendsOff(opt string) bool {
	_, v, ok := strings.Cut(opt, "Install-Recommends=")
	if !ok {
		return false
	}
	v = strings.ToLower(strings.Trim(v, `"'`))
	return v == "false" || v == "0" || v == "no" || v == "off"
}

// removesPath reports whether a command is an rm of a path under prefix.
func removesPath(prog string, args []string, prefixes ...string) bool {
	if prog != "rm" {
		return false
	}
	for _, a := range args {
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return true
			}
		}
	}
	return false
}

// installsDependencies reports whether a command installs third-party packages, the step
// whose layer cache a code change should not invalidate.
func installsDependencies(prog string, args []string) bool {
	if pargs, _, ok := pipArgs(prog, args); ok {
		pi, ok := parsePipInstall(pargs)
		return ok && (len(pi.requirements) > 0 || len(pi.specs) > 0)
	}
	if install, _ := aptInstall(prog, args); install {
		return true
	}
	sub := firstArg(args)
	switch prog {
	case "apk":
		return sub == "add"
	case "conda", "mamba", "micromamba":
		return sub == "install" || sub == "create" || sub == "env" || sub == "update"
	case "poetry":
		return sub == "install" && !slices.Contains(args, "--only-root")
	case "pipenv":
		return sub == "install" || sub == "sync"
	case "uv":
		return sub == "sync"
	}
	return false
}

// usesPython reports whether a command runs or installs Python.
func usesPython(prog string, args []string) bool {
	switch {
	case pythonProgRe.MatchString(prog), pipProgRe.MatchString(prog):
		return true
	case prog == "conda" || prog == "mamba" || prog == "micromamba" || prog == "poetry" || prog == "pipenv" || prog == "uv":
		return true
	case prog == "apk" && firstArg(args) == "add":
		for _, a := range args {
			if strings.HasPrefix(a, "python") || strings.HasPrefix(a, "py3-") {
				return true
			}
		}
	}
	return false
}

func firstArg(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}
