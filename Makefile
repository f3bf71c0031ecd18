# Build, test and demo entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
NODE ?= node
TESTS := $(shell find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
# Most tests wait on DHCP/RA timers, not the CPU: run several files at once.
TEST_CONCURRENCY ?= 4
# A test that hangs (a child that never exits) fails after this many ms instead of stalling CI.
TEST_TIMEOUT ?= 300000

.PHONY: all build typecheck lint format test bench demo deps clean schema image image-repro test-all demo-netns image-test image-test-nozinit

# Image build inputs: output dir, an optional zinit binary (PID 1), extra kernel command line,
# the boot tests' in-node checks bundle (empty for the product; the test images set it).
OUT ?= build/image
ZINIT ?=
CMDLINE ?=
TEST_CHECKS ?=
CHECKS_BUNDLE := dist/zos-test-checks.js

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci

build: node_modules/.package-lock.json
	$(NODE) build.mjs

typecheck: node_modules/.package-lock.json
	npx tsc --noEmit

# Checks only, never rewrites a file: formatting and lint rules (biome.json: unused code, `any`
# outside the tests, floating promises), then every source line within 120 characters.
lint: node_modules/.package-lock.json
	npx biome ci --error-on-warnings .
	$(NODE) scripts/line-length.mjs

# Rewrites the tree in the one format `make lint` checks.
format: node_modules/.package-lock.json
	npx biome format --write .

# Every test; the kernel-touching ones make their own namespaces (run as root). The boot
# tests (test/image/, all of them: 1 min 49 s - 2 min 26 s at load 1.5-5 on 2 cores) need the two
# test images (with and without zinit: ~1 min each), built first.
# node --test caps each file at --test-timeout, so the boot file (nine boots, two at a time)
# runs beside the others in its own run with its own cap; its TAP is printed at the end.
# The boot files: boot.test.ts, wg.test.ts (kernel WireGuard), overlay.test.ts (needs net.*) and
# fleet.test.ts (two nodes and an OVN central: ~45 s).
BOOT_TESTS := $(filter test/image/boot.test.ts test/image/wg.test.ts test/image/overlay.test.ts test/image/fleet.test.ts,$(TESTS))
BOOT_TIMEOUT ?= 1800000
test: build typecheck lint image-test image-test-nozinit
	@$(NODE) --import tsx --test --test-timeout=$(BOOT_TIMEOUT) $(BOOT_TESTS) >build/boot-tests.tap 2>&1 & boot=$$!; \
	$(NODE) --import tsx --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=$(TEST_TIMEOUT) $(filter-out $(BOOT_TESTS),$(TESTS)); rc=$$?; \
	wait $$boot; brc=$$?; echo "--- boot tests ($(BOOT_TESTS))"; cat build/boot-tests.tap; \
	[ $$rc -eq 0 ] && [ $$brc -eq 0 ]

# Everything `make test` runs (the boot tests all fit in its budget, so they are the same).
test-all: test

bench: build image-test
	$(NODE) --import tsx test/bench/run.ts

# The image booted in QEMU with three NICs, console streamed, a summary at the end. Uses the
# real zinit when ../shared/zinit/zinit is there, the fallback init otherwise; with the checks
# (its summary shows the plugin's answers from inside the node).
demo: export ZOS_IMAGE := $(OUT)
demo: build
	$(MAKE) --no-print-directory image ZINIT=$(if $(ZINIT),$(ZINIT),$(wildcard $(TEST_ZINIT))) TEST_CHECKS=$(CHECKS_BUNDLE)
	$(NODE) --import tsx test/demo/image.ts

# The agent alone in a throw-away namespace network (no QEMU).
demo-netns: build
	$(NODE) --import tsx test/demo/netns.ts

# The appliance image (image/README.md): OUT/pxe/{vmlinuz,initrd.img,boot.ipxe}, OUT/usb.img.
# (The inputs go to the script through the environment, never through a shell string.)
image: export OUT := $(OUT)
image: export ZINIT := $(ZINIT)
image: export CMDLINE := $(CMDLINE)
image: export TEST_CHECKS := $(TEST_CHECKS)
image: build
	bash image/build.sh

# Two builds, byte-identical artefacts (image/repro.sh).
image-repro: export ZINIT := $(ZINIT)
image-repro: export CMDLINE := $(CMDLINE)
image-repro: export TEST_CHECKS := $(TEST_CHECKS)
image-repro: build
	bash image/repro.sh

# The image the boot tests (test/image/) use: the real zinit as PID 1 when present (a missing
# one makes the zinit boot test fail, not the build), the in-node checks (TEST_CHECKS: only the
# test images carry them), the test hook on every command line (PXE and USB boot with this one;
# it also checks the plugin there).
TEST_IMAGE := build/image-test
TEST_ZINIT ?= ../shared/zinit/zinit
image-test: export OUT := $(TEST_IMAGE)
image-test: export ZINIT := $(wildcard $(TEST_ZINIT))
image-test: export CMDLINE := zos.test=poweroff zos.test.plugin
image-test: export TEST_CHECKS := $(CHECKS_BUNDLE)
image-test: build
	bash image/build.sh

# The same image built without ZINIT (the fallback init as PID 1's helper): the boot tests boot
# it too. A second full build (~45 s unloaded, 75 s at load 4: zstd -19 is most of it); the
# kernel package comes from the first build's cache.
TEST_IMAGE_NOZINIT := build/image-test-nozinit
image-test-nozinit: export OUT := $(TEST_IMAGE_NOZINIT)
image-test-nozinit: export ZINIT :=
image-test-nozinit: export CACHE := $(TEST_IMAGE)/cache
image-test-nozinit: export CMDLINE := zos.test=poweroff zos.test.plugin
image-test-nozinit: export TEST_CHECKS := $(CHECKS_BUNDLE)
image-test-nozinit: build
	bash image/build.sh

# Regenerate ovs-plugin/ovsdb/{vswitch,nb,sb}-schema.ts from the installed OVS and OVN schemas (tests check them).
schema:
	$(NODE) --import tsx ovs-plugin/ovsdb/gen-schema.ts $(SCHEMA)

# Debian packages the tests and the demo need (CI and a fresh machine).
deps:
	bash .ci/install-deps

clean:
	rm -rf dist build
