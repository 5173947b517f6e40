"""A small SIP peer over UDP standing in for the pcscf in the wtpf's component tests (asyncio).

Registrar: challenges REGISTER with Digest (realm ims.lab, MD5, qop=auth), checks the answer,
answers 200 OK with the Contact, P-Associated-URI and Service-Route, and keeps the bindings.
UAS: answers INVITEs from the wtpf as a test says (100 Trying at once, then ring/answer/fail),
answers in-dialog BYE/INFO/OPTIONS with 200, CANCEL with 200 + 487. UAC: sends INVITEs toward
the wtpf (the Request-URI built from the registered bnc Contact, as RFC 6140 §7 says), ACKs,
CANCELs and BYEs. Every message received is recorded for assertions.
"""
import asyncio
import hashlib
import itertools
import random
import re
import time

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding"}


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def new_tag():
    return "%08x" % random.getrandbits(32)


def new_branch():
    return "z9hG4bK%016x" % random.getrandbits(64)


class SipMessage:
    """One SIP request or response: start line, ordered headers, body."""

    def __init__(self, start, headers=None, body=""):
        self.start = start
        self.headers = list(headers or [])
        self.body = body
        self.addr = None
        self.time = time.time()

    @classmethod
    def parse(cls, data):
        text = data.decode("utf-8", "replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers = []
        for line in lines[1:]:
            if line[:1] in " \t" and headers:  # folded line
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip()
            headers.append((COMPACT.get(name.lower(), name), value.strip()))
        return cls(lines[0], headers, body)

    @property
    def is_request(self):
        return not self.start.startswith("SIP/2.0")

    @property
    def method(self):
        return self.start.split(" ", 1)[0] if self.is_request else self.cseq[1]

    @property
    def uri(self):
        return self.start.split(" ")[1]

    @property
    def status(self):
        return int(self.start.split(" ")[1]) if not self.is_request else None

    @property
    def reason(self):
        return self.start.split(" ", 2)[2] if not self.is_request else None

    def get(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def get_all(self, name):
        out = []
        for n, v in self.headers:
            if n.lower() == name.lower():
                out.append(v)
        return out

    def set(self, name, value):
        self.headers = [(n, v) for n, v in self.headers if n.lower() != name.lower()]
        self.headers.append((name, value))

    @property
    def call_id(self):
        return self.get("Call-ID")

    @property
    def cseq(self):
        n, m = self.get("CSeq").split()
        return int(n), m

    @property
    def branch(self):
        m = re.search(r"branch=([^;,\s]+)", self.get("Via") or "")
        return m.group(1) if m else None

    def tag(self, hdr):
        m = re.search(r";\s*tag=([^;>\s]+)", self.get(hdr) or "")
        return m.group(1) if m else None

    def encode(self):
        body = self.body.encode() if isinstance(self.body, str) else self.body
        lines = [self.start] + [f"{n}: {v}" for n, v in self.headers
                                if n.lower() != "content-length"]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def __repr__(self):
        return f"<SipMessage {self.start}>"


def uri_of(header_value):
    m = re.search(r"<([^>]*)>", header_value or "")
    if m:
        return m.group(1)
    return (header_value or "").split(";")[0].strip()


class Dialog:
    """One INVITE dialog, whichever side started it."""

    def __init__(self, peer, call_id, local_tag, local_uri, remote_uri, remote_target):
        self.peer = peer
        self.call_id = call_id
        self.local_tag = local_tag
        self.remote_tag = None
        self.local_uri = local_uri
        self.remote_uri = remote_uri
        self.remote_target = remote_target
        self.cseq = random.randint(1, 1000)
        self.invite = None       # the INVITE (ours or theirs)
        self.responses = asyncio.Queue()  # responses to our requests in this dialog
        self.requests = asyncio.Queue()   # in-dialog requests from the wtpf (BYE, INFO, ...)
        self.ended = asyncio.Event()
        self.final = None        # final response to the INVITE
        self.finals = {}         # CSeq number -> final response (INVITE and re-INVITEs)

    def request(self, method, body="", ctype=None, extra=None, cseq=None, branch=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        to = f"<{self.remote_uri}>" + (f";tag={self.remote_tag}" if self.remote_tag else "")
        h = [("Via", f"SIP/2.0/UDP {self.peer.host}:{self.peer.port};branch={branch or new_branch()};rport"),
             ("Max-Forwards", "70"),
             ("From", f"<{self.local_uri}>;tag={self.local_tag}"),
             ("To", to), ("Call-ID", self.call_id), ("CSeq", f"{cseq} {method}"),
             ("Contact", f"<sip:{self.peer.host}:{self.peer.port}>")]
        if ctype:
            h.append(("Content-Type", ctype))
        for k, v in (extra or []):
            h.append((k, v))
        return SipMessage(f"{method} {self.remote_target} SIP/2.0", h, body)

    async def response(self, timeout=5, final=False, method=None):
        """The next response in this dialog (final: skip provisional ones; method: only
        responses to that method, e.g. the INVITE's and not the CANCEL's)."""
        deadline = time.time() + timeout
        while True:
            r = await asyncio.wait_for(self.responses.get(), max(0.01, deadline - time.time()))
            if (not final or r.status >= 200) and (method is None or r.method == method):
                return r

    async def next_request(self, method=None, timeout=5):
        deadline = time.time() + timeout
        while True:
            r = await asyncio.wait_for(self.requests.get(), max(0.01, deadline - time.time()))
            if method is None or r.method == method:
                return r

    def bye(self):
        req = self.request("BYE")
        self.peer.send(req, self.peer.wtpf)
        return req


class SipPeer(asyncio.DatagramProtocol):
    def __init__(self, host, port, wtpf, realm="ims.lab", credentials=None,
                 associated=("sip:+33140000000@ims.lab", "tel:+33140000000", "tel:+3314000!.*!")):
        self.host, self.port, self.wtpf = host, port, wtpf
        self.realm = realm
        self.credentials = credentials if credentials is not None else {"pbx@ims.lab": "pbx-lab"}
        self.associated = associated
        self.transport = None
        self.log = []                 # every message received, in order
        self.requests = asyncio.Queue()   # new out-of-dialog requests from the wtpf (INVITE, ...)
        self.bindings = {}            # AOR -> (contact header value, expiry time, REGISTER)
        self.registers = []           # every REGISTER received
        self.register_policy = None   # callable(req) -> None (normal) or a status to answer
        self.nonces = set()
        self.dialogs = {}             # (call-id, local tag) -> Dialog
        self.seen = {}                # (branch, method) -> last response sent (dedupe)
        self.invite_sdp = None        # automatic answer when not None (tests may set)
        self.grant_expires = None     # registration lifetime granted (default: as asked)
        self.silent = False           # drop everything (a hung pcscf)
        self._cseq = itertools.count(1)

    # ---- transport ----
    async def start(self):
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=(self.host, self.port))
        return self

    def stop(self):
        if self.transport:
            self.transport.close()
            self.transport = None

    async def restart(self, down_for=0.5):
        """Stops listening (the wtpf then gets ICMP port unreachable), forgets every binding and
        listens again: a pcscf restart."""
        self.stop()
        await asyncio.sleep(down_for)
        self.bindings.clear()
        self.nonces.clear()
        await self.start()

    def connection_made(self, transport):
        self.transport = transport

    def error_received(self, exc):
        pass

    def send(self, msg, addr=None):
        if self.transport:
            self.transport.sendto(msg.encode(), addr or self.wtpf)

    def datagram_received(self, data, addr):
        if self.silent:
            return
        try:
            msg = SipMessage.parse(data)
        except Exception:
            return
        msg.addr = addr
        self.log.append(msg)
        if msg.is_request:
            self._on_request(msg)
        else:
            self._on_response(msg)

    # ---- responses ----
    def response_to(self, req, status, reason, body="", ctype=None, extra=None, to_tag=None):
        h = []
        for n, v in req.headers:
            if n.lower() in ("via", "from", "call-id", "cseq"):
                h.append((n, v))
            elif n.lower() == "to":
                if to_tag and "tag=" not in v:
                    v = f"{v};tag={to_tag}"
                h.append((n, v))
        if req.method == "INVITE" and 100 < status < 300:
            h.append(("Contact", f"<sip:{self.host}:{self.port}>"))
        if ctype:
            h.append(("Content-Type", ctype))
        for k, v in (extra or []):
            h.append((k, v))
        return SipMessage(f"SIP/2.0 {status} {reason}", h, body)

    def reply(self, req, status, reason, body="", ctype=None, extra=None, to_tag=None):
        resp = self.response_to(req, status, reason, body, ctype, extra, to_tag)
        self.seen[(req.branch, req.method)] = resp
        self.send(resp, req.addr)
        return resp

    # ---- requests from the wtpf ----
    def _on_request(self, req):
        key = (req.branch, req.method)
        if req.method != "ACK" and key in self.seen:
            if self.seen[key] is not None:
                self.send(self.seen[key], req.addr)  # retransmission: same answer
            return
        if req.method != "ACK":
            self.seen[key] = None
        m = req.method
        if m == "REGISTER":
            self._register(req)
            return
        if m == "OPTIONS":
            self.reply(req, 200, "OK", extra=[("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS")])
            return
        dlg = self._dialog_for(req)
        if m == "INVITE" and dlg is None:
            tag = new_tag()
            dlg = Dialog(self, req.call_id, tag, uri_of(req.get("To")), uri_of(req.get("From")),
                         uri_of(req.get("Contact")))
            dlg.remote_tag = req.tag("From")
            dlg.invite = req
            self.dialogs[(req.call_id, tag)] = dlg
            self.reply(req, 100, "Trying")
            self.requests.put_nowait(req)
            if self.invite_sdp is not None:
                self.answer(dlg, self.invite_sdp)
            return
        if m == "CANCEL":
            self.reply(req, 200, "OK")
            inv = next((d for d in self.dialogs.values()
                        if d.invite is not None and d.invite.call_id == req.call_id
                        and d.invite.branch == req.branch and d.invite.addr is not None), None)
            if inv and inv.final is None:
                inv.final = self.reply(inv.invite, 487, "Request Terminated", to_tag=inv.local_tag)
                inv.ended.set()
                inv.requests.put_nowait(req)
            return
        if dlg is None:
            if m != "ACK":
                self.reply(req, 481, "Call/Transaction Does Not Exist")
            return
        if m == "ACK":
            dlg.requests.put_nowait(req)
            return
        self.reply(req, 200, "OK", to_tag=None)
        if m == "BYE":
            dlg.ended.set()
        dlg.requests.put_nowait(req)

    def _dialog_for(self, req):
        cid = req.call_id
        for tag in (req.tag("To"),):
            if tag and (cid, tag) in self.dialogs:
                return self.dialogs[(cid, tag)]
        # INVITE retransmission or CANCEL/ACK before a To tag: match by Call-ID
        if req.method in ("ACK",):
            for (c, _), d in self.dialogs.items():
                if c == cid:
                    return d
        return None

    # ---- registrar ----
    def _register(self, req):
        self.registers.append(req)
        if self.register_policy:
            st = self.register_policy(req)
            if st:
                self.reply(req, st, {403: "Forbidden", 404: "Not Found", 500: "Server Error",
                                     503: "Service Unavailable"}.get(st, "Failure"))
                return
        auth = req.get("Authorization")
        if not auth or not self._digest_ok(req, auth):
            nonce = "%032x" % random.getrandbits(128)
            self.nonces.add(nonce)
            self.reply(req, 401, "Unauthorized", extra=[(
                "WWW-Authenticate",
                f'Digest realm="{self.realm}", nonce="{nonce}", algorithm=MD5, qop="auth"')],
                to_tag=new_tag())
            return
        aor = uri_of(req.get("To"))
        contact = req.get("Contact")
        m = re.search(r"expires=(\d+)", contact or "")
        expires = int(m.group(1)) if m else int(req.get("Expires", "3600"))
        if expires and self.grant_expires:
            expires = min(expires, self.grant_expires)
        if expires == 0:
            self.bindings.pop(aor, None)
            self.reply(req, 200, "OK", to_tag=new_tag())
            return
        self.bindings[aor] = (contact, time.time() + expires, req)
        extra = [("Contact", f"{uri_of(contact) and '<' + uri_of(contact) + '>'};expires={expires}"),
                 ("P-Associated-URI", ", ".join(f"<{u}>" for u in self.associated)),
                 ("Service-Route", f"<sip:orig@{self.host}:{self.port};lr>"),
                 ("Require", "gin") if "gin" in (req.get("Require") or "") else ("Supported", "path")]
        if req.get("Path"):
            extra.append(("Path", req.get("Path")))
        self.reply(req, 200, "OK", extra=extra, to_tag=new_tag())

    def _digest_ok(self, req, auth):
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', auth))
        user, nonce = params.get("username"), params.get("nonce")
        if user not in self.credentials or nonce not in self.nonces:
            return False
        if params.get("realm") != self.realm:
            return False
        ha1 = md5(f"{user}:{self.realm}:{self.credentials[user]}")
        ha2 = md5(f"{req.method}:{params.get('uri')}")
        if params.get("qop"):
            want = md5(f"{ha1}:{nonce}:{params.get('nc')}:{params.get('cnonce')}:{params.get('qop')}:{ha2}")
        else:
            want = md5(f"{ha1}:{nonce}:{ha2}")
        return want == params.get("response")

    def bnc_contact(self, aor="sip:+33140000000@ims.lab"):
        b = self.bindings.get(aor)
        return uri_of(b[0]) if b else None

    # ---- UAS: the wtpf calls out ----
    async def next_invite(self, timeout=5):
        while True:
            req = await asyncio.wait_for(self.requests.get(), timeout)
            if req.method == "INVITE":
                return req

    def dialog_of(self, invite):
        for d in self.dialogs.values():
            if d.invite is invite:
                return d
        return None

    def ring(self, dlg, status=180, body="", ctype=None):
        self.reply(dlg.invite, status, "Ringing" if status == 180 else "Session Progress",
                   body=body, ctype=ctype, to_tag=dlg.local_tag)

    def answer(self, dlg, sdp):
        dlg.final = self.reply(dlg.invite, 200, "OK", body=sdp, ctype="application/sdp",
                               to_tag=dlg.local_tag)

    def fail(self, dlg, status, reason):
        dlg.final = self.reply(dlg.invite, status, reason, to_tag=dlg.local_tag)
        dlg.ended.set()

    # ---- UAC: calls toward the wtpf ----
    def call(self, number, sdp, caller="sip:+33150000201@ims.lab", target=None, extra=None):
        """Sends an INVITE for number. target: the Request-URI; default: built from the bnc
        Contact (registration mode), else sip:<number>@<wtpf>;user=phone."""
        if target is None:
            bnc = self.bnc_contact()
            if bnc:
                m = re.match(r"sips?:(?:[^@]*@)?([^;>]+)", bnc)
                target = f"sip:{number}@{m.group(1)};user=phone"
            else:
                target = f"sip:{number}@{self.wtpf[0]}:{self.wtpf[1]};user=phone"
        dlg = Dialog(self, "%016x@%s" % (random.getrandbits(64), self.host), new_tag(), caller,
                     f"sip:{number}@ims.lab;user=phone", target)
        self.dialogs[(dlg.call_id, dlg.local_tag)] = dlg
        hdrs = [("P-Asserted-Identity", f"<{caller}>")] + list(extra or [])
        req = dlg.request("INVITE", sdp, "application/sdp", hdrs)
        req.set("Contact", f"<sip:{uri_of(caller).split(':')[1].split('@')[0]}@{self.host}:{self.port}>")
        dlg.invite = req
        self.send(req)
        return dlg

    def request(self, method, target=None, body="", ctype=None, extra=None):
        """An out-of-dialog request (OPTIONS, MESSAGE, SUBSCRIBE, ...) toward the wtpf; the
        responses arrive on the returned Dialog's queue."""
        target = target or f"sip:{self.wtpf[0]}:{self.wtpf[1]}"
        dlg = Dialog(self, "%016x@%s" % (random.getrandbits(64), self.host), new_tag(),
                     f"sip:pcscf@{self.host}", target, target)
        self.dialogs[(dlg.call_id, dlg.local_tag)] = dlg
        req = dlg.request(method, body, ctype, extra)
        dlg.invite = req
        self.send(req)
        return dlg

    def cancel(self, dlg):
        inv = dlg.invite
        h = [(n, v) for n, v in inv.headers if n.lower() in ("via", "from", "to", "call-id", "max-forwards")]
        h.append(("CSeq", f"{inv.cseq[0]} CANCEL"))
        req = SipMessage(f"CANCEL {inv.uri} SIP/2.0", h)
        self.send(req)
        return req

    def _ack(self, dlg, resp):
        inv = dlg.invite
        if resp.status >= 300:  # same transaction (RFC 3261 §17.1.1.3)
            h = [(n, v) for n, v in inv.headers if n.lower() in ("via", "from", "call-id", "max-forwards")]
            h.append(("To", resp.get("To")))
            h.append(("CSeq", f"{resp.cseq[0]} ACK"))
            self.send(SipMessage(f"ACK {inv.uri} SIP/2.0", h))
        else:
            contact = uri_of(resp.get("Contact"))
            if contact:
                dlg.remote_target = contact
            self.send(dlg.request("ACK", cseq=resp.cseq[0]))

    def _on_response(self, resp):
        cid = resp.call_id
        tag = resp.tag("From")
        dlg = self.dialogs.get((cid, tag))
        if dlg is None:
            return
        if resp.method == "INVITE":
            if resp.tag("To") and dlg.remote_tag is None and resp.status > 100:
                dlg.remote_tag = resp.tag("To")
            if resp.status >= 200:
                n = resp.cseq[0]
                if n in dlg.finals:
                    self._ack(dlg, resp)  # retransmitted final: ACK again, tell nobody
                    return
                dlg.finals[n] = resp
                if n == dlg.invite.cseq[0]:
                    dlg.final = resp
                self._ack(dlg, resp)
                if resp.status >= 300 and n == dlg.invite.cseq[0]:
                    dlg.ended.set()
        elif resp.method == "BYE" and resp.status >= 200:
            dlg.ended.set()
        dlg.responses.put_nowait(resp)

    # ---- queries ----
    def received(self, method=None, status=None):
        return [m for m in self.log
                if (method is None or (m.is_request and m.method == method))
                and (status is None or (not m.is_request and m.status == status))]


async def start_peer(host, port, wtpf, **kw):
    return await SipPeer(host, port, wtpf, **kw).start()
