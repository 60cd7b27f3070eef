package build

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// DockerfileError is a problem at a line of a Dockerfile.
type DockerfileError struct {
	// Path names the Dockerfile; empty when the caller passed only its content.
	Path string
	// Line is 1-based, 0 when unknown.
	Line int
	// Msg says what is wrong and what to do.
	Msg string
	// Err is the underlying parser error, if any.
	Err error
}

// Error formats the error as "path:line: msg".
func (e *DockerfileError) Error() string {
	loc := e.Path
	if loc == "" {
		loc = "Dockerfile"
	}
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Err != nil {
		return loc + ": " + e.Msg + ": " + e.Err.Error()
	}
	return loc + ": " + e.Msg
}

// Unwrap returns the parser error.
func (e *DockerfileError) Unwrap() error { return e.Err }

// CheckSyntaxDirective rejects a "# syntax=" parser directive, which the classic builder cannot honour.
func CheckSyntaxDirective(dockerfile []byte) error {
	ref, _, loc, ok := parser.ParseDirective("syntax", dockerfile)
	if !ok {
		return nil
	}
	line := 0
	if len(loc) > 0 {
		line = loc[0].Start.Line
	}
	return &DockerfileError{Line: line, Msg: fmt.Sprintf(
		"the \"# syntax=%s\" line asks for a BuildKit frontend image; this engine builds with the classic builder "+
			"(no BuildKit or buildx) and cannot pull that image. Remove the line "+
			"(BuildKit-only features such as RUN --mount or heredocs will not work either)", ref)}
}

// BaseImages lists the external images a Dockerfile builds from, in order of first use: FROM images and
// COPY --from images, skipping scratch and earlier stage names. ${VAR} and $VAR in FROM are replaced
// with buildArgs, else the defaults of ARGs declared before the first FROM, as the builder does.
func BaseImages(dockerfile []byte, buildArgs map[string]string) ([]string, error) {
	bases, err := BaseImageLines(dockerfile, buildArgs)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, b := range bases {
		refs = append(refs, b.Ref)
	}
	return refs, nil
}

// BaseImage is an external image a Dockerfile uses and the line that first names it.
type BaseImage struct {
	Ref  string
	Line int
}

// BaseImageLines is BaseImages with the line of each image's first use, for messages.
func BaseImageLines(dockerfile []byte, buildArgs map[string]string) ([]BaseImage, error) {
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return nil, &DockerfileError{Line: errorLine(err), Msg: "parse", Err: err}
	}
	lex := shell.NewLex(res.EscapeToken)
	global := envMap{}
	stages := map[string]bool{}
	seen := map[string]bool{}
	var images []BaseImage
	add := func(ref string, line int) {
		if strings.EqualFold(ref, "scratch") || stages[strings.ToLower(ref)] || seen[ref] {
			return
		}
		seen[ref] = true
		images = append(images, BaseImage{Ref: ref, Line: line})
	}
	inStage := false
	for _, n := range res.AST.Children {
		switch strings.ToLower(n.Value) {
		case "arg":
			if inStage {
				continue // stage ARGs are not visible to FROM
			}
			for a := n.Next; a != nil; a = a.Next {
				name, def, hasDef := strings.Cut(a.Value, "=")
				if v, ok := buildArgs[name]; ok {
					global[name] = v
					continue
				}
				if !hasDef {
					continue
				}
				v, _, err := lex.ProcessWord(def, global)
				if err != nil {
					return nil, &DockerfileError{Line: n.StartLine, Msg: fmt.Sprintf("expand ARG %s", name), Err: err}
				}
				global[name] = v
			}
		case "from":
			inStage = true
			if n.Next == nil {
				return nil, &DockerfileError{Line: n.StartLine, Msg: "FROM names no image"}
			}
			ref, _, err := lex.ProcessWord(n.Next.Value, global)
			if err != nil {
				return nil, &DockerfileError{Line: n.StartLine, Msg: fmt.Sprintf("expand FROM %s", n.Next.Value), Err: err}
			}
			if ref == "" {
				return nil, &DockerfileError{Line: n.StartLine, Msg: fmt.Sprintf(
					"FROM %s is empty after substituting build args; set the arg in build.args or give the ARG a default", n.Next.Value)}
			}
			add(ref, n.StartLine)
			if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
				stages[strings.ToLower(as.Next.Value)] = true
			}
		case "copy":
			for _, flag := range n.Flags {
				from, ok := strings.CutPrefix(flag, "--from=")
				if !ok || strings.Contains(from, "$") {
					continue
				}
				if _, err := strconv.Atoi(from); err == nil {
					continue // a stage index
				}
				add(from, n.StartLine)
			}
		}
	}
	return images, nil
}

// CheckSyntaxDirective is the package function of that name, with errors naming this Dockerfile.
func (c *Context) CheckSyntaxDirective() error {
	return c.named(CheckSyntaxDirective(c.dockerfileContent))
}

// BaseImages is the package function of that name for this Dockerfile and its build args.
func (c *Context) BaseImages() ([]string, error) {
	images, err := BaseImages(c.dockerfileContent, c.Args)
	return images, c.named(err)
}

// BaseImageLines is the package function of that name for this Dockerfile and its build args.
func (c *Context) BaseImageLines() ([]BaseImage, error) {
	images, err := BaseImageLines(c.dockerfileContent, c.Args)
	return images, c.named(err)
}

// DockerfilePath names the Dockerfile in messages: its path, or "dockerfile_inline".
func (c *Context) DockerfilePath() string {
	if c.Dockerfile == "" {
		return "dockerfile_inline"
	}
	return c.Dockerfile
}

func (c *Context) named(err error) error {
	var de *DockerfileError
	if errors.As(err, &de) && de.Path == "" {
		de.Path = c.Dockerfile
		if de.Path == "" {
			de.Path = "dockerfile_inline"
		}
	}
	return err
}

func errorLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return le.Locations[0][0].Start.Line
	}
	return 0
}

// envMap is the build-arg environment FROM lines are expanded in.
type envMap map[string]string

func (e envMap) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envMap) Keys() []string { return slices.Sorted(maps.Keys(e)) }
