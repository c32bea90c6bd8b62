# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Is it the real program (docs/PROVENANCE.md): each owner's package verdict,
# exe_sha256 and exe_location, from the daemon and --direct, in JSON and in
# the table's NOTE (compact and full replies), on real programs: Debian's
# nginx, a modified copy bind-mounted over it, an interpreter copied to
# /tmp, a deleted image, a packaged file replaced while it runs, and the
# usrmerge alias and a diversion through a fixture dpkg database.

# prov_owners JSON PORT: one line per owner of tcp PORT in this namespace:
# its provenance members as compact JSON.
prov_owners() {
        jq -c --argjson ns "$(ns_inode)" --argjson port "$2" "$JQ_LS"'
                ls[] | select(.netns == $ns and .proto == "tcp" and .port == $port) | .owners[]
                | {pid, exe, exe_sha256, exe_location, package}' <<<"$1"
}

# prov_query PORT [CLI ARGS...]: who PORT --json from the daemon and
# --direct (query_both); every owner must carry a verdict. Sets D_PROV, X_PROV.
prov_query() {
        query_both "$@"
        D_PROV=$(prov_owners "$D_JSON" "$1")
        X_PROV=$(prov_owners "$X_JSON" "$1")
        if [ -z "$D_PROV" ] || [ -z "$X_PROV" ]; then
                fail "no owner of $1/tcp (daemon: '$D_PROV', direct: '$X_PROV')"
        fi
        printf 'daemon owners:\n%s\ndirect owners:\n%s\n' "$D_PROV" "$X_PROV" >&2
}

# prov_all JQ_TEST WHAT: every owner line of D_PROV and X_PROV passes JQ_TEST.
prov_all() {
        local j line
        for j in D_PROV X_PROV; do
                while read -r line; do
                        assert_json "$line" "$1" "$j: $2"
                done <<<"${!j}"
        done
}

# prov_table PORT NEEDLE WHAT: the table from the daemon, compact reply and
# full one, and from --direct, each has NEEDLE (empty NEEDLE: none of the marks).
prov_table() {
        local t marks='modified!|not packaged|deleted|in /tmp|memfd|world-writable dir'
        for t in compact full direct; do
                case $t in
                compact) run_cap TB sa who "$1" ;;
                full) run_cap TB env SOCKAUDIT_TABLE_FORM=full "${NSX[@]}" "$SA" --socket "$SOCK" who "$1" ;;
                direct) run_cap TB sa_direct who "$1" --netns "$SA_IT_NS" ;;
                esac
                [ "$TB_rc" == 0 ] || fail "$t table: who $1: exit $TB_rc: $TB_err"
                if [ -n "$2" ]; then
                        assert_contains "$TB" "$2" "$t table: $3"
                elif grep -qE "$marks" <<<"$TB"; then
                        fail "$t table: $3: a provenance mark where none belongs"
                fi
        done
}

# nginx_conf DIR: a private nginx config (master + 2 workers, port 443).
nginx_conf() {
        mkdir -p "$1/logs" "$1/tmp"
        cat > "$1/nginx.conf" <<EOF
worker_processes 2;
pid $1/nginx.pid;
error_log $1/logs/error.log;
events { worker_connections 64; }
http {
        access_log off;
        client_body_temp_path $1/tmp/body;
        proxy_temp_path $1/tmp/proxy;
        fastcgi_temp_path $1/tmp/fastcgi;
        uwsgi_temp_path $1/tmp/uwsgi;
        scgi_temp_path $1/tmp/scgi;
        server { listen 443; return 200 "ok\n"; }
}
EOF
}

# start_nginx [PREFIX...]: nginx in the foreground in the namespace (PREFIX
# runs it, e.g. unshare); waits for the master and its 2 workers.
start_nginx() {
        nginx_conf "$SA_IT_DIR/nginx"
        "${NSX[@]}" "$@" /usr/sbin/nginx -c "$SA_IT_DIR/nginx/nginx.conf" -g 'daemon off;' \
                > "$SA_IT_DIR/nginx/out" 2>&1 &
        NGINX_PID=$!
        track_pid "$NGINX_PID"
        wait_for 5 "nginx to listen on 443" nginx_up
        local w
        for w in $(pgrep -P "$NGINX_MASTER"); do track_pid "$w"; done
        [ "$NGINX_MASTER" == "$NGINX_PID" ] || track_pid "$NGINX_MASTER"
}

# nginx_up: the master (NGINX_MASTER, from its pid file) listens, with 2 workers.
nginx_up() {
        alive "$NGINX_PID" || fail "nginx exited: $(head -c 300 "$SA_IT_DIR/nginx/out" | tr '\n' ' ')"
        [ -s "$SA_IT_DIR/nginx/nginx.pid" ] || return 1
        NGINX_MASTER=$(cat "$SA_IT_DIR/nginx/nginx.pid")
        [ "$(pgrep -c -P "$NGINX_MASTER")" -ge 2 ] && in_ns ss -Hltn 'sport = :443' | grep -q .
}

need_nginx() {
        need_cmd jq ss sha256sum dpkg-query pgrep
        [ -x /usr/sbin/nginx ] || skip "no /usr/sbin/nginx (scripts/install-deps.sh installs nginx)"
        NGINX_PKG=$(dpkg-query -S /usr/sbin/nginx 2>/dev/null | head -n 1 | cut -d: -f1)
        [ -n "$NGINX_PKG" ] || skip "/usr/sbin/nginx belongs to no installed package here"
        NGINX_VER=$(dpkg-query -W -f='${Version}' "$NGINX_PKG")
}

# Debian's nginx, master and workers: verified against the package that
# ships /usr/sbin/nginx, with its SHA-256; no mark in any table.
test_provenance_nginx_verified() {
        need_nginx
        local sha
        sha=$(sha256sum /usr/sbin/nginx | cut -d' ' -f1)
        start_nginx
        start_daemon
        prov_query 443
        assert_eq 3 "$(wc -l <<<"$D_PROV")" "owners: the master and 2 workers"
        prov_all '.package.status == "verified"' "verified"
        for j in D_PROV X_PROV; do
                while read -r line; do
                        assert_json "$line" ".package.name == \"$NGINX_PKG\" and .package.version == \"$NGINX_VER\"" \
                                "$j: the package dpkg-query names"
                        assert_json "$line" ".exe_sha256 == \"$sha\" and .exe_location == \"normal\"" \
                                "$j: sha256sum of /usr/sbin/nginx"
                done <<<"${!j}"
        done
        prov_table 443 "" "verified nginx"
        local st
        st=$(status_json)
        assert_json "$st" '.provenance.jobs >= 1 and .provenance.images_hashed >= 1 and .provenance.verdicts >= 1' \
                "status.provenance counts the job"
}

# One byte changed, bind-mounted over /usr/sbin/nginx in a private mount
# namespace and started there: modified (the host's file is untouched).
test_provenance_nginx_modified() {
        need_nginx
        need_cmd unshare python3
        local mod=$SA_IT_DIR/nginx.modified
        python3 - /usr/sbin/nginx "$mod" <<'EOF' || fail "cannot make the modified copy"
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.find(b'nginx version: ')
assert i >= 0
b[i] = ord('N')
open(sys.argv[2], 'wb').write(b)
EOF
        chmod 755 "$mod"
        # shellcheck disable=SC2016  # expanded by that sh, not here
        start_nginx unshare -m --propagation private sh -c \
                'mount --bind "$0" /usr/sbin/nginx && exec "$@"' "$mod"
        start_daemon
        prov_query 443
        prov_all '.package.status == "modified" and .exe == "/usr/sbin/nginx"' "modified"
        prov_all ".package.name == \"$NGINX_PKG\"" "still the package that ships the path"
        prov_all ".exe_sha256 == \"$(sha256sum "$mod" | cut -d' ' -f1)\"" "the running image's hash"
        prov_table 443 "modified!" "modified mark"
}

# pick_python: a Debian-packaged python3 (the interpreter copied below).
pick_python() {
        PY=$(readlink -f /usr/bin/python3 2>/dev/null)
        if [ ! -x "$PY" ] || ! dpkg-query -S "$PY" >/dev/null 2>&1; then
                skip "no packaged /usr/bin/python3"
        fi
}

# start_py EXE PORT: EXE (a python) serving http on PORT in the namespace.
start_py() {
        "${NSX[@]}" "$1" -m http.server --bind 0.0.0.0 "$2" > "$SA_IT_DIR/py.$2.out" 2>&1 &
        PY_PID=$!
        track_pid "$PY_PID"
        wait_for 10 "$1 to listen on $2" py_up "$2"
}

py_up() {
        alive "$PY_PID" || fail "python exited: $(head -c 300 "$SA_IT_DIR/py.$1.out" | tr '\n' ' ')"
        in_ns ss -Hltn "sport = :$1" | grep -q .
}

# A copy of the interpreter in /tmp serving 443: not packaged, in /tmp.
test_provenance_tmp_copy() {
        need_cmd jq ss dpkg-query
        pick_python
        local dir=$SA_IT_DIR    # under /tmp (tests/integration/run.sh)
        [[ "$dir" == /tmp/* ]] || skip "the test directory $dir is not under /tmp"
        cp "$PY" "$dir/httpd" || fail "copy $PY"
        start_py "$dir/httpd" 443
        start_daemon
        prov_query 443
        prov_all '.package.status == "not_packaged" and .exe_location == "tmp" and .package.name == null' \
                "not packaged, in /tmp"
        prov_all ".exe_sha256 == \"$(sha256sum "$PY" | cut -d' ' -f1)\"" "the copy's hash"
        prov_table 443 "not packaged, in /tmp" "marks"
}

# A copy started, then removed: deleted.
test_provenance_deleted() {
        need_cmd jq ss dpkg-query
        pick_python
        mkdir -p "$SA_IT_DIR/bin"
        cp "$PY" "$SA_IT_DIR/bin/httpd" || fail "copy $PY"
        start_py "$SA_IT_DIR/bin/httpd" 443
        rm "$SA_IT_DIR/bin/httpd"
        start_daemon
        prov_query 443
        prov_all '.package.status == "deleted" and .exe_location == "deleted"' "deleted"
        prov_table 443 "deleted" "deleted mark"
}

# fixture_db DIR FILE: a dpkg database at DIR whose one package,
# sa-fixture 1.0-1, ships FILE with its MD5.
fixture_db() {
        mkdir -p "$1/info"
        printf 'Package: sa-fixture\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-1\n\n' \
                > "$1/status"
        printf '/.\n%s\n%s\n' "$(dirname "$2")" "$2" > "$1/info/sa-fixture.list"
        printf '%s  %s\n' "$(md5sum < "$2" | cut -d' ' -f1)" "${2#/}" > "$1/info/sa-fixture.md5sums"
        : > "$1/diversions"
}

# A packaged file (a fixture database: DpkgAdminDir=, SOCKAUDIT_DPKG_ADMINDIR)
# replaced on disk while it runs (new file, renamed over): verified, then
# deleted ("needs restart") once a scan described the holder again.
test_provenance_replaced_while_running() {
        need_cmd jq ss dpkg-query md5sum
        pick_python
        local bin=$SA_IT_DIR/opt/httpd db=$SA_IT_DIR/dpkg
        mkdir -p "$SA_IT_DIR/opt"
        cp "$PY" "$bin" || fail "copy $PY"
        fixture_db "$db" "$bin"
        start_py "$bin" 443
        write_config "DpkgAdminDir=$db"
        start_daemon
        export SOCKAUDIT_DPKG_ADMINDIR=$db
        prov_query 443
        prov_all '.package.status == "verified" and .package.name == "sa-fixture" and .package.version == "1.0-1"' \
                "verified against the fixture"
        local changed
        changed=$(mon_get .monitor.events.owner_changed)
        cp "$PY" "$bin.new" || fail "copy $PY"
        mv "$bin.new" "$bin" || fail "replace $bin"
        run_cap RS sa refresh
        [ "$RS_rc" == 0 ] || fail "refresh: exit $RS_rc: $RS_err"
        prov_query 443
        assert_eq $((changed + 1)) "$(mon_get .monitor.events.owner_changed)" \
                "owner_changed events: the verdict went from verified to deleted"
        prov_all '.package.status == "deleted" and .package.name == "sa-fixture"' "deleted after the replacement"
        prov_all '.package.reason | test("needs restart")' "the needs-restart words"
        prov_table 443 "deleted" "the old image has no link left: deleted"
}

# Through a fixture database (DpkgAdminDir=): the usrmerge alias (the
# package records /bin/NAME, the process runs /usr/bin/NAME) and a
# diversion (the file at the diversion's "to" is checked against the
# package that ships "from"). Unit tests cover both on fixtures
# (check_dpkg); this is the same through the daemon and --direct.
test_provenance_usrmerge_and_diversion() {
        need_cmd jq ss dpkg-query md5sum
        pick_python
        [[ "$PY" == /usr/bin/* ]] || skip "python3 is not under /usr/bin here ($PY)"
        [ -L /bin ] || skip "/bin is not a symlink to usr/bin (no usrmerge here)"
        local db=$SA_IT_DIR/dpkg name=${PY##*/} orig=$SA_IT_DIR/opt/httpd
        mkdir -p "$db/info" "$SA_IT_DIR/opt"
        cp "$PY" "$orig.real" || fail "copy $PY"
        printf 'Package: sa-merged\nStatus: install ok installed\nArchitecture: all\nVersion: 2\n\n' > "$db/status"
        printf 'Package: sa-diverted\nStatus: install ok installed\nArchitecture: all\nVersion: 3\n\n' >> "$db/status"
        printf '/.\n/bin\n/bin/%s\n' "$name" > "$db/info/sa-merged.list"
        printf '%s  bin/%s\n' "$(md5sum < "$PY" | cut -d' ' -f1)" "$name" > "$db/info/sa-merged.md5sums"
        printf '/.\n%s\n' "$orig" > "$db/info/sa-diverted.list"
        printf '%s  %s\n' "$(md5sum < "$PY" | cut -d' ' -f1)" "${orig#/}" > "$db/info/sa-diverted.md5sums"
        printf '%s\n%s\n:\n' "$orig" "$orig.real" > "$db/diversions"
        start_py "$PY" 443
        local merged=$PY_PID
        start_py "$orig.real" 8443
        write_config "DpkgAdminDir=$db" "Ports=443 8443"
        start_daemon
        export SOCKAUDIT_DPKG_ADMINDIR=$db
        prov_query 443
        prov_all '.package.status == "verified" and .package.name == "sa-merged" and .package.version == "2"' \
                "verified through the usrmerge alias"
        prov_query 8443
        prov_all '.package.status == "verified" and .package.name == "sa-diverted"' "verified through the diversion"
        prov_all '.package.reason | test("diverted")' "the reason says diverted"
        alive "$merged" || fail "the first server exited"
}

# The first list after the daemon's start, while its job hashes 6 images
# of its own (6.8 MB each), shows every owner's verdict: it waits for the
# job (5 s at most) instead of answering "not checked".
test_provenance_list_waits_for_the_job() {
        need_cmd jq ss dpkg-query
        pick_python
        local i out
        for i in 1 2 3 4 5 6; do
                cp "$PY" "$SA_IT_DIR/httpd$i" || fail "copy $PY"
                printf '%s' "$i" >> "$SA_IT_DIR/httpd$i"    # another image each: hashed each
                start_py "$SA_IT_DIR/httpd$i" "800$i"
        done
        write_config "Ports=all"
        start_daemon
        run_cap OUT sa list --json
        [ "$OUT_rc" == 0 ] || fail "list: exit $OUT_rc: $OUT_err"
        for i in 1 2 3 4 5 6; do
                out=$(prov_owners "$OUT" "800$i")
                [ -n "$out" ] || fail "no owner of 800$i/tcp"
                assert_json "$out" '.package.status == "not_packaged" and (.exe_sha256 | length) == 64' \
                        "800$i: the verdict in the first answer"
        done
        status_json
        note "status.provenance: $(jq -c .provenance <<<"$STATUS")"
        assert_json "$STATUS" '.provenance.waits_timed_out == 0' "no wait ran out of time"
}

# --direct without its helper (sockaudit-provenance), or with one that
# answers garbage: owners without a verdict or with only what checks out,
# one clear stderr line, the listeners still shown.
test_provenance_direct_helper_fails() {
        need_cmd jq ss
        pick_python
        start_py "$PY" 443
        local owners bad=$SA_IT_DIR/bad-helper flood=$SA_IT_DIR/flood-helper
        SOCKAUDIT_PROVENANCE=/nonexistent run_cap X sa_direct who 443 --netns "$SA_IT_NS" --json
        [ "$X_rc" == 0 ] || fail "who --direct without the helper: exit $X_rc: $X_err"
        assert_contains "$X_err" "no provenance (package, exe_sha256): the helper /nonexistent did not run" "the note"
        owners=$(prov_owners "$X" 443)
        [ -n "$owners" ] || fail "no owner of 443 without the helper"
        assert_json "$owners" '.package == null and .exe_sha256 == null' "no verdict without the helper"
        # Wrong types, a pid not asked about, a line not JSON: only the checked part is kept.
        cat > "$bad" <<'SH'
#!/bin/sh
for a; do echo "{\"pid\":${a%%:*},\"exe_sha256\":7,\"package\":{\"name\":[1],\"status\":\"verified\"}}"; done
echo '{"pid":1,"package":{"status":"verified"}}'
head -c 3000 /dev/zero | tr '\000' x; echo
SH
        printf '#!/bin/sh\nyes "{}" | head -c 50000000\n' > "$flood"
        chmod +x "$bad" "$flood"
        SOCKAUDIT_PROVENANCE=$bad run_cap X sa_direct who 443 --netns "$SA_IT_NS" --json
        [ "$X_rc" == 0 ] || fail "who --direct with a garbling helper: exit $X_rc: $X_err"
        owners=$(prov_owners "$X" 443)
        assert_json "$owners" '.package.status == "verified" and .package.name == null and .exe_sha256 == null' \
                "only the well-typed members kept"
        SOCKAUDIT_PROVENANCE=$flood run_cap X sa_direct who 443 --netns "$SA_IT_NS" --json
        [ "$X_rc" == 0 ] || fail "who --direct with a flooding helper: exit $X_rc: $X_err"
        assert_contains "$X_err" "said too much" "the flood's note"
        assert_json "$(prov_owners "$X" 443)" '.package == null' "no verdict from a flood"
}
