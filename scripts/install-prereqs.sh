#!/usr/bin/env bash
# Installs what HeitzSync needs on Debian 12: the Firebird client, embedded engine and tools,
# the Firebird server (for server-mode tests), vsftpd and openssl (FTP/FTPS tests), systemd (systemd-analyze
# verifies the generated timer units).
# Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail
packages=(firebird3.0-server-core firebird3.0-utils libfbclient2 firebird3.0-server vsftpd openssl curl iproute2 faketime systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
# The Firebird server package asks for a SYSDBA password; noninteractive keeps its generated one
# (in /etc/firebird/3.0/SYSDBA.password).
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
