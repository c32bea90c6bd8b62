# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Issue 13, the policy's side: RequirePackage= and AllowPackage= against
# real programs. nginx from Debian's archive (master + 2 workers) in the
# test's network namespace; the same binary with one byte changed,
# bind-mounted over /usr/sbin/nginx in a private mount namespace; a copy of
# python3 under /tmp. Violations in `check` (exit 1), in a private
# journald (lib.sh: start_journald) with their MESSAGE_IDs and package
# fields, and explain's words, from the daemon and --direct.

MID_EXE_MODIFIED=e415d8f6b32c400f81d0cd2831daa2f1
MID_EXE_NOT_PACKAGED=57f37259295f403bb1a41d533162313a

# The real programs' helpers (need_nginx, start_nginx, pick_python,
# start_py) are test_provenance.sh's: one copy. Sourcing it only defines
# functions; run.sh runs just the test it names.
# shellcheck source=test_provenance.sh
. "$(dirname "${BASH_SOURCE[0]}")/test_provenance.sh"

# _verdicts_are STATUS: every owner of 443/tcp has a package verdict, STATUS,
# in the daemon's who reply (it lands from a worker thread); in WHO.
_verdicts_are() {
        WHO=$(sa who 443 --tcp --json 2>/dev/null)
        jq -e --arg s "$1" '[.listeners[].owners[]] | length > 0 and all(.package.status == $s)' \
                <<<"$WHO" > /dev/null 2>&1
}

# _check_has KIND: `sockaudit check --json` lists a KIND violation; in CHECK (exit CHECK_rc).
_check_has() {
        CHECK=$(sa check --json 2>/dev/null)
        CHECK_rc=$?
        jq -e --arg k "$1" '[.violations[] | select(.violation == $k)] | length > 0' <<<"$CHECK" > /dev/null 2>&1
}

# explain_says WHAT TEXT: the daemon's and --direct's explain of 443 (this
# namespace) both have TEXT on one line.
explain_says() {
        local out
        run_cap out sa explain 443 --tcp
        assert_eq 0 "$out_rc" "explain 443 ($1): exit"
        assert_contains "$out" "$2" "explain 443 ($1)"
        run_cap out sa_direct explain 443 --tcp --netns "$SA_IT_NS"
        assert_eq 0 "$out_rc" "explain 443 --direct ($1): exit"
        assert_contains "$out" "$2" "explain 443 --direct ($1)"
}

# The real nginx under RequirePackage=yes and AllowPackage=nginx: every
# owner verified, named as dpkg-query names it, no violation, check exit 0.
test_provenance_policy_verified_nginx() {
        need_nginx
        write_config 'Ports=443' '[Port 443/tcp]' 'RequirePackage=yes' "AllowPackage=$NGINX_PKG"
        start_daemon
        start_nginx
        refresh
        wait_until 10 _verdicts_are verified || fail "owners of 443 not all verified: $(jq -c '[.listeners[].owners[] | {pid, package}]' <<<"$WHO")"
        assert_json "$WHO" "[.listeners[].owners[]] | length == 3 and
                all(.package.name == \"$NGINX_PKG\" and .package.version == \"$NGINX_VER\"
                    and .exe_sha256 == \"$(sha256sum < /usr/sbin/nginx | cut -d' ' -f1)\" and .exe_location == \"normal\")" \
                "master and workers: nginx's package, version and image"
        run_cap CHECK sa check --json
        assert_eq 0 "$CHECK_rc" "check exit with the verified nginx"
        assert_json "$CHECK" '.violations == []' "no violations"
        # Nor any event before the verdicts landed: an owner not checked yet raises nothing.
        assert_eq 0 "$(mon_get .monitor.events.policy_violation)" "policy_violation events with the verified nginx"
        explain_says verified "/usr/sbin/nginx from $NGINX_PKG $NGINX_VER, verified against the package"
}

# nginx with one byte changed, bind-mounted over /usr/sbin/nginx in a
# private mount namespace: exe_modified in check (exit 1) and one journal
# entry with its MESSAGE_ID, the package and the copy's SHA-256.
test_provenance_policy_modified_nginx() {
        need_nginx
        local copy=$SA_IT_DIR/nginx.modified off sha entry
        cp /usr/sbin/nginx "$copy" || fail "cp /usr/sbin/nginx"
        # One byte of a help text ("this help"): the program still runs.
        off=$(grep -boa -m 1 'this help' "$copy" | cut -d: -f1)
        [ -n "$off" ] || fail "no 'this help' text in /usr/sbin/nginx to change"
        printf 'T' | dd of="$copy" bs=1 seek="$off" conv=notrunc status=none || fail "dd into $copy"
        sha=$(sha256sum < "$copy" | cut -d' ' -f1)
        start_journald
        "${MNTX[@]}" mount --bind "$copy" /usr/sbin/nginx || fail "bind $copy over /usr/sbin/nginx (mount namespace)"
        grep -q " /usr/sbin/nginx " /proc/$$/mountinfo && fail "the bind mount leaked into the host's mount namespace"
        write_config 'Ports=443' '[Port 443/tcp]' 'RequirePackage=yes'
        start_daemon_journal
        start_nginx "${MNTX[@]}"
        refresh
        wait_until 10 _verdicts_are modified || fail "owners of 443 not all modified: $(jq -c '[.listeners[].owners[] | {pid, package, exe_sha256}]' <<<"$WHO")"
        assert_json "$WHO" "all(.listeners[].owners[]; .exe_sha256 == \"$sha\" and .package.name == \"$NGINX_PKG\")" \
                "the running image's hash is the copy's"
        wait_until 10 _check_has exe_modified || fail "check lists no exe_modified: $CHECK"
        assert_eq 1 "$CHECK_rc" "check exit with the modified nginx"
        assert_json "$CHECK" "[.violations[] | select(.violation == \"exe_modified\")] | length == 2 and
                all(.reason | contains(\"which differs from what $NGINX_PKG $NGINX_VER shipped (modified; RequirePackage=yes)\"))" \
                "one exe_modified per program (the master and the workers run as different users)"
        wait_journal 1 '.SOCKAUDIT_VIOLATION == "exe_modified"' 10 || fail "$WAITED"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "exe_modified"' | head -n 1)
        assert_json "$entry" "$JQ_JV
                .MESSAGE_ID == \"$MID_EXE_MODIFIED\" and .PRIORITY == \"4\"
                and .SOCKAUDIT_EVENT == \"policy_violation\" and .SOCKAUDIT_PORT == \"443\"
                and jv(.SOCKAUDIT_PACKAGE) == [\"$NGINX_PKG\"] and jv(.SOCKAUDIT_PACKAGE_STATUS) == [\"modified\"]
                and jv(.SOCKAUDIT_PACKAGE_VERSION) == [\"$NGINX_VER\"]
                and jv(.SOCKAUDIT_EXE_SHA256) == [\"$sha\"]
                and (.MESSAGE | contains(\"policy violation: owner nginx[\"))" \
                "the exe_modified journal entry"
        assert_eq 2 "$(journal_select "$JOURNAL" '.SOCKAUDIT_EVENT == "policy_violation"' | grep -c .)" \
                "policy_violation entries (one per program: master, workers)"
        explain_says modified "/usr/sbin/nginx differs from what $NGINX_PKG $NGINX_VER shipped (modified); sha256 $sha"
}

# AllowPackage=apache2 against the real nginx: package_not_allowed.
test_provenance_policy_package_not_allowed() {
        need_nginx
        write_config 'Ports=443' '[Port 443/tcp]' 'AllowPackage=apache2'
        start_daemon
        start_nginx
        refresh
        wait_until 10 _check_has package_not_allowed || fail "check lists no package_not_allowed: $CHECK"
        assert_eq 1 "$CHECK_rc" "check exit with nginx where apache2 is allowed"
        assert_json "$CHECK" "all(.violations[]; .violation == \"package_not_allowed\" and
                (.reason | endswith(\"not allowed: package $NGINX_PKG is not in AllowPackage\")))" \
                "only package_not_allowed, naming the package"
        run_cap OUT sa check
        assert_contains "$OUT" "package $NGINX_PKG is not in AllowPackage" "check's text"
}

# A copy of the python3 interpreter under /tmp serving 443: not packaged,
# location tmp; exe_not_packaged under RequirePackage=yes, in the journal too.
test_provenance_policy_tmp_interpreter() {
        local copy pid entry
        pick_python
        case $SA_IT_DIR in /tmp/*) ;; *) skip "the test directory $SA_IT_DIR is not under /tmp" ;; esac
        copy=$SA_IT_DIR/python3
        cp "$PY" "$copy" || fail "cp $PY"
        start_journald
        write_config 'Ports=443' '[Port 443/tcp]' 'RequirePackage=yes'
        start_daemon_journal
        start_py "$copy" 443
        pid=$PY_PID
        refresh
        wait_until 10 _verdicts_are not_packaged || fail "the copy is not 'not_packaged': $WHO"
        assert_json "$WHO" "all(.listeners[].owners[]; .exe == \"$copy\" and .exe_location == \"tmp\"
                and .package.name == null and .exe_sha256 == \"$(sha256sum < "$copy" | cut -d' ' -f1)\")" \
                "the copy's record"
        wait_until 10 _check_has exe_not_packaged || fail "check lists no exe_not_packaged: $CHECK"
        assert_eq 1 "$CHECK_rc" "check exit with the copy"
        assert_json "$CHECK" "[.violations[] | select(.violation == \"exe_not_packaged\")][0].reason ==
                \"owner python3[$pid] runs $copy, which no installed package ships (tmp image; RequirePackage=yes)\"" \
                "the exe_not_packaged reason"
        wait_journal 1 '.SOCKAUDIT_VIOLATION == "exe_not_packaged"' 10 || fail "$WAITED"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "exe_not_packaged"' | head -n 1)
        assert_json "$entry" "$JQ_JV .MESSAGE_ID == \"$MID_EXE_NOT_PACKAGED\" and .PRIORITY == \"4\"
                and jv(.SOCKAUDIT_PACKAGE) == [] and jv(.SOCKAUDIT_PACKAGE_STATUS) == [\"not_packaged\"]" \
                "the exe_not_packaged journal entry"
        explain_says "python3 in /tmp" "$copy is not from any installed package, running from $SA_IT_DIR"
}
