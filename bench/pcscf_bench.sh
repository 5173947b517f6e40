#!/usr/bin/env bash
# `make bench` entry for the signalling bench: pcscf + eims-agw against Kamailio + rtpengine
# with the WebRTC call mix (see bench/README.md). Arguments go to bench/pcscf_bench.py.
set -eu
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build/bench}
[ -x "$BUILD/pcscf_loadgen" ] || make --no-print-directory BUILD="$BUILD" all "$BUILD/pcscf_loadgen"
exec /usr/bin/python3 bench/pcscf_bench.py "$@"
