#!/usr/bin/env bash
# Starts the lab of DESIGN.md on loopback: hss-stub, eims-agw, pcscf and wtpf, each on its own
# 127.0.10.x address with etc/lab/ (LAB=static: etc/lab-static/ for the nodes it has, i.e. the
# WTPF on a static trunk), plus a baresip IMS phone (+33150000201 on 127.0.10.20) that
# auto-answers and plays a 440 Hz tone. Logs in build/lab/. Ctrl-C stops everything cleanly.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LABDIR=etc/lab
[ "${LAB:-}" = "static" ] && LABDIR=etc/lab-static
LOGDIR=$BUILD/lab
mkdir -p "$LOGDIR"
pids=()
names=()
stop() {
    trap - INT TERM
    echo; echo "lab: stopping"
    # The phone first, then the wtpf (de-registers), the AGW, the pcscf, the HSS.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[$i]}" 2>/dev/null
        wait "${pids[$i]}" 2>/dev/null
    done
    echo "lab: stopped"
    exit 0
}
trap stop INT TERM
conf_of() { [ -f "$LABDIR/$1.conf" ] && echo "$LABDIR/$1.conf" || echo "etc/lab/$1.conf"; }
for n in hss-stub eims-agw pcscf wtpf; do
    bin=$BUILD/bin/$n
    [ -x "$bin" ] || { echo "lab: $n not built, skipped"; continue; }
    conf=$(conf_of $n)
    "$bin" --check-config -c "$conf" >/dev/null || { echo "lab: $conf refused"; stop; }
    "$bin" -f -c "$conf" >"$LOGDIR/$n.log" 2>&1 &
    pids+=($!); names+=("$n")
    echo "lab: started $n with $conf (pid $!, log $LOGDIR/$n.log)"
    sleep 0.3
done
if command -v baresip >/dev/null && [ -x "$BUILD/bin/pcscf" ]; then
    pdir=$LOGDIR/phone
    mkdir -p "$pdir"
    cat >"$pdir/config" <<CONF
poll_method		epoll
sip_listen		127.0.10.20:5060
net_interface		127.0.10.20
audio_player		aufile,$pdir/received.wav
audio_source		ausine,440
rtp_ports		30000-30099
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aufile.so
module_tmp		account.so
module_app		menu.so
CONF
    echo '<sip:+33150000201@ims.lab;transport=udp>;auth_user=+33150000201@ims.lab;auth_pass=phone201-lab;outbound="sip:127.0.10.2:5060;transport=udp";regint=600;answermode=auto;audio_codecs=pcmu,pcma' >"$pdir/accounts"
    baresip -f "$pdir" </dev/null >"$LOGDIR/phone.log" 2>&1 &
    pids+=($!); names+=("phone")
    echo "lab: started baresip phone +33150000201 (pid $!, log $LOGDIR/phone.log)"
fi
sleep 1
for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "lab: ${names[$i]} exited:"; tail -5 "$LOGDIR/${names[$i]}.log"; stop; }
done
cat <<MSG

The lab is up on loopback ($LABDIR). Nodes: ${names[*]}

  WIC page:   http://127.0.10.1:8080/      (alice / alice-lab, bob / bob-lab)
  call:       the IMS phone 0150000201 or +33150000201 (auto-answers with a tone),
              bob 102, the call centre 100 (rings alice and bob)
  admin:      http://127.0.10.N:9090/health and /metrics (N = 1 wtpf, 2 pcscf, 3 eims-agw, 4 hss-stub)

Lab credentials (README.md): WTPF as PBX pbx@ims.lab / pbx-lab; IMS phones
+33150000201@ims.lab / phone201-lab, +33150000202@ims.lab / phone202-lab.
A browser on this machine needs --allow-loopback-in-peer-connection (Chromium) for 127.0.10.x media.
Logs: $LOGDIR/. Press Ctrl-C to stop.
MSG
while :; do
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "lab: ${names[$i]} exited unexpectedly:"; tail -5 "$LOGDIR/${names[$i]}.log"; stop
        fi
    done
    sleep 1
done
