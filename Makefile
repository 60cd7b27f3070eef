# mlstack's build, test and benchmark entry points. `make test` is what CI runs.
GO      ?= go
BIN     := bin/mlstack
# mlstack-kube: mlstack plus the Kubernetes backend (client-go); mlstack hands cluster commands to it.
KUBE_BIN := bin/mlstack-kube
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/mlstack/mlstack/internal/app.Version=$(VERSION)
# A static binary: watch copies mlstack itself into containers (even FROM scratch ones) as its sync helper.
export CGO_ENABLED := 0
# `make test` compares image lists with process substitution.
SHELL := /bin/bash
FIXTURE_REPO := mlstack-fixture

.PHONY: all build install test unit integration lint fuzz faults bench demo example example-check clean kube-sim kube-sim-down kube-test bench-kube

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/mlstack ./cmd/mlstack-kube

## install: bin/mlstack and bin/mlstack-kube into $(PREFIX)/bin (default ~/.local/bin, no root needed;
## PREFIX=/usr/local as root); mlstack finds mlstack-kube next to itself
PREFIX ?= $(HOME)/.local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(KUBE_BIN) $(DESTDIR)$(PREFIX)/bin/
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) echo "installed $(PREFIX)/bin/mlstack and $(PREFIX)/bin/mlstack-kube";; \
	  *) echo "installed $(PREFIX)/bin/mlstack and $(PREFIX)/bin/mlstack-kube; $(PREFIX)/bin is not on your PATH: add it, e.g. echo 'export PATH=\"$(PREFIX)/bin:\$$PATH\"' >> ~/.bashrc";; esac

## test: unit and integration tests against the real Docker engine (fails, never skips, without one).
## Afterwards it removes the fixture images (mlstack-fixture:*) it built and you did not have before;
## KEEP_TEST_IMAGES=1 keeps them, which makes the next run faster. The Kubernetes integration tests
## need the simulated cluster: they say so and skip here, and `make kube-test` runs them (CI does both).
test: build lint
	@before=$$(docker images --format '{{.Repository}}:{{.Tag}}' $(FIXTURE_REPO) 2>/dev/null | sort); \
	MLSTACK_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m ./...; rc=$$?; \
	after=$$(docker images --format '{{.Repository}}:{{.Tag}}' $(FIXTURE_REPO) 2>/dev/null | sort); \
	new=$$(comm -13 <(echo "$$before") <(echo "$$after") | grep . || true); \
	if [ -n "$$new" ] && [ -n "$(KEEP_TEST_IMAGES)" ]; then \
	  echo "make test built and kept these images (KEEP_TEST_IMAGES): $$(echo $$new)"; \
	elif [ -n "$$new" ]; then \
	  docker image rm $$new >/dev/null 2>&1 || true; \
	  left=$$(docker images --format '{{.Repository}}:{{.Tag}}' $(FIXTURE_REPO) 2>/dev/null | sort | comm -13 <(echo "$$before") - | grep . || true); \
	  echo "make test removed the images it built: $$(echo $$new)"; \
	  [ -z "$$left" ] || echo "still in use by a container, so kept: $$(echo $$left) (docker image rm them when done)"; \
	fi; exit $$rc

## unit: the tests that need no engine
unit:
	$(GO) test -short -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@out=$$($(GO) run golang.org/x/tools/cmd/deadcode@v0.52.0 -test ./...); \
	if [ -n "$$out" ]; then echo "deadcode: unreachable functions:"; echo "$$out"; exit 1; fi

## fuzz: each fuzz target for a short, fixed time (FUZZTIME=20s)
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/project
	$(GO) test -run '^$$' -fuzz '^FuzzGraph$$' -fuzztime $(FUZZTIME) ./internal/graph

## faults: the randomized fault tests (kill/stop/rm/restart during waits) for a fixed time each
## (FAULTTIME=60s): the fake engine's seeds, then the real engine's
FAULTTIME ?= 60s
faults: build
	MLSTACK_FAULT_TIME=$(FAULTTIME) $(GO) test -count=1 -run '^TestRandomFaults$$' ./internal/stack
	MLSTACK_BIN=$(CURDIR)/$(BIN) MLSTACK_FAULT_TIME=$(FAULTTIME) $(GO) test -count=1 -timeout 20m -run '^TestRandomFaultsRealEngine$$' ./internal/e2e

## bench: every scenario against Docker Compose v5 (built into the cache on first use) and
## docker-compose 1.x where installed; the report goes to bench/results/. Quick: BENCH_RUNS=1
bench: build
	MLSTACK_BIN=$(CURDIR)/$(BIN) bash bench/run.sh

## bench-kube: the Kubernetes scale figure: a 100-service project on a 50-node kube-sim of its own
## (ports 23890/6543/5100, beside make kube-sim's), mlstack's ordered up against an unordered
## kubectl apply, timed by one watch; the report goes to bench/kubescale/result.txt
bench-kube: build
	MLSTACK_BIN=$(CURDIR)/$(BIN) bash bench/kubescale/run.sh

## demo: a small stack on the fixture image (no registry needed)
demo: build
	bash examples/demo/run.sh

## example: the fraud-detection stack, built offline from Debian packages
example: build
	bash examples/fraud-detection/run.sh

## example-check: with the example running, check it end to end (plain commands, watch reload, SIGTERM)
example-check: build
	bash examples/fraud-detection/check.sh

## kube-sim: a simulated Kubernetes cluster on loopback (kubeconfig .mlstack/kubesim/kubeconfig, context
## mlstack-sim); builds its binaries once into ~/.cache/mlstack/kubesim (about 16 minutes cold)
KUBESIM_STATE := $(CURDIR)/.mlstack/kubesim
kube-sim:
	bash tools/kubesim/sim.sh up $(KUBESIM_STATE)

kube-sim-down:
	bash tools/kubesim/sim.sh down $(KUBESIM_STATE)

## kube-test: the Kubernetes integration tests against the running kube-sim (they fail without it);
## they run bin/mlstack, which hands cluster commands to bin/mlstack-kube beside it
kube-test: build
	MLSTACK_BIN=$(CURDIR)/$(BIN) MLSTACK_KUBECONFIG=$(KUBESIM_STATE)/kubeconfig MLSTACK_KUBE_REQUIRED=1 \
		$(GO) test -count=1 -timeout 20m ./internal/kube/...

clean:
	rm -rf bin
