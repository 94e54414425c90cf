# Stolik: make demo runs the system, make test runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin
# BENCH selects benchmarks (a go test -bench pattern); BENCHPKG the packages.
BENCH    ?= .
BENCHPKG ?= ./...

export GOFLAGS := $(GOFLAGS) -buildvcs=false
# SUDO is empty when running as root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: build test test-short bench bench-peers demo vet clean fuzz

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

# make bench runs every benchmark (stolik-bench: one package at a time, as
# on two cores two benchmark binaries measure each other), shows progress,
# and writes $(BIN)/bench/report.md with charts, each figure beside its
# target and its ratio to the baseline measured in the same run. The peers
# it compares with are installed first where this machine allows; one that
# cannot be installed or started is reported missing.
CENTRIFUGO_VERSION := v6.9.1
NATS_VERSION       := v2.12.15
bench: bench-peers
	$(GO) run ./hub/cmd/stolik-bench --out $(BIN)/bench --bench '$(BENCH)' --pkg '$(BENCHPKG)'

# PostgreSQL (server and contrib, for btree_gist) as .ci/run installs it,
# else the PostgreSQL benchmarks and the exclusion-constraint comparison
# skip. Mosquitto (and a fallback nats-server) from Debian's packages; NATS and
# Centrifugo built from the module proxy at pinned versions into
# $(BIN)/peers: Debian's nats-server (2.9) lacks sync_interval, which the
# durable NATS figure needs.
bench-peers:
	@mkdir -p $(BIN)/peers
	-@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ command -v apt-get >/dev/null && echo "installing postgresql (its benchmarks need it)" && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -qq update >/dev/null && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends \
		postgresql postgresql-contrib >/dev/null; }
	-@command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || \
		{ command -v apt-get >/dev/null && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get -qq install -y --no-install-recommends nats-server mosquitto >/dev/null; }
	-@command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || \
		{ command -v apt-get >/dev/null && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get -qq install -y --no-install-recommends mosquitto >/dev/null; }
	-@[ -x $(BIN)/peers/nats-server ] || { echo "building nats-server $(NATS_VERSION) (a minute or two, once)"; \
		GOBIN=$(CURDIR)/$(BIN)/peers $(GO) install github.com/nats-io/nats-server/v2@$(NATS_VERSION); }
	-@[ -x $(BIN)/peers/centrifugo ] || { echo "building centrifugo $(CENTRIFUGO_VERSION) (a few minutes, once)"; \
		GOBIN=$(CURDIR)/$(BIN)/peers $(GO) install github.com/centrifugal/centrifugo/v6@$(CENTRIFUGO_VERSION); }

# DEMO_ARGS adds to the demo, e.g. DEMO_ARGS=--more=all for venues on the
# Poster, Quick Resto and file exchange fakes too.
DEMO_ARGS ?=
# make fuzz runs every fuzz target (the decoders of RMS answers, export
# files, webhooks and frames) for FUZZTIME each, one at a time; make test
# runs only their seed corpora. New crashers land in testdata/fuzz/.
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

demo: build
	$(BIN)/stolik-demo --bin $(BIN) $(DEMO_ARGS)

clean:
	rm -rf $(BIN) .demo

# --- dist: the agent's binaries and packages (installer/) -------------------
# make dist builds into $(DIST)/ (bin/dist): stolik-agent for windows/amd64, linux/amd64
# and linux/arm64 with the version stamped in; the .deb and .rpm for both
# Linux architectures (nfpm); the MSI (wixl). With SIGN_CERT and SIGN_KEY
# (PEM files) the MSI is signed with osslsigncode. dist-tools installs what
# it can (nfpm with go install; wixl and msitools with apt-get as root) and
# otherwise says exactly what is missing.
DIST        ?= $(BIN)/dist
NFPM_VERSION ?= v2.48.0
GOBIN       ?= $(shell $(GO) env GOPATH)/bin
NFPM        ?= $(shell command -v nfpm 2>/dev/null || echo $(GOBIN)/nfpm)
# Package versions are numeric: tag v1.2.3 gives 1.2.3; an untagged build is 0.0.0.
PKG_VERSION ?= $(shell echo '$(VERSION)' | sed -nE 's/^v?([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' \
	| grep . || echo 0.0.0)
AGENT_PKG   := ./agent/cmd/stolik-agent

.PHONY: dist dist-tools dist-bin dist-linux dist-msi test-packaging

dist: dist-tools dist-bin dist-linux dist-msi
	@cd $(DIST) && sha256sum stolik-agent* */stolik-agent* > SHA256SUMS && cat SHA256SUMS

dist-tools:
	@test -x "$(NFPM)" || $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)
	@if ! command -v wixl >/dev/null || ! command -v msiinfo >/dev/null \
		|| ! command -v msiextract >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get install -y -qq wixl msitools >/dev/null || \
			{ apt-get update -qq && apt-get install -y -qq wixl msitools >/dev/null; }; \
		else \
			echo "make dist needs wixl, msiinfo and msiextract: apt-get install wixl msitools"; \
			exit 1; \
		fi; \
	fi
	@test -x "$(NFPM)" || { echo "make dist needs nfpm: go install \
		github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)"; exit 1; }

dist-bin:
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
		-o $(DIST)/windows-amd64/stolik-agent.exe $(AGENT_PKG)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
		-o $(DIST)/linux-amd64/stolik-agent $(AGENT_PKG)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
		-o $(DIST)/linux-arm64/stolik-agent $(AGENT_PKG)

dist-linux: dist-bin
	@for arch in amd64 arm64; do \
		sed 's|@AGENT_BIN@|$(DIST)/linux-'$$arch'/stolik-agent|' installer/linux/nfpm.yaml \
			> $(DIST)/nfpm-$$arch.yaml || exit 1; \
		for fmt in deb rpm; do \
			GOARCH=$$arch PKG_VERSION=$(PKG_VERSION) $(NFPM) pkg \
				--config $(DIST)/nfpm-$$arch.yaml --packager $$fmt --target $(DIST)/ || exit 1; \
		done; \
	done

dist-msi: dist-bin
	@# wixl takes the source file's path relative to the working directory only.
	wixl -a x64 -D Version=$(PKG_VERSION) \
		-D SourceExe=$$(realpath --relative-to=. $(DIST)/windows-amd64/stolik-agent.exe) \
		-o $(DIST)/stolik-agent-$(PKG_VERSION)-x64.msi installer/windows/stolik-agent.wxs
	@if [ -n "$(SIGN_CERT)" ] && [ -n "$(SIGN_KEY)" ]; then \
		osslsigncode sign -certs "$(SIGN_CERT)" -key "$(SIGN_KEY)" -n "Stolik agent" \
			-in $(DIST)/stolik-agent-$(PKG_VERSION)-x64.msi \
			-out $(DIST)/stolik-agent-$(PKG_VERSION)-x64.signed.msi && \
		mv $(DIST)/stolik-agent-$(PKG_VERSION)-x64.signed.msi \
			$(DIST)/stolik-agent-$(PKG_VERSION)-x64.msi && \
		echo "signed $(DIST)/stolik-agent-$(PKG_VERSION)-x64.msi"; \
	fi

# The packaging tests read $(DIST) and install the .deb with dpkg: as root.
# systemd-analyze (package systemd) checks the unit.
test-packaging: dist
	@command -v systemd-analyze >/dev/null || { [ "$$(id -u)" = 0 ] && \
		apt-get install -y -qq systemd >/dev/null; } || \
		{ echo "test-packaging needs systemd-analyze: apt-get install systemd"; exit 1; }
	STOLIK_DIST=$(abspath $(DIST)) STOLIK_VERSION=$(VERSION) STOLIK_PKG_VERSION=$(PKG_VERSION) \
		NFPM=$(NFPM) $(GO) test -count=1 -tags packaging -timeout 10m ./installer/...
