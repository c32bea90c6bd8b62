# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# The control protocol with raw bytes (tests/helpers/sa-send): malformed
# requests, slow and excess clients. Error codes per docs/PROTOCOL.md.

# check_reply N LINE CODE: reply N is {"ok":false,"error":{"code":CODE,...}}.
check_reply() {
        local n=$1 line=$2 code=$3
        jq -e . >/dev/null 2>&1 <<<"$line" || fail "reply $n is not JSON: $line"
        assert_json "$line" ".ok == false and .error.code == \"$code\"
                and (.error.message | type == \"string\" and length > 0)" "reply $n (want $code)"
}

# who_ok LINE: a who reply that lists our holder.
who_ok() {
        assert_json "$1" ".ok == true and .port == 443
                and ([.listeners[].owners[].pid] | index($LISTEN_PID) != null)" "$2"
}

test_malformed_requests() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        local req=$SA_IT_DIR/req codes=() replies i
        : > "$req"
        add() { printf '%b' "$1" >> "$req"; codes+=("$2"); }
        add 'garbage\n' bad_request
        add '{"cmd":"who","port":"443"}\n' bad_request
        add '{"cmd":"who","port":0}\n' bad_request
        add '{"cmd":"who","port":70000}\n' bad_request
        add '{"cmd":"who","port":443.5}\n' bad_request
        add '{"cmd":"who"}\n' bad_request
        add '{"cmd":"who","port":443,"proto":"sctp"}\n' bad_request
        add '{"cmd":"who","port":443,"bogus":1}\n' bad_request
        add '{"cmd":42}\n' bad_request
        add '{"port":443}\n' bad_request
        add '[1,2]\n' bad_request
        add '"who"\n' bad_request
        add '{"cmd":"who","port":443\n' bad_request
        add '{"cmd":"status"\x00}\n' bad_request
        add '{"cmd":"who\xff\xfe","port":443}\n' bad_request
        add '{"cmd":"frobnicate"}\n' unknown_cmd
        head -c 102400 /dev/zero | tr '\0' 'x' >> "$req"; printf '\n' >> "$req"; codes+=(too_large)
        add '{"cmd":"who","port":443}\n' ok
        run_cap replies "${NSX[@]}" "$SA_SEND" --count ${#codes[@]} --linger-ms "$(scaled_ms 0.3)" \
                --timeout-ms "$(scaled_ms 8)" "$SOCK" < "$req"
        assert_eq 0 "$replies_rc" "sa-send exit code (replies: $(grep -c . <<<"$replies") of ${#codes[@]})"
        mapfile -t lines <<<"$replies"
        assert_eq ${#codes[@]} ${#lines[@]} "number of replies (one per request line)"
        for ((i = 0; i < ${#codes[@]} - 1; i++)); do
                check_reply $((i + 1)) "${lines[$i]}" "${codes[$i]}"
        done
        who_ok "${lines[-1]}" "who 443 on the same connection after the bad requests"
        # And on a new connection, and the daemon is still the same process.
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 on a new connection"
        alive "$DAEMON_PID" || fail "the daemon died"
        # Every error reply is counted.
        run_cap OUT sa status --json
        assert_json "$OUT" "(.status // .) | .requests.errors >= $((${#codes[@]} - 1))" "status requests.errors"
}

# A line over the limit alone, then a valid request on the same connection.
test_too_large_then_valid() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        local req=$SA_IT_DIR/req
        { head -c 102400 /dev/zero | tr '\0' 'x'; printf '\n{"cmd":"who","port":443}\n'; } > "$req"
        run_cap R "${NSX[@]}" "$SA_SEND" --count 2 --linger-ms 300 "$SOCK" < "$req"
        assert_eq 0 "$R_rc" "sa-send exit code"
        mapfile -t lines <<<"$R"
        assert_eq 2 ${#lines[@]} "replies to an oversized line and a request"
        check_reply 1 "${lines[0]}" too_large
        who_ok "${lines[1]}" "who 443 after the oversized line"
}

# Several requests in one write are answered in order.
test_pipelined_requests() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap R "${NSX[@]}" "$SA_SEND" --count 5 "$SOCK" \
                < <(printf '%s\n' '{"cmd":"status"}' '{"cmd":"who","port":443}' '{"cmd":"list","port":443}' \
                        '{"cmd":"refresh"}' '{"cmd":"who","port":443,"proto":"udp"}')
        mapfile -t lines <<<"$R"
        assert_eq 5 ${#lines[@]} "replies to 5 pipelined requests"
        assert_json "${lines[0]}" '.ok == true and (.status | type) == "object"' "reply 1 (status)"
        who_ok "${lines[1]}" "reply 2 (who)"
        assert_json "${lines[1]}" '.scan_time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' "reply 2 (who) scan_time"
        assert_json "${lines[2]}" '.ok == true and (.listeners | length) >= 1 and (.scan_time | type) == "string"' "reply 3 (list)"
        assert_json "${lines[3]}" '.ok == true and (.scan | type) == "object"' "reply 4 (refresh)"
        assert_json "${lines[4]}" '.ok == true and .listeners == []' "reply 5 (who 443 udp: none)"
}

# `printf REQ | socat - UNIX:...`: the client shuts down its write side
# after the request and still gets the reply.
test_half_close() {
        need_cmd jq
        start_daemon
        run_cap R "${NSX[@]}" "$SA_SEND" --timeout-ms "$(scaled_ms 5)" "$SOCK" < <(printf '{"cmd":"status"}\n')
        assert_eq 0 "$R_rc" "sa-send exit code (peer closed after the reply)"
        assert_eq 1 "$(grep -c . <<<"$R")" "replies after a half-close"
        assert_json "$R" '.ok == true' "status reply after a half-close"
}

# A client stuck in the middle of a line and an idle one block nobody.
# (Times scaled together: the bound stays a tenth of the clients' hold.)
test_slow_client_does_not_block() {
        need_cmd jq
        local hold limit t0 ms
        hold=$(scaled_ms 20) limit=$(scaled_ms 25)
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        printf '{"cmd":"who","po' | "${NSX[@]}" "$SA_SEND" --count 1 --hold-ms "$hold" --timeout-ms "$limit" "$SOCK" \
                > /dev/null 2>&1 &
        track_pid $!
        : | "${NSX[@]}" "$SA_SEND" --count 1 --hold-ms "$hold" --timeout-ms "$limit" "$SOCK" > /dev/null 2>&1 &
        track_pid $!
        sleep_scaled 0.3
        t0=$(date +%s%N)
        run_cap OUT bounded 3 "sockaudit who 443" "${NSX[@]}" "$SA" --socket "$SOCK" who 443 --json
        ms=$((($(date +%s%N) - t0) / 1000000))
        assert_eq 0 "$OUT_rc" "who 443 while a client holds a partial line (${ms} ms)"
        [ "$ms" -lt "$(scaled_ms 2)" ] || fail "who 443 took ${ms} ms while another client was slow (limit $(scaled_ms 2) ms)"
}

# MaxClients=64, all idle and a group member's (root has 8 more slots):
# the 65th connection takes the slot of the one idle the longest (evicted,
# told "busy") and is served; afterwards the slots are free again.
test_client_limit() {
        need_cmd jq setpriv getent groupadd
        local gid
        gid=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
        write_config "MaxClients=64"
        start_daemon
        run_cap R "${NSX[@]}" setpriv --reuid=65534 --regid=65534 --groups="$gid" \
                "$SA_SEND" --conns 65 --count 1 --timeout-ms "$(scaled_ms 8)" "$SOCK" \
                < <(printf '{"cmd":"status"}\n')
        assert_json "$R" '.ok == true' "reply to the 65th client (an idle one evicted for it)"
        assert_json "$(sa status --json)" '(.status // .) | .clients.evicted == 1 and .clients.refused_busy == 0' \
                "clients.evicted"
        sleep_scaled 0.2
        run_cap OUT sa status --json
        assert_eq 0 "$OUT_rc" "status after the excess clients left"
        # And 64 at once is fine.
        sleep_scaled 0.2
        run_cap R "${NSX[@]}" "$SA_SEND" --conns 64 --count 1 --timeout-ms "$(scaled_ms 8)" "$SOCK" \
                < <(printf '{"cmd":"status"}\n')
        assert_json "$R" '.ok == true' "reply to the 64th client"
}

# A client that sends requests with huge replies and never reads them
# blocks nobody else (the daemon must not write to it blocking). (Times
# scaled together: the bound stays a tenth of the client's hold.)
test_nonreading_client_does_not_block() {
        need_cmd jq
        start_listen --tcp-range 0.0.0.0 20000 21499 --tcp 0.0.0.0 443
        start_daemon
        refresh
        local i t0 ms
        for ((i = 0; i < 20; i++)); do printf '{"cmd":"list"}\n'; done > "$SA_IT_DIR/req"
        "${NSX[@]}" "$SA_SEND" --no-read --hold-ms "$(scaled_ms 20)" --timeout-ms "$(scaled_ms 25)" "$SOCK" \
                < "$SA_IT_DIR/req" > /dev/null 2>&1 &
        track_pid $!
        sleep_scaled 1
        t0=$(date +%s%N)
        run_cap OUT bounded 3 "sockaudit who 443" "${NSX[@]}" "$SA" --socket "$SOCK" who 443 --json
        ms=$((($(date +%s%N) - t0) / 1000000))
        assert_eq 0 "$OUT_rc" "who 443 while a client does not read its replies (${ms} ms)"
        [ "$ms" -lt "$(scaled_ms 2)" ] || fail "who 443 took ${ms} ms while another client did not read (limit $(scaled_ms 2) ms)"
        run_cap OUT bounded 3 "sockaudit status" "${NSX[@]}" "$SA" --socket "$SOCK" status --json
        assert_eq 0 "$OUT_rc" "status while a client does not read its replies"
}
