"""A test MGC for Iq (H.248.1 text over UDP), written independently of our C codec: messages are
built as strings and read with regular expressions. It records every datagram the MG sends,
answers the MG's ServiceChange and Notify on its own when asked to, and sends requests
(Add/Modify/Subtract/AuditValue, or raw bytes) waiting for their replies (Pending is skipped)."""
import re
import socket
import threading
import time

HEADER_RE = re.compile(r"^\s*(?:MEGACO|!)/(\d)\s+(\S+)")
REQUEST_RE = re.compile(r"\b(?:Transaction|T)\s*=\s*(\d+)\s*\{")
REPLY_RE = re.compile(r"\b(?:Reply|P)\s*=\s*(\d+)")
PENDING_RE = re.compile(r"\b(?:Pending|PN)\s*=\s*(\d+)")
ERROR_RE = re.compile(r"\b(?:Error|ER)\s*=\s*(\d+)")
CONTEXT_RE = re.compile(r"\b(?:Context|C)\s*=\s*([0-9]+|-|\$|\*)")
LOCAL_RE = re.compile(r"\b(?:Local|L)\s*\{\s*\n(.*?)(?<!\\)\}", re.S)
REMOTE_RE = re.compile(r"\b(?:Remote|R)\s*\{\s*\n(.*?)(?<!\\)\}", re.S)


class Msg:
    """One datagram from the MG."""

    def __init__(self, data, peer, when):
        self.data, self.peer, self.when = data, peer, when
        self.text = data.decode("utf-8", "replace")
        m = HEADER_RE.match(self.text)
        self.version = int(m.group(1)) if m else None
        self.mid = m.group(2) if m else None
        self.kind, self.tid = None, None
        for kind, rx in (("pending", PENDING_RE), ("reply", REPLY_RE), ("request", REQUEST_RE)):
            m = rx.search(self.text)
            if m:
                self.kind, self.tid = kind, int(m.group(1))
                break

    def is_service_change(self):
        return self.kind == "request" and re.search(r"\b(?:ServiceChange|SC)\s*=\s*ROOT", self.text)

    def is_notify(self):
        return self.kind == "request" and re.search(r"\b(?:Notify|N)\s*=", self.text)

    def errors(self):
        return [int(x) for x in ERROR_RE.findall(self.text)]

    def contexts(self):
        return CONTEXT_RE.findall(self.text)

    def locals(self):
        """SDP of every Local descriptor, unescaped, CRLF/LF kept."""
        return [s.replace("\\}", "}") for s in LOCAL_RE.findall(self.text)]

    def remotes(self):
        return [s.replace("\\}", "}") for s in REMOTE_RE.findall(self.text)]

    def service(self, name):
        m = re.search(rf"\b{name}\s*=\s*(\"[^\"]*\"|[^,\s}}]+)", self.text)
        return m.group(1).strip('"') if m else None

    def __repr__(self):
        return f"<Msg {self.kind} {self.tid} from {self.peer}>\n{self.text}"


class Mgc:
    def __init__(self, address, port=2944, mg=None, profile="threegiq/1", auto_sc=True,
                 auto_notify=True):
        self.address, self.port, self.profile = address, port, profile
        self.mid = f"[{address}]:{port}"
        self.mg = mg  # (address, port) of the MG, learnt from its first message otherwise
        self.auto_sc, self.auto_notify = auto_sc, auto_notify
        self.sc_reply_error = None  # answer the MG's ServiceChange with this error code
        self.notify_reply_error = None  # answer the MG's Notify with this error code
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.settimeout(0.1)
        self.lock = threading.Condition()
        self.msgs = []  # every datagram from the MG, in order
        self.next_tid = 1000
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    # -- plumbing --------------------------------------------------------------------------
    def close(self):
        self.stopped = True
        self.thread.join(timeout=2)
        self.sock.close()

    def _run(self):
        while not self.stopped:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            msg = Msg(data, peer, time.time())
            if self.mg is None:
                self.mg = peer
            with self.lock:
                self.msgs.append(msg)
                self.lock.notify_all()
            if msg.is_service_change() and self.auto_sc:
                self.answer_service_change(msg)
            elif msg.is_notify() and self.auto_notify:
                self.answer_notify(msg)

    def send_raw(self, data, to=None):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendto(data, to or self.mg)

    def wait_for(self, pred, timeout=5.0, start=0):
        """First message (index >= start) satisfying pred, or AssertionError."""
        deadline = time.time() + timeout
        with self.lock:
            while True:
                for m in self.msgs[start:]:
                    if pred(m):
                        return m
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(
                        "no such message from the MG; got:\n" + "\n".join(
                            repr(m) for m in self.msgs[start:][-5:]))
                self.lock.wait(left)

    def count(self, pred):
        with self.lock:
            return sum(1 for m in self.msgs if pred(m))

    def mark(self):
        with self.lock:
            return len(self.msgs)

    # -- answering the MG ------------------------------------------------------------------
    def answer_service_change(self, msg):
        if self.sc_reply_error:
            self.send_raw(f"MEGACO/3 {self.mid}\nReply = {msg.tid} {{\n"
                          f"  Error = {self.sc_reply_error} {{ \"refused by the test MGC\" }}\n}}\n",
                          msg.peer)
            return
        self.send_raw(f"MEGACO/3 {self.mid}\nReply = {msg.tid} {{\n  Context = - {{\n"
                      f"    ServiceChange = ROOT {{\n      Services {{\n        Version = 3,\n"
                      f"        Profile = {self.profile}\n      }}\n    }}\n  }}\n}}\n", msg.peer)

    def answer_notify(self, msg):
        m = re.search(r"\b(?:Context|C)\s*=\s*(\d+|-)\s*\{\s*(?:Notify|N)\s*=\s*([\w/]+)", msg.text)
        ctx, term = (m.group(1), m.group(2)) if m else ("-", "ROOT")
        if self.notify_reply_error:
            self.send_raw(f"MEGACO/3 {self.mid}\nReply = {msg.tid} {{ Context = {ctx} {{ "
                          f"Notify = {term} {{ Error = {self.notify_reply_error} {{ "
                          f"\"refused by the test MGC\" }} }} }} }}\n", msg.peer)
            return
        self.send_raw(f"MEGACO/3 {self.mid}\nReply = {msg.tid} {{ Context = {ctx} {{ "
                      f"Notify = {term} }} }}\n", msg.peer)

    # -- requests to the MG ----------------------------------------------------------------
    def request(self, body, tid=None, timeout=5.0, raw=False):
        """Sends `Transaction = tid { body }` (or `body` as is when raw) and returns the Reply."""
        if tid is None:
            self.next_tid += 1
            tid = self.next_tid
        text = body if raw else f"MEGACO/3 {self.mid}\nTransaction = {tid} {{\n{body}\n}}\n"
        start = self.mark()
        self.send_raw(text)
        return self.wait_for(lambda m: m.kind == "reply" and m.tid == tid, timeout, start)

    def registered(self, timeout=5.0):
        """Waits for the MG's ServiceChange, then until the MG has taken our reply: under load
        the MG may have retransmitted or re-sent its ServiceChange and still answer 505, as a
        real MGC would see; probe with an AuditValue on ROOT until it does not."""
        import time
        sc = self.wait_for(lambda m: m.is_service_change(), timeout)
        deadline = time.time() + timeout
        probe = 900000
        while time.time() < deadline:
            probe += 1
            try:
                rep = self.request("Context = - { AuditValue = ROOT }", tid=probe, timeout=2.0)
            except AssertionError:
                continue
            if 505 not in rep.errors():
                break
            time.sleep(0.1)
        return sc


# ---- message bodies of SPECS.md §4.5 ------------------------------------------------------

FP_WIC = ("D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:"
          "DA:E4:53:B1")

W3_LOCAL = """v=0
o=- 0 0 IN IP4 $
s=-
t=0 0
a=ice-lite
m=audio $ UDP/TLS/RTP/SAVPF 0 126
c=IN IP4 $
a=rtcp-mux
a=ice-ufrag:$
a=ice-pwd:$
a=fingerprint:sha-256 $
a=setup:active
a=rtpmap:0 PCMU/8000
a=rtpmap:126 telephone-event/8000
"""


def wic_offer(addr="127.0.1.5", port=51234, ufrag="Bs+R", pwd="PawJZpTr+YgVYXBsI5apmBh8",
              fp=FP_WIC, setup="actpass"):
    return f"""v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
m=audio {port} UDP/TLS/RTP/SAVPF 111 0 8 126
c=IN IP4 {addr}
a=rtcp-mux
a=ice-ufrag:{ufrag}
a=ice-pwd:{pwd}
a=fingerprint:sha-256 {fp}
a=setup:{setup}
a=candidate:1 1 udp 2122260223 {addr} {port} typ host
a=rtpmap:111 opus/48000/2
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:126 telephone-event/8000
"""


RTP_LOCAL = """v=0
c=IN IP4 $
m=audio $ RTP/AVP 0 101
a=rtpmap:101 telephone-event/8000
"""


def rtp_remote(addr, port):
    return f"""v=0
c=IN IP4 {addr}
m=audio {port} RTP/AVP 0 101
a=rtpmap:101 telephone-event/8000
"""


def add_pair(w3_local=W3_LOCAL, w3_remote=None, rtp_local=RTP_LOCAL, cid="call-1",
             events="Events = 7 { adid/ipstop, hangterm/thb }"):
    """SPECS.md §4.5 (3): Add W3 (access) and RTP (core) in Context = $."""
    remote = f",\n          Remote {{\n{w3_remote}}}" if w3_remote else ""
    ev = f",\n      {events}" if events else ""
    return f"""  Context = $ {{
    Add = $ {{
      Media {{
        TerminationState {{ ipdc/realm = "access", wtpf/cid = "{cid}" }},
        Stream = 1 {{
          LocalControl {{ Mode = SendReceive }},
          Local {{
{w3_local}}}{remote}
        }}
      }}{ev}
    }},
    Add = $ {{
      Media {{
        TerminationState {{ ipdc/realm = "core" }},
        Stream = 1 {{
          LocalControl {{ Mode = ReceiveOnly }},
          Local {{
{rtp_local}}}
        }}
      }}
    }}
  }}"""


def modify_remote(ctx, term, sdp, mode="SendReceive"):
    return f"""  Context = {ctx} {{
    Modify = {term} {{
      Media {{
        Stream = 1 {{
          LocalControl {{ Mode = {mode} }},
          Remote {{
{sdp}}}
        }}
      }}
    }}
  }}"""


def term_ids(msg, command="Add"):
    """Termination ids of the replies to `command` in a reply message."""
    short = {"Add": "A", "Modify": "MF", "Subtract": "S", "AuditValue": "AV"}[command]
    return re.findall(rf"\b(?:{command}|{short})\s*=\s*(ip/[\w/]+)", msg.text)


def sdp_lines(sdp):
    return [line for line in re.split(r"\r?\n", sdp) if line]
