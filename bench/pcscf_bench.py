#!/usr/bin/python3
"""Signalling bench of issue 4: the WebRTC call mix (INVITE with Chromium's offer, 200, ACK, BYE)
through pcscf + eims-agw and, in the same run, through Kamailio 5.6 + rtpengine 10.5 (Debian
packages, userspace rtpengine) doing the same work: the W8 side's WebRTC offer becomes RTP/AVP
toward the IMS side and the RTP/AVP answer becomes WebRTC again.

  bench/pcscf_bench.py [--rates 100,200,400,800] [--duration 12] [--warmup 3] [--hold 2]
                       [--only ours|anchor] [--keep DIR]

The load generator is $BUILD/pcscf_loadgen (bench/pcscf_loadgen.c, BUILD defaults to
build/bench): per rate step it offers the rate for --duration seconds, to our side then to the
anchor, and measures each process's CPU time (utime+stime from /proc, all threads and all
Kamailio processes) over the steady window [warmup, duration). Loopback only: our side on
127.0.24.1-.11, the anchor on 127.0.24.20-.31. Installs the Debian packages it needs if they are
missing (see bench/README.md). Prints a table; every process is stopped at the end."""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("BUILD", "build/bench"))
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
OFFER = ROOT.parent / "shared" / "testdata" / "chromium-156-audio-offer.sdp"
PACKAGES = ["kamailio", "rtpengine-daemon"]

PCSCF, AGW, HSS, AGW_CORE = "127.0.24.1", "127.0.24.3", "127.0.24.4", "127.0.24.5"
UAC, UAS = "127.0.24.10", "127.0.24.11"
KAM, RTPE, KUAC, KUAS = "127.0.24.20", "127.0.24.21", "127.0.24.30", "127.0.24.31"

HSS_CONF = f"""
log = {{ level = "warning"; }};
admin = {{ address = "{HSS}"; port = 9090; }};
diameter = {{ origin_host = "hss.ims.lab"; origin_realm = "ims.lab";
             listen_address = "{HSS}"; port = 3868; }};
digest_realm = "ims.lab";
server_name = "sip:pcscf.ims.lab:5060";
subscribers = (
  {{ impi = "bench-wtpf@ims.lab"; password = "bench"; unregistered_services = true;
     impus = ( {{ uri = "sip:+33140000000@ims.lab"; }}, {{ uri = "tel:+3314000!.*!"; }} ); }}
);
"""

# The UAC is a trusted static W8 peer with WebRTC media; the UAS is an IMS trunk (static route,
# plain RTP): every call gets an AGW context, no registration anywhere.
PCSCF_CONF = f"""
log = {{ level = "warning"; }};
admin = {{ address = "{PCSCF}"; port = 9090; }};
sip = {{ address = "{PCSCF}"; port = 5060; domain = "ims.lab"; aliases = [ "pcscf.ims.lab" ];
        invite_timeout = 30; }};
registrar = {{ digest_realm = "ims.lab"; }};
diameter = {{ origin_host = "pcscf.ims.lab"; origin_realm = "ims.lab";
             listen_address = "{PCSCF}"; request_timeout = 2000; }};
hss = {{ address = "{HSS}"; port = 3868; realm = "ims.lab";
        server_name = "sip:pcscf.ims.lab:5060"; }};
peers = (
  {{ name = "bench-wtpf"; address = "{UAC}"; port = 5060; transport = "udp"; mode = "static";
     trusted = true; webrtc = true; identity = "sip:+33140000000@ims.lab";
     ranges = [ "tel:+3314000!.*!" ]; }},
  {{ name = "bench-ims-trunk"; address = "{UAS}"; port = 5060; transport = "udp"; mode = "static";
     trusted = true; webrtc = false; ranges = [ "tel:+3315!.*!" ]; }}
);
media_anchoring = true;
iq = {{ address = "{PCSCF}"; port = 2944; request_timeout = 4000; }};
"""

AGW_CONF = f"""
log = {{ level = "warning"; }};
admin = {{ address = "{AGW}"; port = 9090; }};
iq = {{ address = "{AGW}"; port = 2944; mgc_address = "{PCSCF}"; mgc_port = 2944;
        register_retry_ms = 100; register_retry_max_ms = 400; max_contexts = 100000;
        %(agw_iq_extra)s }};
media = {{ w3_address = "{AGW}"; rtp_address = "{AGW_CORE}"; port_min = 20000; port_max = 39999;
          no_media_timeout = 600; consent_timeout = 600; }};
"""


def log(*a):
    print(*a, flush=True)


def ensure_packages():
    missing = [p for p in PACKAGES
               if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                 text=True).stdout.strip() != "install ok installed"]
    if not missing:
        return True
    if os.geteuid() != 0:
        log(f"== missing Debian packages {missing} and not root: the anchor is skipped")
        return False
    log(f"== installing {missing}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *missing], env=env,
                       capture_output=True, text=True)
    if r.returncode:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *missing],
                           env=env, capture_output=True, text=True)
    if r.returncode:
        log(r.stdout[-2000:], r.stderr[-2000:])
        return False
    return True


def http(addr, path):
    try:
        with urllib.request.urlopen(f"http://{addr}:9090{path}", timeout=2) as r:
            return r.read().decode()
    except OSError:
        return ""


class Procs:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []

    def start(self, name, argv, stdout_name=None):
        out = open(self.tmp / (stdout_name or f"{name}.log"), "w")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.tmp,
                             start_new_session=True)
        self.procs.append((name, p))
        return p

    def node(self, name, conf):
        path = self.tmp / f"{name}.conf"
        path.write_text(conf)
        return self.start(name, [str(BUILD / "bin" / name), "-f", "-c", str(path)])

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()


def wait_for(cond, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def children(pid):
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


AGW_IQ_EXTRA = ""
ANCHOR_ICE_LITE = False
KAMAILIO_CHILDREN = 4


def start_ours(pr):
    hss = pr.node("hss-stub", HSS_CONF)
    if not wait_for(lambda: http(HSS, "/health")):
        raise SystemExit("hss-stub did not start: " + (pr.tmp / "hss-stub.log").read_text())
    pcscf = pr.node("pcscf", PCSCF_CONF)
    if not wait_for(lambda: '"hss":true' in http(PCSCF, "/health")):
        raise SystemExit("pcscf did not start: " + (pr.tmp / "pcscf.log").read_text()[-3000:])
    agw = pr.node("eims-agw", AGW_CONF % {"agw_iq_extra": AGW_IQ_EXTRA})
    if not wait_for(lambda: '"agws":1' in http(PCSCF, "/health")):
        raise SystemExit("eims-agw did not register: " +
                         (pr.tmp / "eims-agw.log").read_text()[-3000:])
    return {"pcscf": [pcscf.pid], "agw": [agw.pid]}, hss


def start_anchor(pr):
    rtpe = pr.start("rtpengine", [
        "rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--log-level=3",
        "--table=-1", f"--interface={RTPE}", f"--listen-ng={RTPE}:2223",
        "--port-min=40000", "--port-max=59999", "--delete-delay=0",  # ports back at once, as the AGW
        f"--pidfile={pr.tmp}/rtpengine.pid"])
    time.sleep(1.0)
    if rtpe.poll() is not None:
        raise RuntimeError("rtpengine did not start: " + (pr.tmp / "rtpengine.log").read_text())
    kam = pr.start("kamailio", [
        "kamailio", "-DD", "-E", "-f", str(ROOT / "bench" / "kamailio" / "kamailio.cfg"),
        "-A", f"LISTEN=udp:{KAM}:5060", "-A", f'UAS="sip:{KUAS}:5060"',
        "-A", f'RTPENGINE="udp:{RTPE}:2223"', *(["-A", "ICE_LITE"] if ANCHOR_ICE_LITE else []),
        "-A", f"CHILDREN={KAMAILIO_CHILDREN}",
        "-P", f"{pr.tmp}/kamailio.pid",
        "-Y", str(pr.tmp), "-w", str(pr.tmp), "-m", "512", "-M", "16"])
    time.sleep(2.0)
    if kam.poll() is not None:
        raise RuntimeError("kamailio did not start: " + (pr.tmp / "kamailio.log").read_text())
    return {"kamailio": [kam.pid] + children(kam.pid), "rtpengine": [rtpe.pid]}


def proc_cpu(pid):
    try:
        f = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(groups, seconds):
    """CPU (ms per second) each process group uses with no call, over `seconds`."""
    flat = {name: pids for g in groups.values() for name, pids in g.items()}
    before = {n: sum(map(proc_cpu, p)) for n, p in flat.items()}
    time.sleep(seconds)
    return {n: (sum(map(proc_cpu, p)) - before[n]) * 1e3 / seconds for n, p in flat.items()}


def run_loadgen(tmp, side, rate, args, groups):
    proxy, uac, uas = (PCSCF, UAC, UAS) if side == "ours" else (KAM, KUAC, KUAS)
    argv = [str(BUILD / "pcscf_loadgen"), "-x", f"{proxy}:5060", "-u", f"{uac}:5060",
            "-s", f"{uas}:5060", "-o", str(OFFER), "-r", str(rate), "-d", str(args.duration),
            "-w", str(args.warmup), "-H", str(args.hold), "-T", "8"]
    for name, pids in groups.items():
        argv += ["-c", f"{name}=" + ",".join(map(str, pids))]
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=args.duration + args.hold + 30)
    (tmp / f"loadgen-{side}-{rate}.txt").write_text(r.stdout + r.stderr)
    for line in r.stdout.splitlines():
        if not line.startswith("RESULT"):
            log(f"   [{side} {rate}/s] {line}")
    m = re.search(r"^RESULT (.*)$", r.stdout, re.M)
    if not m:
        raise RuntimeError(f"loadgen failed: {r.stdout}{r.stderr}")
    return {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rates", default="100,200,400,800")
    ap.add_argument("--duration", type=float, default=12.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--hold", type=float, default=2.0)
    ap.add_argument("--only", choices=["ours", "anchor"])
    ap.add_argument("--keep", help="keep logs and configs in this directory")
    ap.add_argument("--agw-reply-cache-ms", type=int,
                    help="eims-agw iq.reply_cache_ms (default: the AGW's, 30 s LONG-TIMER)")
    ap.add_argument("--anchor-ice-lite", action="store_true",
                    help="rtpengine as an ICE-lite peer toward the WebRTC side (like eims-agw)")
    ap.add_argument("--kamailio-children", type=int, default=4,
                    help="Kamailio UDP worker processes (default 4)")
    args = ap.parse_args()
    global ANCHOR_ICE_LITE, KAMAILIO_CHILDREN
    ANCHOR_ICE_LITE = args.anchor_ice_lite
    KAMAILIO_CHILDREN = args.kamailio_children
    if args.agw_reply_cache_ms:
        global AGW_IQ_EXTRA  # noqa: PLW0603
        AGW_IQ_EXTRA = f"reply_cache_ms = {args.agw_reply_cache_ms};"
    rates = [int(x) for x in args.rates.split(",")]
    for b in ("bin/hss-stub", "bin/pcscf", "bin/eims-agw", "pcscf_loadgen"):
        if not (BUILD / b).exists():
            raise SystemExit(f"build {BUILD / b} first: make BUILD={BUILD.relative_to(ROOT)} "
                             f"all {BUILD.relative_to(ROOT)}/pcscf_loadgen")
    anchor = args.only != "ours" and ensure_packages()
    tmp = pathlib.Path(args.keep) if args.keep else pathlib.Path(tempfile.mkdtemp(prefix="pcb"))
    tmp.mkdir(parents=True, exist_ok=True)
    pr = Procs(tmp)
    results = []
    try:
        groups = {}
        if args.only != "anchor":
            g, _ = start_ours(pr)
            groups["ours"] = g
        if anchor:
            try:
                groups["anchor"] = start_anchor(pr)
            except RuntimeError as e:
                log(f"== anchor not measured: {e}")
        log(f"== processes: {json.dumps(groups)}; logs in {tmp}")
        idle = idle_cpu(groups, 5.0)
        log("== idle CPU (ms per second, no calls): " +
            ", ".join(f"{k} {v:.1f}" for k, v in idle.items()))
        for rate in rates:
            row = {"rate": rate}
            for side, g in groups.items():
                if side == "anchor":  # Kamailio may have forked more (none expected)
                    g["kamailio"] = sorted(set(g["kamailio"] + children(g["kamailio"][0])))
                row[side] = run_loadgen(tmp, side, rate, args, g)
                time.sleep(1.0)
            results.append(row)
        (tmp / "results.json").write_text(json.dumps(results, indent=1))
    finally:
        pr.stop_all()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print_table(results, args)


def print_table(results, args):
    log(f"\nWebRTC call mix (INVITE+Chromium offer / 200 / ACK / BYE, hold {args.hold:g} s), "
        f"CPU ms per call over the steady window [{args.warmup:g} s, {args.duration:g} s)")
    hdr = ("| offered/s | side | achieved/s | failed % | setup p99 ms | pcscf | eims-agw | ours |"
           " kamailio | rtpengine | anchor | ours/anchor |")
    log(hdr)
    log("|" + "---|" * (hdr.count("|") - 1))
    for row in results:
        o, a = row.get("ours"), row.get("anchor")
        ours = o and o["cpu_pcscf"] + o["cpu_agw"]
        anc = a and a["cpu_kamailio"] + a["cpu_rtpengine"]
        ratio = f"{ours / anc:.2f}" if o and a and anc else "-"
        if o:
            log(f"| {row['rate']} | pcscf+eims-agw | {o['achieved']:.0f} | {o['fail_pct']:.3f} |"
                f" {o['lat_p99']:.1f} | {o['cpu_pcscf']:.3f} | {o['cpu_agw']:.3f} | {ours:.3f} |"
                f" | | | {ratio} |")
        if a:
            log(f"| {row['rate']} | kamailio+rtpengine | {a['achieved']:.0f} | {a['fail_pct']:.3f} |"
                f" {a['lat_p99']:.1f} | | | | {a['cpu_kamailio']:.3f} | {a['cpu_rtpengine']:.3f} |"
                f" {anc:.3f} | {ratio} |")
    for side, name in (("ours", "pcscf+eims-agw"), ("anchor", "kamailio+rtpengine")):
        ok = [r["rate"] for r in results if side in r and r[side]["fail_pct"] < 0.1]
        if any(side in r for r in results):
            log(f"highest offered rate with failures < 0.1 % for {name}: "
                f"{max(ok) if ok else 'none'} calls/s")


if __name__ == "__main__":
    sys.exit(main())
