#!/bin/sh
# The test suite drives a real Dovecot IMAP server and a real Chromium; install them from Debian when we can.
missing=""
[ -x /usr/sbin/dovecot ] || missing="$missing dovecot-imapd"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing$missing from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q $missing >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
else
    echo "The tests need$missing: run 'sudo apt-get install -y$missing' and try again." >&2
fi
exit 0
