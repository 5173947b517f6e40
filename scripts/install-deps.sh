#!/usr/bin/env bash
# Installs the Debian 12 packages the suite builds with and tests against. Idempotent: when every
# package is already installed it only checks (no apt-get update). Needs root to install.
# Usage: install-deps.sh [build] [runtime] [test]   (default: all three sections)
set -euo pipefail
cd "$(dirname "$0")/.."
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(build runtime test)
want=" ${sections[*]} "
mapfile -t pkgs < <(awk -v want="$want" '
    /^\[[a-z]+\]/ { sec = substr($0, 2, index($0, "]") - 2); next }
    /^[[:space:]]*#/ || NF == 0 { next }
    index(want, " " sec " ") { for (i = 1; i <= NF; i++) print $i }' scripts/debian-packages.txt | sort -u)
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
