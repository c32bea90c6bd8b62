# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# docs/RECORDS.md is the contract for every JSON field: the real daemon and
# CLI emit their outputs, and each key must be a row of the section that
# documents its object (the convention is at the top of RECORDS.md).

# records_map FILE: {"SECTION": {"FIELD": "LINKED SECTION" or ""}} from the
# field tables of FILE (tables whose header starts with "field"). A
# section is a heading's GitHub anchor.
records_map() {
        awk '
        /^#+ / {
                a = $0; sub(/^#+ +/, "", a); a = tolower(a)
                gsub(/[^a-z0-9 _-]/, "", a); gsub(/ /, "-", a)
                sec = a; intable = 0; next
        }
        /^\|/ {
                split($0, c, "|"); f = c[2]; gsub(/^ +| +$/, "", f)
                if (f == "field") { intable = 1; next }
                if (!intable || f !~ /^`[^`]+`$/) next
                link = ""
                if (match(c[3], /\]\(#[^)]+\)/)) link = substr(c[3], RSTART + 3, RLENGTH - 4)
                printf "%s\t%s\t%s\n", sec, substr(f, 2, length(f) - 2), link
                next
        }
        { intable = 0 }' "$1" |
                jq -R -s 'split("\n") | map(select(length > 0) | split("\t"))
                          | reduce .[] as $r ({}; .[$r[0]][$r[1]] = $r[2])'
}

# Walks a JSON value from section $sec: "SEEN\tSECTION\tFIELD" for each
# documented key, "MISSING\tPATH\tSECTION\tFIELD" for each undocumented one.
# An object-valued row that links no section documents its members as
# "ROW.MEMBER" rows of the same section; array elements add "[]".
# shellcheck disable=SC2016  # a jq program: its $ are jq's
JQ_RECORDS='
def w($m; $sec; $pre; $path):
  if type == "object" then
    to_entries[] as $e
    | ($pre + $e.key) as $f
    | (if $path == "" then $e.key else $path + "." + $e.key end) as $p
    | if (($m[$sec] // {}) | has($f)) | not then "MISSING\t\($p)\t\($sec)\t\($f)"
      else "SEEN\t\($sec)\t\($f)",
        ($m[$sec][$f] as $link
         | if $link == "" then $e.value | w($m; $sec; $f + "."; $p)
           elif $m | has($link) then $e.value | w($m; $link; ""; $p)
           else "MISSING\t\($p)\t\($sec)\t\($f) (links #\($link): no field table there)" end)
      end
  elif type == "array" then
    .[] | w($m; $sec; (if $pre == "" then "" else ($pre | rtrimstr(".")) + "[]." end); $path + "[]")
  else empty end;
w($m; $root; ""; "")'

# records_check NAME ROOT FILE: every key of the JSON values in FILE (one
# output of NAME) checked from section ROOT; results appended to
# $SA_IT_DIR/records.out.
records_check() {
        [ -s "$3" ] || fail "$1: no output to check"
        jq -e 'type == "object"' "$3" > /dev/null 2>&1 || fail "$1: output is not JSON objects"
        jq -r --argjson m "$RECORDS_MAP" --arg root "$2" "$JQ_RECORDS" "$3" |
                sed "s/^MISSING\t/MISSING\t$1: /" >> "$SA_IT_DIR/records.out" ||
                fail "$1: jq failed on the output"
        note "checked $1 ($(wc -l < "$3") lines) from #$2"
}

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
