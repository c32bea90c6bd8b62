# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Trust only what the kernel or the host vouches for (docs/SECURITY.md,
# "Names, roots and files a user controls"): names an unprivileged user
# can choose never pass for the host's.

# nobody, in its own delegated subtree (as systemd delegates
# user@UID.service), makes cgroups named like a machine and like a docker
# container, and listens in a namespace of its own from each: neither
# namespace takes the name.
test_trust_cgroup_names_from_user_subtree() {
        need_cmd jq unshare setpriv
        [ -w "$SA_IT_CGROOT/cgroup.procs" ] || skip "no writable cgroup v2 at $SA_IT_CGROOT"
        local uid id base fake cg wrap pids=() i p rel
        uid=$(id -u nobody)
        id=$(printf '%064x' "$$")
        base=user.slice/user-$uid.slice/user@$uid.service
        make_cgroup "$base"
        chown nobody "$SA_IT_CGROOT/$base" "$SA_IT_CGROOT/$base/cgroup.procs" \
                "$SA_IT_CGROOT/$base/cgroup.subtree_control" || fail "chown (delegate) $base"
        for fake in 'app.slice/machine.slice/machine-prod\x2ddb.scope' "system.slice/docker-$id.scope"; do
                cg=$SA_IT_CGROOT/$base/$fake
                # root moves it into the delegated unit; nobody does the rest, then execs sa-listen.
                wrap=$SA_IT_DIR/as-nobody.$((_sa_n + 1))
                cat > "$wrap" <<EOF
#!/bin/sh
echo \$\$ > '$SA_IT_CGROOT/$base/cgroup.procs' || exit 1
exec setpriv --reuid nobody --regid nogroup --clear-groups sh -c \\
        'mkdir -p "\$1" && echo \$\$ > "\$1/cgroup.procs" && shift && exec unshare -Urn "\$@"' \\
        sh '$cg' '$SA_LISTEN' "\$@"
EOF
                chmod 0755 "$wrap"
                SA_LISTEN=$wrap start_listen --tcp 0.0.0.0 443
                pids+=("$LISTEN_PID")
                # nobody's directories, deepest last: the teardown rmdirs them first.
                rel=$SA_IT_CGROOT/$base
                for p in ${fake//\// }; do
                        rel=$rel/$p
                        grep -qxF "$rel" "$SA_IT_DIR/.cgroups" || printf '%s\n' "$rel" >> "$SA_IT_DIR/.cgroups"
                done
                grep -qF "$fake" "/proc/$LISTEN_PID/cgroup" ||
                        fail "pid $LISTEN_PID not in $fake: $(cat "/proc/$LISTEN_PID/cgroup")"
                [ "$(stat -c %u "/proc/$LISTEN_PID")" == "$uid" ] || fail "pid $LISTEN_PID does not run as nobody"
        done
        SA_IT_NAMESPACES=all write_config
        start_daemon
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code"
        for i in "${pids[@]}"; do
                assert_json "$OUT" "$JQ_LS"" [ls[] | select(.owners | any(.pid == $i))] | length == 1" \
                        "nobody's listener $i is seen"
                assert_json "$OUT" "$JQ_LS"" [ls[] | select(.owners | any(.pid == $i))][0]
                        | (.netns_name // \"\") as \$n | \$n != \"prod-db\" and (\$n | startswith(\"docker:\") | not)" \
                        "the namespace of $i takes no name from nobody's cgroups"
        done
        run_cap OUT sa explain 443
        assert_not_contains "$OUT" "prod-db" "explain"
        assert_not_contains "$OUT" "docker:${id:0:12}" "explain"
}

# A baseline nobody planted (in a state directory nobody owns, or one
# anyone may write) would mark a violation as already reported: such a
# directory is refused, loudly, the daemon runs without a baseline, and the
# violation is reported anyway.
test_trust_state_dir_not_roots() {
        need_cmd jq
        local real rogue=$SA_IT_DIR/rogue-listen mode
        real=$(readlink -f "$SA_LISTEN")
        cp "$SA_LISTEN" "$rogue" || fail "cp"
        chmod 0755 "$rogue"
        write_config 'Ports=443' '[Port 443/tcp]' "AllowExe=$real"
        SA_LISTEN=$rogue start_listen --user nobody --tcp 0.0.0.0 443
        # A baseline that holds this violation, made by a daemon of our own.
        start_daemon_mon
        refresh
        assert_eq 1 "$(mon_get .monitor.events.policy_violation)" "policy_violation with a sound state dir"
        stop_daemon
        jq -e '.violations | length == 1' "$STATE_DIR/state.json" > /dev/null ||
                fail "no baseline with the violation: $(head -c 300 "$STATE_DIR/state.json")"
        for mode in nobody 0777 0720; do
                if [ "$mode" == nobody ]; then
                        chmod 0700 "$STATE_DIR"
                        chown -R nobody "$STATE_DIR"
                else
                        chown -R root "$STATE_DIR"
                        chmod "$mode" "$STATE_DIR"
                fi
                : > "$SA_IT_DIR/daemon.log"
                start_daemon_mon
                refresh
                assert_eq 1 "$(mon_get .monitor.events.policy_violation)" \
                        "state dir $mode: the violation is reported, not silenced by the planted baseline"
                stop_daemon
                grep -q "Refusing the state directory" "$SA_IT_DIR/daemon.log" ||
                        fail "state dir $mode: not refused loudly: $(tail -n 3 "$SA_IT_DIR/daemon.log")"
        done
}

# Whatever sits at the temporary file's name (a symlink or a hard link to
# another file) is replaced, never written through.
test_trust_state_tmp_planted() {
        need_cmd jq
        local victim=$SA_IT_DIR/victim hard=$STATE_DIR/victim-hard
        mkdir -p "$STATE_DIR"
        chmod 0700 "$STATE_DIR"
        printf 'untouched\n' > "$victim"
        printf 'untouched\n' > "$hard"
        write_config 'Ports=443'
        for kind in symlink hardlink; do
                rm -f "$STATE_DIR/state.json.tmp"
                if [ $kind == symlink ]; then
                        ln -s "$victim" "$STATE_DIR/state.json.tmp"
                else
                        ln "$hard" "$STATE_DIR/state.json.tmp"
                fi
                start_daemon_mon
                start_listen --tcp 0.0.0.0 443
                refresh
                wait_until 5 eval "jq -e '.listeners | length >= 1' \"\$STATE_DIR/state.json\" > /dev/null 2>&1" ||
                        fail "$kind: no baseline saved: $(tail -n 3 "$SA_IT_DIR/daemon.log")"
                stop_listen "$LISTEN_PID"
                stop_daemon
                assert_eq untouched "$(cat "$victim")" "$kind: the symlink's target"
                assert_eq untouched "$(cat "$hard")" "$kind: the hard link's other name"
                [ ! -e "$STATE_DIR/state.json.tmp" ] || fail "$kind: a temp file is left"
                rm -f "$STATE_DIR/state.json"
        done
}

# as_member CMD...: CMD in the namespace as nobody with supplementary group
# sockaudit (gid in MEMBER_GID), the usual way to grant access.
as_member() {
        timeout "$SA_IT_CMD_TIMEOUT" "${NSX[@]}" setpriv --reuid=65534 --regid=65534 \
                --groups="$MEMBER_GID" "$@"
}

# RedactCmdline=yes: a group member gets no command line (root's processes'
# included) in who, list, check or watch, whatever root asked before it
# (the reply cache); root still gets them whole. Off by default.
test_trust_redact_cmdline_for_members() {
        need_cmd setpriv jq getent groupadd
        local member_watch=$SA_IT_DIR/member.watch q lp
        MEMBER_GID=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap OUT as_member "$SA" --socket "$SOCK" who 443 --json
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[] | select(.pid == $LISTEN_PID)][0]
                | (.cmdline | index(\"443\") != null) and (has(\"cmdline_redacted\") | not)" \
                "by default a member sees the command line"
        stop_daemon

        write_config 'RedactCmdline=yes' 'Ports=443 8443' '[Port 443/tcp]' 'AllowUser=nobody'
        start_daemon_mon
        _sa_n=$((_sa_n + 1))
        as_member "$SA" --socket "$SOCK" watch --json > "$member_watch" 2>&1 &
        track_pid $!
        start_watch --json
        wait_until 5 eval '[ "$(mon_get .watchers.connected)" == 2 ]' || fail "two watchers did not connect"
        start_listen --tcp 0.0.0.0 8443
        lp=$LISTEN_PID
        refresh
        # Root first, so the reply cache holds root's bytes; then the member; then root again.
        for q in root member root; do
                if [ $q == root ]; then
                        run_cap OUT sa list --json
                else
                        run_cap OUT as_member "$SA" --socket "$SOCK" list --json
                fi
                assert_eq 0 "$OUT_rc" "list as $q"
                if [ $q == root ]; then
                        assert_json "$OUT" "$JQ_LS"" [ls[].owners[] | select(.pid == $lp)][0]
                                | (.cmdline | index(\"8443\") != null) and (has(\"cmdline_redacted\") | not)" \
                                "root sees the command line"
                else
                        assert_json "$OUT" "$JQ_LS"" [ls[].owners[]] | length >= 2 and
                                all(.cmdline == [] and .cmdline_redacted == true)" \
                                "the member sees no command line, root's processes' included"
                        assert_json "$OUT" "$JQ_LS"" [ls[].owners[] | select(.pid == $lp)][0].exe != null" \
                                "the member still sees the exe"
                fi
        done
        run_cap OUT as_member "$SA" --socket "$SOCK" who 443 --json
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[]] | length >= 1 and all(.cmdline == [] and .cmdline_redacted)" \
                "who as the member"
        run_cap OUT as_member "$SA" --socket "$SOCK" check --json
        assert_eq 1 "$OUT_rc" "check as the member: root's listener on 443 violates AllowUser=nobody"
        assert_json "$OUT" "[.violations[].listener.owners[]] | length >= 1 and all(.cmdline == [] and .cmdline_redacted)" \
                "check as the member"
        assert_not_contains "$OUT" "0.0.0.0 443" "check as the member"
        run_cap OUT sa check --json
        assert_json "$OUT" "[.violations[].listener.owners[]] | all(.cmdline != [] and (has(\"cmdline_redacted\") | not))" \
                "check as root"
        wait_until 5 eval "grep -q '\"listener_added\"' \"\$member_watch\"" ||
                fail "the member's watch got no listener_added: $(cat "$member_watch")"
        wait_until 5 eval "grep -q '\"listener_added\"' \"\$WATCH_OUT\"" ||
                fail "root's watch got no listener_added: $(cat "$WATCH_OUT")"
        jq -se '[.[] | select(.event == "listener_added") | .listener.owners[]] | length >= 1 and
                all(.cmdline == [] and .cmdline_redacted == true)' "$member_watch" > /dev/null ||
                fail "the member's watch shows command lines: $(cat "$member_watch")"
        jq -se '[.[] | select(.event == "listener_added") | .listener.owners[]] | length >= 1 and
                all(.cmdline != [] and (has("cmdline_redacted") | not))' "$WATCH_OUT" > /dev/null ||
                fail "root's watch lost its command lines: $(cat "$WATCH_OUT")"
        stop_watch
}
