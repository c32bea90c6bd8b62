# The checks of tests/systemd/run.sh about the Debian package: lintian on
# it, then in a container of its own (a fresh copy of the cached base
# root, booted like the first one) `apt install ./sockaudit_*.deb`, a
# query by a member of the group, an upgrade, `apt purge`, and the install
# again.
# Sourced by run.sh (ct, prop, bad, boot, stop_container, ...).
# shellcheck shell=bash disable=SC2034  # NOTE and WHY are read by run.sh

DEB_FILE='' DEB_WHY='' DEB_RC=0 DEB_CT=''
DEB_IN_CT=/root          # where the .deb is in the container
DEB_MEMBER=sa-member DEB_OTHER=sa-other
DEB_CATALOG_ID=8aabb5f5dc6b450db79ed1fe4a2edec8   # the policy violation's

# build_deb: the package, by scripts/build-deb.sh (what `make deb` runs)
# into $BUILD/deb, without the unit suites (make check runs them). Sets
# DEB_FILE, else DEB_WHY and DEB_RC (77: no dpkg-buildpackage or debhelper).
build_deb() {
        local log=$BUILD/deb-build.log t=$SECONDS
        mkdir -p "$BUILD"
        DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" "$TOP/scripts/build-deb.sh" "$BUILD/deb" > "$log" 2>&1
        DEB_RC=$?
        if [ "$DEB_RC" -ne 0 ]; then
                DEB_WHY="scripts/build-deb.sh: $(tail -n 1 "$log")"
                [ "$DEB_RC" -eq 77 ] || tail -n 20 "$log" | sed 's/^/    | /'
                return
        fi
        local debs=("$BUILD"/deb/sockaudit_*.deb)
        [ -f "${debs[0]}" ] && DEB_FILE=${debs[0]}
        [ -n "$DEB_FILE" ] || { DEB_RC=1 DEB_WHY="scripts/build-deb.sh made no $BUILD/deb/sockaudit_*.deb"; return; }
        info "$(tail -n 1 "$log") (this run: $((SECONDS - t)) s)"
}

# deb_ready: 0 when the package was built, else WHY set and 77 or 1.
deb_ready() {
        [ -n "$DEB_FILE" ] && return 0
        WHY=$DEB_WHY
        [ "$DEB_RC" -eq 77 ] && return 77
        return 1
}

check_deb_lintian() {
        local out rc
        deb_ready || return
        command -v lintian >/dev/null || { WHY="lintian is missing (make deps installs it)"; return 77; }
        out=$(lintian --pedantic --fail-on error "${DEB_FILE%.deb}.changes" 2>&1); rc=$?
        echo "lintian --pedantic: rc=$rc"; echo "$out"
        [ "$rc" -eq 0 ] || bad "lintian failed (rc $rc): $(grep '^E:' <<<"$out" | head -n 3 | paste -sd' ')"
        grep -q '^E:' <<<"$out" && bad "lintian errors: $(grep -c '^E:' <<<"$out")"
        # Each warning left is explained in debian/README.source.
        local tag
        while read -r tag; do
                [ -z "$tag" ] || grep -q "$tag" "$TOP/debian/README.source" ||
                        bad "lintian's $tag is not explained in debian/README.source"
        done < <(sed -nE 's/^[WIP]: [^ ]+: ([a-z0-9.+-]+).*/\1/p' <<<"$out" | sort -u)
        NOTE="no errors; $(grep -c '^W:' <<<"$out") warnings, $(grep -c '^I:' <<<"$out") info, each in debian/README.source"
        [ -z "$WHY" ]
}

# deb_fetch_deps: the packages `apt install` of the .deb would add to the
# container (it has no network), downloaded on the host by its apt into
# CACHE_DIR/debs (kept for the next run) and put in the container's
# /var/cache/apt/archives, with the host's package lists: apt in the
# container then resolves as it would online and downloads nothing.
deb_fetch_deps() {
        local wants w name ver file=()
        rm -f "$ROOTDIR"/etc/apt/sources.list "$ROOTDIR"/etc/apt/sources.list.d/*
        cp -a /etc/apt/sources.list /etc/apt/sources.list.d "$ROOTDIR/etc/apt/" 2>/dev/null
        find /var/lib/apt/lists -maxdepth 1 -type f \( -name '*Packages*' -o -name '*Release*' \) \
                -exec cp -t "$ROOTDIR/var/lib/apt/lists/" {} +
        wants=$(CT_TIMEOUT=60 ct apt-get install -s -y "$DEB_IN_CT/$(basename "$DEB_FILE")" 2>&1 |
                sed -nE 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p' | grep -v '^sockaudit=')
        echo "apt install would add: $(paste -sd' ' <<<"$wants")"
        mkdir -p "$CACHE_DIR/debs"
        for w in $wants; do
                name=${w%%=*} ver=${w#*=}
                file=("$CACHE_DIR/debs/${name}_${ver/:/%3a}_"*.deb)
                if [ ! -f "${file[0]}" ]; then
                        (cd "$CACHE_DIR/debs" && timeout -k 5 "$(scaled 60)" apt-get download -q "$w") >&2 ||
                                { WHY="cannot download $w from the Debian archive (apt-get download)"; return 77; }
                        file=("$CACHE_DIR/debs/${name}_${ver/:/%3a}_"*.deb)
                fi
                cp "${file[0]}" "$ROOTDIR/var/cache/apt/archives/" || { WHY="no $w in $CACHE_DIR/debs"; return 1; }
        done
}

# deb_field NAME: the package's dpkg field NAME in the container.
deb_field() { ct dpkg-query -W -f="\${$1}" sockaudit; }

# deb_state: "service ACTIVE/ENABLED socket ACTIVE/ENABLED".
deb_state() {
        printf 'service %s/%s socket %s/%s\n' \
                "$(ct systemctl is-active sockauditd.service)" "$(ct systemctl is-enabled sockauditd.service 2>/dev/null)" \
                "$(ct systemctl is-active sockauditd.socket)" "$(ct systemctl is-enabled sockauditd.socket 2>/dev/null)"
}

# deb_apt_install: `apt install ./sockaudit_*.deb` in the container; then
# the group, the socket enabled and listening, nothing started.
DEB_GID=''
deb_apt_install() {
        local out rc t=$SECONDS st
        out=$(CT_TIMEOUT=180 ct env DEBIAN_FRONTEND=noninteractive sh -c \
                "cd $DEB_IN_CT && apt install -y ./sockaudit_*.deb" 2>&1); rc=$?
        echo "apt install ./sockaudit_*.deb: rc=$rc in $((SECONDS - t)) s"; echo "$out" | tail -n 25
        [ "$rc" -eq 0 ] || { bad "apt install exited $rc: $(grep -E '^(E|W):' <<<"$out" | head -n 2 | paste -sd' ')"; return 1; }
        DEB_APT_S=$((SECONDS - t))
        st=$(deb_field Status)
        [ "$st" = "install ok installed" ] || bad "dpkg says '$st'"
        DEB_GID=$(ct getent group sockaudit | cut -d: -f3)
        [ -n "$DEB_GID" ] || bad "no group sockaudit after the install (sysusers)"
        st=$(deb_state); echo "$st"
        [ "$st" = "service inactive/disabled socket active/enabled" ] ||
                bad "after the install: $st (expected service inactive/disabled socket active/enabled)"
        ct pgrep -x sockauditd && bad "a sockauditd process runs before any query"
        st=$(ct stat -c '%a %U:%G' /run/sockaudit/sockaudit.sock)
        [ "$st" = "660 root:sockaudit" ] || bad "control socket is '$st', expected '660 root:sockaudit'"
}

check_deb_install() {
        local out rc
        deb_ready || return
        stop_container
        ROOTDIR=$WORK/deb-root
        if ! mkdir "$ROOTDIR" ||
           ! tar -C "$ROOTDIR" --numeric-owner --xattrs --xattrs-include='*' -xpf "$BASE_TAR"; then
                bad "cannot unpack $BASE_TAR"; return 1
        fi
        cp "$DEB_FILE" "$ROOTDIR$DEB_IN_CT/" || { bad "cannot copy $DEB_FILE"; return 1; }
        boot; rc=$?
        if [ "$rc" -ne 0 ]; then WHY="the container did not boot: $SETUP_WHY"; return "$rc"; fi
        out=$(CT_TIMEOUT=90 ct systemctl is-system-running --wait 2>&1)
        echo "fresh container: init $LEADER, $out"
        deb_fetch_deps || return
        DEB_CT=up
        deb_apt_install
        out=$(deb_field Conffiles)
        grep -q '^ /etc/sockaudit/sockauditd.conf ' <<<"$out" || bad "/etc/sockaudit/sockauditd.conf is no conffile: $out"
        ct journalctl --list-catalog --no-pager | grep -q "^$DEB_CATALOG_ID " ||
                bad "the catalog is not in journalctl --list-catalog (systemd's trigger)"
        DEB_SIZE=$(deb_field Installed-Size)
        NOTE="apt install in ${DEB_APT_S:-?} s, installed size $DEB_SIZE KiB; socket active+enabled, service inactive+disabled, group gid $DEB_GID, conffile, catalog"
        [ -z "$WHY" ]
}

# as_user USER CMD...: CMD in the container as USER with USER's groups.
as_user() { local u=$1; shift; ct setpriv --reuid="$u" --regid="$u" --init-groups "$@"; }

# deb_member_query: a member of the group lists, which starts the daemon.
deb_member_query() {
        local out rc
        out=$(as_user "$DEB_MEMBER" sockaudit list --json); rc=$?
        echo "$DEB_MEMBER: sockaudit list --json: rc=$rc $(head -c 300 <<<"$out")"
        [ "$rc" -eq 0 ] || { bad "sockaudit list as $DEB_MEMBER (group sockaudit) exited $rc"; return 1; }
        jq -e '.listeners | length > 0' <<<"$out" >/dev/null || bad "sockaudit list as $DEB_MEMBER listed nothing (nginx listens on 80)"
        out=$(deb_state)
        [[ "$out" == "service active/"* ]] || bad "the first query did not start the service: $out"
}

check_deb_query() {
        local out rc
        [ -n "$DEB_CT" ] || { WHY="no container with the package (deb_install)"; return 77; }
        ct useradd -m -G sockaudit "$DEB_MEMBER" || bad "useradd -G sockaudit $DEB_MEMBER failed"
        ct useradd -m "$DEB_OTHER" || bad "useradd $DEB_OTHER failed"
        deb_member_query
        out=$(CT_TIMEOUT=10 as_user "$DEB_OTHER" sockaudit status --timeout 3 2>&1); rc=$?
        echo "$DEB_OTHER (no group): sockaudit status: rc=$rc $out"
        [ "$rc" -eq 3 ] || bad "sockaudit status as $DEB_OTHER (not in the group) exited $rc (expected 3)"
        out=$(ct sockaudit status --json); rc=$?
        echo "root: sockaudit status --json: rc=$rc $(jq -c '{socket_activated, scan_method}' <<<"$out" 2>/dev/null)"
        [ "$rc" -eq 0 ] || bad "sockaudit status as root exited $rc"
        [ "$(jq -r .socket_activated <<<"$out" 2>/dev/null)" = true ] || bad "the daemon does not use the socket from systemd"
        ct sockaudit list > /dev/null || bad "sockaudit list as root failed"
        NOTE="a member's list started the daemon (socket-activated); a non-member gets exit 3; root queries"
        [ -z "$WHY" ]
}

# An upgrade (the same .deb again: preinst upgrade, postinst configure
# with the old version) with the daemon running: it is restarted on the
# new binaries, the socket keeps listening, the admin's config stays.
check_deb_upgrade() {
        local pid0 pid out rc sock0 conf=/etc/sockaudit/sockauditd.conf
        [ -n "$DEB_CT" ] || { WHY="no container with the package (deb_install)"; return 77; }
        pid0=$(prop sockauditd.service MainPID)
        sock0=$(prop sockauditd.socket ActiveEnterTimestampMonotonic)
        [ "${pid0:-0}" != 0 ] || { bad "the daemon does not run before the upgrade"; return 1; }
        ct sh -c "printf '[Daemon]\nScanInterval=10s\n' >> $conf" || bad "cannot edit $conf"
        out=$(CT_TIMEOUT=180 ct env DEBIAN_FRONTEND=noninteractive sh -c \
                "cd $DEB_IN_CT && apt install -y --reinstall ./sockaudit_*.deb" 2>&1); rc=$?
        echo "apt install --reinstall: rc=$rc"; echo "$out" | tail -n 8
        [ "$rc" -eq 0 ] || { bad "apt install --reinstall exited $rc"; return 1; }
        out=$(deb_state); pid=$(prop sockauditd.service MainPID)
        echo "$out; MainPID $pid0 -> $pid"
        [ "$out" = "service active/disabled socket active/enabled" ] || bad "after the upgrade: $out"
        if [ "${pid:-0}" = 0 ] || [ "$pid" = "$pid0" ]; then bad "the daemon was not restarted (MainPID $pid0 -> $pid)"; fi
        [ "$(prop sockauditd.socket ActiveEnterTimestampMonotonic)" = "$sock0" ] ||
                bad "the socket was restarted (it went down with the daemon)"
        ct grep -qx 'ScanInterval=10s' "$conf" || bad "the upgrade dropped the admin's change to $conf"
        [ "$(ct sockaudit status --json | jq -r .socket_activated)" = true ] || bad "no answer, or not from systemd's socket"
        NOTE="daemon restarted (pid $pid0 -> $pid), socket kept listening, the edited conffile kept"
        [ -z "$WHY" ]
}

check_deb_purge() {
        local files=() out rc left
        [ -n "$DEB_CT" ] || { WHY="no container with the package (deb_install)"; return 77; }
        mapfile -t files < <(ct dpkg -L sockaudit)
        out=$(CT_TIMEOUT=120 ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y sockaudit 2>&1); rc=$?
        echo "apt-get purge -y sockaudit: rc=$rc"; echo "$out" | tail -n 12
        [ "$rc" -eq 0 ] || { bad "apt purge exited $rc"; return 1; }
        out=$(deb_field Status 2>/dev/null)
        case $out in ''|*not-installed) ;; *) bad "dpkg says '$out' after the purge" ;; esac
        # What the package shipped is gone (a directory stays when it holds
        # others' files or another package owns it: /usr/bin, /lib), and so
        # is what the daemon, systemd and deb-systemd-helper made.
        # shellcheck disable=SC2016  # expanded in the container
        left=$(ct sh -c 'for f; do
                        [ "$f" = /. ] && continue
                        { [ -e "$f" ] || [ -L "$f" ]; } || continue
                        if [ -d "$f" ]; then
                                [ -n "$(ls -A "$f")" ] && continue
                                dpkg-query -S "$f" >/dev/null 2>&1 && continue
                        fi
                        echo "$f"
                done
                find /etc /var/lib /run /lib/systemd /usr/lib/systemd -name "*sockaudit*" 2>/dev/null
                find / /run /tmp -xdev -group sockaudit 2>/dev/null' sh "${files[@]}" | sort -u)
        echo "left after the purge:"; echo "${left:-(nothing)}"
        [ -z "$left" ] || bad "left after the purge: $(paste -sd' ' <<<"$left" | cut -c1-300)"
        out=$(deb_state); echo "$out"
        [[ "$out" == "service inactive/"*" socket inactive/"* ]] || bad "units after the purge: $out"
        for u in sockauditd.service sockauditd.socket; do
                [ "$(prop "$u" LoadState)" = not-found ] || bad "$u is still loaded ($(prop "$u" LoadState))"
        done
        ct pgrep -x sockauditd && bad "sockauditd still runs after the purge"
        ct journalctl --list-catalog --no-pager | grep -q "^$DEB_CATALOG_ID " &&
                bad "the catalog's entries are still in journalctl --list-catalog"
        # As designed (debian/README.source): the group stays, same gid.
        out=$(ct getent group sockaudit | cut -d: -f3)
        [ "$out" = "$DEB_GID" ] || bad "group sockaudit after the purge: gid '$out' (expected it kept: $DEB_GID)"
        NOTE="${#files[@]} paths of dpkg -L gone, state, /run and /etc/sockaudit gone, units not-found, catalog entries gone, group kept (gid $DEB_GID)"
        [ -z "$WHY" ]
}

check_deb_reinstall() {
        local gid0=$DEB_GID
        [ -n "$DEB_CT" ] || { WHY="no container with the package (deb_install)"; return 77; }
        deb_apt_install || return 1
        [ "$DEB_GID" = "$gid0" ] || bad "group sockaudit's gid changed: $gid0 -> $DEB_GID"
        deb_member_query
        NOTE="apt install in ${DEB_APT_S:-?} s: socket active, service started by $DEB_MEMBER's query, same gid $DEB_GID"
        [ -z "$WHY" ]
}
