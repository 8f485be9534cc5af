# Hydrant: `make run` (install what is missing, build, serve) and `make test`.
BUILD_DIR ?= build
# The libFuzzer build (clang, ASan, UBSan): `make fuzz` runs each target FUZZ_SECONDS,
# `make test` FUZZ_TEST_SECONDS.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 8
BUILD_TYPE ?= Release
LISTEN ?= 127.0.0.1:4573
DATA_DIR ?= ./hydrant-data
JOBS ?= $(shell nproc)

.PHONY: all deps build run test unit-test e2e-test fault-test fuzz-build fuzz fuzz-test bench clean

all: build

deps:
	@scripts/install-deps.sh --test
	@cd tests/js && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --silent; }

build:
	@scripts/install-deps.sh
	@[ -f $(BUILD_DIR)/build.ninja ] && grep -qx 'CMAKE_BUILD_TYPE:STRING=$(BUILD_TYPE)' $(BUILD_DIR)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/hydrant serve --listen $(LISTEN) --data-dir $(DATA_DIR)

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

e2e-test: build deps
	HYDRANT_BIN=$(abspath $(BUILD_DIR))/hydrant python3 tests/run_pytest.py -q tests/e2e

fuzz-build:
	@scripts/install-deps.sh
	@[ -f $(FUZZ_BUILD_DIR)/build.ninja ] || CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=None -DHYDRANT_FUZZ=ON
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzz_targets

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

# Replays tests/fuzz/regressions and fuzzes each target briefly; fails on any crash.
fuzz-test: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD_DIR) $(FUZZ_TEST_SECONDS)

# Fault injection (kill -9 loops, simulated power loss, disk full, destination outages, hostile clients).
fault-test: build deps
	HYDRANT_BIN=$(abspath $(BUILD_DIR))/hydrant python3 tests/run_pytest.py -q tests/faults

test: unit-test e2e-test fault-test fuzz-test

bench: build
	bench/run.sh

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR)
