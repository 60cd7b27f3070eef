package lint

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// dockerfile is the parsed Dockerfile split into build stages.
type dockerfile struct {
	path    string
	content []byte
	escape  rune
	// preamble holds the instructions before the first FROM (only ARG is legal there).
	preamble []*parser.Node
	stages   []*stage
}

// stage is one FROM and the instructions up to the next FROM.
type stage struct {
	from *parser.Node
	// image is the base reference with global ARG defaults substituted.
	image string
	// name is the lower-cased "AS name", empty when the stage has none.
	name string
	// parent is the earlier stage this one is built FROM, nil for an image base.
	parent *stage
	steps  []step
	// workdir and env are the state at the end of the stage, inherited by child stages.
	workdir string
	env     map[string]string
}

// step is one instruction with the WORKDIR and environment in effect when it runs.
type step struct {
	node    *parser.Node
	cmd     string // lower-cased instruction
	workdir string
	env     map[string]string
}

func parseDockerfile(file string, content []byte) (*dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		var le *parser.LocationError
		if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			return nil, fmt.Errorf("parse Dockerfile %q: line %d: %w", file, le.Locations[0][0].Start.Line, err)
		}
		return nil, fmt.Errorf("parse Dockerfile %q: %w", file, err)
	}
	df := &dockerfile{path: file, content: content, escape: res.EscapeToken}
	metaArgs := map[string]string{}
	var cur *stage
	for _, n := range res.AST.Children {
		cmd := strings.ToLower(n.Value)
		if cmd == "from" {
			cur = df.newStage(n, metaArgs)
			df.stages = append(df.stages, cur)
			continue
		}
		if cur == nil {
			df.preamble = append(df.preamble, n)
			if cmd == "arg" {
				for _, a := range argDefs(n) {
					if a.hasValue {
						metaArgs[a.name] = a.value
					}
				}
			}
			continue
		}
		cur.add(n, cmd)
	}
	return df, nil
}

func (df *dockerfile) newStage(n *parser.Node, metaArgs map[string]string) *stage {
	words := nodeWords(n)
	s := &stage{from: n, workdir: "/", env: map[string]string{}}
	if len(words) > 0 {
		s.image = expandArgs(words[0], metaArgs, df.escape)
	}
	if len(words) >= 3 && strings.EqualFold(words[1], "as") {
		s.name = strings.ToLower(words[2])
	}
	for _, prev := range df.stages {
		if prev.name != "" && prev.name == strings.ToLower(s.image) {
			s.parent = prev
			s.workdir = prev.workdir
			s.env = prev.env
		}
	}
	return s
}

// add records an instruction, tracking WORKDIR and the variables a RUN sees.
func (s *stage) add(n *parser.Node, cmd string) {
	switch cmd {
	case "workdir":
		if w := nodeWords(n); len(w) > 0 {
			s.workdir = resolveImagePath(s.workdir, w[0])
		}
	case "env":
		env := copyEnv(s.env)
		for _, kv := range envPairs(n) {
			env[kv.name] = kv.value
		}
		s.env = env
	case "arg":
		// Build args are environment variables for the RUN instructions after them.
		env := copyEnv(s.env)
		for _, a := range argDefs(n) {
			if a.hasValue {
				env[a.name] = a.value
			}
		}
		s.env = env
	}
	s.steps = append(s.steps, step{node: n, cmd: cmd, workdir: s.workdir, env: s.env})
}

func copyEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env)+1)
	for k, v := range env {
		out[k] = v
	}
	return out
}

// final is the stage that becomes the image.
func (df *dockerfile) final() *stage {
	if len(df.stages) == 0 {
		return nil
	}
	return df.stages[len(df.stages)-1]
}

// nodeWords returns an instruction's arguments as parsed (Next chain values).
func nodeWords(n *parser.Node) []string {
	var out []string
	for c := n.Next; c != nil; c = c.Next {
		out = append(out, c.Value)
	}
	return out
}

// flagValue returns the value of --name=value among an instruction's flags.
func flagValue(n *parser.Node, name string) (string, bool) {
	for _, f := range n.Flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

type keyValue struct {
	name     string
	value    string
	hasValue bool
}

// envPairs reads ENV's node chain, which comes in (key, value, separator) triples.
func envPairs(n *parser.Node) []keyValue {
	var out []keyValue
	for c := n.Next; c != nil && c.Next != nil; {
		out = append(out, keyValue{name: c.Value, value: unquote(c.Next.Value), hasValue: true})
		c = c.Next.Next
		if c != nil {
			c = c.Next
		}
	}
	return out
}

// argDefs reads "ARG name[=default] ..." words.
func argDefs(n *parser.Node) []keyValue {
	var out []keyValue
	for _, w := range nodeWords(n) {
		name, value, ok := strings.Cut(w, "=")
		out = append(out, keyValue{name: name, value: unquote(value), hasValue: ok})
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// expandArgs substitutes ARG defaults into a FROM reference; an unknown variable is left
// as written so the base-image rules can tell they cannot judge it.
func expandArgs(word string, args map[string]string, escape rune) string {
	if !strings.Contains(word, "$") {
		return word
	}
	var env []string
	for k, v := range args {
		env = append(env, k+"="+v)
	}
	lex := shell.NewLex(escape)
	lex.SkipUnsetEnv = true
	out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(env))
	if err != nil {
		return word
	}
	return out
}

// resolveImagePath makes p absolute against the WORKDIR the way the builder does.
func resolveImagePath(workdir, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(workdir, p)
}
