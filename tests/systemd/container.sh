# The container for tests/systemd/run.sh: the cached Debian base root, a
# fresh copy with `make install`, booted (and rebooted) with systemd-nspawn,
# stopped. Sourced by run.sh, which sets TOP, BUILD, HERE, CACHE_DIR, WORK,
# ROOTDIR, NSPAWN_PID, LEADER, MACHINE and HELPER_DIR.
# shellcheck shell=bash

# The Debian mirror apt uses for SUITE (deb822 .sources, then one-line lists).
apt_mirror() {
        local suite=$1 url
        if [ -n "${SA_SD_MIRROR:-}" ]; then echo "$SA_SD_MIRROR"; return; fi
        url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$suite" '
                BEGIN { RS = ""; FS = "\n" }
                { types = uris = suites = ""
                  for (i = 1; i <= NF; i++) {
                        if ($i ~ /^Types:/) types = $i
                        if ($i ~ /^URIs:/) uris = $i
                        if ($i ~ /^Suites:/) suites = $i
                  }
                  if (types ~ /[ \t]deb([ \t]|$)/ && (" " suites " ") ~ ("[ \t]" s "[ \t]")) {
                        sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit
                  } }')
        [ -n "$url" ] || url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                sed -nE "s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+${suite}[[:space:]].*/\2/p" | head -n 1)
        echo "${url:-http://deb.debian.org/debian}"
}

# Debian packages of the shared libraries the installed binaries need.
lib_packages() {
        local f p
        for f in $(ldd "$BUILD/sockauditd" "$BUILD/sockaudit" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
                p=$(dpkg -S "$f" 2>/dev/null || dpkg -S "$(readlink -f "$f")" 2>/dev/null ||
                        dpkg -S "/usr$f" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null)
                [ -n "$p" ] && echo "${p%%:*}"
        done | sort -u
}

# ensure_base: sets BASE_TAR, building and caching it when missing.
# Returns 0, 77 (archive unreachable: SETUP_WHY says why) or 1 (SETUP_WHY).
SETUP_WHY=
ensure_base() {
        local suite arch mirror include key tmp rc t
        # shellcheck disable=SC1091
        suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
        arch=$(dpkg --print-architecture)
        # procps: /bin/kill for the service's ExecReload.
        # shellcheck disable=SC2046  # one package per word
        include=$(printf '%s\n' systemd systemd-sysv dbus nginx-light iproute2 procps \
                $(lib_packages) |
                sort -u | paste -sd, -)
        key=$(printf 'v1 %s %s minbase %s\n' "$suite" "$arch" "$include" | sha256sum | cut -c1-16)
        BASE_TAR=$CACHE_DIR/base-$suite-$arch-$key.tar
        if [ -f "$BASE_TAR" ]; then
                info "base root: cached $BASE_TAR"
                return 0
        fi
        mirror=$(apt_mirror "$suite")
        info "base root: debootstrap --variant=minbase --include=$include $suite $mirror"
        tmp=$(mktemp -d "$CACHE_DIR/tmp.XXXXXX")
        t=$SECONDS
        timeout -k 5 "$(scaled 150)" debootstrap --variant=minbase --include="$include" "$suite" "$tmp/root" "$mirror" \
                > "$tmp/debootstrap.log" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ]; then
                SETUP_WHY="debootstrap $suite from $mirror failed (rc $rc): $(grep -E '^[EW]:' "$tmp/debootstrap.log" | tail -n 1)"
                tail -n 15 "$tmp/debootstrap.log" | sed 's/^/    | /'
                if [ "$rc" -eq 124 ] || grep -qiE "couldn't download|failed getting release|temporary failure|could not resolve|connection (refused|timed out)|unable to connect|network is unreachable|no route to host|failed to fetch|couldn't find these debs" "$tmp/debootstrap.log"; then
                        SETUP_WHY="cannot reach the Debian archive: $SETUP_WHY"
                        rm -rf "$tmp"; return 77
                fi
                rm -rf "$tmp"; return 1
        fi
        tar -C "$tmp/root" --numeric-owner --xattrs --xattrs-include='*' -cpf "$tmp/base.tar" . &&
                rm -f "$CACHE_DIR"/base-*.tar && mv "$tmp/base.tar" "$BASE_TAR"
        rc=$?
        rm -rf "$tmp"
        [ "$rc" -eq 0 ] || { SETUP_WHY="could not write $BASE_TAR"; return 1; }
        info "base root: built in $((SECONDS - t)) s, cached as $BASE_TAR ($(du -m "$BASE_TAR" | cut -f1) MiB)"
}

# A fresh root: the cached base, `make install`, the test's own files.
prepare_root() {
        local prefix
        ROOTDIR=$WORK/root
        if ! mkdir "$ROOTDIR" ||
           ! tar -C "$ROOTDIR" --numeric-owner --xattrs --xattrs-include='*' -xpf "$BASE_TAR"; then
                SETUP_WHY="cannot unpack $BASE_TAR"; return 1
        fi
        # The PREFIX of README.md's install line.
        prefix=$(grep -m 1 -E '^make .*make install' "$TOP/README.md" | sed -nE 's/.*make install.* PREFIX=([^ ]+).*/\1/p')
        [ -n "$prefix" ] || { SETUP_WHY="README.md has no line 'make ... make install ... PREFIX=...'"; return 1; }
        if ! make -C "$TOP" --no-print-directory BUILD="$BUILD" install DESTDIR="$ROOTDIR" PREFIX="$prefix" \
                > "$WORK/install.log" 2>&1; then
                tail -n 15 "$WORK/install.log" | sed 's/^/    | /'
                SETUP_WHY="make install DESTDIR=$ROOTDIR PREFIX=$prefix failed"
                return 1
        fi
        install -D -m 0755 "$BUILD/tests/helpers/sa-listen" "$ROOTDIR$HELPER_DIR/sa-listen" ||
                { SETUP_WHY="no $BUILD/tests/helpers/sa-listen (make tests)"; return 1; }
        # nginx: 443 without TLS, three workers.
        sed -i -E 's/^([[:space:]]*worker_processes)[[:space:]].*/\1 3;/' "$ROOTDIR/etc/nginx/nginx.conf"
        cp "$HERE/nginx-443.conf" "$ROOTDIR/etc/nginx/conf.d/sa-test-443.conf"
        # nginx: TLS on 4443 with self-signed certificates made here; a
        # second nginx serves the other one in its own namespace (check_tls_probe).
        for c in sa-test sa-test-ns; do
                openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$c.example" \
                        -keyout "$ROOTDIR/etc/nginx/$c.key" -out "$ROOTDIR/etc/nginx/$c.crt" > "$WORK/openssl.log" 2>&1 ||
                        { SETUP_WHY="openssl req failed: $(tail -n 1 "$WORK/openssl.log")"; return 1; }
        done
        cp "$HERE/nginx-tls.conf" "$ROOTDIR/etc/nginx/conf.d/sa-test-tls.conf"
        cp "$HERE/nginx-tls-ns.conf" "$ROOTDIR/etc/nginx/sa-test-ns.conf"
        # A socket-activated service: PID 1 listens on 8443, sleep holds the fd.
        cp "$HERE/test.socket" "$HERE/test.service" "$ROOTDIR/etc/systemd/system/"
}

boot() {
        systemd-nspawn -q -b -D "$ROOTDIR" --machine="$MACHINE" --register=no --keep-unit \
                --console=pipe --private-network > "$WORK/nspawn.log" 2>&1 < /dev/null 9>&- &
        NSPAWN_PID=$!
        wait_until -w "systemd-nspawn's child" 20 nspawn_child
        if [ -z "$LEADER" ]; then
                SETUP_WHY="systemd-nspawn cannot start a container here: $(tail -n 3 "$WORK/nspawn.log" | paste -sd' ')"
                return 77
        fi
        wait_until -w "the container's systemd (/run/systemd/private)" 60 container_systemd_up
        [ -n "$LEADER" ] && [ -S "/proc/$LEADER/root/run/systemd/private" ] && return 0
        SETUP_WHY="the container's systemd did not come up (no /run/systemd/private): $(tail -n 3 "$WORK/nspawn.log" | paste -sd' ')"
        return 1
}

# nspawn_child: LEADER is a child of systemd-nspawn (true too once nspawn
# is gone: nothing more to wait for).
nspawn_child() {
        LEADER=$(ps --ppid "$NSPAWN_PID" -o pid= 2>/dev/null | head -n 1 | tr -d ' ')
        [ -n "$LEADER" ] || nspawn_gone
}

# container_systemd_up: LEADER is nspawn's child running systemd, with its
# private socket (nspawn's child is still "systemd-nspawn" until it execs
# the container's init). True too once nspawn is gone: nothing more to
# wait for (boot looks again).
container_systemd_up() {
        LEADER=$(ps --ppid "$NSPAWN_PID" -o pid=,comm= 2>/dev/null |
                 awk '$2 == "systemd" { print $1; exit }')
        [ -n "$LEADER" ] && [ -S "/proc/$LEADER/root/run/systemd/private" ] && return 0
        nspawn_gone
}

nspawn_gone() { ! kill -0 "$NSPAWN_PID" 2>/dev/null; }

# reboot_container: the container powered off and booted again on the same
# root: a new init in LEADER, a new boot id from systemd-nspawn. (Its own
# reboot loop, `systemctl reboot` inside, refuses to clear
# /run/systemd/nspawn/propagate when the host's /run is not a tmpfs, as on
# a host whose PID 1 is not systemd.) 0, else as boot().
reboot_container() {
        stop_container
        boot
}

remove_cgroup_leftovers() {
        local d
        for d in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
                for s in supervisor payload; do
                        [ -d "$d/$s" ] && find "$d/$s" -depth -type d -exec rmdir {} + 2>/dev/null
                done
        done
        # Another container's nspawn may still use it.
        pgrep -x systemd-nspawn >/dev/null || rm -rf /run/systemd/nspawn
}

# stop_container: poweroff, else SIGTERM, else SIGKILL; then cgroup leftovers.
stop_container() {
        local t=$SECONDS
        if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
                [ -n "$LEADER" ] && CT_TIMEOUT=10 ct systemctl poweroff --no-block >/dev/null 2>&1
                if ! wait_until -w "the container to power off" 15 nspawn_gone; then
                        info "container did not power off: SIGTERM to systemd-nspawn $NSPAWN_PID"
                        kill -TERM "$NSPAWN_PID" 2>/dev/null
                        wait_until -w "systemd-nspawn to end on SIGTERM" 10 nspawn_gone
                fi
                if kill -0 "$NSPAWN_PID" 2>/dev/null; then
                        info "SIGKILL to systemd-nspawn $NSPAWN_PID and the container's init $LEADER"
                        [ -n "$LEADER" ] && kill -KILL "$LEADER" 2>/dev/null
                        kill -KILL "$NSPAWN_PID" 2>/dev/null
                fi
                wait "$NSPAWN_PID" 2>/dev/null
                info "container stopped in $((SECONDS - t)) s"
        fi
        if [ -n "$NSPAWN_PID" ]; then
                remove_cgroup_leftovers
        fi
        NSPAWN_PID=
        LEADER=
}

# boot_diagnose: what a container that did not come up is doing.
boot_diagnose() {
        info "boot diagnosis: nspawn $NSPAWN_PID children: $(ps --ppid "$NSPAWN_PID" -o pid=,stat=,comm= 2>/dev/null | paste -sd' ')"
        [ -n "$LEADER" ] || return 0
        info "  init $LEADER: $(grep -E '^State' "/proc/$LEADER/status" 2>/dev/null | paste -sd' '); children: $(ps --ppid "$LEADER" -o comm= 2>/dev/null | paste -sd' ')"
        info "  /run/systemd in it: $(ls "/proc/$LEADER/root/run/systemd" 2>/dev/null | paste -sd' ')"
        info "  nspawn log: $(tail -n 5 "$WORK/nspawn.log" 2>/dev/null | paste -sd' ')"
}
