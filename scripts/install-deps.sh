#!/bin/sh
# Installs the Debian packages sockaudit's build and tests need, only those
# missing, so it costs a few dpkg queries when everything is present.
set -eu

PACKAGES="gcc make pkg-config libc6-dev
libnl-3-dev libssl-dev libsystemd-dev libjansson-dev libinih-dev libcap-dev check
iproute2 jq util-linux procps passwd systemd netbase openssl ca-certificates
debootstrap debian-archive-keyring systemd-container
clang libclang-rt-14-dev valgrind python3
libbpf-dev
libnftnl-dev libmnl-dev libnl-route-3-dev nftables iptables
apache2-bin nginx
scdoc man-db groff-base bash-completion zsh
prometheus prometheus-node-exporter systemd-journal-remote
debhelper lintian"

missing=""
for p in $PACKAGES; do
        if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
                missing="$missing $p"
        fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing packages:$missing (run as root to install them)" >&2
        exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx (tests/integration/test_provenance.sh) is installed, never started:
# invoke-rc.d asks /usr/sbin/policy-rc.d, and 101 means "not allowed".
own_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
[ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
[ "${rc:-0}" -eq 0 ] || exit "$rc"
