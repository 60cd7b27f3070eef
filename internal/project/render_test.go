package project

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// renderFixtures are projects whose `config` output must load again into the same project.
var renderFixtures = map[string]map[string]string{
	"dollars and env_file": {
		"compose.yaml": `
services:
  api:
    image: busybox
    command: ["sh", "-c", "echo $$HOME and $${PATH}"]
    env_file: [app.env]
    environment:
      LITERAL: "a$$b"
      FROM_VAR: ${TAG:-v1}
    healthcheck:
      test: ["CMD-SHELL", "test -n \"$$HOSTNAME\""]
`,
		"app.env": "DB_URL='postgres://u:p$w@db/x'\nPLAIN=1\n",
	},
	"unused networks, volumes, configs, secrets": {
		"compose.yaml": `
services:
  api:
    image: busybox
    networks: [front]
    volumes: [data:/data]
networks:
  front: {}
  unused: {}
volumes:
  data: {}
  spare: {}
configs:
  cfg: {file: ./app.env}
secrets:
  tok: {file: ./app.env}
`,
		"app.env": "A=1\n",
	},
	"profiles, build and dependencies": {
		"compose.yaml": `
name: roundtrip
services:
  db:
    image: busybox
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  train:
    build: {context: ., args: {V: "1"}}
    profiles: [training]
    depends_on:
      db: {condition: service_healthy, restart: true}
  web:
    image: busybox
    ports: ["127.0.0.1:8080:80"]
    depends_on: [db]
    deploy:
      resources:
        reservations:
          devices: [{capabilities: [gpu], count: all}]
`,
		"Dockerfile": "FROM scratch\n",
	},
	"include and extends": {
		"compose.yaml": `
include: [extra.yaml]
services:
  base: {image: busybox, environment: {X: "1"}}
  child:
    extends: base
    command: ["sleep", "1"]
`,
		"extra.yaml": "services:\n  side: {image: busybox, labels: {a: \"$$b\"}}\n",
	},
}

func TestRenderLoadsAgainUnchanged(t *testing.T) {
	t.Setenv("COMPOSE_PROFILES", "")
	root := moduleRoot(t)
	fixtures := map[string]string{} // name -> compose file
	for name, files := range renderFixtures {
		dir := t.TempDir()
		for f, content := range files {
			write(t, dir, f, content)
		}
		fixtures[name] = filepath.Join(dir, "compose.yaml")
	}
	fixtures["examples/demo"] = filepath.Join(root, "examples", "demo", "compose.yaml")
	fixtures["examples/fraud-detection"] = filepath.Join(root, "examples", "fraud-detection", "compose.yaml")
	for name, file := range fixtures {
		for _, format := range []string{"yaml", "json"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				first := render(t, file, format)
				again := filepath.Join(t.TempDir(), "compose."+format)
				if err := os.WriteFile(again, first, 0o644); err != nil {
					t.Fatal(err)
				}
				second := render(t, again, format)
				if string(first) != string(second) {
					t.Errorf("config of config differs:\n--- first\n%s\n--- second\n%s", first, second)
				}
			})
		}
	}
}

func render(t *testing.T, file, format string) []byte {
	t.Helper()
	p, err := Load(context.Background(), Options{Files: []string{file}, WorkingDir: filepath.Dir(file), AllProfiles: true, NoPersisted: true})
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	b, err := p.Render(format, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRenderShowsWhatComposeShows(t *testing.T) {
	t.Setenv("COMPOSE_PROFILES", "")
	dir := t.TempDir()
	for f, content := range renderFixtures["dollars and env_file"] {
		write(t, dir, f, content)
	}
	for f, content := range renderFixtures["unused networks, volumes, configs, secrets"] {
		if f == "compose.yaml" {
			write(t, dir, "compose.override.yaml", content)
		}
	}
	out := string(render(t, filepath.Join(dir, "compose.yaml"), "yaml"))
	for _, want := range []string{"DB_URL: postgres://u:p$$w@db/x", "LITERAL: a$$b", "echo $$HOME and $${PATH}", "FROM_VAR: v1"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	for _, gone := range []string{"env_file", "unused", "spare", "cfg:", "tok:"} {
		if strings.Contains(out, gone) {
			t.Errorf("config output shows %q, which docker compose leaves out:\n%s", gone, out)
		}
	}
}

// moduleRoot returns the module's root directory (two levels above this package).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..")
}
