#!/usr/bin/env bash
# Installs what Fleet needs on a Debian machine, then only what is missing:
#   scripts/setup.sh          the packages to run Fleet and its demo
#   scripts/setup.sh --test   also PostgreSQL, Chromium and zbar for the test suite
# Debian packages via apt-get (as root, or through sudo), Python packages into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential python3-dev libldap-dev libsasl2-dev slapd ldap-utils fonts-nanum poppler-utils poppler-data)
if [ "${1:-}" = "--test" ]; then
  packages+=(postgresql zbar-tools chromium samba samba-ad-dc samba-ad-provision ldb-tools libnss3-tools stress-ng)
fi
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Keep the slapd package from starting a system-wide daemon: Fleet starts its own.
  $sudo mkdir -p /etc/ldap && $sudo touch /etc/ldap/noslapd
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
