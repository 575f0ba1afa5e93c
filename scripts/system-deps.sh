#!/bin/sh
# The test suite drives a real Dovecot IMAP server and a real Chromium, and verifies the unit files with
# systemd-analyze; install them from Debian when we can. systemd goes in on its own apt-get call, so a problem
# with it never keeps Dovecot or Chromium out (its test then fails and says so).
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
elif [ -n "$missing$optional" ]; then
    echo "The tests need$missing $optional: run 'sudo apt-get install -y$missing $optional' and try again." >&2
fi
exit 0
