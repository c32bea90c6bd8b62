# shellcheck shell=bash
# Waiting in the tests (sourced by tests/run-all.sh, tests/integration/run.sh
# and lib.sh, tests/systemd/run.sh): one factor, SA_IT_SLOW, for how much
# slower than an idle machine the tests run here, which every wait, command
# timeout and time limit of the tests is multiplied by, and the helpers
# that wait with it. A deadline only says when to stop waiting for what is
# expected to happen, so scaling it never weakens what a test asserts; a
# bound that is itself the assertion ("answered within 1 s while a client
# is stuck") is scaled together with what it is told apart from (the stuck
# client's hold).
#
#   SA_IT_STAGE_SLOW  the stage's own factor, set by the Makefile (make asan,
#                     make valgrind); 1 otherwise
#   SA_IT_SLOW        the factor in use: run.sh sets it for each test as
#                     stage × load (sa_slow_factor); set by hand, it is used
#                     as it is
#
# The load term is the 1-minute load average per CPU, when above 1 (other
# work on the machine: each runnable task gets a share of a CPU), at most 4.

# _sa_milli DECIMAL: DECIMAL × 1000 as an integer in _SA_MILLI ("5", "0.3",
# "2.25"; digits past the third decimal are dropped). Returns 1, _SA_MILLI
# unchanged, when DECIMAL is not a plain non-negative decimal.
_sa_milli() {
        local i f
        [[ $1 =~ ^([0-9]*)(\.([0-9]*))?$ ]] && [ "$1" != . ] && [ -n "$1" ] || return 1
        i=${BASH_REMATCH[1]} f=${BASH_REMATCH[3]}000
        _SA_MILLI=$((10#${i:-0} * 1000 + 10#${f:0:3}))
}

# sa_slow_factor: prints SA_IT_STAGE_SLOW × the load term, one decimal
# ("1.0", "7.5"). Reads /proc/loadavg: cheap, call it per test.
sa_slow_factor() {
        local stage=1000 load cpus avg
        _sa_milli "${SA_IT_STAGE_SLOW:-1}" && stage=$_SA_MILLI
        [ "$stage" -ge 100 ] || stage=100
        cpus=$(nproc 2>/dev/null) || cpus=1
        [ "${cpus:-0}" -ge 1 ] || cpus=1
        read -r avg _ < /proc/loadavg 2>/dev/null || avg=0
        _sa_milli "${avg:-0}" || _SA_MILLI=0
        load=$((_SA_MILLI / cpus))
        ((load < 1000)) && load=1000
        ((load > 4000)) && load=4000
        # Rounded up to the tenth: never below the stage's own factor.
        local tenths=$(((stage * load / 1000 + 99) / 100))
        printf '%d.%d\n' $((tenths / 10)) $((tenths % 10))
}

# scaled_ms SECONDS: SECONDS × SA_IT_SLOW in whole milliseconds.
scaled_ms() {
        local f=1000
        _sa_milli "${SA_IT_SLOW:-1}" && f=$_SA_MILLI
        _sa_milli "$1" || { echo "scaled_ms: not a number of seconds: '$1'" >&2; _SA_MILLI=0; }
        printf '%d\n' $((_SA_MILLI * f / 1000))
}

# scaled SECONDS: the same in seconds with three decimals (for sleep, timeout).
scaled() {
        local ms
        ms=$(scaled_ms "$1")
        printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}

# scaled_s SECONDS: the same in whole seconds, rounded up (for $SECONDS sums).
scaled_s() {
        local ms
        ms=$(scaled_ms "$1")
        printf '%d\n' $(((ms + 999) / 1000))
}

# sa_ck_multiplier: CK_TIMEOUT_MULTIPLIER for Check (an integer): the
# factor, rounded up.
sa_ck_multiplier() {
        local f
        _sa_milli "${SA_IT_SLOW:-$(sa_slow_factor)}" || _SA_MILLI=1000
        f=$(((_SA_MILLI + 999) / 1000))
        printf '%d\n' $((f < 1 ? 1 : f))
}

# ------------------------------------------------------------------ waiting

# What is being waited for, innermost last, one per line in $SA_WAIT_FILE
# (when set): a harness that has to kill a test can say what it waited for.
_SA_WAITING=()
_sa_waiting_write() {
        [ -n "${SA_WAIT_FILE:-}" ] && [ -d "${SA_WAIT_FILE%/*}" ] || return 0
        if [ ${#_SA_WAITING[@]} -gt 0 ]; then
                printf '%s\n' "${_SA_WAITING[@]}" > "$SA_WAIT_FILE"
        else
                : > "$SA_WAIT_FILE"
        fi
}
_sa_waiting_push() {
        local w=${1//[$'\n\t']/ }
        _SA_WAITING+=("${w:0:200}")
        _sa_waiting_write
}
_sa_waiting_pop() { unset '_SA_WAITING[-1]'; _sa_waiting_write; }

# Monotonic enough for deadlines: wall time in ms.
_sa_now_ms() { _SA_NOW=$((${EPOCHREALTIME/[.,]/} / 1000)); }

# _sa_secs MS: "12.5" (ms as seconds, one decimal at most).
_sa_secs() {
        local t=$((($1 + 50) / 100))
        if ((t % 10)); then printf '%d.%d' $((t / 10)) $((t % 10)); else printf '%d' $((t / 10)); fi
}

# wait_until [-w WHAT] SECONDS CMD...: runs CMD (in this shell: it may end
# the test) every SA_WAIT_POLL seconds (default 0.05) until it succeeds, for
# at most SECONDS scaled. Returns 1 if it never did, with "timed out after
# N s waiting for WHAT" (WHAT: CMD... unless given) in WAITED (for the
# caller's message) and on stderr.
wait_until() {
        local what= limit t0
        if [ "$1" == -w ]; then
                what=$2
                shift 2
        fi
        limit=$(scaled_ms "$1")
        shift
        what=${what:-$*}
        _sa_waiting_push "$what"
        _sa_now_ms; t0=$_SA_NOW
        while :; do
                if "$@"; then
                        _sa_waiting_pop
                        return 0
                fi
                _sa_now_ms
                ((_SA_NOW - t0 >= limit)) && break
                sleep "${SA_WAIT_POLL:-0.05}"
        done
        _sa_waiting_pop
        WAITED="timed out after $(_sa_secs "$limit") s waiting for $what"
        printf '# %s\n' "$WAITED" >&2
        return 1
}

# bounded SECONDS WHAT CMD...: CMD under timeout(1) for SECONDS scaled (the
# command's own exit status; 124 when it ran out, said on stderr).
bounded() {
        _sa_bounded "$(scaled "$1")" "${@:2}"
}

# _sa_bounded SCALED_SECONDS WHAT CMD...: bounded, with the limit already scaled.
_sa_bounded() {
        local limit=$1 what=$2 rc
        shift 2
        _sa_waiting_push "$what"
        timeout "$limit" "$@"; rc=$?
        _sa_waiting_pop
        [ $rc -eq 124 ] && printf 'timed out after %s s: %s\n' "${limit%.000}" "$what" >&2
        return $rc
}

# sleep_scaled SECONDS: a fixed pause, scaled, for what cannot be polled:
# letting things settle before asserting that nothing (more) happened.
sleep_scaled() { sleep "$(scaled "$1")"; }
