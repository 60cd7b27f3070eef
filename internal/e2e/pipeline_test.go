package e2e

import (
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

const pipelineCompose = `
services:
  db:
    image: ${FIXTURE}
    command: ["serve"]
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
  training:
    build: ./src
    profiles: [training]
    command: ["cat", "/app/model.txt"]
    depends_on:
      db: {condition: service_healthy}
  eval:
    build: ./src
    profiles: [training]
    command: ["cat", "/app/model.txt"]
`

// The README's loop on a build: service: up, train (builds), edit the code, train again runs the
// edit; the run record names the image that ran; an unchanged tree is not built again; --no-build
// and --replay never build; a service with the same build section shares the one build.
func TestTrainBuildsWhatChanged(t *testing.T) {
	p := testenv.NewProject(t, pipelineCompose)
	removeProjectImages(t, p)
	p.Write("src/Dockerfile", "FROM ${FIXTURE}\nCOPY . /app\n")
	p.Write("src/model.txt", "model v1\n")

	p.MustRun("up", "-d", "--wait")
	r := p.MustRun("train")
	if !strings.Contains(r.Stdout, "training | Step 1/") {
		t.Errorf("train on a build: service shows no build progress:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, "model v1") {
		t.Fatalf("first train did not run the built image:\n%s\n%s", r.Stdout, r.Stderr)
	}
	v1 := imageID(t, p, p.Name+"-training")
	if recs := listRuns(t, p); len(recs) != 1 || recs[0].ImageID != v1 {
		t.Errorf("run record's image_id is not the image that ran (%s): %+v", v1, recs)
	}

	r = p.MustRun("train")
	if strings.Contains(r.Stdout, "Step ") {
		t.Errorf("train rebuilt an unchanged context:\n%s", r.Stdout)
	}

	p.Write("src/model.txt", "model v2\n")
	r = p.MustRun("train")
	if !strings.Contains(r.Stdout, "model v2") {
		t.Fatalf("train after an edit did not run the edit:\n%s\n%s", r.Stdout, r.Stderr)
	}
	v2 := imageID(t, p, p.Name+"-training")
	if v2 == v1 {
		t.Fatalf("the edit did not produce a new image")
	}
	if recs := listRuns(t, p); len(recs) != 3 || recs[0].ImageID != v2 {
		t.Errorf("newest run record's image_id is not %s: %+v", v2, recs)
	}

	p.Write("src/model.txt", "model v3\n")
	r = p.MustRun("train", "--no-build")
	if strings.Contains(r.Stdout, "Step ") || !strings.Contains(r.Stdout, "model v2") {
		t.Errorf("train --no-build built or did not run the existing image:\n%s", r.Stdout)
	}
	r = p.MustRun("train", "--replay", "latest")
	if strings.Contains(r.Stdout, "Step ") || !strings.Contains(r.Stdout, "model v2") {
		t.Errorf("--replay built or did not run the recorded image:\n%s", r.Stdout)
	}

	// eval's build section is training's: one build serves both, under each one's name.
	r = p.MustRun("--profile", "training", "build")
	if n := strings.Count(r.Stdout, "Step 1/"); n != 1 {
		t.Errorf("two services with one build section built %d times:\n%s", n, r.Stdout)
	}
	if a, b := imageID(t, p, p.Name+"-training"), imageID(t, p, p.Name+"-eval"); a != b {
		t.Errorf("training and eval share a build but got images %s and %s", a, b)
	}
	r = p.MustRun("run", "--no-deps", "eval")
	if !strings.Contains(r.Stdout, "model v3") {
		t.Errorf("run eval did not run the shared build:\n%s", r.Stdout)
	}
}
