# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# The compact who/list reply (docs/PROTOCOL.md, "Compact form"): the CLI's
# tables read from it are the tables read from the full form; a request
# without "form" still gets the full form; the reply cache keeps the forms
# apart; a daemon that does not know "form" is asked again without it.

# sa_full ARGS...: the CLI, its tables from the full form (SOCKAUDIT_TABLE_FORM=full).
sa_full() {
        _sa_bounded "$CMD_TIMEOUT" "sockaudit $* (full form)" env SOCKAUDIT_TABLE_FORM=full \
                "${NSX[@]}" "$SA" --socket "$SOCK" "$@"
}

# same_table WHAT ARGS...: `sockaudit ARGS` prints the same, with the same
# exit code, whichever form its table is read from; sets OUT.
same_table() {
        local what=$1 full
        shift
        run_cap OUT sa "$@"
        run_cap full sa_full "$@"
        assert_eq "$full_rc" "$OUT_rc" "$what: exit code, compact vs full form"
        [ "$OUT" == "$full" ] || fail "$what: the table from the compact form differs from the full form's:
$(diff <(echo "$full") <(echo "$OUT") | head -c 800)"
        [ "$OUT_err" == "$full_err" ] || fail "$what: stderr differs: '$OUT_err' vs '$full_err'"
}

# raw_replies FILE N: N reply lines to the request lines in FILE, on one connection.
raw_replies() {
        "${NSX[@]}" "$SA_SEND" --count "$2" --timeout-ms "$(scaled_ms 8)" "$SOCK" < "$1"
}

# Listeners of every kind the table shows: shared by a parent and its
# children, TCP and UDP, IPv4, IPv6 and dual stack, several processes on
# one port, none (a socket whose holder is gone is not made here); the
# same rows, owners and order from both forms, for list, list --port,
# who, who --udp and --netns.
test_list_compact_table_same_as_full() {
        start_listen --children 2 --tcp 0.0.0.0 443 --udp :: 443
        local parent=$LISTEN_PID
        start_listen --tcp :: 8443 --tcp 127.0.0.1 9000
        start_listen --tcp 127.0.0.1 9001 --udp 0.0.0.0 5353
        start_daemon
        refresh
        same_table "list" list
        assert_contains "$OUT" "$parent" "list shows the parent of 443"
        assert_eq 6 "$(grep -cE ':443( |$)' <<<"$OUT")" "list: rows of 443 (3 holders x 2 sockets)"
        same_table "list --wide" list --wide
        same_table "list --port 443" list --port 443
        same_table "list --tcp" list --tcp
        same_table "who 443" who 443
        same_table "who 443 --udp" who 443 --udp
        same_table "who 9000" who 9000
        same_table "who 4444 (nothing listens)" who 4444
        assert_eq 1 "$OUT_rc" "who 4444: exit code"
        same_table "list --netns (this one)" list --netns "$SA_IT_NS"
        assert_contains "$OUT" "9001" "list --netns $SA_IT_NS keeps its listeners"
        same_table "list --netns (another)" list --netns no-such-netns
        same_table "who 443 --netns (another)" who 443 --netns no-such-netns
        assert_eq 1 "$OUT_rc" "who 443 --netns elsewhere: exit code"
}

# A hostile owner: control bytes and a newline in its name, invalid UTF-8
# (U+FFFD in JSON, so in both tables) and a bidi override, control bytes in
# a long command line: escaped the same in both tables, no raw control
# byte reaches the terminal.
test_list_compact_hostile_owner() {
        start_listen --children 1 --comm $'evil\nname\e[2J"\\' --tcp 0.0.0.0 443 --udp :: 443
        start_listen --comm $'caf\xc3\xa9 \xe2\x80\xae\xff' --argv-bytes 3000 --tcp 127.0.0.1 8443
        start_daemon
        refresh
        same_table "list" list
        assert_not_contains "$OUT" $'\e' "list: raw ESC in the table"
        assert_contains "$OUT" 'evil\nname' "list: the newline escaped"
        assert_contains "$OUT" $'caf\xc3\xa9 ' "list: valid UTF-8 kept"
        assert_contains "$OUT" $'\xef\xbf\xbd' "list: the invalid byte replaced (U+FFFD, as in JSON)"
        assert_contains "$OUT" '\u202e' "list: the bidi override escaped"
        grep -q '^name' <<<"$OUT" && fail "list: a row begins with the second half of the comm"
        same_table "who 443" who 443
        same_table "who 8443" who 8443
}

# {"cmd":"list"} without "form" gets the full form (each owner whole); with
# "form":"compact", the compact one; asked alternately on one connection
# while nothing changes (the reply cache answers), each gets its own form.
test_list_compact_protocol_forms() {
        need_cmd jq
        start_listen --children 1 --tcp 0.0.0.0 443
        start_daemon
        refresh
        local req=$SA_IT_DIR/req replies i
        printf '%s\n' '{"cmd":"list"}' '{"cmd":"list","form":"compact"}' '{"cmd":"list"}' \
                '{"cmd":"list","form":"compact"}' '{"cmd":"who","port":443,"form":"full"}' \
                '{"cmd":"who","port":443,"form":"compact"}' '{"cmd":"who","port":443}' \
                '{"cmd":"list","form":"tiny"}' > "$req"
        run_cap replies raw_replies "$req" 8
        assert_eq 0 "$replies_rc" "sa-send exit code"
        mapfile -t lines <<<"$replies"
        assert_eq 8 "${#lines[@]}" "replies"
        for i in 0 2 4 6; do
                assert_json "${lines[$i]}" '.ok and (has("form") | not) and (has("processes") | not)
                        and ([.listeners[].owners[] | select(.pid and .comm and .fds)] | length) >= 2' \
                        "request $((i + 1)): the full form"
        done
        for i in 1 3 5; do
                assert_json "${lines[$i]}" '.ok and .form == "compact" and (.processes | length) >= 2
                        and all(.listeners[].owners[]; (.process | type) == "number" and has("pid") == false)
                        and all(.listeners[]; (.exposure | type) == "number")' \
                        "request $((i + 1)): the compact form"
        done
        assert_json "${lines[7]}" '.ok == false and .error.code == "bad_request"' "an unknown form"
        # The same listeners, owners and exposures in both.
        local expand='.processes as $p | .exposures as $e | .listeners | map(.exposure = $e[.exposure]
                | .owners = (.owners | map($p[.process] + (del(.process)))))'
        [ "$(jq -cS "$expand" <<<"${lines[1]}")" == "$(jq -cS .listeners <<<"${lines[0]}")" ] ||
                fail "the compact form, expanded, is not the full form"
        [ "${lines[1]}" == "${lines[3]}" ] || fail "the compact form changed while nothing did"
}

# A daemon from before "form" (played by a script that refuses it as an
# old daemon does) gets the request again without it; the table is the
# full form's. A reply without "form":"compact" is read as the full form.
test_list_compact_old_daemon() {
        need_cmd python3
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        local full=$SA_IT_DIR/full.json old=$SA_IT_DIR/old.sock want
        printf '%s\n' '{"cmd":"list"}' > "$SA_IT_DIR/req"
        raw_replies "$SA_IT_DIR/req" 1 > "$full" || fail "the full list reply"
        run_cap want sa_full list
        "${NSX[@]}" python3 -c '
import json, os, socket, sys
path, reply, log = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    line = c.makefile("rb").readline()
    req = json.loads(line)
    with open(log, "a") as f:
        f.write(line.decode())
    if "form" in req:
        c.sendall(b"{\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"unknown field \\\"form\\\" for \\\"list\\\"\"}}\n")
    else:
        c.sendall(reply)
    c.close()
' "$old" "$full" "$SA_IT_DIR/old.log" &
        track_pid $!
        wait_for 5 "the old daemon's socket" test -S "$old"
        run_cap OUT _sa_bounded "$CMD_TIMEOUT" "sockaudit list (old daemon)" "${NSX[@]}" "$SA" --socket "$old" list
        assert_eq 0 "$OUT_rc" "list against an old daemon: exit code ($OUT_err)"
        [ "$OUT" == "$want" ] || fail "the table from an old daemon differs:
$(diff <(echo "$want") <(echo "$OUT") | head -c 600)"
        assert_eq 2 "$(grep -c . "$SA_IT_DIR/old.log")" "requests to the old daemon (compact, then full)"
        assert_json "$(tail -n 1 "$SA_IT_DIR/old.log")" 'has("form") | not' "the second request has no form"
}
