# Build, test and demo entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
NODE ?= node
TESTS := $(shell find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
# Most tests wait on DHCP/RA timers, not the CPU: run several files at once.
TEST_CONCURRENCY ?= 4
# A test that hangs (a child that never exits) fails after this many ms instead of stalling CI.
TEST_TIMEOUT ?= 300000

.PHONY: all build typecheck test bench demo deps clean schema

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci

build: node_modules/.package-lock.json
	$(NODE) build.mjs

typecheck: node_modules/.package-lock.json
	npx tsc --noEmit

# Every test; the kernel-touching ones make their own namespaces (run as root).
test: build typecheck
	$(NODE) --import tsx --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=$(TEST_TIMEOUT) $(TESTS)

bench: build
	$(NODE) --import tsx test/bench/run.ts

demo: build
	$(NODE) --import tsx test/demo/run.ts

# Regenerate ovs-plugin/ovsdb/vswitch-schema.ts from the installed vswitch.ovsschema (a test checks it is current).
schema:
	$(NODE) --import tsx ovs-plugin/ovsdb/gen-schema.ts $(SCHEMA)

# Debian packages the tests and the demo need (CI and a fresh machine).
deps:
	bash .ci/install-deps

clean:
	rm -rf dist build
