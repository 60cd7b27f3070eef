# mlstack's build, test and benchmark entry points. `make test` is what CI runs.
GO      ?= go
BIN     := bin/mlstack
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/mlstack/mlstack/internal/app.Version=$(VERSION)
# A static binary: watch copies mlstack itself into containers (even FROM scratch ones) as its sync helper.
export CGO_ENABLED := 0

.PHONY: all build test unit integration lint fuzz bench demo example clean kube-sim kube-sim-down kube-test

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/mlstack

## test: unit and integration tests against the real Docker engine (fails, never skips, without one)
test: build lint
	MLSTACK_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m ./...

## unit: the tests that need no engine
unit:
	$(GO) test -short -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## fuzz: each fuzz target for a short, fixed time (FUZZTIME=20s)
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/project
	$(GO) test -run '^$$' -fuzz '^FuzzGraph$$' -fuzztime $(FUZZTIME) ./internal/graph

## bench: every scenario against docker-compose where installed; prints one table
bench: build
	MLSTACK_BIN=$(CURDIR)/$(BIN) bash bench/run.sh

## demo: a small stack on the fixture image (no registry needed)
demo: build
	bash examples/demo/run.sh

## example: the fraud-detection stack, built offline from Debian packages
example: build
	bash examples/fraud-detection/run.sh

## kube-sim: a simulated Kubernetes cluster on loopback (kubeconfig .mlstack/kubesim/kubeconfig, context
## mlstack-sim); builds its binaries once into ~/.cache/mlstack/kubesim (about 16 minutes cold)
KUBESIM_STATE := $(CURDIR)/.mlstack/kubesim
kube-sim:
	bash tools/kubesim/sim.sh up $(KUBESIM_STATE)

kube-sim-down:
	bash tools/kubesim/sim.sh down $(KUBESIM_STATE)

## kube-test: the Kubernetes integration tests against the running kube-sim (they fail without it)
kube-test: build
	MLSTACK_BIN=$(CURDIR)/$(BIN) MLSTACK_KUBECONFIG=$(KUBESIM_STATE)/kubeconfig MLSTACK_KUBE_REQUIRED=1 \
		$(GO) test -count=1 -timeout 20m ./internal/kube/...

clean:
	rm -rf bin
