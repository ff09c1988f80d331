#!/usr/bin/env bash
# Builds dutyd_<version>_<arch>.deb with dpkg-deb from the same install rules as `make install`:
# `make install-files PREFIX=/usr DESTDIR=<tree>`, then DEBIAN/{control,postinst,prerm,postrm}, compressed man
# pages and the copyright file. Output: $(RELEASE_SCRATCH)/deb/ (default .build-release/deb/).
set -eu
cd "$(dirname "$0")/../.."
OUT=${DEB_OUT:-$PWD/.build-release/deb}
VERSION=$(.build-release/release/dutyd --version | tr -d '[:space:]')
case $VERSION in [0-9]*) ;; *) VERSION="0.0.0~$(git rev-parse --short HEAD 2>/dev/null || echo local)" ;; esac
ARCH=$(dpkg --print-architecture)
TREE=$OUT/dutyd_${VERSION}_$ARCH
rm -rf "$TREE"; mkdir -p "$TREE"
make --no-print-directory install-files PREFIX=/usr DESTDIR="$TREE" >/dev/null
gzip -9n "$TREE/usr/share/man/man8/dutyd.8" "$TREE/usr/share/man/man1/dutyctl.1"
install -d "$TREE/usr/share/doc/dutyd"
install -m 0644 packaging/deb/copyright "$TREE/usr/share/doc/dutyd/copyright"
install -m 0644 docs/operations.md "$TREE/usr/share/doc/dutyd/operations.md"

# The binaries' direct shared libraries (the Swift runtime is linked statically) -> the packages that own them
# (dpkg -S on the path ldd resolves, or on its /usr-merged twin).
owner() {
    local p=$1
    dpkg -S "$p" 2>/dev/null || dpkg -S "${p#/usr}" 2>/dev/null || dpkg -S "/usr$p" 2>/dev/null ||
        dpkg -S "$(realpath "$p")" 2>/dev/null
}
DEPENDS=$(for b in "$TREE/usr/sbin/dutyd" "$TREE/usr/bin/dutyctl"; do
        for lib in $(objdump -p "$b" | awk '$1 == "NEEDED" {print $2}'); do
            path=$(ldd "$b" | awk -v l="$lib" '$1 == l && $3 ~ /^\// {print $3}')
            [ -n "$path" ] && owner "$path" | head -n1 | cut -d: -f1
        done
    done | sort -u | paste -sd, | sed 's/,/, /g')
[ -n "$DEPENDS" ] || { echo "build-deb: could not compute the dependencies" >&2; exit 1; }
install -d -m 0755 "$TREE/DEBIAN"
cat >"$TREE/DEBIAN/control" <<CONTROL
Package: dutyd
Version: $VERSION
Architecture: $ARCH
Maintainer: dutyd maintainers <root@localhost>
Section: admin
Priority: optional
Depends: ${DEPENDS:-libc6}, systemd (>= 247)
Recommends: mail-reader | mutt | s-nail
Installed-Size: $(du -sk --exclude=DEBIAN "$TREE" | cut -f1)
Description: systemd-native scheduling and reminder daemon
 dutyd reads schedule files (duties, people, roles, workday calendars) and,
 when a duty comes due, writes a structured journald entry and delivers a
 mail to the responsible people's local mailboxes. Ships the 2018 Kunming
 poverty-alleviation work plan as its default schedule, the dutyctl client,
 hardened systemd units with socket activation, and a journal catalog.
CONTROL
for f in postinst prerm postrm; do install -m 0755 "packaging/deb/$f" "$TREE/DEBIAN/$f"; done
( cd "$TREE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs md5sum ) >"$TREE/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zgzip --build "$TREE" "$OUT/dutyd_${VERSION}_$ARCH.deb"
dpkg-deb --info "$OUT/dutyd_${VERSION}_$ARCH.deb" | sed -n '/Package:/,$p'
echo "built $OUT/dutyd_${VERSION}_$ARCH.deb"
