# The entry points of the repository. See README.md.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
DATA ?= var
LISTEN ?= 127.0.0.1:8080
PRAXIS := build/release/bin/praxis

.PHONY: all setup build build-asan run test bench bench-full format lint clean

all: build

setup:
	@scripts/setup

build/release/build.ninja:
	cmake --preset release

build/debug-asan/build.ninja:
	cmake --preset debug-asan

# The hardened release binary: build/release/bin/praxis.
build: setup build/release/build.ninja
	cmake --build --preset release -j $(JOBS)

build-asan: setup build/debug-asan/build.ninja
	cmake --build --preset debug-asan -j $(JOBS)

# Creates ./var (demo data directory) on first use, then serves on loopback.
run: build
	@if [ ! -d "$(DATA)" ]; then $(PRAXIS) init --data "$(DATA)" --demo; fi
	$(PRAXIS) serve --data "$(DATA)" --listen "$(LISTEN)"

# Every suite (unit, store, integration, e2e) under ASan + UBSan.
test: build-asan
	ctest --preset debug-asan -j $(JOBS)

bench: build
	bench/run.sh

# The same at the incident's size: 3.1 million patients (see bench/full.sh for duration).
bench-full: build
	bench/full.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

lint: build/release/build.ninja
	@git ls-files 'src/*.cpp' | xargs -P $(JOBS) -n 1 clang-tidy -p build/release --quiet

clean:
	rm -rf build
