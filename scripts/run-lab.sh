#!/usr/bin/env bash
# Starts the lab of DESIGN.md on loopback with etc/lab/: every node whose daemon is built, each on
# its own 127.0.10.x address, logs in build/lab/. Ctrl-C (or SIGTERM) stops them all cleanly.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LABDIR=${LABDIR:-etc/lab}
LOGDIR=$BUILD/lab
mkdir -p "$LOGDIR"
pids=()
names=()
stop() {
    trap - INT TERM
    echo; echo "lab: stopping"
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    echo "lab: stopped"
    exit 0
}
trap stop INT TERM
for n in hss-stub eims-agw pcscf wtpf; do
    bin=$BUILD/bin/$n
    [ -x "$bin" ] || { echo "lab: $n not built yet, skipped"; continue; }
    "$bin" --check-config -c "$LABDIR/$n.conf" >/dev/null || { echo "lab: $LABDIR/$n.conf refused"; stop; }
    "$bin" -f -c "$LABDIR/$n.conf" >"$LOGDIR/$n.log" 2>&1 &
    pids+=($!); names+=("$n")
    echo "lab: started $n (pid $!, log $LOGDIR/$n.log)"
done
sleep 1
for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "lab: ${names[$i]} exited:"; tail -5 "$LOGDIR/${names[$i]}.log"; stop; }
done
cat <<MSG

The lab is up (loopback only). Nodes: ${names[*]}
  hss-stub  Diameter Cx  127.0.10.4:3868   admin http://127.0.10.4:9090/metrics
MSG
[ -x "$BUILD/bin/wtpf" ] && echo "  WIC page: http://127.0.10.1:8080/   (alice / alice-lab, bob / bob-lab)"
cat <<MSG
Lab credentials are in README.md. Logs: $LOGDIR/. Press Ctrl-C to stop.
MSG
# Stay up until interrupted or until a node dies.
while :; do
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "lab: ${names[$i]} exited unexpectedly:"; tail -5 "$LOGDIR/${names[$i]}.log"; stop
        fi
    done
    sleep 1
done
