#!/bin/bash
# Runs the unit suites (Check), the integration tests and the source-shape
# checks (tests/shape.py), then prints one closing line "N passed, N failed"
# over all three. --unit: the unit suites only.
# Check's timeouts (CK_DEFAULT_TIMEOUT, 30 s, and the suites' own) are
# scaled like every other wait of the tests (tests/waits.sh).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# shellcheck source=waits.sh
. tests/waits.sh

unit_log=$(mktemp)
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-30} CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-$(sa_ck_multiplier)} \
        "$BUILD/tests/unit-tests" 2>&1 | tee "$unit_log"
# Check's summary: "100%: Checks: 12, Failures: 0, Errors: 0"
summary=$(grep -E '^[0-9]+%: Checks: ' "$unit_log" | tail -n 1)
rm -f "$unit_log"
if [ -z "$summary" ]; then
        echo "run-all: the unit runner printed no summary" >&2
        u_pass=0; u_fail=1
else
        checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$summary")
        fails=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$summary")
        errs=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$summary")
        u_fail=$((fails + errs)); u_pass=$((checks - u_fail))
fi

if [ "${1:-}" == --unit ]; then
        echo "unit: $u_pass passed, $u_fail failed"
        [ "$u_fail" -eq 0 ]
        exit
fi

integ_log=$(mktemp)
BUILD=$BUILD tests/integration/run.sh 2>&1 | tee "$integ_log"
line=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed' "$integ_log" | tail -n 1)
rm -f "$integ_log"
if [ -z "$line" ]; then
        echo "run-all: the integration runner printed no summary" >&2
        i_pass=0; i_fail=1; i_skip=0
else
        i_pass=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
        i_fail=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        i_skip=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line"); i_skip=${i_skip:-0}
fi

# Printed through fd 2 as it is: `tee /dev/stderr` would reopen it, and
# truncate a log file that `make check > LOG 2>&1` redirected it to.
shape_out=$(BUILD=$BUILD python3 tests/shape.py)
printf '%s\n' "$shape_out" >&2
shape_line=$(grep -E '^shape: [0-9]+ passed' <<<"$shape_out" | tail -n 1)
s_pass=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$shape_line"); s_pass=${s_pass:-0}
s_fail=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$shape_line"); s_fail=${s_fail:-1}

pass=$((u_pass + i_pass + s_pass)); fail=$((u_fail + i_fail + s_fail))
echo "unit: $u_pass passed, $u_fail failed; integration: $i_pass passed, $i_fail failed, $i_skip skipped;" \
     "shape: $s_pass passed, $s_fail failed"
echo "$pass passed, $fail failed, $i_skip skipped"
[ "$fail" -eq 0 ]
