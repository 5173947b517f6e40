#!/usr/bin/env bash
# Benchmarks of the wtpf (bench/wtpf_bench.c): idle WebSockets held (memory per connection)
# and call set-ups per second through the wtpf toward a minimal SIP UAS. Starts its own wtpf
# on 127.0.22.1 (static mode, W8 toward the bench's UAS on 127.0.22.2:5060) and stops it.
#   bench/wtpf_bench.sh [IDLE_CONNECTIONS [CALL_SESSIONS [CALLS]]]    (defaults 10000 50 5000)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${1:-10000}; S=${2:-50}; C=${3:-5000}
WTPF=$BUILD/bin/wtpf; BENCH=$BUILD/wtpf_bench
[ -x "$WTPF" ] && [ -x "$BENCH" ] || { echo "build $WTPF and $BENCH first"; exit 1; }
dir=$(mktemp -d); trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
hash=$("$WTPF" --hash-password bench-pw)
cat >"$dir/wtpf.conf" <<CONF
log = { level = "warning"; };
admin = { address = "127.0.22.1"; port = 9090; };
http = { address = "127.0.22.1"; port = 8080; max_connections = $((N + 1000)); };
websocket = { max_per_user = 0; ping_interval = 30; idle_timeout = 120; };
w8 = { mode = "static"; listen = "sip:127.0.22.1:5060"; pcscf = "sip:127.0.22.2:5060";
       keepalive = 0; };
calls = { max_calls = 0; };
users = ( { name = "bench"; password_hash = "$hash"; number = "+33140000199"; max_calls = 0; } );
CONF
ulimit -n "$(ulimit -Hn)"
"$WTPF" -f -c "$dir/wtpf.conf" >"$dir/wtpf.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf http://127.0.22.1:9090/health >/dev/null 2>&1 && break; sleep 0.1; done
echo "== wtpf pid $pid, RSS at start $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
"$BENCH" idle 127.0.22.1:8080 bench bench-pw "$N" "$pid" 5
sleep 3   # the closed WebSockets go
echo "== after the idle clients left: wtpf RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status), \
$(curl -s http://127.0.22.1:9090/metrics | grep '^wtpf_ws_connections ')"
"$BENCH" calls 127.0.22.1:8080 bench bench-pw "$S" "$C" 127.0.22.2:5060 "$pid"
echo "== $(curl -s http://127.0.22.1:9090/metrics | grep '^wtpf_calls_total')"
kill -TERM $pid; wait $pid; rc=$?
echo "== wtpf exit $rc"
