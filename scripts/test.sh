#!/usr/bin/env bash
# Installs the dependencies, builds everything once and runs every test: the whole suite in
# build/, then the engine tests again under AddressSanitizer and ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure

# The engine under sanitizers. OpenMP is left out of the ThreadSanitizer build (libgomp is not
# instrumented, so it would only report false races) and OpenBLAS runs single-threaded there.
for san in address thread; do
  cmake -S . -B "build-$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAMBA_SANITIZE="$san" \
    -DMAMBA_NATIVE=ON >/dev/null
  cmake --build "build-$san" -j"$jobs" --target engine_tests
  OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ASAN_OPTIONS="detect_leaks=1" "build-$san/tests/engine_tests" --gtest_brief=1
done
echo "all tests passed"
