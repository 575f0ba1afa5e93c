#!/bin/sh
# The test suite drives a real Dovecot IMAP server and a real Chromium; install them from Debian when we can.
# systemd (for `systemd-analyze verify` of deploy/systemd) is optional: installed on its own, so a failure there
# never keeps Dovecot or Chromium out, and the unit test skips without it.
missing=""
[ -x /usr/sbin/dovecot ] || missing="$missing dovecot-imapd"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
optional=""
[ -x /usr/bin/systemd-analyze ] || optional="systemd"
[ -z "$missing$optional" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    for packages in "$missing" "$optional"; do
        [ -n "$packages" ] || continue
        echo "Installing $packages from Debian's packages"
        apt-get install -y -q $packages >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q $packages >/dev/null; }
    done
elif [ -n "$missing" ]; then
    echo "The tests need$missing: run 'sudo apt-get install -y$missing' and try again." >&2
fi
exit 0
