#!/bin/bash
# Integration tests: the real daemon, CLI and sockets, each test in a fresh
# network namespace. Builds nothing (`make check` / `make tests` first).
#
#   BUILD=build tests/integration/run.sh [PATTERN]
#
# PATTERN (an extended regex) selects tests by name. Tests run in a stable
# order: files sorted, functions in file order. Each prints PASS/FAIL/SKIP;
# the last line is always "integration: N passed, N failed, N skipped" and
# the exit code is non-zero when a test failed.
#   SA_IT_EXCLUDE   an extended regex of test names not to run (not counted)
#   SA_IT_EXCLUDE_FILES  the same for test files (their names without test_ and .sh)
#   SA_IT_TIMEOUT   seconds per test on an idle machine (default 30)
#   SA_IT_SLOW      the factor for every wait and time limit (tests/waits.sh);
#                   by default computed before each test: SA_IT_STAGE_SLOW
#                   (the Makefile's, for asan and valgrind) × the load
#   SA_IT_KEEP=1    keep each test's temp dir (logs, daemon log)
#   SA_IT_VERBOSE=1 print every test's log, not only failed ones
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD ROOT
HERE=$ROOT/tests/integration
PATTERN=${1:-}
TIMEOUT=${SA_IT_TIMEOUT:-30}
FIXED_SLOW=${SA_IT_SLOW:-}

# shellcheck source=lib.sh
. "$HERE/lib.sh"
echo "# waits and time limits x${FIXED_SLOW:-$(sa_slow_factor) (stage ${SA_IT_STAGE_SLOW:-1} x load, per test)}"

pass=0 failed=0 skipped=0

# The tests, "FILE NAME" per line, in order.
list_tests() {
        local f
        for f in "$HERE"/test_*.sh; do
                [ -f "$f" ] || continue
                sed -nE 's/^(test_[A-Za-z0-9_]+)[[:space:]]*\(\)[[:space:]]*\{?.*$/\1/p' "$f" |
                        while read -r name; do printf '%s %s\n' "$f" "$name"; done
        done
}

# Why nothing can run here ("" if something can).
global_skip=
if [ "$(id -u)" -ne 0 ]; then
        global_skip="needs root (network namespaces, other users' /proc)"
elif ! command -v ip >/dev/null || ! command -v nsenter >/dev/null; then
        global_skip="ip (iproute2) or nsenter (util-linux) missing"
else
        probe=sa-it-$$-probe
        if ! err=$(ip netns add "$probe" 2>&1); then
                global_skip="cannot create network namespaces: $err"
        else
                ip netns del "$probe"
        fi
fi

n=0
while read -r file name; do
        [ -n "$name" ] || continue
        if [ -n "$PATTERN" ] && ! [[ $name =~ $PATTERN ]]; then
                continue
        fi
        if [ -n "${SA_IT_EXCLUDE:-}" ] && [[ $name =~ $SA_IT_EXCLUDE ]]; then
                continue
        fi
        base=${file##*/test_}
        if [ -n "${SA_IT_EXCLUDE_FILES:-}" ] && [[ ${base%.sh} =~ ^($SA_IT_EXCLUDE_FILES)$ ]]; then
                continue
        fi
        short=${name#test_}
        if [ -n "$global_skip" ]; then
                echo "SKIP: $short: $global_skip"
                skipped=$((skipped + 1))
                continue
        fi
        n=$((n + 1))
        dir=$(mktemp -d /tmp/sa-it.XXXXXX)
        chmod 0755 "$dir"
        ns=sa-it-$$-$n
        SA_IT_SLOW=${FIXED_SLOW:-$(sa_slow_factor)}
        export SA_IT_SLOW
        limit=$(scaled "$TIMEOUT")
        start=$(date +%s%N)
        SA_IT_DIR=$dir SA_IT_NS=$ns SA_IT_NAME=$short \
                timeout -k 5 "$limit" \
                bash -c '. "$1"; . "$2"; sa_it_main "$3"' sa-it "$HERE/lib.sh" "$file" "$name" \
                > "$dir/log" 2>&1 < /dev/null
        rc=$?
        ms=$((($(date +%s%N) - start) / 1000000))
        # What it was waiting for when killed (lib.sh keeps it up to date).
        waiting=$(paste -sd'>' "$dir/.waiting" 2>/dev/null | sed 's/>/ > /g')
        # Whatever the test process could not clean up (killed by timeout).
        sa_it_cleanup "$dir" "$ns" >> "$dir/log" 2>&1
        reason=$(head -n 1 "$dir/.reason" 2>/dev/null)
        case $rc in
        0)      echo "PASS: $short (${ms} ms)"; pass=$((pass + 1)) ;;
        77)     echo "SKIP: $short: ${reason:-no reason given}"; skipped=$((skipped + 1)) ;;
        124|137) echo "FAIL: $short: timed out after ${limit%.000} s (${TIMEOUT} s x$SA_IT_SLOW)${waiting:+ waiting for: $waiting}"
                failed=$((failed + 1)) ;;
        *)      echo "FAIL: $short: ${reason:-exit $rc}"; failed=$((failed + 1)) ;;
        esac
        if [ "${SA_IT_VERBOSE:-0}" = 1 ] || { [ $rc -ne 0 ] && [ $rc -ne 77 ]; }; then
                tail -n 40 "$dir/log" | sed 's/^/    | /'
        fi
        if [ "${SA_IT_KEEP:-0}" = 1 ]; then
                echo "    (kept $dir)"
        else
                rm -rf "$dir"
        fi
done < <(list_tests)

echo "integration: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
