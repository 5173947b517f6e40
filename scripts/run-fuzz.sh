#!/usr/bin/env bash
# Short libFuzzer run of every fuzz target in $BUILD/fuzz, seeded from tests/fuzz/corpus/<target>/.
set -u
BUILD=${BUILD:-build}
secs=${1:-10}
pass=0; fail=0
for f in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    work=$(mktemp -d)
    seeds=()
    [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
    if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" "$work" "${seeds[@]}" \
        >"$work/log" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name ($(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$work/log" | awk '{print $2}') runs)"
    else
        fail=$((fail + 1)); echo "FAIL $name"; tail -40 "$work/log"
    fi
    rm -rf "$work"
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
