"""A WIC test client: logs in over the wtpf's HTTP API, speaks the JSON protocol of DESIGN.md
("WIC API") over a WebSocket (python3-websockets), and makes real WebRTC offers and answers with
python3-aiortc so that media can flow between two aiortc ends through the SDP the wtpf passes.
"""
import asyncio
import fractions
import http.client
import json
import math
import time

import websockets

try:
    import aioice.ice
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
    from av import AudioFrame

    # aioice leaves 127.0.0.1 out of its host candidates; the tests run on loopback only.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
    HAVE_AIORTC = True
except ImportError:  # the API tests do not need media
    HAVE_AIORTC = False
    AudioStreamTrack = object


def http_json(base, method, path, body=None, source=None, raw=None, headers=None):
    """One HTTP request; returns (status, headers dict, parsed JSON or text)."""
    host, port = base
    conn = http.client.HTTPConnection(host, port, timeout=10,
                                      source_address=(source, 0) if source else None)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    conn.request(method, path, body=data, headers=hdrs)
    r = conn.getresponse()
    text = r.read().decode("utf-8", "replace")
    h = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    try:
        return r.status, h, json.loads(text)
    except ValueError:
        return r.status, h, text


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone at 8 kHz, 20 ms frames: what the far end must hear."""
    kind = "audio"

    def __init__(self, freq=440.0):
        super().__init__()
        self.freq = freq
        self._ts = 0
        self._start = None

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        rate, samples = 8000, 160
        if self._start is None:
            self._start = time.time()
        else:
            self._ts += samples
            await asyncio.sleep(max(0, self._start + self._ts / rate - time.time()))
        frame = AudioFrame(format="s16", layout="mono", samples=samples)
        pcm = bytearray()
        for i in range(samples):
            v = int(8000 * math.sin(2 * math.pi * self.freq * (self._ts + i) / rate))
            pcm += v.to_bytes(2, "little", signed=True)
        frame.planes[0].update(bytes(pcm))
        frame.pts = self._ts
        frame.sample_rate = rate
        frame.time_base = fractions.Fraction(1, rate)
        return frame


class Media:
    """One RTCPeerConnection sending a tone and measuring what it receives."""

    def __init__(self):
        self.pc = RTCPeerConnection()
        self.pc.addTrack(ToneTrack())
        self.frames = 0
        self.loud_frames = 0
        self._tasks = []

        @self.pc.on("track")
        def on_track(track):
            self._tasks.append(asyncio.ensure_future(self._drain(track)))

    async def _drain(self, track):
        try:
            while True:
                frame = await track.recv()
                self.frames += 1
                data = bytes(frame.planes[0])[: frame.samples * 2]
                peak = max((abs(int.from_bytes(data[i:i + 2], "little", signed=True))
                            for i in range(0, len(data), 2)), default=0)
                if peak > 1000:
                    self.loud_frames += 1
        except Exception:
            return

    async def offer(self):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, offer_sdp):
        await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp):
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    async def heard(self, frames=25, timeout=10):
        """True once `frames` frames of the tone arrived."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.loud_frames >= frames:
                return True
            await asyncio.sleep(0.1)
        return False

    async def close(self):
        for t in self._tasks:
            t.cancel()
        await self.pc.close()


class WicClient:
    """One logged-in WIC: HTTP login, then the WebSocket with a queue of received messages."""

    def __init__(self, http_addr, user, password, source=None):
        self.http_addr, self.user, self.password, self.source = http_addr, user, password, source
        self.ws = None
        self.token = None
        self.ready = None
        self.inbox = asyncio.Queue()
        self.history = []
        self._reader = None

    async def login(self):
        st, _, body = await asyncio.to_thread(
            http_json, self.http_addr, "POST", "/api/login",
            {"user": self.user, "password": self.password}, self.source)
        assert st == 200, (st, body)
        self.token = body["token"]
        return body

    async def connect(self, token=None):
        if token is None and self.token is None:
            await self.login()
        host, port = self.http_addr
        self.ws = await websockets.connect(f"ws://{host}:{port}/wic?token={token or self.token}",
                                           max_size=2**20, ping_interval=None)
        self.ready = json.loads(await asyncio.wait_for(self.ws.recv(), 5))
        assert self.ready["type"] == "ready", self.ready
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        try:
            async for text in self.ws:
                msg = json.loads(text)
                self.history.append(msg)
                self.inbox.put_nowait(msg)
        except websockets.ConnectionClosed:
            pass
        self.inbox.put_nowait(None)

    async def send(self, **msg):
        await self.ws.send(json.dumps(msg))

    async def expect(self, type_, id_=None, timeout=5):
        """The next message of that type (and id); other messages are kept for later calls."""
        deadline = time.time() + timeout
        skipped = []
        try:
            while True:
                msg = await asyncio.wait_for(self.inbox.get(), max(0.01, deadline - time.time()))
                if msg is None:
                    raise AssertionError(f"{self.user}: WebSocket closed waiting for {type_}")
                if msg["type"] == type_ and (id_ is None or msg.get("id") == id_):
                    return msg
                skipped.append(msg)
        finally:
            for m in skipped:
                self.inbox.put_nowait(m)

    async def nothing(self, seconds=0.5):
        """Asserts that no message arrives for a while."""
        try:
            msg = await asyncio.wait_for(self.inbox.get(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"{self.user}: unexpected {msg}")

    async def close(self):
        if self.ws:
            await self.ws.close()
        if self._reader:
            await asyncio.wait_for(self._reader, 5)


class RawWs:
    """A WebSocket client over a bare socket, for frames a well-behaved library never sends
    (unmasked, oversized, reserved opcodes, broken UTF-8, split at odd places)."""

    def __init__(self, addr, path, headers=None, source=None):
        import base64
        import os
        import socket
        self.sock = socket.create_connection(addr, timeout=5,
                                             source_address=(source, 0) if source else None)
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = {"Host": f"{addr[0]}:{addr[1]}", "Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
        hdrs.update(headers or {})
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()
                                                 if v is not None) + "\r\n"
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip()
                        for l in lines[1:] if ":" in l}

    @staticmethod
    def frame(payload, opcode=1, fin=True, mask=True, rsv=0, length=None):
        import os
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload) if length is None else length
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        if n < 126:
            hdr = bytes([b0, (0x80 if mask else 0) | n])
        elif n < 65536:
            hdr = bytes([b0, (0x80 if mask else 0) | 126]) + n.to_bytes(2, "big")
        else:
            hdr = bytes([b0, (0x80 if mask else 0) | 127]) + n.to_bytes(8, "big")
        if not mask:
            return hdr + payload
        key = os.urandom(4)
        return hdr + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def send(self, data):
        self.sock.sendall(data)

    def send_text(self, text):
        self.send(self.frame(text))

    def recv_frame(self, timeout=5):
        """(opcode, payload) of the next server frame, or None when the TCP link closed."""
        self.sock.settimeout(timeout)

        def need(n):
            while len(self.buf) < n:
                d = self.sock.recv(65536)
                if not d:
                    return False
                self.buf += d
            return True
        if not need(2):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        assert b1 & 0x80 == 0, "server frames must not be masked"
        n, off = b1 & 0x7F, 2
        if n == 126:
            need(4)
            n, off = int.from_bytes(self.buf[2:4], "big"), 4
        elif n == 127:
            need(10)
            n, off = int.from_bytes(self.buf[2:10], "big"), 10
        if not need(off + n):
            return None
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload

    def recv_json(self, timeout=5):
        while True:
            f = self.recv_frame(timeout)
            assert f is not None, "connection closed"
            if f[0] == 1:
                return json.loads(f[1])

    def expect_close(self, timeout=5):
        """The close code of the server's Close frame (skipping other frames), then EOF."""
        while True:
            f = self.recv_frame(timeout)
            assert f is not None, "TCP closed without a Close frame"
            if f[0] == 8:
                code = int.from_bytes(f[1][:2], "big") if len(f[1]) >= 2 else 1005
                return code, f[1][2:].decode("utf-8", "replace")

    def closed(self, timeout=5):
        """True when the server closes the TCP link (EOF) within timeout."""
        import socket
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.sock.close()


def wtpf_conf(tmp, mode="registration", http="127.0.21.1", sip_peer="127.0.21.2", extra="",
              users=None, groups=None, auth="", websocket="", w8_extra="", calls="",
              services=""):
    """The wtpf configuration of the component tests: the wtpf on 127.0.21.1 (HTTP 8080, SIP
    5060, admin 9090), the SIP peer (the pcscf's stand-in) on 127.0.21.2:5060."""
    import pathlib
    import subprocess
    from conftest import binary
    hashes = {}

    def h(pw):
        if pw not in hashes:
            hashes[pw] = subprocess.run([binary("wtpf"), "--hash-password", pw], check=True,
                                        capture_output=True, text=True).stdout.strip()
        return hashes[pw]
    if users is None:
        users = [("alice", "alice-lab", "+33140000101", ""), ("bob", "bob-lab", "+33140000102", ""),
                 ("carol", "carol-lab", "+33140000103", "")]
    utext = ",\n".join(
        f'  {{ name = "{n}"; display_name = "{n.title()}"; password_hash = "{h(p)}"; '
        f'number = "{num}"; {more} }}' for n, p, num, more in users)
    if groups is None:
        groups = '{ name = "call-centre"; number = "+33140000100"; members = [ "alice", "bob" ]; }'
    www = pathlib.Path(__file__).resolve().parents[2] / "wtpf" / "www"
    return f"""
log = {{ level = "debug"; }};
admin = {{ address = "{http}"; port = 9090; }};
http = {{ address = "{http}"; port = 8080; www_dir = "{www}"; }};
auth = {{ {auth} }};
websocket = {{ {websocket} }};
w8 = {{ mode = "{mode}"; listen = "sip:{http}:5060"; pcscf = "sip:{sip_peer}:5060";
        domain = "ims.lab"; impi = "pbx@ims.lab"; password = "pbx-lab";
        impu = "sip:+33140000000@ims.lab"; number_prefix = "+3314000"; keepalive = 1;
        retry_min = 1; retry_max = 2; {w8_extra} }};
calls = {{ {calls} }};
services = {{ {services} }};
users = (
{utext}
);
groups = ( {groups} );
{extra}
"""
