package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
)

// load reads a compose file from text, as mlstack's loader would.
func load(t *testing.T, yaml string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := cli.NewProjectOptions([]string{f}, cli.WithName("ml_proj"), cli.WithWorkingDirectory(dir), cli.WithOsEnv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := o.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"web", "web"},
		{"feature_store", "feature-store"},
		{"Model.Server", "model-server"},
		{"_x_", "x"},
		{"9lives", "s-9lives"},
		{strings.Repeat("a", 70), strings.Repeat("a", 54) + "-"},
	} {
		got := Name(c.in)
		if !strings.HasPrefix(got, c.want) || len(got) > 63 {
			t.Errorf("Name(%q) = %q, want prefix %q within 63 characters", c.in, got, c.want)
		}
		if Name(c.in) != got {
			t.Errorf("Name(%q) is not stable", c.in)
		}
	}
	if got := JobName(strings.Repeat("b", 70), "abc123"); len(got) > 63 || !strings.HasSuffix(got, "-run-abc123") {
		t.Errorf("JobName = %q", got)
	}
}

const mlProject = `
services:
  db:
    image: postgres:16
    environment: {POSTGRES_PASSWORD: pw}
    healthcheck: {test: ["CMD-SHELL", "pg_isready -U postgres"], interval: 5s, timeout: 3s, retries: 7}
    volumes: [pgdata:/var/lib/postgresql/data]
  migrate:
    image: app:1
    command: ["alembic", "upgrade", "head"]
    depends_on: {db: {condition: service_healthy}}
  api:
    image: app:1
    ports: ["127.0.0.1:8080:80"]
    deploy:
      replicas: 2
      resources: {limits: {cpus: "1.5", memory: 512M}}
    depends_on:
      migrate: {condition: service_completed_successfully}
    secrets: [token]
    privileged: true
  training:
    image: trainer:1
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 2, capabilities: [gpu]}]
volumes: {pgdata: {}}
secrets:
  token: {environment: HOME}
`

func TestConvert(t *testing.T) {
	p := load(t, mlProject)
	plan, err := Convert(p, ConvertOptions{Namespace: "ns"})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*ServicePlan{}
	for _, sp := range plan.Services {
		by[sp.Service] = sp
	}
	db := by["db"]
	if db.Deployment == nil || db.Svc == nil || db.Svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Fatalf("db: want a Deployment and a headless Service, got %+v", db)
	}
	pr := db.Deployment.Spec.Template.Spec.Containers[0].ReadinessProbe
	if pr == nil || strings.Join(pr.Exec.Command, " ") != "sh -c pg_isready -U postgres" || pr.PeriodSeconds != 5 || pr.TimeoutSeconds != 3 || pr.FailureThreshold != 7 {
		t.Errorf("db readiness probe = %+v", pr)
	}
	if v := db.Deployment.Spec.Template.Spec.Volumes; len(v) != 1 || v[0].PersistentVolumeClaim == nil || v[0].PersistentVolumeClaim.ClaimName != "pgdata" {
		t.Errorf("db volumes = %+v", v)
	}
	if by["migrate"].Job == nil || *by["migrate"].Job.Spec.BackoffLimit != 0 || by["migrate"].Depth != 1 {
		t.Errorf("migrate: want a Job with backoffLimit 0 at depth 1, got %+v", by["migrate"])
	}
	api := by["api"]
	if *api.Deployment.Spec.Replicas != 2 || api.Depth != 2 {
		t.Errorf("api: replicas %d depth %d, want 2 and 2", *api.Deployment.Spec.Replicas, api.Depth)
	}
	lim := api.Deployment.Spec.Template.Spec.Containers[0].Resources.Limits
	if lim.Cpu().String() != "1500m" || lim.Memory().Value() != 512<<20 {
		t.Errorf("api limits = %v", lim)
	}
	if ports := api.Svc.Spec.Ports; len(ports) != 1 || ports[0].Port != 80 {
		t.Errorf("api Service ports = %+v", ports)
	}
	tr := by["training"].Deployment.Spec.Template.Spec
	if q := tr.Containers[0].Resources.Limits[GPUResource]; q.Value() != 2 || len(tr.Tolerations) != 1 || tr.Tolerations[0].Key != string(GPUResource) {
		t.Errorf("training: GPUs %v tolerations %+v", q, tr.Tolerations)
	}
	warned := strings.Join(plan.Warnings, "\n")
	for _, want := range []string{`service "api": privileged has no Kubernetes mapping`, `service "api": ports: published port 8080`} {
		if !strings.Contains(warned, want) {
			t.Errorf("warnings lack %q:\n%s", want, warned)
		}
	}
	kinds := map[string]int{}
	for _, o := range plan.Shared {
		kinds[o.GetObjectKind().GroupVersionKind().Kind]++
	}
	if kinds["PersistentVolumeClaim"] != 1 || kinds["Secret"] != 1 {
		t.Errorf("shared objects = %v", kinds)
	}
	if l := db.Deployment.Labels; l[LabelPartOf] != "ml-proj" || l[LabelManagedBy] != "mlstack" || l["com.docker.compose.project"] != "ml-proj" {
		t.Errorf("labels = %v", l)
	}
}

func TestConvertErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"bind mount", "services:\n  a:\n    image: x\n    volumes: ['./data:/data']\n", `service "a": volumes: bind mount`},
		{"build without registry", "services:\n  a:\n    build: .\n", `service "a": build: a cluster pulls its images`},
		{"name clash", "services:\n  a_b:\n    image: x\n  a.b:\n    image: x\n", `both become "a-b"`},
		{"user name", "services:\n  a:\n    image: x\n    user: postgres\n", `service "a": user "postgres": Kubernetes needs a numeric UID`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Convert(load(t, c.yaml), ConvertOptions{Namespace: "ns"})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	files, warnings, err := Export(load(t, mlProject), dir, ConvertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 6 {
		t.Errorf("files = %v", files)
	}
	b, err := os.ReadFile(filepath.Join(dir, "migrate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`# Compose service "migrate"`, "kind: Job", `argocd.argoproj.io/sync-wave: "1"`, "after db (service_healthy)"} {
		if !strings.Contains(s, want) {
			t.Errorf("migrate.yaml lacks %q:\n%s", want, s)
		}
	}
	if !strings.Contains(strings.Join(warnings, "\n"), `secret "token" is not exported`) {
		t.Errorf("warnings = %v", warnings)
	}
	shared, _ := os.ReadFile(filepath.Join(dir, "shared.yaml"))
	if strings.Contains(string(shared), "kind: Secret") {
		t.Errorf("shared.yaml holds a Secret:\n%s", shared)
	}
}
