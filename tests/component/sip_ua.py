"""A small SIP user agent for the pcscf's component tests: UDP or TCP, REGISTER with SIP Digest
(RFC 2617, qop=auth), RFC 6140 GIN REGISTER, INVITE/ACK/BYE/CANCEL as UAC, and a UAS side that
hands received requests to the test. It is ours and deliberately plain: every message it sends
is built here, so tests can also send broken ones."""
import hashlib
import queue
import random
import re
import socket
import ssl
import string
import threading
import time

COMPACT = {"v": "Via", "f": "From", "t": "To", "i": "Call-ID", "m": "Contact", "l": "Content-Length",
           "c": "Content-Type", "k": "Supported", "s": "Subject", "e": "Content-Encoding",
           "o": "Event", "r": "Refer-To", "b": "Referred-By", "x": "Session-Expires", "u": "Allow-Events"}


def rand(n=10):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Msg:
    """A parsed SIP message: first line, ordered headers, body."""

    def __init__(self, first, headers=None, body=b""):
        self.first = first
        self.headers = list(headers or [])
        self.body = body if isinstance(body, bytes) else body.encode()

    @classmethod
    def parse(cls, data):
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip()
            headers.append((COMPACT.get(name.lower(), name), value.strip()))
        return cls(lines[0], headers, body)

    @property
    def is_request(self):
        return not self.first.startswith("SIP/2.0")

    @property
    def status(self):
        return int(self.first.split()[1])

    @property
    def method(self):
        return self.first.split()[0] if self.is_request else self.cseq_method

    @property
    def uri(self):
        return self.first.split()[1]

    @property
    def cseq_method(self):
        return self.get("CSeq").split()[1]

    def get(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def getall(self, name):
        """Every value, comma-separated lists split (outside <> and quotes)."""
        out = []
        for n, v in self.headers:
            if n.lower() == name.lower():
                out.extend(split_list(v))
        return out

    def count(self, name):
        return sum(1 for n, _ in self.headers if n.lower() == name.lower())

    def set(self, name, value):
        self.remove(name)
        self.headers.append((name, value))

    def remove(self, name):
        self.headers = [(n, v) for n, v in self.headers if n.lower() != name.lower()]

    def tag(self, name):
        m = re.search(r";\s*tag=([^;>\s]+)", self.get(name) or "")
        return m.group(1) if m else None

    def branch(self):
        m = re.search(r"branch=([^;,\s]+)", self.get("Via") or "")
        return m.group(1) if m else None

    def to_bytes(self):
        hs = [(n, v) for n, v in self.headers if n.lower() != "content-length"]
        hs.append(("Content-Length", str(len(self.body))))
        text = self.first + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in hs) + "\r\n"
        return text.encode() + self.body

    def __str__(self):
        return self.to_bytes().decode("utf-8", "replace")


def split_list(v):
    out, cur, q, a = [], "", False, 0
    for ch in v:
        if ch == '"':
            q = not q
        elif not q and ch == "<":
            a += 1
        elif not q and ch == ">":
            a -= 1
        if ch == "," and not q and a == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def uri_of(nameaddr):
    m = re.search(r"<([^>]*)>", nameaddr)
    return m.group(1) if m else nameaddr.split(";")[0].strip()


def digest_response(user, realm, password, method, uri, nonce, nc, cnonce, qop="auth"):
    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    if qop:
        return md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return md5(f"{ha1}:{nonce}:{ha2}")


def parse_challenge(v):
    params = dict(re.findall(r'(\w+)\s*=\s*"?([^",]*)"?', v.split(" ", 1)[1]))
    return params


class Transport:
    """One socket (UDP, or a TCP connection to the proxy) and a reader thread."""

    def __init__(self, local, proxy, proto):
        self.proto, self.proxy = proto, proxy
        self.inbox = queue.Queue()
        self.closed = False
        if proto == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(local)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(local)
            self.sock.connect(proxy)
            if proto == "tls":  # the lab's self-signed certificate is not verified
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                self.sock = ctx.wrap_socket(self.sock)
        self.local = self.sock.getsockname()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, data, dest=None):
        if self.proto == "udp":
            self.sock.sendto(data, dest or self.proxy)
        else:
            self.sock.sendall(data)

    def _run(self):
        buf = b""
        self.sock.settimeout(0.2)
        while not self.closed:
            try:
                if self.proto == "udp":
                    data, src = self.sock.recvfrom(65535)
                    if data.strip():
                        self.inbox.put((data, src))
                    continue
                data = self.sock.recv(65535)
                if not data:
                    return
                buf += data
                while True:
                    buf = buf.lstrip(b"\r\n")
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    m = re.search(rb"\r\n(?:Content-Length|l)\s*:\s*(\d+)", buf[:end + 2], re.I)
                    blen = int(m.group(1)) if m else 0
                    if len(buf) < end + 4 + blen:
                        break
                    self.inbox.put((buf[:end + 4 + blen], self.proxy))
                    buf = buf[end + 4 + blen:]
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                return

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass
        self.thread.join(timeout=2)


class UA:
    """A UA registered (or not) through the proxy. aor: 'sip:+33150000201@ims.lab'."""

    def __init__(self, aor, local_ip, proxy=("127.0.10.2", 5060), proto="udp", local_port=0,
                 password=None, impi=None, realm="ims.lab", user_agent="sip_ua.py"):
        self.aor, self.password, self.realm = aor, password, realm
        self.impi = impi or aor.split(":", 1)[1]
        self.proto = proto
        self.tp = Transport((local_ip, local_port), proxy, proto)
        self.ip, self.port = self.tp.local
        self.proxy = proxy
        self.call_id_reg = rand(16) + "@" + local_ip
        self.cseq = random.randint(1, 1000)
        self.tag = rand(8)
        self.nc = 0
        self.nonce = None
        self.user_agent = user_agent
        self.requests = queue.Queue()  # requests received (UAS side)
        self.responses = {}  # branch -> queue of responses
        self.sent_responses = {}  # (branch, method) -> bytes, for retransmissions
        self.lock = threading.Lock()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.stop = False
        self.pump.start()

    # ---- plumbing ----
    def close(self):
        self.stop = True
        self.tp.close()
        self.pump.join(timeout=2)

    def _pump(self):
        while not self.stop:
            try:
                data, src = self.tp.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                msg = Msg.parse(data)
            except Exception:  # noqa: BLE001 - a broken message is dropped
                continue
            msg.src = src
            if msg.is_request:
                key = (msg.branch(), msg.method)
                with self.lock:
                    old = self.sent_responses.get(key)
                if old is not None and msg.method != "ACK":
                    self.tp.send(old, src)
                    continue
                self.requests.put(msg)
            else:
                with self.lock:
                    q = self.responses.get(msg.branch())
                if q is not None:
                    q.put(msg)

    @property
    def via_proto(self):
        return self.proto.upper()

    def contact(self, user=True, params=""):
        u = self.aor.split(":", 1)[1].split("@")[0] + "@" if user else ""
        tp = f";transport={self.proto}" if self.proto != "udp" else ""
        return f"<sip:{u}{self.ip}:{self.port}{tp}{params}>"

    def new_request(self, method, uri, to=None, from_=None, call_id=None, cseq=None,
                    from_tag=None, to_tag=None, headers=(), body=b"", route=None):
        branch = "z9hG4bK" + rand(12)
        to = to or f"<{uri}>"
        if to_tag:
            to += f";tag={to_tag}"
        self.cseq += 1
        hs = [("Via", f"SIP/2.0/{self.via_proto} {self.ip}:{self.port};branch={branch};rport"),
              ("Max-Forwards", "70"),
              ("From", (from_ or f"<{self.aor}>") + f";tag={from_tag or self.tag}"),
              ("To", to),
              ("Call-ID", call_id or rand(16) + "@" + self.ip),
              ("CSeq", f"{cseq or self.cseq} {method}"),
              ("User-Agent", self.user_agent)]
        if route:
            hs.append(("Route", route))
        hs.extend(headers)
        return Msg(f"{method} {uri} SIP/2.0", hs, body)

    def send(self, msg, dest=None):
        """Sends a request; returns the queue its responses arrive on."""
        q = queue.Queue()
        if msg.is_request:
            with self.lock:
                self.responses[msg.branch()] = q
        self.tp.send(msg.to_bytes(), dest)
        return q

    def send_raw(self, data, dest=None):
        self.tp.send(data if isinstance(data, bytes) else data.encode(), dest)

    def wait(self, q, final=True, timeout=10, method=None):
        """Next response (the first final one when final=True) to `method` (any when None);
        None on timeout."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            try:
                r = q.get(timeout=left)
            except queue.Empty:
                return None
            if method and r.cseq_method != method:
                continue
            if not final or r.status >= 200:
                return r

    def transact(self, msg, timeout=10):
        q = self.send(msg)
        r = self.wait(q, timeout=timeout, method=msg.method)
        if r is not None and r.status >= 300 and msg.method == "INVITE":
            self.ack_non2xx(msg, r)
        return r

    def ack_non2xx(self, invite, resp):
        """RFC 3261 §17.1.1.3: the ACK of a non-2xx final response is hop-by-hop."""
        hs = [("Via", invite.get("Via")), ("Max-Forwards", "70"), ("From", invite.get("From")),
              ("To", resp.get("To")), ("Call-ID", invite.get("Call-ID")),
              ("CSeq", invite.get("CSeq").split()[0] + " ACK")]
        if invite.get("Route"):
            hs.append(("Route", invite.get("Route")))
        self.tp.send(Msg(f"ACK {invite.uri} SIP/2.0", hs).to_bytes())

    # ---- registration ----
    def authorization(self, method, uri, challenge):
        self.nonce = challenge["nonce"]
        self.nc = 0
        return self._auth_header(method, uri, challenge)

    def _auth_header(self, method, uri, challenge, password=None):
        self.nc += 1
        nc = f"{self.nc:08x}"
        cnonce = rand(8)
        qop = "auth" if "qop" in challenge else None
        resp = digest_response(self.impi, challenge.get("realm", self.realm),
                               password or self.password, method, uri, challenge["nonce"], nc,
                               cnonce, qop)
        h = (f'Digest username="{self.impi}", realm="{challenge.get("realm", self.realm)}", '
             f'nonce="{challenge["nonce"]}", uri="{uri}", response="{resp}", algorithm=MD5')
        if qop:
            h += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        return h

    def register(self, expires=600, contact=None, gin=False, headers=(), password=None,
                 empty_auth=False, timeout=10, contacts=None):
        """REGISTER, answering one 401 challenge. Returns (first response, final response)."""
        uri = f"sip:{self.realm}"
        extra = list(headers)
        if gin:
            contact = contact or f"<sip:{self.ip}:{self.port}" + (
                f";transport={self.proto}" if self.proto != "udp" else "") + ";bnc>"
            extra += [("Require", "gin"), ("Proxy-Require", "gin"), ("Supported", "path, gin")]
        if contacts is None:
            contacts = [(contact or self.contact()) + f";expires={expires}"]
        for c in contacts:
            extra.append(("Contact", c))
        if empty_auth:
            extra.append(("Authorization", f'Digest username="{self.impi}", realm="{self.realm}", '
                                           f'nonce="", uri="{uri}", response=""'))
        msg = self.new_request("REGISTER", uri, to=f"<{self.aor}>", from_=f"<{self.aor}>",
                               call_id=self.call_id_reg, headers=extra)
        first = self.transact(msg, timeout=timeout)
        if first is None or first.status != 401:
            return first, first
        ch = parse_challenge(first.get("WWW-Authenticate"))
        self.challenge = ch
        msg.remove("Authorization")
        msg2 = self.new_request("REGISTER", uri, to=f"<{self.aor}>", from_=f"<{self.aor}>",
                                call_id=self.call_id_reg,
                                headers=[h for h in extra if h[0] != "Authorization"] +
                                [("Authorization", self.authorization("REGISTER", uri, ch))])
        if password:
            msg2.set("Authorization", self._auth_header("REGISTER", uri, ch, password))
        return first, self.transact(msg2, timeout=timeout)

    # ---- calls ----
    def invite(self, target, sdp=None, headers=(), route=None, timeout=15):
        """Sends an INVITE; returns a Call whose .final is filled by wait_final()."""
        body = sdp.encode() if isinstance(sdp, str) else (sdp or b"")
        hs = [("Contact", self.contact()), ("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")]
        if body:
            hs.append(("Content-Type", "application/sdp"))
        hs.extend(headers)
        msg = self.new_request("INVITE", target, headers=hs, body=body, route=route)
        return Call(self, msg, self.send(msg))

    def next_request(self, method=None, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                r = self.requests.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                return None
            if method is None or r.method == method:
                return r
        return None

    def respond(self, req, status, reason="", headers=(), body=b"", to_tag=None):
        hs = [(n, v) for n, v in req.headers if n.lower() in ("via", "record-route")]
        to = req.get("To")
        if status > 100 and ";tag=" not in to:
            to += f";tag={to_tag or self.tag}"
        hs += [("From", req.get("From")), ("To", to), ("Call-ID", req.get("Call-ID")),
               ("CSeq", req.get("CSeq"))]
        if req.method == "INVITE" and 100 < status < 300:
            hs.append(("Contact", self.contact()))
        hs.extend(headers)
        body = body.encode() if isinstance(body, str) else body
        if body:
            hs.append(("Content-Type", "application/sdp"))
        resp = Msg(f"SIP/2.0 {status} {reason or 'Reason'}", hs, body)
        data = resp.to_bytes()
        if status >= 200:
            with self.lock:
                self.sent_responses[(req.branch(), req.method)] = data
        self.tp.send(data, getattr(req, "src", None))
        return resp


class Call:
    def __init__(self, ua, invite, q):
        self.ua, self.invite, self.q = ua, invite, q
        self.final = None
        self.provisional = []

    def wait_final(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.ua.wait(self.q, final=False, timeout=deadline - time.time(), method="INVITE")
            if r is None:
                break
            if r.status < 200:
                self.provisional.append(r)
                continue
            self.final = r
            if r.status >= 300:
                self.ua.ack_non2xx(self.invite, r)
            return r
        return None

    def route_set(self):
        """Route set of the dialog from the 2xx's Record-Route (reversed, RFC 3261 §12.1.2)."""
        rr = self.final.getall("Record-Route")
        return list(reversed(rr))

    def in_dialog(self, method, headers=(), body=b""):
        remote = uri_of(self.final.get("Contact"))
        routes = self.route_set()
        msg = self.ua.new_request(method, remote, to=self.final.get("To").split(";tag=")[0],
                                  call_id=self.invite.get("Call-ID"),
                                  to_tag=self.final.tag("To"), headers=list(headers), body=body,
                                  route=", ".join(routes) if routes else None)
        if method == "ACK":
            msg.set("CSeq", self.invite.get("CSeq").split()[0] + " ACK")
        return msg

    def ack(self):
        msg = self.in_dialog("ACK")
        self.ua.tp.send(msg.to_bytes())
        return msg

    def bye(self, timeout=10):
        return self.ua.transact(self.in_dialog("BYE"), timeout=timeout)

    def cancel(self):
        hs = [("Via", self.invite.get("Via")), ("Max-Forwards", "70"),
              ("From", self.invite.get("From")), ("To", self.invite.get("To")),
              ("Call-ID", self.invite.get("Call-ID")),
              ("CSeq", self.invite.get("CSeq").split()[0] + " CANCEL")]
        if self.invite.get("Route"):
            hs.append(("Route", self.invite.get("Route")))
        msg = Msg(f"CANCEL {self.invite.uri} SIP/2.0", hs)
        # A CANCEL has the INVITE's branch; its response arrives on the same queue.
        self.ua.tp.send(msg.to_bytes())


AUDIO_SDP = """v=0\r
o=- {sess} 1 IN IP4 {ip}\r
s=-\r
c=IN IP4 {ip}\r
t=0 0\r
m=audio {port} RTP/AVP 0 8 101\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:101 telephone-event/8000\r
a=fmtp:101 0-15\r
a=sendrecv\r
"""


def audio_sdp(ip, port=40000):
    return AUDIO_SDP.format(sess=random.randint(1, 1 << 30), ip=ip, port=port)
