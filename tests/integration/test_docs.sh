# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# docs/RECORDS.md is the contract for every JSON field: the real daemon and
# CLI emit their outputs, and each key must be a row of the section that
# documents its object (the convention is at the top of RECORDS.md).

# shellcheck source=records.sh
. "${BASH_SOURCE[0]%/*}/records.sh"

# json_to NAME CMD...: runs CMD, its stdout in $SA_IT_DIR/NAME.json; sets
# OUT_rc (the CLI's exit code).
json_to() {
        local name=$1; shift
        "$@" > "$SA_IT_DIR/$name.json" 2> "$SA_IT_DIR/$name.err" < /dev/null
        OUT_rc=$?
        note "$* -> exit $OUT_rc, $(wc -c < "$SA_IT_DIR/$name.json") bytes"
}

watch_has() { grep -q "\"event\":\"$1\"" "$WATCH_OUT"; }

# Every key that the daemon and the CLI emit (listeners of each kind:
# TCP and UDP, IPv4 and IPv6, v6only, bound to a device, several holders,
# an activator and its service, none at all; events added, removed, owner
# changed, policy violation) is documented in docs/RECORDS.md.
test_docs_records_cover_output() {
        need_cmd jq
        local records=$ROOT/docs/RECORDS.md sleep_exe unit=sa-it-docs-$$.service pid missing seen
        [ -f "$records" ] || fail "$records missing"
        RECORDS_MAP=$(records_map "$records")
        [ "$(jq 'length' <<<"$RECORDS_MAP")" -gt 5 ] || fail "RECORDS.md: no field tables found"
        # Every link of a field row leads to a section with a field table.
        local dangling
        dangling=$(jq -r '. as $m | to_entries[] | .key as $s | .value | to_entries[]
                          | select(.value != "" and ($m | has(.value) | not)) | "#\($s) `\(.key)` -> #\(.value)"' \
                   <<<"$RECORDS_MAP")
        [ -z "$dangling" ] || fail "RECORDS.md: links to sections without a field table: $(tr '\n' ' ' <<<"$dangling")"

        sleep_exe=$(readlink -f /bin/sleep)
        write_config 'Ports=443 8443' '[Port 443/tcp]' 'AllowExe=/nonexistent'
        start_daemon_mon
        start_watch --json
        start_listen --children 2 --tcp 0.0.0.0 443 --v6only 1 --udp :: 443
        pid=$LISTEN_PID
        start_listen --tcp ::1 8080 --udp 127.0.0.1 5353 --device lo --tcp 0.0.0.0 9090
        start_listen --children 1 --exec-child "$sleep_exe" --tcp 0.0.0.0 8443
        start_listen --orphan --udp 0.0.0.0 8443
        refresh

        # NAME EXIT SECTION COMMAND: each output, its exit code (check: 1,
        # AllowExe refuses the owners of 443/tcp) and its section.
        local outputs='who 0 query-reply sa who 443 --json
who-direct 0 query-reply sa_direct who 443 --json
list 0 query-reply sa list --json
list-direct 0 query-reply sa_direct list --json
explain 0 explain-reply sa explain 443 --json
explain-direct 0 explain-reply sa_direct explain 443 --json
tls-direct 0 query-reply sa_direct tls 9090 --json
status 0 status sa status --json
refresh 0 refresh-reply sa refresh --json
check 1 check-reply sa check --json' name rc sec rest cmd
        while read -r name rc sec rest; do
                read -r -a cmd <<<"$rest"
                json_to "$name" "${cmd[@]}"
                assert_eq "$rc" "$OUT_rc" "exit code of $rest"
        done <<<"$outputs"
        assert_json "$(cat "$SA_IT_DIR/list.json")" \
                '[.listeners[] | .owners[] | select(.role == "activator")] | length > 0' "list: an activator"
        assert_json "$(cat "$SA_IT_DIR/list.json")" \
                '[.listeners[] | select(.interface != null)] | length > 0' "list: a listener bound to a device"
        assert_json "$(cat "$SA_IT_DIR/list.json")" \
                '[.listeners[] | select(.owner_status == "unknown")] | length > 0' "list: a listener without owner"

        # An owner change (the holder moves into a unit), then a close.
        if [ -d "$SA_IT_CGROOT" ]; then
                make_cgroup "system.slice/$unit"
                echo "$pid" > "$SA_IT_CGROOT/system.slice/$unit/cgroup.procs" || fail "cannot move $pid into $unit"
                refresh
                wait_until 5 watch_has owner_changed || fail "watch --json: no owner_changed event"
        else
                note "no cgroup2 hierarchy at $SA_IT_CGROOT: no owner_changed event"
        fi
        stop_listen "$pid"
        refresh
        wait_until 5 watch_has listener_removed || fail "watch --json: no listener_removed event"
        stop_watch
        cp "$WATCH_OUT" "$SA_IT_DIR/watch.json"
        local kind
        for kind in listener_added policy_violation listener_removed; do
                grep -q "\"event\":\"$kind\"" "$SA_IT_DIR/watch.json" || fail "watch --json: no $kind event"
        done

        : > "$SA_IT_DIR/records.out"
        while read -r name rc sec rest; do
                records_check "$rest" "$sec" "$SA_IT_DIR/$name.json"
        done <<<"$outputs"
        records_check "watch --json" event "$SA_IT_DIR/watch.json"

        # Documented but not produced here (informational: some need a
        # container, a full watcher or a vanishing process).
        seen=$(awk -F'\t' '$1 == "SEEN" { print $2 "\t" $3 }' "$SA_IT_DIR/records.out" | sort -u)
        jq -r 'to_entries[] | .key as $s | .value | keys[] | "\($s)\t\(.)"' <<<"$RECORDS_MAP" | sort -u |
                comm -23 - <(printf '%s\n' "$seen") | sed 's/^/# documented, not seen here: /; s/\t/ /' >&2

        # One line per undocumented (section, field), with the first path seen.
        local fields
        missing=$(awk -F'\t' '$1 == "MISSING" && !(($3, $4) in done) {
                        done[$3, $4] = 1; printf "#%s `%s`, e.g. %s\n", $3, $4, $2 }' "$SA_IT_DIR/records.out")
        if [ -n "$missing" ]; then
                printf 'Emitted, not documented in docs/RECORDS.md:\n%s\n' "$missing" >&2
                fields=$(awk -F', e[.]g[.] ' '{ print $1 }' <<<"$missing" | paste -sd' ')
                fail "$(grep -c . <<<"$missing") field(s) emitted but not in docs/RECORDS.md: $fields"
        fi
}

# Every MESSAGE_ID the daemon sends (daemon/event.h) is in docs/JOURNAL.md
# and has a catalog entry, and the catalog explains no other; every
# SOCKAUDIT_* field of daemon/event.c is in docs/JOURNAL.md.
test_docs_message_ids() {
        local code catalog journal id
        code=$(sed -nE 's/^#define SA_MESSAGE_ID_[A-Z_]+ +"([0-9a-f]{32})"$/\1/p' "$ROOT/daemon/event.h" | sort)
        catalog=$(sed -nE 's/^-- ([0-9a-f]{32})$/\1/p' "$ROOT/systemd/sockaudit.catalog" | sort)
        # shellcheck disable=SC2016  # backquotes are markdown's here
        journal=$(grep -oE '`[0-9a-f]{32}`' "$ROOT/docs/JOURNAL.md" | tr -d '`' | sort -u)
        [ "$(grep -c . <<<"$code")" -ge 6 ] || fail "daemon/event.h: fewer than 6 MESSAGE_IDs found"
        for id in $code; do
                grep -qx "$id" <<<"$catalog" || fail "MESSAGE_ID $id (daemon/event.h) has no entry in systemd/sockaudit.catalog"
                grep -qx "$id" <<<"$journal" || fail "MESSAGE_ID $id (daemon/event.h) is not in docs/JOURNAL.md"
        done
        for id in $catalog $journal; do
                grep -qx "$id" <<<"$code" || fail "MESSAGE_ID $id is documented but daemon/event.h does not send it"
        done
        [ "$(uniq -d <<<"$code")" == "" ] || fail "daemon/event.h: a MESSAGE_ID used twice"
        # Every journal field the entries are built with is a row of docs/JOURNAL.md.
        local fields missing=
        fields=$(grep -ohE '"SOCKAUDIT_[A-Z0-9_]+"' "$ROOT"/daemon/event.c | tr -d '"' | sort -u)
        [ -n "$fields" ] || fail "daemon/event.c: no SOCKAUDIT_* fields found"
        for id in $fields; do
                grep -q "\`$id\`" "$ROOT/docs/JOURNAL.md" || missing+=" $id"
        done
        [ -z "$missing" ] || fail "journal fields not in docs/JOURNAL.md:$missing"
        note "$(grep -c . <<<"$code") MESSAGE_IDs: in the catalog and docs/JOURNAL.md"
}
