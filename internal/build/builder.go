package build

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	dockerbuild "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/project"
)

// Options tune how Service builds.
type Options struct {
	// NoCache builds every step afresh (compose's --no-cache; also build.no_cache).
	NoCache bool
	// Pull tries to pull newer base images first (compose's --pull; also build.pull). Without a
	// registry the pull fails, and the local base is used with a warning.
	Pull bool
	// Force builds even when the input hash matches the existing image.
	Force bool
	// Quiet keeps the builder's output to itself; it is still quoted when the build fails.
	Quiet bool
	// Warn receives warnings (large context, BuildKit-only fields); nil writes them to out.
	Warn func(msg string)
}

// Service makes sure the image of svc (which has a build: section) matches its inputs: it hashes
// the context, Dockerfile, args, target, labels and the local IDs of the base images, reuses the
// existing image when its HashLabel equals that hash (no build call), and otherwise builds it with
// the classic builder, streaming the builder's output to out. built reports whether a build ran.
func Service(ctx context.Context, eng Engine, p *project.Project, svc types.ServiceConfig, o Options, out io.Writer) (imageID string, built bool, err error) {
	b := svc.Build
	if b == nil {
		return "", false, fmt.Errorf("service %q has no build section", svc.Name)
	}
	warn := o.Warn
	if warn == nil {
		warn = func(msg string) { fmt.Fprintf(out, "warning: %s\n", msg) }
	}
	// build.no_cache in the file shapes a build but does not force one; --no-cache on the command line does.
	force := o.Force || o.NoCache || svc.PullPolicy == types.PullPolicyBuild
	o.NoCache = o.NoCache || b.NoCache
	o.Pull = o.Pull || b.Pull

	c, err := New(p.WorkingDir, svc.Name, b)
	if err != nil {
		return "", false, err
	}
	if err := c.CheckSyntaxDirective(); err != nil {
		return "", false, fmt.Errorf("build service %q: %w", svc.Name, err)
	}
	bases, err := c.BaseImageLines()
	if err != nil {
		return "", false, fmt.Errorf("build service %q: %w", svc.Name, err)
	}
	baseIDs := map[string]string{}
	for _, base := range bases {
		id, err := baseImage(ctx, eng, svc.Name, c, base, o.Pull, warn)
		if err != nil {
			return "", false, err
		}
		baseIDs[base.Ref] = id
	}
	sum, err := c.Hash(ctx, baseIDs)
	if err != nil {
		return "", false, fmt.Errorf("build service %q: %w", svc.Name, err)
	}

	name := ImageName(p.Name, svc.Name, b, svc.Image)
	old, err := eng.ImageInspect(ctx, name)
	switch {
	case err == nil:
		if !force && old.Config != nil && old.Config.Labels[HashLabel] == sum {
			pruneReplaced(ctx, eng, p.Name, svc.Name)
			return old.ID, false, nil
		}
	case engine.IsNotFound(err):
	default:
		return "", false, fmt.Errorf("build service %q: inspect image %s: %w", svc.Name, name, err)
	}

	for _, f := range unsupportedFields(b) {
		warn(fmt.Sprintf("service %q: build.%s needs BuildKit, which this engine does not offer; ignored", svc.Name, f))
	}
	msgs, err := c.Warnings(ctx)
	if err != nil {
		return "", false, fmt.Errorf("build service %q: %w", svc.Name, err)
	}
	for _, msg := range msgs {
		warn(fmt.Sprintf("service %q: %s", svc.Name, msg))
	}

	opts := buildOptions(p.Name, svc, c, name, sum, o)
	sent := c
	own := map[string]string{HashLabel: sum, labels.Project: p.Name, labels.Service: svc.Name, labels.Tool: "mlstack"}
	if lc, ok := c.withLabelLine(own); ok {
		sent = lc
		opts.Dockerfile = lc.DockerfileName
		for k := range own {
			delete(opts.Labels, k)
		}
		if len(opts.Labels) == 0 {
			opts.Labels = nil
		}
	}
	id, err := run(ctx, eng, sent, opts, o.Quiet, out)
	if err != nil {
		return "", false, fmt.Errorf("build service %q: %w", svc.Name, err)
	}
	pruneReplaced(ctx, eng, p.Name, svc.Name)
	return id, true, nil
}

// baseImage returns the local ID of a base image, pulling it when missing (or when pull is set).
func baseImage(ctx context.Context, eng Engine, service string, c *Context, base BaseImage, pull bool, warn func(string)) (string, error) {
	in, err := eng.ImageInspect(ctx, base.Ref)
	if err != nil && !engine.IsNotFound(err) {
		return "", fmt.Errorf("build service %q: inspect base image %s: %w", service, base.Ref, err)
	}
	local := err == nil
	if local && !pull {
		return in.ID, nil
	}
	perr := eng.Pull(ctx, base.Ref)
	switch {
	case perr == nil:
		in, err = eng.ImageInspect(ctx, base.Ref)
		if err != nil {
			return "", fmt.Errorf("build service %q: inspect base image %s after pull: %w", service, base.Ref, err)
		}
		return in.ID, nil
	case local:
		warn(fmt.Sprintf("service %q: could not pull %s (%v); building from the local image", service, base.Ref, perr))
		return in.ID, nil
	}
	return "", fmt.Errorf("build service %q: %s:%d: base image %s is not on this engine and could not be pulled (%v); "+
		"build or import it locally (docker build / docker load / docker import) or change the FROM line",
		service, c.DockerfilePath(), base.Line, base.Ref, perr)
}

// buildOptions maps the compose build section to the classic builder's options.
func buildOptions(projectName string, svc types.ServiceConfig, c *Context, name, sum string, o Options) dockerbuild.ImageBuildOptions {
	b := svc.Build
	lbls := map[string]string{}
	for k, v := range c.Labels {
		lbls[k] = v
	}
	lbls[HashLabel] = sum
	lbls[labels.Project] = projectName
	lbls[labels.Service] = svc.Name
	lbls[labels.Tool] = "mlstack"
	tags := []string{name}
	for _, t := range b.Tags {
		if t != name {
			tags = append(tags, t)
		}
	}
	hosts := b.ExtraHosts.AsList(":")
	sort.Strings(hosts)
	return dockerbuild.ImageBuildOptions{
		Tags:        tags,
		Dockerfile:  c.DockerfileName,
		BuildArgs:   c.ArgPointers(),
		Target:      c.Target,
		Labels:      lbls,
		NetworkMode: b.Network,
		ExtraHosts:  hosts,
		NoCache:     o.NoCache,
		CacheFrom:   b.CacheFrom,
		ShmSize:     int64(b.ShmSize),
		Isolation:   "",
		Remove:      true,
		ForceRemove: true,
		// Base images were already pulled (or found) above; asking the engine to pull again would
		// fail the build on a machine without a registry.
		PullParent: false,
		Version:    dockerbuild.BuilderV1,
	}
}

// unsupportedFields lists build: fields only BuildKit honours.
func unsupportedFields(b *types.BuildConfig) []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(len(b.SSH) > 0, "ssh")
	add(len(b.Secrets) > 0, "secrets")
	add(len(b.AdditionalContexts) > 0, "additional_contexts")
	add(len(b.CacheTo) > 0, "cache_to")
	add(len(b.Platforms) > 0, "platforms")
	add(b.Privileged, "privileged")
	add(len(b.Entitlements) > 0, "entitlements")
	return out
}

// run sends the context and reads the builder's stream until the image exists.
func run(ctx context.Context, eng Engine, c *Context, opts dockerbuild.ImageBuildOptions, quiet bool, out io.Writer) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() { pw.CloseWithError(c.WriteTar(ctx, pw)) }()

	resp, err := eng.ImageBuild(ctx, pr, opts)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()

	var (
		id   string
		step string
		tail lastLines
	)
	dec := json.NewDecoder(resp.Body)
	for {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
			Aux    *struct {
				ID string `json:"ID"`
			} `json:"aux"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("read builder output: %w", err)
		}
		if m.Aux != nil && m.Aux.ID != "" {
			id = m.Aux.ID
		}
		if m.Stream != "" {
			for _, line := range strings.SplitAfter(m.Stream, "\n") {
				if strings.HasPrefix(line, "Step ") {
					step = strings.TrimSpace(line)
				}
			}
			tail.add(m.Stream)
			if !quiet {
				io.WriteString(out, m.Stream)
			}
		}
		if m.Error != "" {
			return "", stepError(c, step, m.Error, quiet, tail.String())
		}
	}
	if id == "" {
		in, err := eng.ImageInspect(ctx, opts.Tags[0])
		if err != nil {
			return "", fmt.Errorf("inspect built image %s: %w", opts.Tags[0], err)
		}
		id = in.ID
	}
	return id, nil
}

// stepError names the failing step and, where the step count maps onto the Dockerfile, its line.
func stepError(c *Context, step, msg string, quiet bool, tail string) error {
	msg = strings.TrimSpace(msg)
	if step == "" {
		return fmt.Errorf("%s: %s", c.DockerfilePath(), msg)
	}
	loc := c.DockerfilePath()
	if line := stepLine(c.dockerfileContent, step); line > 0 {
		loc += ":" + strconv.Itoa(line)
	}
	err := fmt.Errorf("%s: %s failed: %s", loc, step, msg)
	if quiet && tail != "" {
		err = fmt.Errorf("%w\n%s", err, tail)
	}
	return err
}

// stepLine maps "Step N/M : ..." to the Nth instruction's line when the Dockerfile has M instructions,
// which is how the classic builder counts.
func stepLine(dockerfile []byte, step string) int {
	var n, m int
	if _, err := fmt.Sscanf(step, "Step %d/%d", &n, &m); err != nil || n < 1 {
		return 0
	}
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil || len(res.AST.Children) != m || n > m {
		return 0
	}
	return res.AST.Children[n-1].StartLine
}

// lastLines keeps the builder's last lines, to quote when a quiet build fails.
type lastLines struct{ lines []string }

func (l *lastLines) add(s string) {
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		l.lines = append(l.lines, line)
	}
	if len(l.lines) > 10 {
		l.lines = l.lines[len(l.lines)-10:]
	}
}

func (l *lastLines) String() string { return strings.Join(l.lines, "\n") }

// pruneReplaced removes images this project built for service that lost their tag to a rebuild.
// The engine refuses to remove an image any container still uses, which is exactly the rule wanted:
// such an image goes at a later build or up, once its container was recreated.
func pruneReplaced(ctx context.Context, eng Engine, projectName, service string) {
	f := filters.NewArgs(
		filters.Arg("dangling", "true"),
		filters.Arg("label", labels.ProjectFilter(projectName)),
		filters.Arg("label", labels.ServiceFilter(service)),
		filters.Arg("label", HashLabel),
	)
	imgs, err := eng.ImageList(ctx, image.ListOptions{Filters: f})
	if err != nil {
		return
	}
	for _, im := range imgs {
		// Best effort: a conflict means a container still uses it, and a failure here must not fail the build.
		eng.ImageRemove(ctx, im.ID, image.RemoveOptions{PruneChildren: true})
	}
}
