#!/usr/bin/env bash
# Runs the C unit tests found in $BUILD/tests (optionally one module) and prints a total line.
set -u
BUILD=${BUILD:-build}
mod=${1:-}
pass=0; fail=0; failed_bins=()
for t in $(find "$BUILD/tests/${mod}" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
    out=$("$t" 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
    p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.*passed, ([0-9]+) failed/\1/' <<<"$line")
    [ -n "$line" ] || { p=0; f=1; }
    [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
    pass=$((pass + p)); fail=$((fail + f))
    if [ $rc -ne 0 ] || [ "$f" -ne 0 ]; then failed_bins+=("$t"); printf '%s\n' "$out"; fi
done
[ ${#failed_bins[@]} -gt 0 ] && echo "failing: ${failed_bins[*]}"
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
