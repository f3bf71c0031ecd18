# Build, test and demo entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
NODE ?= node
TESTS := $(shell find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
# Most tests wait on DHCP/RA timers, not the CPU: run several files at once.
TEST_CONCURRENCY ?= 4
# A test that hangs (a child that never exits) fails after this many ms instead of stalling CI.
TEST_TIMEOUT ?= 300000

.PHONY: all build typecheck test bench demo deps clean image image-repro test-all demo-netns

# Image build inputs: output dir, an optional zinit binary (PID 1), extra kernel command line.
OUT ?= build/image
ZINIT ?=
CMDLINE ?=

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

# The appliance image (image/README.md): OUT/pxe/{vmlinuz,initrd.img,boot.ipxe}, OUT/usb.img.
image: build
	OUT='$(OUT)' ZINIT='$(ZINIT)' CMDLINE='$(CMDLINE)' bash image/build.sh

# The image the boot tests (test/image/) use: the real zinit as PID 1 when present (a missing
# one makes the zinit boot test fail, not the build), the test hook on every command line.
TEST_IMAGE := build/image-test
TEST_ZINIT ?= ../shared/zinit/zinit
image-test: build
	OUT='$(TEST_IMAGE)' ZINIT='$(wildcard $(TEST_ZINIT))' CMDLINE='zos.test=poweroff' bash image/build.sh

# Debian packages the tests and the demo need (CI and a fresh machine).
deps:
	bash .ci/install-deps

clean:
	rm -rf dist build
