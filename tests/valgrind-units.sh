#!/bin/bash
# The unit suites under valgrind (make valgrind): each suite in its own
# process (CK_FORK=no: one process, so every leak of its tests is seen):
# those that watch namespace inodes alone, then the others as many at once
# as there are CPUs, the slowest first. Prints each
# suite's output in suite order, then "valgrind units: N passed, N failed"
# (suites); exits non-zero when one failed.
#
#   BUILD=build-valgrind VALGRIND="valgrind ..." tests/valgrind-units.sh
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build-valgrind}
: "${VALGRIND:?VALGRIND (the valgrind command line) is not set}"
# Suites that assert what the kernel does with namespace inodes (dropped,
# reused): run alone, before the others, as another suite's new namespaces
# could take a freed inode (netns's vanished_namespace_dropped did).
ALONE="netns netnsreuse"
# The suites that take longest under valgrind, started first.
FIRST="listen_maker bpfscan listreply dpkg exeimage"

mapfile -t suites < <(sed -n 's/^SUITE(\([a-z0-9_]*\))$/\1/p' "$BUILD/tests/suites.h")
[ ${#suites[@]} -gt 0 ] || { echo "valgrind-units: no suites in $BUILD/tests/suites.h" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# ALONE one by one, then FIRST (those that exist), then the others, as many at once as CPUs.
for s in $ALONE; do printf '%s\n' "${suites[@]}" | grep -qx "$s" && echo "$s"; done > "$out/alone"
{
        for s in $FIRST; do printf '%s\n' "${suites[@]}" | grep -qx "$s" && echo "$s"; done
        printf '%s\n' "${suites[@]}" | grep -vxF -f <(printf '%s\n' $FIRST $ALONE)
} > "$out/order"

export BUILD VALGRIND out
# shellcheck disable=SC2016
run='CK_RUN_SUITE=$1 CK_FORK=no $VALGRIND "$BUILD/tests/unit-tests" > "$out/$1.log" 2>&1; echo $? > "$out/$1.rc"'
xargs -P 1 -I{} bash -c "$run" sa-vg {} < "$out/alone"
xargs -P "$(nproc)" -I{} bash -c "$run" sa-vg {} < "$out/order"

pass=0 failed=0
for s in "${suites[@]}"; do
        cat "$out/$s.log" 2>/dev/null
        if [ "$(cat "$out/$s.rc" 2>/dev/null)" == 0 ]; then
                pass=$((pass + 1))
        else
                echo "FAIL: unit suite $s under valgrind (exit $(cat "$out/$s.rc" 2>/dev/null || echo none))"
                failed=$((failed + 1))
        fi
done
echo "valgrind units: $pass passed, $failed failed (suites)"
[ "$failed" -eq 0 ]
