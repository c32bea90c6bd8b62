# shellcheck shell=bash
# Helpers for tests that run a real web server (nginx, Apache) in the
# test's network namespace and a private mount namespace
# (start_mount_holder): sourced by test_webconf.sh and test_tls.sh.

# make_cert DIR NAME rsa|ec DAYS CN: a self-signed certificate DIR/NAME.pem, key DIR/NAME.key.
make_cert() {
        local key=(-newkey rsa:2048)
        [ "$3" == ec ] && key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
        openssl req -x509 "${key[@]}" -nodes -days "$4" -subj "/CN=$5" \
                -keyout "$1/$2.key" -out "$1/$2.pem" 2>/dev/null || fail "openssl: cannot make $2.pem"
}

# in_mnt CMD...: CMD in the private mount namespace and the test's network namespace.
in_mnt() { _sa_bounded "$CMD_TIMEOUT" "$*" nsenter -t "$MNT_HOLDER" -m --net="/run/netns/$SA_IT_NS" -- "$@"; }

# start_server LOG CMD...: a server in both namespaces, tracked; sets SERVER_PID.
start_server() {
        local log=$1; shift
        nsenter -t "$MNT_HOLDER" -m --net="/run/netns/$SA_IT_NS" -- "$@" > "$log" 2>&1 < /dev/null &
        SERVER_PID=$!
        track_pid "$SERVER_PID"
        wait_for 5 "$1 to listen on 443" _listens_443 "$log"
}

_listens_443() {
        alive "$SERVER_PID" || fail "server exited: $(tail -n 5 "$1" | tr '\n' ' ')"
        [ -n "$(in_ns ss -Hltn 'sport = :443')" ]
}
