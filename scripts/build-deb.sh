#!/bin/sh
# Builds the Debian package (`make deb`): a copy of the source tree (the
# files git knows, committed or not; or every file but build*/ outside a
# git checkout) in OUTDIR/sockaudit-VERSION/, then `dpkg-buildpackage -us
# -uc -b` there, so the tree itself stays clean. The .deb, .buildinfo and
# .changes land in OUTDIR, the log in OUTDIR/build.log.
#
#   scripts/build-deb.sh OUTDIR
#
# Nothing is rebuilt when OUTDIR's .deb is newer than every file of the
# same list. DEB_BUILD_OPTIONS is passed on (default: parallel=NPROC);
# exit 77 when dpkg-buildpackage or debhelper is missing.
set -eu

out=${1:?usage: scripts/build-deb.sh OUTDIR}
cd "$(dirname "$0")/.."
for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$tool" >/dev/null || {
		echo "build-deb: $tool is missing (make deps installs debhelper and dpkg-dev)" >&2; exit 77; }
done
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
lib_version=$(sed -n 's/^#define SA_VERSION "\(.*\)"$/\1/p' lib/include/sockaudit.h)
if [ "${version%%-*}" != "$lib_version" ]; then
	echo "build-deb: debian/changelog says $version, lib/include/sockaudit.h SA_VERSION $lib_version" >&2
	exit 1
fi
deb=$out/sockaudit_${version}_$arch.deb
mkdir -p "$out"
case $out in /*) ;; *) out=$(pwd)/$out deb=$(pwd)/$deb ;; esac

# The sources: what git tracks or would (not ignored), still on disk.
list=$out/files.new
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh > "$list"
else
	find . -path './build*' -prune -o -type f -print | sed 's|^\./||' > "$list"
fi
LC_ALL=C sort -o "$list" "$list"
if [ -f "$deb" ] && cmp -s "$list" "$out/files.txt" &&
   [ -z "$(tr '\n' '\0' < "$list" | xargs -0 -r sh -c 'find "$@" -newer "$0" -print' "$deb" | head -n 1)" ]; then
	rm -f "$list"
	echo "build-deb: $deb is up to date"
	exit 0
fi
mv "$list" "$out/files.txt"

src=$out/sockaudit-$version
rm -rf "$src" "$out"/sockaudit_* "$out"/sockaudit-dbgsym_*
mkdir -p "$src"
tr '\n' '\0' < "$out/files.txt" | xargs -0 cp --parents -p -t "$src"
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}"
echo "build-deb: dpkg-buildpackage -us -uc -b in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed: $out/build.log" >&2
	exit 1
fi
rm -rf "$src"
echo "build-deb: $deb ($(du -k "$deb" | cut -f1) KiB) in $(($(date +%s) - start)) s"
