# The checks of tests/systemd/run.sh about the daemon's life with the
# system: a reload that can fail, monitoring from boot across a container
# reboot, and stopping it for real. Sourced by run.sh (ct, prop, bad,
# daemon_journal, readme_line, reboot_container, ...).
# shellcheck shell=bash disable=SC2034  # NOTE and WHY are read by run.sh

# A config file that would drop 443/udp's allowlist, with a key that does
# not exist: `systemctl reload` fails (ExecReload= runs --check-config
# before the signal), the daemon keeps its pid and the old policy, under
# which the rogue on 443/udp still violates (check_policy_violation).
check_reload_refused() {
        local conf=$ROOTDIR/etc/sockaudit/sockauditd.conf pid0 out rc cursor
        [ -n "$ROGUE_PID" ] || { WHY="no rogue listener (policy_violation did not run)"; return 77; }
        cp "$conf" "$WORK/good.conf"
        printf '[Port 443/tcp]\nAllowUnit=nginx.service\nBogus=1\n' > "$conf"
        pid0=$(prop sockauditd.service MainPID)
        cursor=$(ct journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p')
        out=$(ct systemctl reload sockauditd.service 2>&1); rc=$?
        echo "systemctl reload (bad file): rc=$rc $out"
        [ "$rc" -ne 0 ] || bad "systemctl reload with a bad config exited 0"
        ct journalctl --sync
        # As the admin reads it (-u: also entries journald could not
        # attach _SYSTEMD_UNIT to, of a check that exited at once).
        out=$(ct journalctl --no-pager -o cat --after-cursor="$cursor" -u sockauditd.service)
        echo "journal:"; echo "$out"
        grep -q 'sockauditd.conf:3: unknown key "Bogus"' <<<"$out" ||
                bad "the unit's journal does not say what is wrong (sockauditd.conf:3: unknown key \"Bogus\")"
        grep -q 'Reloaded the configuration' <<<"$out" && bad "the daemon reloaded the bad file"
        [ "$(prop sockauditd.service MainPID)" = "$pid0" ] || bad "MainPID changed: $pid0 -> $(prop sockauditd.service MainPID)"
        [ "$(prop sockauditd.service ActiveState)" = active ] || bad "state after the failed reload: $(prop sockauditd.service ActiveState)"
        out=$(ct sockaudit check --json); rc=$?
        echo "sockaudit check --json: rc=$rc"
        [ "$rc" -eq 1 ] || bad "sockaudit check exited $rc (expected 1: the old policy flags the rogue)"
        jq -e --argjson p "$ROGUE_PID" '[.violations[] | select(.listener.proto == "udp" and .listener.port == 443
                and any(.listener.owners[]; .pid == $p))] | length > 0' <<<"$out" >/dev/null ||
                bad "no violation of the rogue (pid $ROGUE_PID) on 443/udp: the old policy is gone"
        cp "$WORK/good.conf" "$conf"
        out=$(ct systemctl reload sockauditd.service 2>&1) || bad "systemctl reload with the good file again failed: $out"
        NOTE="bad file: reload rc=1, same pid $pid0, old policy still flags the rogue; good file: reload rc=0"
        [ -z "$WHY" ]
}

# The sockaudit events of this boot: "EVENT PROTO ADDRESS PORT" lines.
boot_events() {
        ct journalctl --no-pager -b -o json _SYSTEMD_UNIT=sockauditd.service |
                jq -r 'select(.SOCKAUDIT_EVENT == "listener_added" or .SOCKAUDIT_EVENT == "listener_removed"
                              or .SOCKAUDIT_EVENT == "owner_changed") |
                       "\(.SOCKAUDIT_EVENT) \(.SOCKAUDIT_PROTO) \(.SOCKAUDIT_ADDRESS) \(.SOCKAUDIT_PORT)"' | sort
}
early_journaled() { ct journalctl --sync; boot_events | grep -qx 'listener_added udp 127.0.0.1 443'; }

# Monitoring from boot: a unit enabled like any service listens on 443/udp
# (127.0.0.1) during boot; after a reboot of the container (a poweroff and
# a new boot of the same root: reboot_container) the daemon, started by
# its own enablement, journals it before any client asks. The boot is a
# new one (the container's boot id, not the host's): listeners that came
# back unchanged (nginx on 443/tcp) raise nothing; only what really
# changed does (the rogue of check_policy_violation is gone, the early
# one is new).
check_boot_monitor() {
        local host_boot boot0 boot1 saved got want out
        cat > "$ROOTDIR/etc/systemd/system/sa-early.service" <<EOF
[Unit]
Description=sockaudit test: a listener opened during boot
[Service]
ExecStart=$HELPER_DIR/sa-listen --udp 127.0.0.1 443
[Install]
WantedBy=multi-user.target
EOF
        ct systemctl enable --quiet sa-early.service || bad "systemctl enable sa-early.service failed"
        host_boot=$(cat /proc/sys/kernel/random/boot_id)
        boot0=$(ct cat /proc/sys/kernel/random/boot_id)
        ct systemctl start sockauditd.service || bad "systemctl start sockauditd.service failed"
        out=$(ct nsenter -t "$(prop sockauditd.service MainPID)" -m cat /proc/sys/kernel/random/boot_id 2>&1)
        echo "boot ids: host $host_boot, container $boot0, in the daemon's sandbox: $out"
        saved=$(jq -r .boot_id "$ROOTDIR/var/lib/sockaudit/state.json")
        echo "state.json before the reboot: boot_id $saved"
        [ "$saved" = "$boot0" ] || bad "state.json has boot_id $saved, not the container's $boot0"
        if ! reboot_container; then bad "the container did not boot again: $SETUP_WHY"; return 1; fi
        out=$(CT_TIMEOUT=90 ct systemctl is-system-running --wait 2>&1)
        echo "after the reboot: init $LEADER, is-system-running: $out"
        boot1=$(ct cat /proc/sys/kernel/random/boot_id)
        [ "$boot1" != "$boot0" ] || bad "the container kept its boot id $boot0 across the reboot"
        # No client until the entry is there.
        wait_until -w "the journal entry of the listener opened during boot" 20 early_journaled ||
                bad "$WAITED (started at boot: $(ct systemctl is-active sockauditd.service))"
        sleep_scaled 1; ct journalctl --sync
        got=$(boot_events)
        want=$(printf '%s\n' 'listener_added udp 127.0.0.1 443' 'listener_removed udp 0.0.0.0 443')
        echo "events this boot:"; echo "$got"
        [ "$got" = "$want" ] || bad "events this boot: [$(paste -sd';' <<<"$got")], expected [$(paste -sd';' <<<"$want")]"
        out=$(ct sockaudit status --json | jq -r .monitor.baseline)
        echo "baseline: $out"
        [ "$out" = "loaded (earlier boot: matched by address)" ] || bad "status says baseline '$out'"
        saved=$(jq -r .boot_id "$ROOTDIR/var/lib/sockaudit/state.json")
        echo "state.json after the reboot: boot_id $saved"
        [ "$saved" = "$boot1" ] || bad "state.json has boot_id $saved, not the container's new $boot1"
        [ "$saved" != "$host_boot" ] || bad "state.json has the host's boot id"
        NOTE="reboot: new boot id, the early listener journaled before any query, nginx's 443/tcp unchanged, baseline by address"
        [ -z "$WHY" ]
}

# README.md's way to stop auditing for real: both units disabled and
# stopped; a client then gets no daemon (exit 3) and starts none.
check_disable() {
        local line out rc u st
        line=$(readme_line '^systemctl disable --now ')
        echo "README.md: $line"
        [ -n "$line" ] || { bad "README.md has no line 'systemctl disable --now ...'"; return 1; }
        out=$(ct sh -ec "$line" 2>&1) || bad "README.md's line failed: $out"
        for u in sockauditd.service sockauditd.socket; do
                st=$(ct systemctl is-enabled "$u"); [ "$st" = disabled ] || bad "$u is '$st' (expected disabled)"
                st=$(ct systemctl is-active "$u"); [ "$st" = inactive ] || bad "$u is '$st' (expected inactive)"
        done
        out=$(CT_TIMEOUT=10 ct sockaudit status --timeout 3 2>&1); rc=$?
        echo "sockaudit status: rc=$rc $out"
        [ "$rc" -eq 3 ] || bad "sockaudit status exited $rc (expected 3: no daemon)"
        st=$(ct systemctl is-active sockauditd.service)
        [ "$st" = inactive ] || bad "a client started the daemon again ($st)"
        NOTE="both units disabled and inactive; a client gets exit 3"
        [ -z "$WHY" ]
}
