# labelaudit: two commands matter. `make run` and `make test`; see README.md.
SHELL := /bin/bash
SWIFT ?= swift
SYSTEM_PACKAGES := libncursesw5-dev libjpeg-dev libsqlite3-dev ncurses-term tmux
## What only the tests need: headless Chromium renders the HTML report (ReportTests/BrowserTests);
## xterm, Xvfb and xwd (x11-apps) show sixel pictures in a real terminal (ImagingTests/RealTerminalTests).
TEST_PACKAGES := chromium xterm xvfb x11-apps
RELEASE_BIN := .build/release/labelaudit
DEMO_DB := .tmp/demo.sqlite

.PHONY: run test lint format deps test-deps build bench bench-data reliability clean demo-assets

## Installs what is missing (apt-get as root; otherwise prints the line to run).
deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing system packages; run:"; echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

## Installs what the tests need besides the build packages (same style as deps).
test-deps: deps
	@missing=""; for p in $(TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing test packages (the browser test will be skipped); run:"; echo "  sudo apt-get install -y$$missing"; \
	  fi; \
	fi

## Only the executable: a plain release build would also build TestSupport, which imports Testing.
build: deps
	$(SWIFT) build -c release --static-swift-stdlib --product labelaudit

## Builds release and opens the review app on the embedded demo.
run: build
	@mkdir -p .tmp
	$(RELEASE_BIN) Assets/demo --db $(DEMO_DB) --reviewer "$${USER:-$$(id -un)}"

## The whole suite: the style check, then unit, integration and end-to-end (tmux) tests.
test: test-deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

## swift-format (the toolchain's) with the repo's .swift-format; any finding fails. `make format` fixes.
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive --parallel Sources Tests Package.swift

## Performance bars beside the reference tools (pandas, scikit-learn, faiss, cleanlab, chafa).
## The bench commands live in labelaudit-bench (never shipped); the opt-in CPU build is read only
## by the neighbour bench, so only labelaudit-bench is built native.
bench: deps
	$(SWIFT) build -c release --static-swift-stdlib --product labelaudit
	$(SWIFT) build -c release --static-swift-stdlib --product labelaudit-bench
	LABELAUDIT_NATIVE=1 $(SWIFT) build -c release --static-swift-stdlib --product labelaudit-bench --build-path .build-native
	bash Benchmarks/run.sh

bench-data: build
	bash Benchmarks/make-data.sh

## The reliability suite (Benchmarks/reliability.sh): bad inputs on the release binary, the CSV
## fuzz, the SIGKILL loop, concurrent writers, a full disk; one table, every count zero.
reliability: build
	$(SWIFT) build -c release --static-swift-stdlib --product labelaudit-bench
	$(SWIFT) build --build-tests
	bash Benchmarks/reliability.sh

clean:
	rm -rf .build .tmp
