"""Component tests of the eIMS-AGW media engine, driven without H.248 through
tests/tools/agw_media_tool.c (JSON lines on stdin/stdout).

- aiortc (python3-aiortc 1.4) plays the browser on W3: ICE (the AGW is ICE-lite), DTLS in both
  roles, SRTP AES_CM_128_HMAC_SHA1_80 (the only profile aiortc 1.4 offers). A plain UDP socket is
  the IMS side. A tone is sent each way (1 kHz browser->IMS, 600 Hz IMS->browser) and its
  frequency measured at the far end; subtract's statistics are compared with what was sent.
- Two W3 terminations of the engine talk to each other (no ICE, DTLS in both roles) for the
  profiles aiortc lacks: SRTP_AES128_CM_HMAC_SHA1_32. AEAD_AES_128_GCM cannot be negotiated by
  Debian 12's GnuTLS 3.7.9 (SPECS.md §3.5); its SRTP transform is unit-tested
  (tests/unit/eims-agw/test_dtls.c).
- A wrong fingerprint gives no media and a DTLS failure event; forged STUN/SRTP and random bytes
  are counted and dropped; consent loss and no-media are reported as events.
"""
import asyncio
import fractions
import json
import math
import os
import queue
import random
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import tool

try:
    import audioop  # Python 3.11 (Debian 12); G.711 u-law
except ImportError:  # pragma: no cover
    audioop = None

try:
    import numpy
except ImportError:  # pragma: no cover
    numpy = None

W3_ADDR = "127.0.20.1"
RTP_ADDR = "127.0.20.2"
IMS_ADDR = "127.0.21.1"
IMS_ADDR_B = "127.0.21.2"
BROWSER_ADDR = "127.0.21.10"
RATE = 8000
PCMU = [{"pt": 0, "name": "PCMU", "rate": 8000}]
PCMU_DTMF_IMS = [{"pt": 0, "name": "PCMU", "rate": 8000},
                 {"pt": 101, "name": "telephone-event", "rate": 8000}]


# ---------------------------------------------------------------------------------------------
# the driver


class Agw:
    """agw_media_tool as a subprocess; replies are read by a thread into a queue."""

    def __init__(self, tmp_path, *args, name="agw"):
        self.log = tmp_path / f"{name}.log"
        self.logf = open(self.log, "w")
        port0 = 30000 + (os.getpid() % 50) * 400 + random.randrange(0, 4) * 100
        self.proc = subprocess.Popen(
            [tool("agw_media_tool"), "--w3-address", W3_ADDR, "--rtp-address", RTP_ADDR,
             "--ports", f"{port0}-{port0 + 99}", "--log-level", "info", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.logf, text=True, bufsize=1)
        self.q = queue.Queue()
        self.events = []
        self.seq = 0
        threading.Thread(target=self._reader, daemon=True).start()
        ready = self._next(10)
        assert ready["ev"] == "ready", ready
        self.fingerprint = ready["fingerprint"]
        self.io = ready["io"]  # packet I/O the engine's workers use: io_uring or epoll
        if "--io" in args and args[args.index("--io") + 1] != "auto":
            assert self.io == args[args.index("--io") + 1], ready

    def _reader(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line:
                self.q.put(json.loads(line))
        self.q.put(None)

    def _next(self, timeout):
        msg = self.q.get(timeout=timeout)
        if msg is None:
            raise AssertionError(f"agw_media_tool exited:\n{self.log.read_text()[-3000:]}")
        return msg

    def cmd(self, **o):
        self.seq += 1
        o["seq"] = self.seq
        self.proc.stdin.write(json.dumps(o) + "\n")
        self.proc.stdin.flush()
        deadline = time.time() + 10
        while True:
            msg = self._next(max(0.1, deadline - time.time()))
            if msg["ev"] == "event":
                self.events.append(msg)
                continue
            if msg.get("seq") == self.seq:
                if msg["ev"] == "error":
                    raise AgwError(msg["message"])
                return msg

    def poll_events(self):
        while True:
            try:
                msg = self.q.get_nowait()
            except queue.Empty:
                return
            if msg is None:
                raise AssertionError(f"agw_media_tool exited:\n{self.log.read_text()[-3000:]}")
            if msg["ev"] == "event":
                self.events.append(msg)

    def find_event(self, type_, id_=None):
        self.poll_events()
        for e in self.events:
            if e["type"] == type_ and (id_ is None or e["id"] == id_):
                return e
        return None

    def wait_event(self, type_, id_=None, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            e = self.find_event(type_, id_)
            if e:
                return e
            time.sleep(0.02)
        raise AssertionError(f"no {type_} event for {id_}; events: {self.events}\n"
                             f"{self.log.read_text()[-3000:]}")

    async def await_event(self, type_, id_=None, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            e = self.find_event(type_, id_)
            if e:
                return e
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {type_} event for {id_}; events: {self.events}\n"
                             f"{self.log.read_text()[-3000:]}")

    def metric(self, name, labels=None):
        text = self.cmd(cmd="metrics")["text"]
        key = f"{name}{{{labels}}}" if labels else name
        for line in text.splitlines():
            if line.startswith(key + " "):
                return float(line.split()[-1])
        return 0.0

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        log = self.log.read_text()
        assert self.proc.returncode == 0, f"agw_media_tool exit {self.proc.returncode}:\n{log[-4000:]}"
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error"):
            assert bad not in log, log[-4000:]


class AgwError(Exception):
    pass


@pytest.fixture
def agw_factory(tmp_path):
    made = []

    def make(*args):
        a = Agw(tmp_path, *args, name=f"agw{len(made)}")
        made.append(a)
        return a

    yield make
    for a in made:
        a.close()


# ---------------------------------------------------------------------------------------------
# audio helpers: PCMU, RTP, frequency measurement


def tone(freq, n0, n, amp=8000):
    return [int(amp * math.sin(2 * math.pi * freq * (n0 + i) / RATE)) for i in range(n)]


def ulaw_encode(samples):
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    if audioop:
        return audioop.lin2ulaw(pcm, 2)
    out = bytearray()  # G.711 u-law, ITU-T G.711 segment encoding
    for s in samples:
        sign = 0x80 if s < 0 else 0
        s = min(abs(s), 32635) + 0x84
        exp = max(0, s.bit_length() - 8)
        exp = min(exp, 7)
        mant = (s >> (exp + 3)) & 0x0F
        out.append(~(sign | (exp << 4) | mant) & 0xFF)
    return bytes(out)


def ulaw_decode(data):
    if audioop:
        pcm = audioop.ulaw2lin(data, 2)
        return list(struct.unpack(f"<{len(data)}h", pcm))
    out = []
    for b in data:
        b = ~b & 0xFF
        t = (((b & 0x0F) << 3) + 0x84) << ((b & 0x70) >> 4)
        out.append((0x84 - t) if b & 0x80 else (t - 0x84))
    return out


def dominant_frequency(samples, rate=RATE):
    """Frequency (Hz) with the most energy, FFT with numpy, else a Goertzel scan."""
    assert len(samples) >= 800, f"only {len(samples)} samples"
    if numpy is not None:
        x = numpy.asarray(samples, dtype=float)
        x = x - x.mean()
        spec = numpy.abs(numpy.fft.rfft(x * numpy.hanning(len(x))))
        return float(numpy.argmax(spec)) * rate / len(x)
    best, best_p = 0, -1.0
    for f in range(100, 3500, 10):
        w = 2 * math.pi * f / rate
        c, s1, s2 = 2 * math.cos(w), 0.0, 0.0
        for v in samples[:4000]:
            s1, s2 = v + c * s1 - s2, s1
        p = s1 * s1 + s2 * s2 - c * s1 * s2
        if p > best_p:
            best, best_p = f, p
    return float(best)


def rtp_packet(seq, ts, ssrc, payload, pt=0, marker=False):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


class ImsPeer:
    """The IMS side: a plain RTP/RTCP socket pair sending a PCMU tone and collecting RTP."""

    def __init__(self, addr=IMS_ADDR):
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((addr, 0))
        self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.rtcp.bind((addr, self.rtp.getsockname()[1] + 1))
        except OSError:
            self.rtcp.bind((addr, 0))
        self.rtp.setblocking(False)
        self.rtcp.setblocking(False)
        self.addr = addr
        self.port = self.rtp.getsockname()[1]
        self.sent = 0
        self.received = []  # (pt, seq, payload)
        self.rtcp_received = 0
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)

    def remote(self, codecs=PCMU):
        return {"address": self.addr, "port": self.port,
                "rtcp_port": self.rtcp.getsockname()[1], "codecs": codecs}

    def send_tone(self, dest, freq, count, pt=0, pace=0.02):
        for i in range(count):
            payload = ulaw_encode(tone(freq, i * 160, 160))
            self.rtp.sendto(rtp_packet(self.seq + i, i * 160, self.ssrc, payload, pt), dest)
            self.sent += 1
            self.drain()
            if pace:
                time.sleep(pace)
        self.seq += count

    async def asend_tone(self, dest, freq, count, pt=0):
        for i in range(count):
            payload = ulaw_encode(tone(freq, i * 160, 160))
            self.rtp.sendto(rtp_packet(self.seq + i, i * 160, self.ssrc, payload, pt), dest)
            self.sent += 1
            self.drain()
            await asyncio.sleep(0.02)
        self.seq += count

    def drain(self):
        while True:
            try:
                data = self.rtp.recv(2048)
            except BlockingIOError:
                break
            self.received.append((data[1] & 0x7F, struct.unpack("!H", data[2:4])[0], data[12:]))
        while True:
            try:
                self.rtcp.recv(2048)
                self.rtcp_received += 1
            except BlockingIOError:
                break

    def samples(self, pt=0):
        out = []
        for p, _, payload in sorted(self.received, key=lambda r: r[1]):
            if p == pt:
                out += ulaw_decode(payload)
        return out

    def close(self):
        self.rtp.close()
        self.rtcp.close()


# ---------------------------------------------------------------------------------------------
# W3 <-> W3 inside the engine (no ICE): both DTLS roles, both AES-CM profiles


@pytest.mark.parametrize("answer_setup", ["active", "passive"])
@pytest.mark.parametrize("profile", ["SRTP_AES128_CM_HMAC_SHA1_80", "SRTP_AES128_CM_HMAC_SHA1_32"])
def test_w3_to_w3_tone_both_roles_and_profiles(agw_factory, answer_setup, profile):
    agw = agw_factory("--answer-setup", answer_setup)
    ims_a, ims_b = ImsPeer(IMS_ADDR), ImsPeer(IMS_ADDR_B)
    try:
        # context A offers (actpass); context B answers with `answer_setup`
        wa = agw.cmd(cmd="add_w3", ctx="A", id="wa")["local"]
        assert wa["setup"] == "actpass"
        ra = agw.cmd(cmd="add_rtp", ctx="A", id="ra", remote=ims_a.remote())["local"]
        wb = agw.cmd(cmd="add_w3", ctx="B", id="wb", remote={
            "fingerprint": wa["fingerprint"], "setup": "actpass", "address": wa["address"],
            "port": wa["port"], "codecs": PCMU, "profiles": [profile]})["local"]
        assert wb["setup"] == answer_setup
        rb = agw.cmd(cmd="add_rtp", ctx="B", id="rb", remote=ims_b.remote(PCMU_DTMF_IMS))["local"]
        agw.cmd(cmd="modify", id="wa", remote={
            "fingerprint": wb["fingerprint"], "setup": wb["setup"], "address": wb["address"],
            "port": wb["port"], "codecs": PCMU})
        ea = agw.wait_event("dtls_connected", "wa")
        eb = agw.wait_event("dtls_connected", "wb")
        assert ea["profile"] == eb["profile"] == profile
        # 1 kHz A -> B and 600 Hz B -> A, 2 s each, interleaved
        n = 100
        for i in range(n):
            ims_a.send_tone((ra["address"], ra["port"]), 1000, 1, pace=0)
            ims_b.send_tone((rb["address"], rb["port"]), 600, 1, pace=0)
            time.sleep(0.01)
        time.sleep(0.3)
        ims_a.drain()
        ims_b.drain()
        assert len(ims_b.received) == n and len(ims_a.received) == n
        assert abs(dominant_frequency(ims_b.samples()) - 1000) < 15
        assert abs(dominant_frequency(ims_a.samples()) - 600) < 15
        st = {t: agw.cmd(cmd="subtract", id=t)["stats"] for t in ("ra", "wa", "wb", "rb")}
        assert st["ra"]["rx"]["packets"] == n and st["ra"]["rx"]["lost"] == 0
        assert st["wa"]["tx"]["packets"] == n and st["wb"]["rx"]["packets"] == n
        assert st["rb"]["tx"]["packets"] == n and st["rb"]["rx"]["packets"] == n
        assert st["wa"]["rx"]["packets"] == n and st["ra"]["tx"]["packets"] == n
        assert st["wa"]["srtp_failures"] == st["wb"]["srtp_failures"] == 0
        assert st["ra"]["tx"]["octets"] == n * 172
    finally:
        ims_a.close()
        ims_b.close()


def test_w3_to_w3_wrong_fingerprint(agw_factory):
    agw = agw_factory()
    ims_a, ims_b = ImsPeer(IMS_ADDR), ImsPeer(IMS_ADDR_B)
    try:
        wa = agw.cmd(cmd="add_w3", ctx="A", id="wa")["local"]
        ra = agw.cmd(cmd="add_rtp", ctx="A", id="ra", remote=ims_a.remote())["local"]
        wb = agw.cmd(cmd="add_w3", ctx="B", id="wb", remote={
            "fingerprint": wa["fingerprint"], "setup": "actpass", "address": wa["address"],
            "port": wa["port"], "codecs": PCMU})["local"]
        agw.cmd(cmd="add_rtp", ctx="B", id="rb", remote=ims_b.remote())
        bad = wb["fingerprint"][:-2] + ("00" if not wb["fingerprint"].endswith("00") else "11")
        agw.cmd(cmd="modify", id="wa", remote={"fingerprint": bad, "setup": wb["setup"],
                                                "address": wb["address"], "port": wb["port"]})
        ev = agw.wait_event("dtls_failed", "wa")
        assert ev["reason"] == "certificate fingerprint mismatch"
        assert agw.wait_event("dtls_failed", "wb")["reason"].startswith("alert received")
        assert agw.find_event("dtls_connected") is None
        ims_a.send_tone((ra["address"], ra["port"]), 1000, 25, pace=0.005)
        time.sleep(0.2)
        ims_b.drain()
        assert ims_b.received == []
        assert agw.metric("agw_dtls_handshakes_total", 'result="failed"') == 2
        assert agw.metric("agw_packets_dropped_total", 'reason="not_ready"') >= 25
    finally:
        ims_a.close()
        ims_b.close()


# ---------------------------------------------------------------------------------------------
# ICE-lite at the packet level (aioice's STUN codec as a hand-driven browser)


def stun_check(sock, dest, agw_ufrag, agw_pwd, my_ufrag, use_candidate=False, timeout=2.0):
    from aioice import stun
    req = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    req.attributes["USERNAME"] = f"{agw_ufrag}:{my_ufrag}"
    req.attributes["PRIORITY"] = 1853824767
    req.attributes["ICE-CONTROLLING"] = random.getrandbits(64)
    if use_candidate:
        req.attributes["USE-CANDIDATE"] = None
    req.add_message_integrity(agw_pwd.encode())
    sock.sendto(bytes(req), dest)
    sock.settimeout(timeout)
    while True:
        data, _ = sock.recvfrom(2048)
        if data[0] < 4:
            resp = stun.parse_message(data)
            if resp.transaction_id == req.transaction_id:
                resp.raw = data
                return resp


def test_ice_lite_checks_ufrag_lock_consent_and_garbage(agw_factory):
    agw = agw_factory("--consent-timeout", "1500", "--no-media-timeout", "1200")
    from aioice import stun
    ims = ImsPeer()
    b1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b1.bind((BROWSER_ADDR, 0))
    b2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b2.bind((BROWSER_ADDR, 0))
    try:
        w = agw.cmd(cmd="add_w3", ctx="C", id="w")["local"]
        r = agw.cmd(cmd="add_rtp", ctx="C", id="r", remote=ims.remote())["local"]
        dest = (w["address"], w["port"])
        # before the answer: any remote ufrag is answered (two forks of the offer)
        ok1 = stun_check(b1, dest, w["ufrag"], w["pwd"], "fork")
        ok2 = stun_check(b2, dest, w["ufrag"], w["pwd"], "othr")
        assert ok1.message_class == stun.Class.RESPONSE and ok2.message_class == stun.Class.RESPONSE
        # XOR-MAPPED-ADDRESS is the checker's own transport address; integrity with our pwd
        assert ok1.attributes["XOR-MAPPED-ADDRESS"] == b1.getsockname()
        stun.parse_message(ok1.raw, integrity_key=w["pwd"].encode())  # raises if wrong
        assert "MESSAGE-INTEGRITY" in ok1.attributes and "FINGERPRINT" in ok1.attributes
        # a wrong password gets 401 and validates nothing
        bad = stun_check(b1, dest, w["ufrag"], "x" * 24, "fork")
        assert bad.message_class == stun.Class.ERROR
        assert bad.attributes["ERROR-CODE"][0] == 401
        # the answer installs the ufrag "fork": "othr" is now refused
        fp = "sha-256 " + ":".join(["AB"] * 32)
        agw.cmd(cmd="modify", id="w", remote={"ufrag": "fork", "pwd": "p" * 22,
                                               "fingerprint": fp, "setup": "active",
                                               "codecs": PCMU})
        refused = stun_check(b2, dest, w["ufrag"], w["pwd"], "othr")
        assert refused.message_class == stun.Class.ERROR
        assert refused.attributes["ERROR-CODE"][0] == 401
        nominated = stun_check(b1, dest, w["ufrag"], w["pwd"], "fork", use_candidate=True)
        assert nominated.message_class == stun.Class.RESPONSE
        ev = agw.wait_event("ice_selected", "w")
        assert ev["peer"] == "%s:%d" % b1.getsockname()
        # garbage on the W3 port: first bytes outside RFC 7983's ranges, TURN channel, short RTP
        for first in (0x55, 0xFF, 0x42, 0x08):
            b2.sendto(bytes([first]) + os.urandom(60), dest)
        b2.sendto(b"\x80", dest)
        # SRTP-looking bytes from the validated address before DTLS: not keyed yet
        b1.sendto(rtp_packet(1, 160, 7, os.urandom(170)), dest)
        # random bytes and a stranger's RTP on the IMS ports
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stranger.bind(("127.0.21.99", 0))
        # (first byte 0x00: random bytes starting 0x80-0xBF look like RTP and were counted as
        # reason="source" instead, one run in four)
        stranger.sendto(b"\x00" + os.urandom(99), (r["address"], r["port"]))
        stranger.sendto(rtp_packet(1, 1, 1, bytes(160)), (r["address"], r["port"]))
        stranger.sendto(os.urandom(50), (r["address"], r["rtcp_port"]))
        stranger.close()
        time.sleep(0.2)
        st_w = agw.cmd(cmd="stats", id="w")["stats"]
        st_r = agw.cmd(cmd="stats", id="r")["stats"]
        assert st_w["stun_ok"] == 3 and st_w["stun_rejected"] == 2
        assert st_w["dropped"] == 6  # 5 demux + 1 not keyed
        assert st_r["dropped"] == 3 and st_r["rx"]["packets"] == 0  # nothing latched the stranger
        assert agw.metric("agw_packets_dropped_total", 'reason="demux"') == 5
        assert agw.metric("agw_packets_dropped_total", 'reason="source"') == 1
        assert agw.metric("agw_packets_dropped_total", 'reason="malformed"') == 2
        assert agw.metric("agw_stun_checks_total", 'result="rejected"') == 2
        # no more checks: consent is lost after 1.5 s; no media on either leg after 1.2 s
        ev = agw.wait_event("consent_lost", "w", timeout=5)
        assert ev["idle_ms"] >= 1500
        assert agw.wait_event("no_media", "r", timeout=5)["idle_ms"] >= 1200
        assert agw.wait_event("no_media", "w", timeout=5)
    finally:
        b1.close()
        b2.close()
        ims.close()


@pytest.mark.parametrize("io", ["auto", "epoll"])  # auto: io_uring where the kernel allows
def test_rtp_latching_pt_mapping_and_dtmf(agw_factory, io):
    """RTP <-> RTP inside one context: latching on the first packet, PT renumbering per leg
    (telephone-event 101 on one leg, 126 on the other), unmapped PTs dropped. On both packet
    I/O paths of the workers (media.io)."""
    agw = agw_factory("--io", io)
    a, b = ImsPeer(IMS_ADDR), ImsPeer(IMS_ADDR_B)
    try:
        # leg A knows no remote yet: it will latch on A's first packet
        ra = agw.cmd(cmd="add_rtp", ctx="R", id="ra",
                     remote={"codecs": PCMU_DTMF_IMS})["local"]
        rb = agw.cmd(cmd="add_rtp", ctx="R", id="rb", remote=b.remote(
            [{"pt": 0, "name": "PCMU", "rate": 8000},
             {"pt": 126, "name": "telephone-event", "rate": 8000}]))["local"]
        a.send_tone((ra["address"], ra["port"]), 1000, 20, pace=0)
        a.rtp.sendto(rtp_packet(a.seq, 0, a.ssrc, bytes([5, 0x80, 0, 160]), pt=101, marker=True),
                     (ra["address"], ra["port"]))
        a.rtp.sendto(rtp_packet(a.seq + 1, 0, a.ssrc, bytes(160), pt=8),
                     (ra["address"], ra["port"]))  # PCMA: not negotiated
        time.sleep(0.2)
        b.drain()
        pts = [p for p, _, _ in b.received]
        assert pts.count(0) == 20 and pts.count(126) == 1 and 8 not in pts
        dtmf = [pl for p, _, pl in b.received if p == 126][0]
        assert dtmf == bytes([5, 0x80, 0, 160])
        # B answers: the AGW sends to A's latched address, DTMF renumbered 126 -> 101
        b.send_tone((rb["address"], rb["port"]), 600, 20, pace=0)
        b.rtp.sendto(rtp_packet(b.seq, 0, b.ssrc, bytes([1, 0x80, 0, 160]), pt=126),
                     (rb["address"], rb["port"]))
        time.sleep(0.2)
        a.drain()
        assert [p for p, _, _ in a.received].count(101) == 1
        assert abs(dominant_frequency(a.samples()) - 600) < 20
        st = agw.cmd(cmd="subtract", id="ra")["stats"]
        assert st["rx"]["packets"] == 22 and st["tx"]["packets"] == 21 and st["dropped"] == 1
        assert agw.metric("agw_packets_dropped_total", 'reason="pt"') == 1
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------------------------------------
# aiortc as the browser


def _patch_aioice_host_addresses():
    """aioice skips 127.0.0.1 only; give it one lab loopback address as its host candidate so
    the test works in a namespace with just `lo` and never touches another interface."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: [BROWSER_ADDR]


def _sdp_attr(sdp, name):
    for line in sdp.splitlines():
        if line.startswith(f"a={name}:"):
            return line.split(":", 1)[1].strip()
    return None


def _browser_remote(sdp):
    return {"ufrag": _sdp_attr(sdp, "ice-ufrag"), "pwd": _sdp_attr(sdp, "ice-pwd"),
            "fingerprint": _sdp_attr(sdp, "fingerprint"), "setup": _sdp_attr(sdp, "setup"),
            "codecs": PCMU}


def _agw_sdp(local, mid, setup):
    return "\r\n".join([
        "v=0", f"o=- 1 1 IN IP4 {local['address']}", "s=-", "t=0 0", "a=ice-lite",
        f"m=audio {local['port']} UDP/TLS/RTP/SAVPF 0", f"c=IN IP4 {local['address']}",
        f"a=mid:{mid}", "a=sendrecv", "a=rtcp-mux",
        f"a=ice-ufrag:{local['ufrag']}", f"a=ice-pwd:{local['pwd']}",
        f"a=fingerprint:{local['fingerprint']}", f"a=setup:{setup}",
        f"a=candidate:{local['candidate']}", "a=end-of-candidates",
        "a=rtpmap:0 PCMU/8000", "a=ptime:20", ""])


def _tone_track(freq):
    import av
    from aiortc.mediastreams import MediaStreamTrack

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self):
            super().__init__()
            self.n = 0
            self.start = None

        async def recv(self):
            if self.start is None:
                self.start = time.time()
            due = self.start + self.n / RATE
            await asyncio.sleep(max(0, due - time.time()))
            samples = numpy.asarray(tone(freq, self.n, 160), dtype=numpy.int16) \
                if numpy is not None else None
            frame = av.AudioFrame(format="s16", layout="mono", samples=160)
            data = samples.tobytes() if samples is not None else \
                struct.pack("<160h", *tone(freq, self.n, 160))
            frame.planes[0].update(data)
            frame.sample_rate = RATE
            frame.pts = self.n
            frame.time_base = fractions.Fraction(1, RATE)
            self.n += 160
            return frame

    return Tone()


async def _collect(track, out, stop):
    while not stop.is_set():
        try:
            frame = await asyncio.wait_for(track.recv(), 0.5)
        except asyncio.TimeoutError:
            continue
        except Exception:
            return
        arr = frame.to_ndarray().flatten()
        step = max(1, frame.sample_rate // RATE)
        out.extend(int(v) for v in arr[::step])


async def _call(agw, ims, agw_offers, wrong_fingerprint=False, forge=False):
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    _patch_aioice_host_addresses()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sender = pc.addTrack(_tone_track(1000))
    received, stop = [], asyncio.Event()
    tasks = []

    @pc.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(_collect(track, received, stop)))

    result = {}
    try:
        if agw_offers:
            w = agw.cmd(cmd="add_w3", ctx="X", id="w")["local"]
            assert w["setup"] == "actpass"
            r = agw.cmd(cmd="add_rtp", ctx="X", id="r", remote=ims.remote())["local"]
            await pc.setRemoteDescription(RTCSessionDescription(_agw_sdp(w, "0", "actpass"),
                                                                "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            answer = pc.localDescription.sdp
            remote = _browser_remote(answer)
            assert remote["setup"] == "active"  # aiortc answers actpass with active
            # the browser checks and sends its ClientHello before the answer reaches the AGW:
            # the AGW must hold it until Modify brings the fingerprint (RFC 5763 §5)
            deadline = time.time() + 10
            while agw.cmd(cmd="stats", id="w")["stats"]["stun_ok"] == 0:
                assert time.time() < deadline, "no ICE check from aiortc"
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            assert agw.find_event("dtls_connected") is None
            if wrong_fingerprint:
                remote["fingerprint"] = remote["fingerprint"][:-2] + "00"
            agw.cmd(cmd="modify", id="w", remote=remote)
        else:
            await pc.setLocalDescription(await pc.createOffer())
            offer = pc.localDescription.sdp
            remote = _browser_remote(offer)
            assert remote["setup"] == "actpass"
            if wrong_fingerprint:
                remote["fingerprint"] = remote["fingerprint"][:-2] + "00"
            w = agw.cmd(cmd="add_w3", ctx="X", id="w", remote=remote)["local"]
            assert w["setup"] == "active"  # RFC 5763: the answerer takes active
            r = agw.cmd(cmd="add_rtp", ctx="X", id="r", remote=ims.remote())["local"]
            mid = _sdp_attr(offer, "mid") or "0"
            await pc.setRemoteDescription(RTCSessionDescription(_agw_sdp(w, mid, "active"),
                                                                "answer"))
        if wrong_fingerprint:
            ev = await agw.await_event("dtls_failed", "w", timeout=15)
            result["dtls_failed"] = ev
            await asyncio.sleep(1.0)
            ims.drain()
            result["ims_received"] = len(ims.received)
            result["stats_w"] = agw.cmd(cmd="subtract", id="w")["stats"]
            return result
        ev = await agw.await_event("dtls_connected", "w", timeout=15)
        result["profile"] = ev["profile"]
        # IMS -> browser: 600 Hz for 3 s while the browser sends 1 kHz
        n = 150
        dest = (r["address"], r["port"])
        if forge:
            # a second "browser" that knows the ICE credentials validates its address, then
            # sends forged SRTP: authenticated by ICE, refused by SRTP
            f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            f.bind((BROWSER_ADDR, 0))
            ok = stun_check(f, (w["address"], w["port"]), w["ufrag"], w["pwd"],
                            remote["ufrag"])
            assert ok.attributes["XOR-MAPPED-ADDRESS"] == f.getsockname()
            for i in range(20):
                f.sendto(rtp_packet(i, i * 160, 0x11223344, os.urandom(160 + 10)),
                         (w["address"], w["port"]))
                f.sendto(bytes([0x81, 200, 0, 6]) + os.urandom(40), (w["address"], w["port"]))
            for i in range(10):
                f.sendto(bytes([random.choice([5, 17, 70, 100, 200, 255])]) + os.urandom(99),
                         (w["address"], w["port"]))
            f.close()
        await ims.asend_tone(dest, 600, n)
        await asyncio.sleep(0.5)
        ims.drain()
        await pc.close()  # DTLS close_notify, no more RTP from the browser
        stats = await sender.getStats()  # counters of the closed sender: final
        result["browser_sent"] = [s.packetsSent for s in stats.values()
                                  if s.type == "outbound-rtp"][0]
        await asyncio.sleep(0.3)
        ims.drain()
        stop.set()
        result["received_tone"] = dominant_frequency(received[-RATE:]) if received else None
        result["received_samples"] = len(received)
        result["ims_tone"] = dominant_frequency(ims.samples())
        result["ims_received"] = len(ims.received)
        result["ims_sent"] = ims.sent
        result["stats_w"] = agw.cmd(cmd="subtract", id="w")["stats"]
        result["stats_r"] = agw.cmd(cmd="subtract", id="r")["stats"]
        result["closed"] = agw.find_event("dtls_closed", "w")
        return result
    finally:
        stop.set()
        await pc.close()
        for t in tasks:
            t.cancel()


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


@pytest.mark.parametrize("agw_offers,io", [(False, "auto"), (True, "auto"),
                                           (True, "epoll")],
                         ids=["browser-offers", "agw-offers", "agw-offers-epoll"])
def test_aiortc_call_tone_both_ways(agw_factory, agw_offers, io):
    if numpy is None:
        pytest.skip("python3-numpy is needed by the tone track")
    agw = agw_factory("--io", io)
    ims = ImsPeer()
    try:
        res = _run(_call(agw, ims, agw_offers))
    finally:
        ims.close()
    assert res["profile"] == "SRTP_AES128_CM_HMAC_SHA1_80"
    # the tones crossed the AGW: 1 kHz browser -> IMS, 600 Hz IMS -> browser
    assert abs(res["ims_tone"] - 1000) < 15, res
    assert res["received_samples"] >= RATE * 2, res
    assert abs(res["received_tone"] - 600) < 15, res
    sw, sr = res["stats_w"], res["stats_r"]
    # IMS -> browser: every packet sent by the IMS side reached the W3 leg
    assert sr["rx"]["packets"] == res["ims_sent"] == sw["tx"]["packets"]
    assert sr["rx"]["lost"] == 0
    # browser -> IMS: what aiortc sent = what the W3 leg decrypted = what the IMS side got
    assert sw["rx"]["packets"] == res["browser_sent"], res
    assert sw["rx"]["packets"] == sr["tx"]["packets"] == res["ims_received"], res
    assert sw["rx"]["lost"] == 0 and sw["srtp_failures"] == 0
    assert sw["rx"]["octets"] == sr["tx"]["octets"] == 172 * res["ims_received"]
    assert sw["rx"]["rtcp_packets"] >= 1  # aiortc's SRTCP reports were decrypted and relayed
    assert res["closed"] is not None  # close_notify seen
    if agw_offers:
        assert "held until the answer" in agw.log.read_text()


def test_aiortc_wrong_fingerprint_no_media(agw_factory):
    if numpy is None:
        pytest.skip("python3-numpy is needed by the tone track")
    agw = agw_factory()
    ims = ImsPeer()
    try:
        res = _run(_call(agw, ims, agw_offers=False, wrong_fingerprint=True))
    finally:
        ims.close()
    assert res["dtls_failed"]["reason"] == "certificate fingerprint mismatch"
    assert res["ims_received"] == 0
    assert res["stats_w"]["tx"]["packets"] == 0 and res["stats_w"]["rx"]["packets"] == 0
    assert agw.metric("agw_dtls_handshakes_total", 'result="failed"') == 1


def test_aiortc_forged_srtp_and_garbage_dropped(agw_factory):
    if numpy is None:
        pytest.skip("python3-numpy is needed by the tone track")
    agw = agw_factory()
    ims = ImsPeer()
    try:
        res = _run(_call(agw, ims, agw_offers=True, forge=True))
    finally:
        ims.close()
    sw = res["stats_w"]
    assert sw["srtp_failures"] == 40  # 20 SRTP + 20 SRTCP forgeries
    assert sw["dropped"] >= 50
    assert agw.metric("agw_srtp_failures_total", 'direction="w3_to_rtp"') == 40
    assert agw.metric("agw_packets_dropped_total", 'reason="demux"') >= 10
    # the call itself was not disturbed
    assert abs(res["ims_tone"] - 1000) < 15 and abs(res["received_tone"] - 600) < 15
    assert sw["rx"]["packets"] == res["browser_sent"]
