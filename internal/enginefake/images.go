package enginefake

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// AddRegistryImage puts an image on the fake's registry, where Pull finds it, and returns its ID.
// It is not local until pulled.
func (e *Engine) AddRegistryImage(ref string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := "sha256:" + newID()
	e.registry[ref] = image.InspectResponse{ID: id, RepoTags: []string{ref}}
	return id
}

// Pull makes a registry image local (replacing the local one of that name); an image only known
// locally pulls as an image already up to date does, and anything else fails as a missing registry does.
func (e *Engine) Pull(ctx context.Context, ref string) error {
	e.call("pull", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	if im, ok := e.registry[ref]; ok {
		e.tagLocked(im, ref)
		return nil
	}
	if _, ok := e.images[ref]; ok {
		return nil
	}
	return fmt.Errorf("pull access denied for %s: repository does not exist or may require 'docker login'", ref)
}

// ImageTag gives the image source the name ref.
func (e *Engine) ImageTag(ctx context.Context, source, ref string) error {
	e.call("tag", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	im, ok := e.images[source]
	for _, c := range e.images {
		if !ok && c.ID == source {
			im, ok = c, true
		}
	}
	if !ok {
		return notFoundError{"No such image: " + source}
	}
	e.tagLocked(im, ref)
	return nil
}

// tagLocked names im ref, taking the name from the image that held it: an image left without a
// name stays, dangling, under its ID.
func (e *Engine) tagLocked(im image.InspectResponse, ref string) {
	if old, ok := e.images[ref]; ok && old.ID != im.ID {
		old.RepoTags = slices.DeleteFunc(slices.Clone(old.RepoTags), func(t string) bool { return t == ref })
		delete(e.images, ref)
		if len(old.RepoTags) == 0 {
			e.images[old.ID] = old
		}
		for _, t := range old.RepoTags {
			e.images[t] = old
		}
	}
	delete(e.images, im.ID)
	if !slices.Contains(im.RepoTags, ref) {
		im.RepoTags = append(slices.Clone(im.RepoTags), ref)
	}
	for _, t := range im.RepoTags {
		e.images[t] = im
	}
}

// ImageList lists the local images matching the label and dangling filters, one entry per image.
func (e *Engine) ImageList(ctx context.Context, o image.ListOptions) ([]image.Summary, error) {
	e.call("image-list", "")
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	var out []image.Summary
	for _, k := range slices.Sorted(maps.Keys(e.images)) {
		im := e.images[k]
		if seen[im.ID] {
			continue
		}
		seen[im.ID] = true
		var lbls map[string]string
		if im.Config != nil {
			lbls = im.Config.Labels
		}
		if !matchImageFilters(o.Filters, im, lbls) {
			continue
		}
		out = append(out, image.Summary{ID: im.ID, RepoTags: im.RepoTags, Labels: lbls, Size: im.Size})
	}
	return out, nil
}

func matchImageFilters(f filters.Args, im image.InspectResponse, lbls map[string]string) bool {
	if f.Contains("dangling") && f.ExactMatch("dangling", "true") != (len(im.RepoTags) == 0) {
		return false
	}
	return matchLabels(f.Get("label"), lbls)
}

// ImageBuild builds as the classic builder does, without running anything: the image gets the
// build's tags and the labels of its options and of the Dockerfile's LABEL lines. The answer is
// the builder's JSON stream, ending with the image ID.
func (e *Engine) ImageBuild(ctx context.Context, buildContext io.Reader, o build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	tag := ""
	if len(o.Tags) > 0 {
		tag = o.Tags[0]
	}
	e.call("build", tag)
	dockerfile, err := readTarFile(buildContext, o.Dockerfile)
	if err != nil {
		return build.ImageBuildResponse{}, fmt.Errorf("fake build %s: %w", tag, err)
	}
	lbls := maps.Clone(o.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	maps.Copy(lbls, labelLines(dockerfile))
	e.mu.Lock()
	im := image.InspectResponse{ID: "sha256:" + newID(), Config: &dockerspec.DockerOCIImageConfig{}, Size: int64(len(dockerfile))}
	im.Config.Labels = lbls
	for _, t := range o.Tags {
		e.tagLocked(im, t)
		im = e.images[t]
	}
	e.mu.Unlock()
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	_ = enc.Encode(map[string]string{"stream": "Step 1/1 : fake build of " + tag + "\n"})
	_ = enc.Encode(map[string]any{"aux": map[string]string{"ID": im.ID}})
	return build.ImageBuildResponse{Body: io.NopCloser(&body)}, nil
}

// readTarFile reads the whole tar (as the engine takes the whole context) and returns name's content.
func readTarFile(r io.Reader, name string) ([]byte, error) {
	if name == "" {
		name = "Dockerfile"
	}
	var found []byte
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read build context: %w", err)
		}
		if path.Clean(h.Name) != path.Clean(name) {
			continue
		}
		if found, err = io.ReadAll(tr); err != nil {
			return nil, fmt.Errorf("read %s from the build context: %w", name, err)
		}
	}
	if found == nil {
		return nil, fmt.Errorf("cannot locate specified Dockerfile: %s", name)
	}
	return found, nil
}

// labelLines reads the unquoted key=value pairs of a Dockerfile's LABEL instructions.
func labelLines(dockerfile []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "LABEL ")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				out[k] = v
			}
		}
	}
	return out
}
