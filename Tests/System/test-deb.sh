#!/usr/bin/env bash
# The Debian package under a real systemd (runs INSIDE systemd-sandbox.sh, /sandbox holds dutyd_*.deb):
# install (postinst: user, catalog, enable --now dutyd.socket), start, remove (prerm stops), purge.
set -u
FAILS=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
show() { systemctl show -p "$2" --value "$1"; }
deb=$(ls /sandbox/dutyd_*.deb)
echo "== dpkg -i ${deb##*/}"
dpkg -i "$deb" && pass "dpkg -i" || fail "dpkg -i"
dpkg -s dutyd | grep -E '^(Status|Version|Depends):'
id dutyd >/dev/null 2>&1 && pass "postinst created user dutyd" || fail "no dutyd user"
[ "$(show dutyd.socket ActiveState)" = active ] && [ "$(systemctl is-enabled dutyd.socket)" = enabled ] &&
    pass "postinst enabled and started dutyd.socket" || fail "dutyd.socket not enabled+active"
journalctl --list-catalog 2>/dev/null | grep -q c8ef11574ca845e598cf40969ac09226 && pass "catalog updated" || fail "catalog"
man -w dutyd 2>/dev/null | grep -q 'dutyd.8.gz' && pass "man dutyd: $(man -w dutyd)" || echo "(man-db index not consulted: $(ls /usr/share/man/man8/dutyd.8.gz))"
systemctl start dutyd.service && sleep 1
[ "$(show dutyd.service SubState)" = running ] && pass "dutyd.service running: '$(show dutyd.service StatusText)'" ||
    { fail "dutyd.service not running"; journalctl -u dutyd --no-pager -n 20; }
echo "== dpkg -r dutyd"
dpkg -r dutyd && pass "dpkg -r" || fail "dpkg -r"
[ "$(show dutyd.service ActiveState)" = inactive ] && [ "$(show dutyd.socket ActiveState)" = inactive ] &&
    pass "prerm stopped the service and the socket" || fail "still active after removal"
left=$(ls /usr/sbin/dutyd /usr/bin/dutyctl /usr/lib/systemd/system/dutyd.service /usr/share/dutyd 2>/dev/null)
[ -z "$left" ] && pass "package files removed" || fail "left: $left"
[ -d /var/lib/dutyd ] || [ -d /var/lib/private/dutyd ] && echo "state kept until purge: $(ls -d /var/lib/dutyd)"
dpkg -P dutyd >/dev/null && [ ! -e /var/lib/dutyd ] && pass "dpkg -P purged /var/lib/dutyd" || fail "purge"
echo "== $FAILS failure(s)"
exit "$FAILS"
