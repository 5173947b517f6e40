#!/usr/bin/python3
"""Call set-up time and memory per call of the whole lab (not a test: make check never runs it).

Runs the four daemons of $BUILD/bin (default build) with etc/lab in a fresh network namespace with
only loopback (re-running itself under `unshare -n`, as root), registers an auto-answering IMS
phone (baresip, +33150000201), then:
  1. places --calls calls one after the other from the WIC alice (aiortc offer; the time runs
     from sending `call` to receiving `answered`, through wtpf -> pcscf (+ Iq Add/Modify with the
     AGW) -> phone and back), hanging each up before the next; prints median and 99th percentile;
  2. reads the RSS of the four nodes with no call, then with --held calls up at once with media
     flowing both ways (ICE, DTLS-SRTP toward aiortc, RTP toward the phone), and prints the RSS
     growth per active call of each node.
Usage: sudo /usr/bin/python3 bench/e2e_setup_time.py [--calls 100] [--held 20]
       (BUILD=build/san for the sanitized daemons)"""
import argparse
import asyncio
import os
import re
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))


def reexec_in_netns():
    cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable,
           os.path.abspath(__file__), "--in-netns", *sys.argv[1:]]
    proc = subprocess.Popen(cmd, start_new_session=True)
    try:
        return proc.wait(timeout=900)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        return 1
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def alice_max_calls(n):
    def edit(name, text):
        if name != "wtpf":
            return text
        old = 'number = "+33140000101"; }'
        assert old in text
        return text.replace(old, f'number = "+33140000101"; max_calls = {n}; }}')
    return edit


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


async def bench(args, tmp):
    from e2e_lab import PHONE1, WIC_HTTP, Lab, Phone
    from wic_client import Media, WicClient

    lab = Lab(tmp, "etc/lab", capture=bool(args.pcap), edit=alice_max_calls(args.held + 4))
    if args.pcap:
        lab.pcap = pathlib.Path(args.pcap).resolve()
    lab.phones = []
    media = []
    phone = alice = None
    try:
        await asyncio.to_thread(lab.start)
        before = lab.health("pcscf")["bindings"]
        phone = Phone(tmp, "p201", "+33150000201", "phone201-lab", PHONE1,
                      max_calls=args.held + 4, rtp_ports="30000-30999")
        deadline = time.time() + 10
        while lab.health("pcscf")["bindings"] <= before:
            assert time.time() < deadline, "the phone did not register"
            await asyncio.sleep(0.05)
        alice = await WicClient(WIC_HTTP, "alice", "alice-lab").connect()

        # 1. set-up time, one call after the other
        times = []
        for i in range(args.calls):
            m = Media()
            offer = await m.offer()
            cid = f"s{i}"
            t0 = time.perf_counter()
            await alice.send(type="call", id=cid, to="+33150000201", sdp=offer)
            await alice.expect("answered", cid, timeout=10)
            times.append((time.perf_counter() - t0) * 1000)
            if args.verbose:
                print(f"{cid}: {times[-1]:.1f} ms, messages "
                      f"{[m['type'] for m in alice.history if m.get('id') == cid]}", flush=True)
            await alice.send(type="hangup", id=cid)
            await alice.expect("ended", cid, timeout=10)
            assert await asyncio.to_thread(phone.wait_event, "CALL_CLOSED", 10), phone.logtext()
            await m.close()
        print(f"set-up time WIC call -> answered over {len(times)} calls: "
              f"median {statistics.median(times):.1f} ms, p99 {pct(times, 99):.1f} ms, "
              f"min {min(times):.1f} ms, max {max(times):.1f} ms", flush=True)

        # the same calls as the wtpf saw them (its log: `outgoing call sN` -> `call sN answered`),
        # without the WebSocket between the WIC and the wtpf
        stamps = {}
        for line in lab.log("wtpf").splitlines():
            m = re.search(r"^\S+T(\d+):(\d+):([\d.]+)Z .* (?:outgoing call (s\d+):|call (s\d+) "
                          r"answered$)", line)
            if m:
                t = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
                stamps.setdefault(m[4] or m[5], []).append(t)
        inner = [(v[1] - v[0]) * 1000 for v in stamps.values() if len(v) == 2]
        if inner:
            print(f"same calls inside the lab (wtpf log, ms resolution): median "
                  f"{statistics.median(inner):.1f} ms, p99 {pct(inner, 99):.1f} ms", flush=True)

        # 2. memory per active call
        await asyncio.sleep(1)
        rss0 = lab.rss_kb()
        for i in range(args.held):
            m = Media()
            media.append(m)
            cid = f"h{i}"
            await alice.send(type="call", id=cid, to="+33150000201", sdp=await m.offer())
            ans = await alice.expect("answered", cid, timeout=10)
            await m.accept(ans["sdp"])
        for m in media:
            assert await m.heard(frames=25, timeout=30), "a held call has no audio"
        await asyncio.sleep(2)
        rss1 = lab.rss_kb()
        agw_sessions = lab.metric("eims-agw", "agw_iq_contexts")
        print(f"RSS with 0 and with {args.held} calls up (media flowing; AGW contexts "
              f"{agw_sessions:g}):", flush=True)
        for n in rss0:
            print(f"  {n:9s} {rss0[n]:7d} kB -> {rss1[n]:7d} kB: "
                  f"{(rss1[n] - rss0[n]) / args.held:7.1f} kB per call", flush=True)
        for i in range(args.held):
            await alice.send(type="hangup", id=f"h{i}")
            await alice.expect("ended", f"h{i}", timeout=10)
    finally:
        for m in media:
            await m.close()
        if alice:
            await alice.close()
        if phone:
            await asyncio.to_thread(phone.stop)
        await asyncio.to_thread(lab.stop)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--held", type=int, default=20)
    ap.add_argument("--verbose", action="store_true", help="print each call's time")
    ap.add_argument("--pcap", help="capture lo into this file")
    ap.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("BUILD", "build")
    if not args.in_netns:
        if shutil.which("unshare") is None:
            sys.exit("unshare (util-linux) is required")
        sys.exit(reexec_in_netns())
    print(f"binaries: {ROOT / os.environ['BUILD'] / 'bin'}", flush=True)
    with tempfile.TemporaryDirectory(prefix="e2e-bench-") as tmp:
        asyncio.run(asyncio.wait_for(bench(args, pathlib.Path(tmp)), 600))


if __name__ == "__main__":
    main()
