# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Issue 17: graceful restarts. Debian's apache2 (prefork: a root parent
# holding the listener, www-data children holding it too) restarted
# gracefully ten times under a policy that allows it raises no violation and
# no owner_changed: its exiting children are incomplete, not new owners.
# apache2-bin comes from scripts/install-deps.sh (no service is started).

APACHE2=/usr/sbin/apache2
APACHE_MODS=/usr/lib/apache2/modules

# apache_conf DIR PORT: a private prefork config in DIR, listening on PORT.
apache_conf() {
        mkdir -p "$1/htdocs" "$1/run" || fail "mkdir $1"
        cat > "$1/apache2.conf" <<EOF
ServerRoot $1
ServerName sa-graceful.test
DefaultRuntimeDir $1/run
PidFile $1/run/apache2.pid
Mutex file:$1/run default
ErrorLog $1/error.log
LogLevel info
LoadModule mpm_prefork_module $APACHE_MODS/mod_mpm_prefork.so
LoadModule authz_core_module $APACHE_MODS/mod_authz_core.so
User www-data
Group www-data
Listen 0.0.0.0:$2
DocumentRoot $1/htdocs
StartServers 4
MinSpareServers 3
MaxSpareServers 6
MaxRequestWorkers 16
EOF
}

# apache_children PARENT: pids of its children, space separated.
apache_children() { ps -o pid= --ppid "$1" | tr -s ' \n' ' '; }

# apache_has_children PARENT: it has started children.
apache_has_children() { [ -n "$(apache_children "$1")" ]; }

# apache_settled PARENT OLD: PARENT has children again, none of them in OLD
# (a graceful restart replaced them all).
apache_settled() {
        local now c
        now=$(apache_children "$1")
        [ -n "${now// /}" ] || return 1
        for c in $now; do
                [[ " $2 " == *" $c "* ]] && return 1
        done
        return 0
}

test_apache_graceful_restarts() {
        [ -x "$APACHE2" ] || skip "$APACHE2 not installed (scripts/install-deps.sh installs apache2-bin)"
        [ -f "$APACHE_MODS/mod_mpm_prefork.so" ] || skip "no mod_mpm_prefork.so in $APACHE_MODS"
        getent passwd www-data > /dev/null || skip "no user www-data"
        need_cmd jq ps setsid
        local dir=$SA_IT_DIR/apache parent old i k
        apache_conf "$dir" 8443
        in_ns "$APACHE2" -f "$dir/apache2.conf" -t > /dev/null 2>&1 ||
                fail "apache2 -t: $(in_ns "$APACHE2" -f "$dir/apache2.conf" -t 2>&1 | head -n 3 | tr '\n' ' ')"
        # Its own session: apache2 ends its whole process group on SIGTERM.
        "${NSX[@]}" setsid "$APACHE2" -f "$dir/apache2.conf" -DFOREGROUND > "$dir/stdout" 2>&1 &
        parent=$!
        track_pid "$parent"
        wait_for 10 "apache2 $parent to start its children" apache_has_children "$parent"
        old=$(apache_children "$parent")
        for i in $old; do track_pid "$i"; done

        write_config 'Ports=443' '[Port 8443/tcp]' "AllowExe=$APACHE2" 'AllowUser=root www-data'
        start_daemon_mon
        refresh
        run_cap OUT sa who 8443 --json
        assert_json "$OUT" "[.listeners[].owners[] | select(.pid == $parent) | .user, .exe] == [\"root\", \"$APACHE2\"]" \
                "the root parent holds 8443"
        assert_json "$OUT" '[.listeners[].owners[] | select(.user == "www-data")] | length > 0' \
                "www-data children hold 8443"

        for i in $(seq 10); do
                in_ns "$APACHE2" -f "$dir/apache2.conf" -k graceful > /dev/null 2>&1 ||
                        fail "apache2 -k graceful ($i) failed"
                # Full scans while the old children exit and new ones start:
                # the moments when a holder is half gone.
                for k in 1 2 3 4 5; do
                        refresh
                done
                wait_for 10 "graceful restart $i to replace apache2's children" apache_settled "$parent" "$old"
                old=$(apache_children "$parent")
                for k in $old; do track_pid "$k"; done
                refresh
        done
        alive "$parent" || fail "apache2 $parent died during the restarts"
        assert_contains "$(cat "$dir/error.log")" "Graceful restart requested" "apache2 logged its graceful restarts"
        assert_eq 0 "$(mon_get .monitor.events.policy_violation)" "policy_violation events after 10 graceful restarts"
        assert_eq 0 "$(mon_get .monitor.events.owner_changed)" "owner_changed events after 10 graceful restarts"
        assert_eq 0 "$(mon_get .monitor.active_violations)" "active violations after 10 graceful restarts"
        run_cap OUT sa check
        assert_eq 0 "$OUT_rc" "sockaudit check after 10 graceful restarts: $OUT"
        kill -TERM "$parent" 2>/dev/null
        wait_exit "$parent" 10 "apache2 to stop on SIGTERM" || fail "$WAITED"
}
