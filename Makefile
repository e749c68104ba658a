# mihari — build, test, lint, benchmark.
#
#   make serve   run the agent from source (go run ./cmd/mihari serve)
#   make test    install what the tests need, then lint and run every test
#
GO          ?= go
PKG         := github.com/mihari-dev/mihari
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION    ?= $(shell git rev-parse HEAD 2>/dev/null)
BRANCH      ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null)
BUILD_DATE  ?= $(shell date -u +%Y%m%d-%H:%M:%S)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# A count, not a duration: with -fuzztime=<duration>, Go 1.26 sometimes
# fails a target with "context deadline exceeded" at the deadline
# (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME    ?= 50000x
# Privileged tests (FUSE, eBPF, perf) need root; in CI they must never skip.
TESTFLAGS   ?= -race -timeout 15m

VERSION_PKG := github.com/prometheus/common/version
LDFLAGS := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Revision=$(REVISION) \
	-X $(VERSION_PKG).Branch=$(BRANCH) -X $(VERSION_PKG).BuildUser=$(USER)@$(shell hostname) \
	-X $(VERSION_PKG).BuildDate=$(BUILD_DATE)

.PHONY: all build serve test test-deps bench-deps lint unit fuzz bench generate clean dist install

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/mihari ./cmd/mihari

serve:
	$(GO) run ./cmd/mihari serve

# test is what CI runs (.ci/run): dependencies, lint, every test, fuzzing.
test: test-deps lint unit fuzz

test-deps:
	./scripts/test-deps.sh

# The peers the benchmarks compare against, on top of the tests' (bpftrace,
# linux-perf).
bench-deps:
	./scripts/test-deps.sh bench

lint:
	@out=$$(gofmt -l cmd internal test bench deploy scripts 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# The end-to-end tests run on their own after the others: several of them
# measure the host (an investigation of a quiet machine, CPU shares of a
# workload) and would see the other packages' tests as load.
unit:
	$(GO) test $(TESTFLAGS) $$($(GO) list ./... | grep -v /test/e2e)
	$(GO) test $(TESTFLAGS) ./test/e2e

# Every Fuzz target, FUZZTIME inputs each: parsers must not crash on any input.
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

bench: bench-deps
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
	./bench/scrape.sh
	$(GO) run ./bench/processes -procs 500,5000 -n 30
	$(GO) run ./bench/store -interval 1s -duration 3m
	$(GO) run ./bench/trace
	$(GO) run ./bench/profile -duration 10s -runs 5
	$(GO) run ./bench/investigate -runs 3

generate:
	$(GO) generate ./...

# Release artefacts in DISTDIR: static binaries (mihari-linux-ARCH) and .deb
# packages for DIST_ARCHES, and SHA256SUMS. scripts/dist packages them with
# nfpm as a library and checks each binary (machine, static, BPF object in it).
DISTDIR     ?= dist
DIST_ARCHES ?= amd64 arm64
dist:
	mkdir -p $(DISTDIR)
	for arch in $(DIST_ARCHES); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
			-o $(DISTDIR)/mihari-linux-$$arch ./cmd/mihari || exit 1; \
	done
	$(GO) run ./scripts/dist -version '$(VERSION)' -dir $(DISTDIR) $(DIST_ARCHES)

# The binary (bin/mihari: `make build` first, as yourself), the systemd unit
# (its ExecStart pointed at BINDIR), the sysusers.d file of its user, and
# /etc/default/mihari unless there is one. Into DESTDIR when set (staging);
# otherwise also creates the user mihari. See docs/install.md.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
UNITDIR     ?= /etc/systemd/system
SYSUSERSDIR ?= /etc/sysusers.d
install:
	@[ -x bin/mihari ] || $(MAKE) build
	install -D -m 0755 bin/mihari $(DESTDIR)$(BINDIR)/mihari
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|/usr/bin/mihari|$(BINDIR)/mihari|' deploy/systemd/mihari.service > $(DESTDIR)$(UNITDIR)/mihari.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mihari.service
	install -D -m 0644 deploy/systemd/mihari.sysusers $(DESTDIR)$(SYSUSERSDIR)/mihari.conf
	[ -e $(DESTDIR)/etc/default/mihari ] || install -D -m 0644 deploy/systemd/mihari.default $(DESTDIR)/etc/default/mihari
	@if [ -z "$(DESTDIR)" ]; then \
		systemd-sysusers $(SYSUSERSDIR)/mihari.conf && \
		echo "installed; start it with: systemctl daemon-reload && systemctl enable --now mihari"; \
	fi

clean:
	rm -rf bin dist
