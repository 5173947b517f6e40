#!/usr/bin/python3
"""Media benchmark of the eIMS-AGW engine: N sessions of SRTP AES_CM_128_HMAC_SHA1_80 on W3 <->
plain RTP on Mb, 50 packets/s per direction (172-byte RTP, 20 ms G.711), measuring CPU per
relayed packet of the process under test and the loss, next to two anchors measured in the same
run: a plain C UDP relay (one recvfrom/sendto per packet, bench/agw_udp_relay.c) driven by the
same load, and libsrtp2's own protect/unprotect cost (bench/agw_srtp_cost.c).

Topology (loopback only):
  agw_loadgen socket 1 --RTP--> SUT RTP_i --SRTP--> peer W3_i --RTP--> agw_loadgen socket 2
  agw_loadgen socket 2 --RTP--> peer RTP_i --SRTP--> SUT W3_i --RTP--> agw_loadgen socket 1
The SUT is one agw_media_tool process (engine A). The "browsers" are a second agw_media_tool
(engine B, W3 without ICE, DTLS client toward A). Only the SUT's CPU is charged to the AGW.
On a 2-core machine the peer and the load generator compete with the SUT for the same cores:
read the loss figures with that in mind; CPU per packet is what the SUT itself consumed.

The SUT runs once per I/O path given with --io (default "io_uring,epoll": the engine's two
paths, media.io), the peer always with the default (io_uring where available). libsrtp2's cost is
measured twice: one stream (the issue's reference) and with N live sessions in one process, the
way the SUT holds them (Debian's libsrtp2 does its crypto in NSS, whose per-operation cost grows
with the number of live sessions).

usage: bench/agw_media_bench.py [--build build] [--sessions 1000,5000] [--seconds 15]
                                [--warmup 5] [--mode both|agw|udp] [--io io_uring,epoll]
                                [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import queue

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PCMU = [{"pt": 0, "name": "PCMU", "rate": 8000}]
CLK = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """CPU time of the whole machine, every core, not idle (from /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / CLK  # minus idle and iowait


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime


class Tool:
    def __init__(self, build, *args):
        self.proc = subprocess.Popen([os.path.join(build, "agw_media_tool"), "--log-level",
                                      "warning", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.q = queue.Queue()
        self.dtls = 0
        self.failed = 0
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.q.get(timeout=20)
        self.fingerprint = ready["fingerprint"]
        self.io = ready.get("io")

    def _read(self):
        for line in self.proc.stdout:
            msg = json.loads(line)
            if msg["ev"] == "event":
                if msg["type"] == "dtls_connected":
                    self.dtls += 1
                elif msg["type"] == "dtls_failed":
                    self.failed += 1
                continue
            self.q.put(msg)

    def cmd(self, **o):
        self.proc.stdin.write(json.dumps(o) + "\n")
        self.proc.stdin.flush()
        r = self.q.get(timeout=30)
        if r["ev"] == "error":
            raise RuntimeError(r["message"])
        return r

    def metric_sum(self, name, labels=""):
        text = self.cmd(cmd="metrics")["text"]
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith(name + "{" + labels))

    def close(self):
        try:
            self.proc.stdin.write('{"cmd":"quit"}\n')
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)
        except Exception:
            self.proc.kill()


def run_loadgen(build, tmp, targets1, targets2, seconds, warmup, pids):
    t1, t2 = os.path.join(tmp, "t1"), os.path.join(tmp, "t2")
    with open(t1, "w") as f:
        f.writelines(f"{a} {p}\n" for a, p in targets1)
    with open(t2, "w") as f:
        f.writelines(f"{a} {p}\n" for a, p in targets2)
    lg = subprocess.Popen([os.path.join(build, "agw_loadgen"), "--bind1", "127.0.32.1:40000",
                           "--bind2", "127.0.32.2:40000", "--targets1", t1, "--targets2", t2,
                           "--seconds", str(warmup + seconds)], stdout=subprocess.PIPE, text=True)
    pids = list(pids) + [lg.pid, "machine"]
    cpu = lambda p: machine_busy_seconds() if p == "machine" else cpu_seconds(p)  # noqa: E731
    marks = {}
    final = None
    for line in lg.stdout:
        r = json.loads(line)
        if r.get("final"):
            final = r
            continue
        t = r["t"]
        if "start" not in marks and t >= warmup:
            marks["start"] = (r, {p: cpu(p) for p in pids}, time.time())
        if t >= warmup + seconds - 1.5 and "end" not in marks:
            marks["end"] = (r, {p: cpu(p) for p in pids}, time.time())
    lg.wait()
    (r0, c0, w0), (r1, c1, w1) = marks["start"], marks["end"]
    relayed = (r1["dir1_received"] + r1["dir2_received"]) - (r0["dir1_received"] + r0["dir2_received"])
    d = {p: c1[p] - c0[p] for p in pids}
    d["loadgen"] = d.pop(lg.pid)
    return final, relayed, d, w1 - w0


def bench_agw(build, n, seconds, warmup, io):
    sut = Tool(build, "--w3-address", "127.0.30.1", "--rtp-address", "127.0.30.2",
               "--ports", "20000-39999", "--workers", "0", "--io", io)
    peer = Tool(build, "--w3-address", "127.0.31.1", "--rtp-address", "127.0.31.2",
                "--ports", "20000-39999", "--workers", "1")
    try:
        t0 = time.time()
        targets1, targets2 = [], []
        for i in range(n):
            c = f"s{i}"
            w = sut.cmd(cmd="add_w3", ctx=c, id=f"w{i}")["local"]
            r = sut.cmd(cmd="add_rtp", ctx=c, id=f"r{i}", remote={
                "address": "127.0.32.1", "port": 40000, "codecs": PCMU})["local"]
            pw = peer.cmd(cmd="add_w3", ctx=c, id=f"w{i}", remote={
                "fingerprint": sut.fingerprint, "setup": "actpass", "address": w["address"],
                "port": w["port"], "codecs": PCMU,
                "profiles": ["SRTP_AES128_CM_HMAC_SHA1_80"]})["local"]
            pr = peer.cmd(cmd="add_rtp", ctx=c, id=f"r{i}", remote={
                "address": "127.0.32.2", "port": 40000, "codecs": PCMU})["local"]
            sut.cmd(cmd="modify", id=f"w{i}", remote={
                "fingerprint": peer.fingerprint, "setup": pw["setup"], "address": pw["address"],
                "port": pw["port"], "codecs": PCMU})
            targets1.append((r["address"], r["port"]))
            targets2.append((pr["address"], pr["port"]))
        deadline = time.time() + 60 + n / 50
        while sut.dtls < n and time.time() < deadline:
            time.sleep(0.1)
        setup_s = time.time() - t0
        if sut.dtls < n:
            raise RuntimeError(f"only {sut.dtls}/{n} DTLS associations ({sut.failed} failed)")
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as tmp:
            m0 = sut.metric_sum("agw_packets_total")
            final, relayed, cpu, wall = run_loadgen(build, tmp, targets1, targets2, seconds,
                                                    warmup, [sut.proc.pid, peer.proc.pid])
            m1 = sut.metric_sum("agw_packets_total")
        # where packets were lost: dir1 = loadgen -> SUT RTP -> (SUT) -> peer W3 -> loadgen,
        # dir2 = loadgen -> peer RTP -> peer W3 -> SUT W3 -> (SUT) -> loadgen. The SUT's relayed
        # counters split each loss into "before/at the SUT's sockets" and "after it".
        r1 = sut.metric_sum("agw_packets_total", 'direction="rtp_to_w3"')
        r2 = sut.metric_sum("agw_packets_total", 'direction="w3_to_rtp"')
        where = {"dir1_lost_before_sut": int(final["dir1_sent"] - r1),
                 "dir1_lost_after_sut": int(r1 - final["dir1_received"]),
                 "dir2_lost_before_sut": int(final["dir2_sent"] - r2),
                 "dir2_lost_after_sut": int(r2 - final["dir2_received"])}
        srtp_fail = sut.metric_sum("agw_srtp_failures_total")
        dropped = sut.metric_sum("agw_packets_dropped_total")
        return {"sessions": n, "io": sut.io, "setup_seconds": round(setup_s, 1),
                "window_s": round(wall, 2),
                "relayed_pps": round(relayed / wall),
                "cpu_us_per_packet": round(cpu[sut.proc.pid] / relayed * 1e6, 2) if relayed else None,
                "cpu_cores": round(cpu[sut.proc.pid] / wall, 2),
                "peer_cpu_cores": round(cpu[peer.proc.pid] / wall, 2),
                "loadgen_cpu_cores": round(cpu["loadgen"] / wall, 2),
                "machine_busy_cores": round(cpu["machine"] / wall, 2),
                "sut_relayed_total": int(m1 - m0), "sut_srtp_failures": int(srtp_fail),
                "sut_dropped": int(dropped), "loss_by_hop": where, "loadgen": final}
    finally:
        sut.close()
        peer.close()


def bench_udp(build, n, seconds, warmup):
    relay = subprocess.Popen([os.path.join(build, "agw_udp_relay"), "--addr", "127.0.33.1",
                              "--port-base", "20000", "--sessions", str(n), "--threads", "2"],
                             stdout=subprocess.PIPE, text=True)
    assert relay.stdout.readline().strip() == "ready"
    try:
        targets1 = [("127.0.33.1", 20000 + 2 * i) for i in range(n)]
        targets2 = [("127.0.33.1", 20001 + 2 * i) for i in range(n)]
        with tempfile.TemporaryDirectory() as tmp:
            final, relayed, cpu, wall = run_loadgen(build, tmp, targets1, targets2, seconds,
                                                    warmup, [relay.pid])
        return {"sessions": n, "window_s": round(wall, 2), "relayed_pps": round(relayed / wall),
                "cpu_us_per_packet": round(cpu[relay.pid] / relayed * 1e6, 2) if relayed else None,
                "cpu_cores": round(cpu[relay.pid] / wall, 2),
                "loadgen_cpu_cores": round(cpu["loadgen"] / wall, 2),
                "machine_busy_cores": round(cpu["machine"] / wall, 2), "loadgen": final}
    finally:
        relay.terminate()
        relay.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--sessions", default="1000,5000")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--mode", default="both", choices=["both", "agw", "udp"])
    ap.add_argument("--io", default="io_uring,epoll")
    ap.add_argument("--json")
    a = ap.parse_args()
    build = os.path.join(ROOT, a.build) if not os.path.isabs(a.build) else a.build
    out = {"machine_cpus": os.cpu_count()}
    srtp = json.loads(subprocess.run([os.path.join(build, "agw_srtp_cost")], check=True,
                                     capture_output=True, text=True).stdout)
    out["libsrtp"] = srtp
    cm80 = srtp["SRTP_AES128_CM_HMAC_SHA1_80"]
    srtp_per_relayed = (cm80["protect_us"] + cm80["unprotect_us"]) / 2  # one of the two per packet
    print(f"libsrtp2 AES_CM_128_HMAC_SHA1_80, 172 B: protect {cm80['protect_us']:.2f} us, "
          f"unprotect {cm80['unprotect_us']:.2f} us", flush=True)
    out["runs"] = []
    for n in (int(x) for x in a.sessions.split(",")):
        row = {"sessions": n}
        rounds = max(20, 200000 // n)
        row["libsrtp_n_sessions"] = json.loads(subprocess.run(
            [os.path.join(build, "agw_srtp_cost"), "--sessions", str(n), "--rounds", str(rounds)],
            check=True, capture_output=True, text=True).stdout)
        print(f"[{n}] libsrtp2 with {n} live sessions: {json.dumps(row['libsrtp_n_sessions'])}",
              flush=True)
        srtp_n = (row["libsrtp_n_sessions"]["protect_us"] +
                  row["libsrtp_n_sessions"]["unprotect_us"]) / 2
        if a.mode in ("both", "udp"):
            row["udp_relay"] = bench_udp(build, n, a.seconds, a.warmup)
            print(f"[{n}] plain UDP relay: {json.dumps(row['udp_relay'])}", flush=True)
        for io in (a.io.split(",") if a.mode in ("both", "agw") else []):
            key = f"agw_{io}"
            k = 2
            while key in row:  # --io io_uring,epoll,io_uring,epoll: A/B repeated in one run
                key, k = f"agw_{io}_{k}", k + 1
            try:
                row[key] = bench_agw(build, n, a.seconds, a.warmup, io)
            except Exception as e:  # report and go on
                row[key] = {"error": str(e)}
            print(f"[{n}] eims-agw engine ({io}): {json.dumps(row[key])}", flush=True)
            if "udp_relay" in row and row["udp_relay"].get("cpu_us_per_packet") and \
                    row[key].get("cpu_us_per_packet"):
                udp = row["udp_relay"]["cpu_us_per_packet"]
                base, base_n = udp + srtp_per_relayed, udp + srtp_n
                agw = row[key]["cpu_us_per_packet"]
                row[key]["ratio_to_baseline_plus_srtp"] = round(agw / base, 2)
                row[key]["ratio_to_baseline_plus_srtp_n"] = round(agw / base_n, 2)
                print(f"[{n}] AGW ({io}) {agw} us/pkt vs baseline+libsrtp(1 stream) {base:.2f} "
                      f"us/pkt: ratio {row[key]['ratio_to_baseline_plus_srtp']} (goal <= 2); vs "
                      f"baseline+libsrtp({n} sessions) {base_n:.2f}: "
                      f"{row[key]['ratio_to_baseline_plus_srtp_n']}", flush=True)
        out["runs"].append(row)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
