package lint

import (
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func checkSyntaxDirective(df *dockerfile) []Finding {
	value, _, loc, ok := parser.ParseDirective("syntax", df.content)
	if !ok {
		return nil
	}
	line := 1
	if len(loc) > 0 {
		line = loc[0].Start.Line
	}
	return []Finding{newFinding(RuleSyntaxDirective, df.path, line,
		"delete the line; mlstack builds with the engine's classic builder, which needs no frontend image",
		"'# syntax=%s' asks for a BuildKit frontend image; the engine here has no BuildKit and cannot pull it", value)}
}

func checkBaseImages(df *dockerfile) []Finding {
	var fs []Finding
	for _, s := range df.stages {
		image := s.image
		// An unresolved ARG, scratch or an earlier stage: nothing to pin.
		if image == "" || s.parent != nil || strings.EqualFold(image, "scratch") || strings.Contains(image, "$") {
			continue
		}
		line := s.from.StartLine
		name, tag, digest := splitImageRef(image)
		switch {
		case digest != "":
		case tag == "" || tag == "latest":
			what := "has no tag"
			if tag == "latest" {
				what = "uses the tag latest"
			}
			fs = append(fs, newFinding(RuleBaseLatest, df.path, line,
				"name an exact version, e.g. FROM python:3.11-slim-bookworm, and pin its digest",
				"base image %q %s, so a rebuild can silently change Python, CUDA or libc", image, what))
		default:
			fs = append(fs, newFinding(RuleBaseNoDigest, df.path, line,
				"append @sha256:<digest> (docker images --digests); a local docker import base has no digest, silence with '# mlstack-lint: ignore=base-no-digest'",
				"base image %q is not pinned by digest; the tag can be moved to different content", image))
		}
		if strings.Contains(strings.ToLower(path.Base(name)+":"+tag), "alpine") && stageUsesPython(s) {
			fs = append(fs, newFinding(RuleBaseAlpinePython, df.path, line,
				"use a glibc base such as python:3.11-slim-bookworm or debian:bookworm-slim",
				"base image %q is alpine (musl libc): most prebuilt ML wheels (torch, numpy builds) do not install, so pip compiles from source or fails", image))
		}
	}
	return fs
}

// splitImageRef splits "registry/name:tag@sha256:..." into name, tag and digest.
func splitImageRef(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

func stageUsesPython(s *stage) bool {
	name, _, _ := splitImageRef(strings.ToLower(s.image))
	if strings.Contains(path.Base(name), "python") {
		return true
	}
	for _, st := range s.steps {
		switch st.cmd {
		case "run":
			for _, words := range runCommands(st.node) {
				if prog, args, _ := program(words); usesPython(prog, args) {
					return true
				}
			}
		case "cmd", "entrypoint":
			for _, words := range runCommands(st.node) {
				if prog, _, _ := program(words); pythonProgRe.MatchString(prog) {
					return true
				}
			}
		}
	}
	return false
}

func checkCopyBeforeInstall(df *dockerfile) []Finding {
	var fs []Finding
	for _, s := range df.stages {
		for i, st := range s.steps {
			if !isContextCopy(st) || !copiesWholeContext(st.node) {
				continue
			}
			for _, later := range s.steps[i+1:] {
				if later.cmd != "run" {
					continue
				}
				if what := dependencyInstall(later.node); what != "" {
					fs = append(fs, newFinding(RuleCopyBeforeInstall, df.path, st.node.StartLine,
						"COPY the requirements files first, RUN the install, then COPY the rest of the code",
						"%s copies the whole build context before %q on line %d, so every code change reinstalls the dependencies",
						strings.ToUpper(st.cmd), what, later.node.StartLine))
					break
				}
			}
		}
	}
	return fs
}

// isContextCopy reports whether a step is a COPY or ADD that reads the build context.
func isContextCopy(st step) bool {
	if st.cmd != "copy" && st.cmd != "add" {
		return false
	}
	_, fromStage := flagValue(st.node, "from")
	return !fromStage && len(st.node.Heredocs) == 0
}

// copySources returns the source arguments of a COPY or ADD.
func copySources(n *parser.Node) []string {
	words := nodeWords(n)
	if len(words) < 2 {
		return nil
	}
	return words[:len(words)-1]
}

func copiesWholeContext(n *parser.Node) bool {
	for _, src := range copySources(n) {
		switch path.Clean(src) {
		case ".", "/", "*":
			return true
		}
	}
	return false
}

// dependencyInstall returns the first dependency-installing command of a RUN, or "".
func dependencyInstall(n *parser.Node) string {
	for _, words := range runCommands(n) {
		if prog, args, _ := program(words); installsDependencies(prog, args) {
			return strings.Join(append([]string{prog}, firstN(args, 2)...), " ")
		}
	}
	return ""
}

func firstN(s []string, n int) []string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

func checkRuns(df *dockerfile) []Finding {
	var fs []Finding
	for _, s := range df.stages {
		aptConfigured := false
		for _, st := range s.steps {
			if st.cmd != "run" {
				continue
			}
			n := st.node
			cmds := runCommands(n)
			var listsRemoved, pipCacheRemoved bool
			for _, words := range cmds {
				prog, args, _ := program(words)
				listsRemoved = listsRemoved || removesPath(prog, args, "/var/lib/apt/lists")
				pipCacheRemoved = pipCacheRemoved || removesPath(prog, args, "/root/.cache", "~/.cache", "$HOME/.cache", "${HOME}/.cache")
				if pargs, _, ok := pipArgs(prog, args); ok && len(pargs) >= 2 && pargs[0] == "cache" && pargs[1] == "purge" {
					pipCacheRemoved = true
				}
			}
			seen := map[string]bool{}
			add := func(f Finding) {
				key := f.Rule + "\x00" + f.Message
				if !seen[key] {
					seen[key] = true
					fs = append(fs, f)
				}
			}
			for _, words := range cmds {
				prog, args, assigns := program(words)
				if pargs, uv, ok := pipArgs(prog, args); ok {
					if pi, ok := parsePipInstall(pargs); ok {
						if !uv && !pi.noCacheDir && !pipCacheRemoved && !truthy(assigns, st.env, "PIP_NO_CACHE_DIR") {
							add(newFinding(RulePipNoCacheDir, df.path, n.StartLine,
								"add --no-cache-dir, or set ENV PIP_NO_CACHE_DIR=1 once before the installs",
								"pip install keeps its download cache in the layer (often hundreds of MB of wheels for torch or tensorflow)"))
						}
						for _, spec := range pi.specs {
							if reason := unpinnedReason(spec); reason != "" {
								add(newFinding(RulePipUnpinned, df.path, n.StartLine,
									"pin the exact version, e.g. pip install 'name==1.2.3', or install from a pinned requirements file",
									"pip install %q is not pinned: %s", spec, reason))
							}
						}
					}
				}
				if install, noRecommends := aptInstall(prog, args); install {
					if !noRecommends && !aptConfigured {
						add(newFinding(RuleAptNoInstallRecommends, df.path, n.StartLine,
							"apt-get install -y --no-install-recommends ...",
							"%s install without --no-install-recommends pulls in recommended packages (compilers and docs for python3-* packages)", prog))
					}
					if !listsRemoved {
						add(newFinding(RuleAptListsNotRemoved, df.path, n.StartLine,
							"end the same RUN with && rm -rf /var/lib/apt/lists/*",
							"%s install leaves the package lists in /var/lib/apt/lists in this layer", prog))
					}
				}
			}
			// A RUN that writes APT::Install-Recommends "0" into apt.conf.d turns recommends off for later RUNs.
			if strings.Contains(n.Original, "APT::Install-Recommends") && (strings.Contains(n.Original, `"0"`) || strings.Contains(strings.ToLower(n.Original), "false")) {
				aptConfigured = true
			}
		}
	}
	return fs
}

// truthy reports whether a variable is set to a true value for a command, either inline
// (VAR=1 pip install) or through ENV or ARG.
func truthy(inline, env map[string]string, name string) bool {
	v, ok := inline[name]
	if !ok {
		v, ok = env[name]
	}
	if !ok {
		return false
	}
	switch strings.ToLower(strings.Trim(v, `"'`)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

func checkUser(df *dockerfile) []Finding {
	final := df.final()
	if final == nil {
		return nil
	}
	for s := final; s != nil; s = s.parent {
		for i := len(s.steps) - 1; i >= 0; i-- {
			st := s.steps[i]
			if st.cmd != "user" {
				continue
			}
			user := ""
			if w := nodeWords(st.node); len(w) > 0 {
				user, _, _ = strings.Cut(w[0], ":")
			}
			if user == "root" || user == "0" {
				return []Finding{newFinding(RuleUserRoot, df.path, st.node.StartLine,
					"switch to an unprivileged user after the installs, e.g. USER 1000",
					"the final stage switches back to %s, so the service runs as root", user)}
			}
			return nil
		}
	}
	return []Finding{newFinding(RuleUserRoot, df.path, final.from.StartLine,
		"add RUN useradd -m -u 1000 app and USER app after the installs (FROM scratch: USER 65534)",
		"the final stage has no USER instruction, so the service runs as root and writes root-owned files into mounted volumes")}
}

func checkSecrets(df *dockerfile) []Finding {
	var fs []Finding
	nodes := append([]*parser.Node{}, df.preamble...)
	for _, s := range df.stages {
		for _, st := range s.steps {
			nodes = append(nodes, st.node)
		}
	}
	for _, n := range nodes {
		var defs []keyValue
		switch strings.ToLower(n.Value) {
		case "env":
			defs = envPairs(n)
		case "arg":
			defs = argDefs(n)
		default:
			continue
		}
		kind := strings.ToUpper(n.Value)
		for _, d := range defs {
			if looksSecret(d.name) {
				fs = append(fs, newFinding(RuleSecretInEnv, df.path, n.StartLine,
					"pass it when the container starts (compose environment: or env_file:) instead of building it into the image",
					"%s %s looks like a secret; ENV and ARG values are kept in the image config and docker history", kind, d.name))
			}
		}
	}
	return fs
}

// looksSecret matches whole "_"-separated words so that API_KEY is caught but
// KEYBOARD_LAYOUT and TOKENIZERS_PARALLELISM are not; GPG_KEY (a public fingerprint) and
// names of files or paths holding a secret are allowed.
func looksSecret(name string) bool {
	words := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	if len(words) == 0 {
		return false
	}
	switch words[len(words)-1] {
	case "FILE", "PATH", "DIR", "NAME":
		return false
	}
	secret := false
	for _, w := range words {
		switch w {
		case "PUBLIC", "PUB", "GPG":
			return false
		case "TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "APIKEY":
			secret = true
		}
	}
	return secret
}

// describeSize prints a byte count in MB for messages.
func describeSize(n int64) string {
	return fmt.Sprintf("%d MB", n>>20)
}
