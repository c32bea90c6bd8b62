#!/bin/sh
# Installs the Debian packages sockaudit's build and tests need, only those
# missing, so it costs a few dpkg queries when everything is present.
set -eu

PACKAGES="gcc make pkg-config libc6-dev
libnl-3-dev libssl-dev libsystemd-dev libjansson-dev libinih-dev libcap-dev check
iproute2 jq util-linux procps passwd systemd netbase
debootstrap debian-archive-keyring systemd-container
clang libclang-rt-14-dev valgrind python3
libbpf-dev
libnftnl-dev libmnl-dev nftables iptables
apache2-bin"

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
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
