#!/usr/bin/env bash
# Installs the Debian 12 packages the suite builds with and tests against. Idempotent: when every
# package is already installed it only checks (no apt-get update). Needs root to install.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t pkgs < <(grep -v '^\s*#' scripts/debian-packages.txt | tr -s ' \t' '\n' | grep -v '^$')
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: not root; run as root or install them with apt-get" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/wtpf-suite-apt.log 2>&1 || {
    tail -30 /tmp/wtpf-suite-apt.log >&2
    exit 1
}
echo "install-deps: done"
