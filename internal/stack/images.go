package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/ui"
)

// ImagesOptions are `mlstack images`'s choices.
type ImagesOptions struct {
	Services []string
	Format   string // table (default) or json
	Quiet    bool
}

// ImageView is one line of `images`, in compose's JSON field names.
type ImageView struct {
	ID            string `json:"ID"`
	ContainerName string `json:"ContainerName"`
	Repository    string `json:"Repository"`
	Tag           string `json:"Tag"`
	Size          int64  `json:"Size"`
}

// Images lists the images the project's service containers use, one line per container.
func (s *Stack) Images(ctx context.Context, o ImagesOptions) ([]ImageView, error) {
	if err := s.checkKnown(o.Services); err != nil {
		return nil, err
	}
	cs, err := s.containers(ctx, true, false, o.Services...)
	if err != nil {
		return nil, err
	}
	inspected := map[string]image.InspectResponse{}
	var out []ImageView
	for _, c := range cs {
		in, ok := inspected[c.ImageID]
		if !ok {
			in, err = s.api().ImageInspect(ctx, c.ImageID)
			if err != nil && !isNotFound(err) {
				return nil, fmt.Errorf("inspect image of container %s: %w", name(c), err)
			}
			inspected[c.ImageID] = in
		}
		repo, tag := "<none>", "<none>"
		if ref := pickTag(in.RepoTags, c.Image); ref != "" {
			repo, tag = splitRef(ref)
		}
		out = append(out, ImageView{ID: c.ImageID, ContainerName: name(c), Repository: repo, Tag: tag, Size: in.Size})
	}
	return out, nil
}

// WriteImages prints image views as a table, IDs only (quiet) or a JSON array.
func (s *Stack) WriteImages(w io.Writer, views []ImageView, o ImagesOptions) error {
	switch o.Format {
	case "json":
		if views == nil {
			views = []ImageView{}
		}
		return ui.WriteJSONArray(w, views)
	case "", "table":
		if o.Quiet {
			seen := map[string]bool{}
			for _, v := range views {
				if !seen[v.ID] {
					seen[v.ID] = true
					fmt.Fprintln(w, v.ID)
				}
			}
			return nil
		}
		rows := [][]string{{"CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"}}
		for _, v := range views {
			rows = append(rows, []string{v.ContainerName, v.Repository, v.Tag, shortID(v.ID), humanBytes(v.Size)})
		}
		s.UI.Table(rows)
		return nil
	}
	return fmt.Errorf("unknown --format %q: use table or json", o.Format)
}

// pickTag prefers the tag the container was created from, else the image's first tag.
func pickTag(tags []string, created string) string {
	for _, t := range tags {
		if t == created || t == created+":latest" {
			return t
		}
	}
	if len(tags) > 0 {
		return tags[0]
	}
	return ""
}

// splitRef splits "repo:tag" at the tag's colon (not a registry port's).
func splitRef(ref string) (string, string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// removeImages implements `down --rmi`: "local" removes the images built for the project under
// compose's default name (services without an image: tag), "all" every image the services use. The
// containers are those down found, so a project known only by name still finds its images.
func (s *Stack) removeImages(ctx context.Context, mode string, cs []container.Summary) error {
	if mode == "" {
		return nil
	}
	if mode != "local" && mode != "all" {
		return fmt.Errorf("--rmi %q: use local or all", mode)
	}
	refs := map[string]bool{}
	for _, svc := range s.Project.All {
		switch {
		case svc.Image == "":
			refs[s.Name()+"-"+svc.Name] = true
		case mode == "all":
			refs[svc.Image] = true
		}
	}
	for _, c := range cs {
		if c.Labels[labels.OneOff] == "True" {
			continue
		}
		def := s.Name() + "-" + c.Labels[labels.Service]
		if c.Image == def || mode == "all" {
			refs[c.Image] = true
		}
	}
	for _, ref := range slices.Sorted(maps.Keys(refs)) {
		if strings.HasPrefix(ref, "sha256:") {
			continue // an untagged image: nothing of the project's to remove by name
		}
		if _, err := s.api().ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil {
			if isNotFound(err) {
				continue
			}
			if isConflict(err) {
				s.UI.Warn("image %s is still used by a container outside project %q; kept", ref, s.Name())
				continue
			}
			return fmt.Errorf("remove image %s: %w", ref, err)
		}
		s.UI.Status("Image "+ref, "Removed")
	}
	return nil
}
