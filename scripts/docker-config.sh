#!/usr/bin/env bash
# Derives the compose lab's configuration from the loopback lab's: same identities and ports, each
# node on the compose network's address instead of its 127.0.10.x one (docker/docker-compose.yml
# gives every service the address with the same last byte). Usage: docker-config.sh SRC DST
set -euo pipefail
src=${1:-etc/lab}
dst=${2:?destination directory}
net=${LAB_NET:-172.28.10}
mkdir -p "$dst"
for f in "$src"/*.conf; do
    sed -e "s/127\.0\.10\./$net./g" "$f" > "$dst/$(basename "$f")"
done
