#!/bin/bash
# The unit suites under valgrind (make valgrind): each suite in its own
# process (CK_FORK=no: one process, so every leak of its tests is seen),
# as many at once as there are CPUs, the slowest first. Prints each
# suite's output in suite order, then "valgrind units: N passed, N failed"
# (suites); exits non-zero when one failed.
#
#   BUILD=build-valgrind VALGRIND="valgrind ..." tests/valgrind-units.sh
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build-valgrind}
: "${VALGRIND:?VALGRIND (the valgrind command line) is not set}"
# The suites that take longest under valgrind (netns alone ~80 s), started first.
FIRST="netns listen_maker bpfscan listreply dpkg netnsreuse exeimage"

mapfile -t suites < <(sed -n 's/^SUITE(\([a-z0-9_]*\))$/\1/p' "$BUILD/tests/suites.h")
[ ${#suites[@]} -gt 0 ] || { echo "valgrind-units: no suites in $BUILD/tests/suites.h" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The run order: FIRST (those that exist), then the others.
{
        for s in $FIRST; do printf '%s\n' "${suites[@]}" | grep -qx "$s" && echo "$s"; done
        printf '%s\n' "${suites[@]}" | grep -vxF -f <(printf '%s\n' $FIRST)
} > "$out/order"

export BUILD VALGRIND out
# shellcheck disable=SC2016
xargs -P "$(nproc)" -I{} bash -c \
        'CK_RUN_SUITE=$1 CK_FORK=no $VALGRIND "$BUILD/tests/unit-tests" > "$out/$1.log" 2>&1; echo $? > "$out/$1.rc"' \
        sa-vg {} < "$out/order"

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
