# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# The table on a terminal: cut to its width with "…" (through a real pty,
# tests/helpers/sa-pty.py), whole with --wide and through a pipe.

SA_PTY=$ROOT/tests/helpers/sa-pty.py
ELLIPSIS=$'\u2026'

# long_exe_listener: a child that execs a copy of sleep under a long path
# holds 443/tcp. Sets LONG_EXE.
long_exe_listener() {
        local dir=$SA_IT_DIR/opt/vendor-with-a-long-name/product-release-2026.12/bin/x86_64-linux-gnu
        mkdir -p "$dir" || fail "mkdir $dir"
        LONG_EXE=$dir/a-program-with-a-rather-long-file-name
        cp "$(command -v sleep)" "$LONG_EXE" || fail "copy sleep"
        start_listen --children 1 --exec-child "$LONG_EXE" --tcp 0.0.0.0 443
        # The child has exec'd when its exe is the copy.
        local child=${LISTEN_PIDS#* }
        wait_for 5 "child $child to exec $LONG_EXE" test "$(readlink "/proc/$child/exe")" == "$LONG_EXE"
}

# in_pty COLS CMD...: CMD on a pty COLS wide, $COLUMNS unset (bounded).
in_pty() {
        local cols=$1; shift
        _sa_bounded "$CMD_TIMEOUT" "$* on a ${cols}-column pty" \
                env -u COLUMNS python3 "$SA_PTY" --cols "$cols" --timeout "$CMD_TIMEOUT" -- "$@"
}

# widest TEXT: the longest line, in columns (the only non-ASCII character, "…", counted as one; mawk counts bytes).
widest() { awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' <<<"${1//$ELLIPSIS/.}"; }

# Through the daemon and --direct: every line fits an 80-column terminal,
# the exe is cut with "…", PID and LOCAL stay whole.
test_cli_fit_pty_cuts_to_width() {
        need_cmd python3
        long_exe_listener
        start_daemon
        refresh
        local how child=${LISTEN_PIDS#* }
        for how in "$SA --socket $SOCK" "$SA --direct"; do
                # shellcheck disable=SC2086  # $how is the command and its options
                run_cap OUT in_pty 80 "${NSX[@]}" $how who 443
                assert_eq 0 "$OUT_rc" "$how who 443 on a pty: exit code"
                [ "$(widest "$OUT")" -le 80 ] || fail "$how: a line wider than the 80-column pty: $(widest "$OUT")"
                assert_contains "$OUT" "$ELLIPSIS" "$how: the cut exe's ellipsis"
                assert_not_contains "$OUT" "$LONG_EXE" "$how: the whole exe path on an 80-column pty"
                assert_contains "$OUT" "0.0.0.0:443" "$how: LOCAL whole"
                assert_contains "$OUT" " $child " "$how: the child's PID whole"
                # shellcheck disable=SC2086
                run_cap OUT in_pty 80 "${NSX[@]}" $how who 443 --wide
                assert_eq 0 "$OUT_rc" "$how who 443 --wide: exit code"
                assert_contains "$OUT" "$LONG_EXE" "$how --wide: the whole exe path"
                assert_not_contains "$OUT" "$ELLIPSIS" "$how --wide: an ellipsis"
                [ "$(widest "$OUT")" -gt 80 ] || fail "$how --wide: no line wider than 80 (the exe alone is ${#LONG_EXE})"
        done
}

# A pipe gets whole rows whatever $COLUMNS says; on a pty $COLUMNS wins
# over the pty's own width.
test_cli_fit_pipe_whole_columns_env() {
        need_cmd python3
        long_exe_listener
        start_daemon
        refresh
        run_cap OUT env COLUMNS=60 "${NSX[@]}" "$SA" --socket "$SOCK" who 443
        assert_eq 0 "$OUT_rc" "who 443 through a pipe: exit code"
        assert_contains "$OUT" "$LONG_EXE" "through a pipe: the whole exe path"
        assert_not_contains "$OUT" "$ELLIPSIS" "through a pipe: an ellipsis"
        run_cap OUT _sa_bounded "$CMD_TIMEOUT" "who 443, COLUMNS=100 on a 200-column pty" \
                env COLUMNS=100 python3 "$SA_PTY" --cols 200 --timeout "$CMD_TIMEOUT" -- \
                "${NSX[@]}" "$SA" --socket "$SOCK" who 443
        assert_eq 0 "$OUT_rc" "who 443 with COLUMNS=100: exit code"
        [ "$(widest "$OUT")" -le 100 ] || fail "COLUMNS=100: a line of $(widest "$OUT") columns"
        assert_contains "$OUT" "$ELLIPSIS" "COLUMNS=100: the cut exe's ellipsis"
        # JSON is never cut.
        run_cap OUT in_pty 80 "${NSX[@]}" "$SA" --socket "$SOCK" who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 --json on a pty: exit code"
        assert_contains "$OUT" "\"$LONG_EXE\"" "--json on a pty: the whole exe"
}
