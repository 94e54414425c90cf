# Stolik: make demo runs the system, make test runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin
# BENCH selects benchmarks (a go test -bench pattern); BENCHPKG the packages.
BENCH    ?= .
BENCHPKG ?= ./...

export GOFLAGS := $(GOFLAGS) -buildvcs=false

.PHONY: build test test-short bench demo vet clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./agent/cmd/stolik-agent ./hub/cmd/stolik-hub ./hub/cmd/stolik-demo

vet:
	$(GO) vet ./...

# Unit tests run with the race detector; the end-to-end tests (hub/e2e)
# build and run the real binaries and take a few minutes.
test: vet
	$(GO) test -count=1 -race -timeout 15m $$($(GO) list ./... | grep -v /e2e)
	$(GO) test -count=1 -timeout 15m ./hub/e2e/...

test-short: vet
	$(GO) test -count=1 -short ./...

bench:
	@mkdir -p $(BIN)
	@$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 30m $(BENCHPKG) \
		| tee $(BIN)/bench.txt | awk -f .ci/benchtable.awk

demo: build
	$(BIN)/stolik-demo --bin $(BIN)

clean:
	rm -rf $(BIN) .demo
