#!/bin/bash
# Runs libFuzzer targets built by `make fuzz` (in $FUZZ_BUILD/fuzz/).
#
#   FUZZ_BUILD=build-fuzz FUZZ_SECONDS=20 tests/fuzz/run.sh [TARGET...]
#
# Each target first replays its seed corpus tests/fuzz/corpus/TARGET (every
# input must pass), then, when FUZZ_SECONDS > 0, fuzzes for that long into a
# scratch corpus seeded from it (the repo corpus is never written). A crash,
# sanitizer report, leak, timeout (>10 s per input) or OOM (> 2 GiB) fails
# the run; the input is kept in $FUZZ_BUILD/artifacts/TARGET/ and must be
# added to the corpus once fixed. Last line: "fuzz: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
        for f in tests/fuzz/fuzz_*.c; do
                t=${f#tests/fuzz/fuzz_}; targets+=("${t%.c}")
        done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

pass=0 failed=0
for t in "${targets[@]}"; do
        bin=$FUZZ_BUILD/fuzz/fuzz_$t
        seeds=tests/fuzz/corpus/$t
        art=$FUZZ_BUILD/artifacts/$t
        log=$FUZZ_BUILD/fuzz-$t.log
        if [ ! -x "$bin" ]; then
                echo "FAIL: $t: $bin not built"; failed=$((failed + 1)); continue
        fi
        mkdir -p "$art" "$seeds"
        start=$(date +%s)
        # 1. Every seed (regressions included) must pass.
        if ! "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art/" \
                "$seeds" > "$log" 2>&1; then
                echo "FAIL: $t: a corpus input fails (log: $log)"; tail -n 30 "$log" | sed 's/^/    | /'
                failed=$((failed + 1)); continue
        fi
        # 2. Fuzz for a bounded time on a scratch copy.
        if [ "$FUZZ_SECONDS" -gt 0 ]; then
                work=$(mktemp -d "/tmp/sa-fuzz-$t.XXXXXX")
                if ! "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
                        -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" \
                        "$work" "$seeds" >> "$log" 2>&1; then
                        echo "FAIL: $t: crash after fuzzing (artifacts in $art, log: $log)"
                        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 8 | sed 's/^/    | /'
                        failed=$((failed + 1)); rm -rf "$work"; continue
                fi
                execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
                rm -rf "$work"
        fi
        echo "PASS: $t ($(( $(date +%s) - start )) s, ${execs:-0} runs, $(find "$seeds" -type f | wc -l) seeds)"
        pass=$((pass + 1))
done
echo "fuzz: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
