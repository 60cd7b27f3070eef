package doctor

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/project"
)

// imageNeed is one image the project needs: a service's image, or a base image of a service's
// Dockerfile (FROM, COPY --from).
type imageNeed struct {
	ref string
	why string // "service feature-store", "FROM in inference's offline/app.Dockerfile"
}

// projectImages lists the images an up of p needs from outside the project, and the images the
// project builds itself (which need nothing but their build).
func projectImages(p *project.Project) (needs []imageNeed, built map[string]bool, problems []string) {
	built = map[string]bool{}
	for _, n := range p.ServiceNames() {
		svc := p.Services[n]
		if svc.Build != nil {
			built[build.ImageName(p.Name, n, svc.Build, svc.Image)] = true
		}
	}
	for _, n := range p.ServiceNames() {
		svc := p.Services[n]
		if svc.Build == nil {
			needs = append(needs, imageNeed{ref: svc.Image, why: "service " + n})
			continue
		}
		c, err := build.New(p.WorkingDir, n, svc.Build)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		bases, err := c.BaseImages()
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		df := c.DockerfilePath()
		if rel, err := filepath.Rel(p.WorkingDir, df); err == nil && !strings.HasPrefix(rel, "..") {
			df = rel
		}
		for _, b := range bases {
			needs = append(needs, imageNeed{ref: b, why: fmt.Sprintf("FROM in %s's %s", n, df)})
		}
	}
	return needs, built, problems
}

// offlineRecipes say how to make, without a registry, the images examples/fraud-detection uses.
var offlineRecipes = map[string]string{
	"mlstack/debian:bookworm":            "debootstrap --variant=minbase bookworm DIR http://deb.debian.org/debian && tar -C DIR -c . | docker import - mlstack/debian:bookworm (as root; examples/fraud-detection/run.sh does it)",
	"fraud-detection/python-ml:bookworm": "in examples/fraud-detection: docker build -t fraud-detection/python-ml:bookworm -f offline/python-ml.Dockerfile offline (needs mlstack/debian:bookworm)",
}

// realExampleImages are the example's registry images, which its offline override replaces.
var realExampleImages = []string{"redis:7-alpine", "ghcr.io/mlflow/mlflow:", "prom/prometheus:", "python:3.11-slim"}

// howToGet says how to get one missing image without a registry.
func howToGet(ref string) string {
	if r, ok := offlineRecipes[ref]; ok {
		return r
	}
	for _, real := range realExampleImages {
		if strings.HasPrefix(ref, real) {
			return "in examples/fraud-detection, use the offline override: MLSTACK_EXAMPLE_MODE=offline make example (compose.offline.yaml builds the stack from Debian packages)"
		}
	}
	return "pull it on a machine with a registry and `docker save` it there, `docker load` it here; or build it (docker build -t " + ref + " ...)"
}

// imagesCheck grades the images the project needs: present, built by the project, pullable (a
// registry answers) or missing, which makes up certain to fail (Fail).
func imagesCheck(needs []imageNeed, built map[string]bool, problems []string, present func(string) bool, pullable bool) Check {
	var missing []imageNeed
	seen := map[string]bool{}
	for _, nd := range needs {
		if seen[nd.ref+nd.why] || built[nd.ref] || present(nd.ref) {
			continue
		}
		seen[nd.ref+nd.why] = true
		missing = append(missing, nd)
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].ref < missing[j].ref })
	c := Check{Name: "images", Status: OK, Detail: fmt.Sprintf("every image the project needs (%d, base images included) is on the engine or built by the project", len(needs))}
	if len(problems) > 0 {
		c.Status, c.Detail = Warn, "build sections that cannot be read: "+strings.Join(problems, "; ")
		c.Fix = "fix the build section or Dockerfile named; `mlstack lint` says more"
	}
	if len(missing) == 0 {
		return c
	}
	var names, fixes []string
	for _, m := range missing {
		names = append(names, fmt.Sprintf("%s (%s)", m.ref, m.why))
	}
	if pullable {
		c.Status = Warn
		c.Detail = "not on the engine, up will pull them: " + strings.Join(names, ", ")
		c.Fix = "nothing to do while the registry answers; `mlstack pull` fetches them now"
		return c
	}
	done := map[string]bool{}
	for _, m := range missing {
		if !done[m.ref] {
			done[m.ref] = true
			fixes = append(fixes, m.ref+": "+howToGet(m.ref))
		}
	}
	c.Status = Fail
	c.Detail = "missing, and no registry to pull them from, so `mlstack up` will fail: " + strings.Join(names, ", ")
	c.Fix = strings.Join(fixes, "\n")
	return c
}

// engineImages checks what p needs against eng.
func engineImages(ctx context.Context, eng *engine.Client, p *project.Project, pullable bool) Check {
	needs, built, problems := projectImages(p)
	present := func(ref string) bool {
		_, err := eng.ImageInspect(ctx, ref)
		return err == nil
	}
	return imagesCheck(needs, built, problems, present, pullable)
}
