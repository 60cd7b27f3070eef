package kubesim

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mlstack/mlstack/internal/kube"
)

func TestBuiltImageIsPushedAndReferencedByDigest(t *testing.T) {
	p := newProject(t, "services:\n  model:\n    build: .\n")
	t.Cleanup(func() {
		// The build's local tags: <project>-model and the pushed one.
		out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}").Output()
		for _, ref := range strings.Fields(string(out)) {
			if strings.Contains(ref, p.name+"-model") {
				_ = exec.Command("docker", "rmi", "-f", ref).Run()
			}
		}
	})
	for name, content := range map[string]string{"Dockerfile": "FROM scratch\nCOPY weights.txt /weights.txt\nCMD [\"/serve\"]\n", "weights.txt": p.name} {
		if err := os.WriteFile(filepath.Join(p.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := p.run("up", "-d"); r.code == 0 || !strings.Contains(r.out, "give a registry") {
		t.Fatalf("up without a registry: exit %d, want an error naming the registry options:\n%s", r.code, r.out)
	}
	if _, err := p.c.CoreV1().Namespaces().Get(context.Background(), kube.Name(p.name), metav1.GetOptions{}); err == nil {
		t.Error("the namespace was created although the image had no registry")
	}
	p.mustRun("--registry", "127.0.0.1:5000", "up", "-d", "--wait", "--wait-timeout", "120")
	d, err := p.c.AppsV1().Deployments(kube.Name(p.name)).Get(context.Background(), "model", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(img, "127.0.0.1:5000/"+p.name+"-model@sha256:") {
		t.Errorf("image = %s, want the pushed digest in 127.0.0.1:5000", img)
	}
}
