# mlstack's build, test and benchmark entry points. `make test` is what CI runs.
GO      ?= go
BIN     := bin/mlstack
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/mlstack/mlstack/internal/app.Version=$(VERSION)
# A static binary: watch copies mlstack itself into containers (even FROM scratch ones) as its sync helper.
export CGO_ENABLED := 0

.PHONY: all build test unit integration lint fuzz faults bench demo example clean

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

## demo: a small stack on the fixture image (no registry needed)
demo: build
	bash examples/demo/run.sh

## example: the fraud-detection stack, built offline from Debian packages
example: build
	bash examples/fraud-detection/run.sh

clean:
	rm -rf bin
