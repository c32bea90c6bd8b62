# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034  # run_cap sets VAR_rc and VAR_err by name; DAEMON_ENV is lib.sh's
# The daemon's start-up checks: sockauditd --check-config on good and bad
# files and the installed example, an unknown SOCKAUDIT_LOG_LEVEL or
# SOCKAUDIT_BOOT_ID, the state directory's lock, --help.

# check_config ARGS...: sockauditd --check-config ARGS (bounded).
check_config() { _sa_bounded "$CMD_TIMEOUT" "sockauditd --check-config $*" "$SAD" --check-config "$@"; }

# A good file: exit 0, "FILE: good" and nothing on stderr; the daemon
# starts on it.
test_checkconfig_good_file() {
        write_config 'ScanInterval=2s' 'Ports=443 8443' '' '[Port 443/tcp]' 'AllowUser=root'
        run_cap OUT check_config --config "$CONF"
        assert_eq 0 "$OUT_rc" "--check-config on a good file: exit code"
        assert_eq "$CONF: good" "$OUT" "--check-config on a good file: stdout"
        assert_eq "" "$OUT_err" "--check-config on a good file: stderr"
        start_daemon
        # A missing default path: the defaults apply (not an error); an explicit missing path is one.
        run_cap OUT check_config --config "$SA_IT_DIR/missing.conf"
        assert_eq 1 "$OUT_rc" "--check-config on a missing --config PATH: exit code"
        assert_contains "$OUT_err" "$SA_IT_DIR/missing.conf: No such file or directory" "missing file: message"
}

# Bad files: exit 1, the first problem as FILE:LINE: on stderr, and the
# daemon refuses the same file with the same words.
test_checkconfig_bad_files() {
        local bad=$SA_IT_DIR/bad.conf
        printf '[Daemon]\nScanInterval=5s\nBogus=1\n' > "$bad"
        run_cap OUT check_config --config "$bad"
        assert_eq 1 "$OUT_rc" "unknown key: exit code"
        assert_contains "$OUT_err" "$bad:3: unknown key \"Bogus\" in [Daemon]" "unknown key: FILE:LINE: message"
        assert_eq "$bad: bad configuration, the daemon would refuse it" "$OUT" "unknown key: stdout"

        printf '[Daemon]\n\n\nScanInterval=2h\n' > "$bad"
        run_cap OUT check_config --config "$bad"
        assert_eq 1 "$OUT_rc" "out-of-range value: exit code"
        assert_contains "$OUT_err" "$bad:4: ScanInterval=" "out-of-range value: FILE:LINE:"

        printf '[Daemon]\nthis is not ini\n' > "$bad"
        run_cap OUT check_config --config "$bad"
        assert_eq 1 "$OUT_rc" "syntax error: exit code"
        assert_contains "$OUT_err" "$bad:2: syntax error" "syntax error: FILE:LINE:"

        # A hostile byte in the file is escaped, never sent to the terminal raw.
        printf '[Daemon]\n\033[2J=1\n' > "$bad"
        run_cap OUT check_config --config "$bad"
        assert_eq 1 "$OUT_rc" "escape sequence as a key: exit code"
        assert_not_contains "$OUT_err" $'\e' "escape sequence as a key: raw ESC on stderr"
        assert_contains "$OUT_err" "$bad:2:" "escape sequence as a key: FILE:LINE:"

        # The daemon says the same about the same file, and does not start.
        printf '[Daemon]\nScanInterval=5s\nBogus=1\n' > "$bad"
        CONF=$bad
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF" --state-dir "$SA_IT_DIR/state"
        wait_exit "$DAEMON_PID" 5 "the daemon to refuse $bad" || fail "$WAITED"
        sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
        assert_eq 1 "$WAIT_RC" "the daemon on the bad file: exit code"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "$bad:3: unknown key \"Bogus\" in [Daemon]" "the daemon's message"

        run_cap OUT _sa_bounded "$CMD_TIMEOUT" "sockauditd --check-config --bogus" "$SAD" --check-config --bogus
        assert_eq 2 "$OUT_rc" "--check-config with an unknown option: exit code"
}

# An unknown log level: the daemon exits 1 naming the levels; a known one
# (any case, or a digit) starts it.
test_checkconfig_log_level() {
        write_config
        DAEMON_ENV=(SOCKAUDIT_LOG_LEVEL=verbose)
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF" --state-dir "$SA_IT_DIR/state"
        wait_exit "$DAEMON_PID" 5 "the daemon to refuse SOCKAUDIT_LOG_LEVEL=verbose" || fail "$WAITED"
        sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
        assert_eq 1 "$WAIT_RC" "SOCKAUDIT_LOG_LEVEL=verbose: exit code"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" \
                "SOCKAUDIT_LOG_LEVEL=verbose is not a log level; use one of emerg, alert, crit, err, warning, notice, info, debug" \
                "SOCKAUDIT_LOG_LEVEL=verbose: message"
        [ -e "$SOCK" ] && fail "the refused daemon made its socket"
        DAEMON_ENV=(SOCKAUDIT_LOG_LEVEL=DEBUG)
        start_daemon
        stop_daemon
        DAEMON_ENV=(SOCKAUDIT_LOG_LEVEL=3)
        start_daemon
}

# The state directory is made when missing (0700), and a second daemon on
# it refuses to start, naming the first; the first keeps its socket and
# answers. After the first stops, a new one starts on the same directory.
test_checkconfig_state_dir_locked() {
        local dir=$SA_IT_DIR/newstate second
        start_daemon --state-dir "$dir"
        local first=$DAEMON_PID
        assert_eq "700" "$(stat -c %a "$dir")" "the state directory's mode"
        assert_eq "$first" "$(cat "$dir/lock")" "the pid in the lock file"
        spawn_daemon "$SAD" --socket "$SA_IT_DIR/second.sock" --foreground --config "$CONF" --state-dir "$dir"
        second=$DAEMON_PID
        wait_exit "$second" 5 "the second daemon on $dir to give up" || fail "$WAITED"
        sed -i "/^$second\$/d" "$SA_IT_DIR/.daemons"
        assert_eq 1 "$WAIT_RC" "the second daemon: exit code"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" \
                "Not starting: another sockauditd (pid $first) uses the state directory $dir" "the second daemon's message"
        [ -e "$SA_IT_DIR/second.sock" ] && fail "the second daemon made its socket"
        DAEMON_PID=$first
        run_cap OUT sa status --json
        assert_eq 0 "$OUT_rc" "status from the first daemon"
        assert_json "$OUT" ".pid == $first" "the answering daemon"
        stop_daemon
        start_daemon --state-dir "$dir"
        assert_eq "$DAEMON_PID" "$(cat "$dir/lock")" "the new daemon's pid in the lock file"
}

# --help names the reload signal and --check-config.
test_checkconfig_help() {
        run_cap OUT _sa_bounded "$CMD_TIMEOUT" "sockauditd --help" "$SAD" --help
        assert_eq 0 "$OUT_rc" "--help: exit code"
        assert_contains "$OUT" "SIGHUP re-reads the config file" "--help: SIGHUP"
        assert_contains "$OUT" "--check-config" "--help: --check-config"
}

# A FIFO or a symlink planted as the lock neither hangs the daemon nor is
# followed: logged, and the daemon runs without the lock.
test_checkconfig_state_lock_planted() {
        local dir=$SA_IT_DIR/planted
        mkdir -m 0700 "$dir" || fail "mkdir $dir"
        mkfifo "$dir/lock" || fail "mkfifo"
        start_daemon --state-dir "$dir"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "lock $dir/lock: not a regular file" "a FIFO as the lock: message"
        stop_daemon
        rm -f "$dir/lock"
        ln -s "$SA_IT_DIR/target" "$dir/lock" || fail "ln -s"
        start_daemon --state-dir "$dir"
        [ -e "$SA_IT_DIR/target" ] && fail "the daemon followed a symlink planted as its lock"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "cannot open the lock $dir/lock" "a symlink as the lock: message"
}

# Load warnings (an AllowUser= name no user has, a missing AllowExe= path)
# are printed, and the file is still good: exit 0.
test_checkconfig_prints_load_warnings() {
        write_config '[Port 443/tcp]' 'AllowUser=no-such-user-sa-it' "AllowExe=$SA_IT_DIR/no-such-exe"
        run_cap OUT check_config --config "$CONF"
        assert_eq 0 "$OUT_rc" "--check-config with load warnings: exit code"
        [ "$OUT" == "$CONF: good" ] && [ -z "$OUT_err" ] &&
                skip "this build's loader has no load warnings (policy_resolve, from wt-h17pol)"
        assert_eq "$CONF: good, with warnings" "$OUT" "--check-config with load warnings: stdout"
        assert_contains "$OUT_err" "$CONF: [Port 443/tcp] AllowUser=" "the unknown user's warning"
        assert_contains "$OUT_err" "no-such-user-sa-it" "the unknown user named"
        assert_contains "$OUT_err" "$SA_IT_DIR/no-such-exe" "the missing executable named"
}

# The example make install and the .deb put in /etc/sockaudit
# (conf/sockauditd.conf): good as shipped (everything commented out), good
# with every key uncommented, so it names real keys with real values, and
# it names every key docs/CONFIG.md's tables have.
test_checkconfig_example_file() {
        local example=$ROOT/conf/sockauditd.conf key missing=
        for key in $(grep -E '^\| `[A-Z][A-Za-z]*=`' "$ROOT/docs/CONFIG.md" | cut -d'|' -f2 |
                     grep -oE '`[A-Z][A-Za-z]*=`' | tr -d '`' | sort -u); do
                grep -q "^;$key" "$example" || missing="$missing $key"
        done
        assert_eq "" "$missing" "keys of docs/CONFIG.md the example lacks"
        run_cap OUT check_config --config "$example"
        assert_eq 0 "$OUT_rc" "--check-config on the example: exit code"
        assert_eq "" "$OUT_err" "--check-config on the example: stderr"
        sed 's/^;//' "$example" > "$SA_IT_DIR/example.conf"
        run_cap OUT check_config --config "$SA_IT_DIR/example.conf"
        assert_eq 0 "$OUT_rc" "--check-config on the example uncommented: exit code ($OUT_err)"
}

# SOCKAUDIT_BOOT_ID (the unit passes systemd's %b) names the boot the
# baseline belongs to: not a boot id, the daemon refuses to start; the
# same id (any spelling) is the same boot, another id an earlier boot
# (matched by address: a container's reboot, or the host's).
test_checkconfig_boot_id() {
        write_config
        DAEMON_ENV=(SOCKAUDIT_BOOT_ID=%b)
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF" --state-dir "$SA_IT_DIR/state"
        wait_exit "$DAEMON_PID" 5 "the daemon to refuse SOCKAUDIT_BOOT_ID=%b" || fail "$WAITED"
        sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
        assert_eq 1 "$WAIT_RC" "SOCKAUDIT_BOOT_ID=%b: exit code"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "SOCKAUDIT_BOOT_ID=%b is not a boot id" "SOCKAUDIT_BOOT_ID=%b: message"
        DAEMON_ENV=(SOCKAUDIT_BOOT_ID=0123456789abcdef0123456789abcdef)
        start_daemon
        stop_daemon
        assert_eq 01234567-89ab-cdef-0123-456789abcdef "$(jq -r .boot_id "$SA_IT_DIR/state/state.json")" "saved boot_id"
        DAEMON_ENV=(SOCKAUDIT_BOOT_ID=01234567-89AB-CDEF-0123-456789ABCDEF)
        start_daemon
        assert_eq "loaded (same boot)" "$(mon_get .monitor.baseline)" "baseline under the same id"
        stop_daemon
        DAEMON_ENV=(SOCKAUDIT_BOOT_ID=fedcba98765432100123456789abcdef)
        start_daemon
        assert_eq "loaded (earlier boot: matched by address)" "$(mon_get .monitor.baseline)" "baseline under another id"
}
