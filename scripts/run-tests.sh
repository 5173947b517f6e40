#!/usr/bin/env bash
# Runs every test of the suite against the binaries in $BUILD (make check sets build/san):
# C unit tests, short fuzz runs, then the Python component and end-to-end tests.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
echo "== unit tests"
scripts/run-unit.sh || rc=1
echo "== fuzz smoke runs"
scripts/run-fuzz.sh "${FUZZ_SECONDS:-10}" || rc=1
echo "== component and end-to-end tests"
dirs=()
for d in tests/component tests/e2e; do [ -d "$d" ] && dirs+=("$d"); done
/usr/bin/python3 -m pytest -q -p no:cacheprovider "${dirs[@]}"
prc=$?
# pytest exit 5 = nothing collected; that is not a failure of the suite.
[ $prc -ne 0 ] && [ $prc -ne 5 ] && rc=1
[ $rc -eq 0 ] && echo "make check: all tests passed" || echo "make check: FAILED"
exit $rc
