#!/usr/bin/env bash
# Starts the Firebird server on 127.0.0.1:3050 when nothing listens there (Debian's package installs it
# but no init system starts it in containers). vsftpd is started by the FTP tests themselves.
set -euo pipefail
listening() { (exec 3<>/dev/tcp/127.0.0.1/3050) 2>/dev/null; }
if listening; then exit 0; fi
/usr/sbin/fbguard -daemon -forever
for _ in $(seq 1 50); do
  if listening; then exit 0; fi
  sleep 0.2
done
echo "The Firebird server did not start on 127.0.0.1:3050 (see /var/log/firebird/firebird3.0.log)" >&2
exit 1
