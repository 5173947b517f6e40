# Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
"""A fake eIMS-AGW (H.248 MG, text encoding over UDP) for the pcscf's Iq component tests.

It registers with ServiceChange (Restart, "901 Cold Boot"), answers Add by filling the `$` of the
Local templates with plausible values (address, port, ICE ufrag/pwd, a fingerprint, a host
candidate), answers Modify, Subtract (with statistics) and AuditValue, and can be told to stay
silent, to restart (new ServiceChange Restart) or to send a Notify after a given command.
Every request received is kept as text in `requests`. Thread-based: start() / stop().

Standalone: python3 fake_mg.py --mgc 127.0.22.2:2944 --address 127.0.22.3 (Ctrl-C to stop)."""

import argparse
import re
import socket
import threading
import time

FINGERPRINT = ("4A:1F:6B:0E:9C:22:31:7D:AA:BB:CC:DD:EE:FF:00:11:"
               "22:33:44:55:66:77:88:99:AB:CD:EF:01:23:45:67:9C")
OCTET_DESCRIPTORS = {"local", "l", "remote", "r"}


# ---- a small parser for the MGC's messages (H.248.1 Annex B, enough for our tests) ------------

class Node:
    def __init__(self, name, value=None):
        self.name, self.value, self.children, self.octets = name, value, [], None

    def find(self, *names):
        names = {n.lower() for n in names}
        return [c for c in self.children if c.name.lower() in names]

    def first(self, *names):
        f = self.find(*names)
        return f[0] if f else None

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def __repr__(self):
        return f"Node({self.name}={self.value}, {len(self.children)} children)"


class Parser:
    SEP = set(" \t\r\n{},=")

    def __init__(self, text):
        self.s, self.i = text, 0

    def ws(self):
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch in " \t\r\n":
                self.i += 1
            elif ch == ";":  # comment to end of line
                while self.i < len(self.s) and self.s[self.i] not in "\r\n":
                    self.i += 1
            else:
                break

    def token(self):
        self.ws()
        if self.i < len(self.s) and self.s[self.i] == '"':
            j = self.s.index('"', self.i + 1)
            tok = self.s[self.i + 1:j]
            self.i = j + 1
            return tok
        j = self.i
        while j < len(self.s) and self.s[j] not in self.SEP:
            j += 1
        tok = self.s[self.i:j]
        self.i = j
        return tok

    def peek(self):
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def octets(self):
        # after "{": raw text to the first unescaped "}"
        out = []
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == "\\" and self.i + 1 < len(self.s) and self.s[self.i + 1] == "}":
                out.append("}")
                self.i += 2
                continue
            if ch == "}":
                self.i += 1
                return "".join(out).strip()
            out.append(ch)
            self.i += 1
        raise ValueError("unterminated octet string")

    def items(self, parent):
        while True:
            if self.peek() == "}":
                self.i += 1
                return
            name = self.token()
            if not name:
                raise ValueError(f"syntax error at {self.i}: {self.s[self.i:self.i + 40]!r}")
            node = Node(name)
            if self.peek() == "=":
                self.i += 1
                node.value = self.token()
            if self.peek() == "{":
                self.i += 1
                if name.lower() in OCTET_DESCRIPTORS:
                    node.octets = self.octets()
                else:
                    self.items(node)
            parent.children.append(node)
            if self.peek() == ",":
                self.i += 1


def parse(text):
    """Returns (mid, [transaction nodes])."""
    text = text.strip()
    header, _, rest = text.partition("\n")
    m = re.match(r"\s*(?:MEGACO|!)/(\d)\s+(\S+)\s*(.*)", header)
    if not m:
        raise ValueError("no MEGACO header")
    p = Parser((m.group(3) + "\n" + rest) + " }")
    root = Node("message")
    p.items(root)
    return m.group(2), root.children


# ---- filling the Local templates -------------------------------------------------------------

def fill(template, w3, address, port, gen):
    """The template with its `$` chosen. The closing brace must follow the last line directly:
    indentation before it would be an SDP line of blanks (tshark: malformed)."""
    out = []
    for line in template.replace("\r", "").split("\n"):
        line = line.strip()
        if not line:
            continue
        if line.startswith("m=audio $"):
            line = f"m=audio {port}" + line[len("m=audio $"):]
        elif line == "a=ice-ufrag:$":
            line = f"a=ice-ufrag:fk{gen:02d}"
        elif line == "a=ice-pwd:$":
            line = f"a=ice-pwd:F4keMgPassw0rdF4keMg{gen:03d}"
        elif line == "a=fingerprint:sha-256 $":
            line = "a=fingerprint:sha-256 " + FINGERPRINT
        elif line.endswith(" $"):
            line = line[:-1] + address
        out.append(line)
    if w3 and not any(l.startswith("a=candidate") for l in out):
        out.append(f"a=candidate:1 1 udp 2130706431 {address} {port} typ host")
        out.append("a=end-of-candidates")
    return "\n".join(out) + "\n"


# ---- the MG ----------------------------------------------------------------------------------

class FakeMG:
    def __init__(self, mgc=("127.0.22.2", 2944), address="127.0.22.3", port=2944,
                 core_address=None, profile="threegiq/1"):
        self.mgc = mgc
        self.address, self.port = address, port
        self.core_address = core_address or address
        self.mid = f"[{address}]:{port}"
        self.profile = profile
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.sock.settimeout(0.05)
        self.requests = []          # text of every request from the MGC
        self.replies = {}           # tid -> reply text (duplicates get the same answer)
        self.pending = {}           # our tid -> reply text (None until answered)
        self.silent = set()         # command names not answered: {"Add", "AuditValue", ...}
        self.after = {}             # command name -> callable(fake_mg, ctx) run after replying
        self.next_tid = 1
        self.next_ctx = 17
        self.next_port = 0
        self.gen = 0
        self.contexts = {}          # ctx -> (w3 term, rtp term)
        self.lock = threading.Lock()
        self.running = False
        self.thread = None

    # -- life cycle
    def start(self):
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        if self.thread:
            self.thread.join(timeout=2)
        self.sock.close()

    # -- requests we send
    def _send(self, text):
        self.sock.sendto(text.encode(), self.mgc)

    def request(self, body, timeout=3.0):
        """Sends a transaction, retransmitting until its reply; returns the reply text."""
        with self.lock:
            tid = self.next_tid
            self.next_tid += 1
            self.pending[tid] = None
        text = f"MEGACO/3 {self.mid}\nTransaction = {tid} {{\n{body}\n}}\n"
        deadline = time.time() + timeout
        interval = 0.25
        while time.time() < deadline:
            self._send(text)
            end = time.time() + interval
            while time.time() < end:
                with self.lock:
                    if self.pending.get(tid):
                        return self.pending.pop(tid)
                time.sleep(0.01)
            interval = min(interval * 2, 1.0)
        return None

    def service_change(self, method="Restart", reason="901 Cold Boot"):
        return self.request(
            "  Context = - {\n    ServiceChange = ROOT {\n      Services {\n"
            f"        Method = {method},\n        Reason = \"{reason}\",\n"
            f"        Version = 3,\n        Profile = {self.profile}\n      }}\n    }}\n  }}")

    def register(self):
        return self.service_change()

    def notify(self, ctx, term, event="hangterm/thb", timeout=3.0):
        return self.request(
            f"  Context = {ctx} {{\n    Notify = {term} {{\n"
            f"      ObservedEvents = 7 {{\n        20251124T10153000:{event}\n      }}\n    }}\n  }}",
            timeout=timeout)

    def count(self, needle):
        return sum(1 for r in list(self.requests) if needle in r)

    # -- serving the MGC
    def _loop(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self._handle(data.decode("utf-8", "replace"), peer)
            except Exception as e:  # a bug in the fake must not hang the test silently
                print(f"fake_mg: {e!r} on {data[:200]!r}")

    def _handle(self, text, peer):
        _, transactions = parse(text)
        for t in transactions:
            kind = t.name.lower()
            tid = int(t.value.split("/")[0]) if t.value else 0
            if kind in ("reply", "p"):
                with self.lock:
                    if tid in self.pending:
                        self.pending[tid] = text
                continue
            if kind not in ("transaction", "t"):
                continue  # Pending, TransactionResponseAck
            if tid in self.replies:
                self.sock.sendto(self.replies[tid].encode(), peer)
                continue
            self.requests.append(text)
            reply, post = self._answer(t)
            if reply is None:
                continue
            msg = f"MEGACO/3 {self.mid}\nReply = {tid} {{\n{reply}\n}}\n"
            self.replies[tid] = msg
            self.sock.sendto(msg.encode(), peer)
            for fn, ctx in post:
                threading.Thread(target=fn, args=(self, ctx), daemon=True).start()

    def _answer(self, t):
        actions, post = [], []
        for act in t.find("Context", "C"):
            ctx = act.value
            cmds = [c for c in act.children if c.name.lower() not in ("priority", "emergency")]
            names = {self._cmd_name(c) for c in cmds}
            if names & self.silent:
                return None, []
            if ctx == "$":
                ctx = str(self.next_ctx)
                self.next_ctx += 1
            replies = []
            for c in cmds:
                name = self._cmd_name(c)
                replies.append(self._command(ctx, name, c))
                if name in self.after:
                    post.append((self.after[name], ctx))
            actions.append(f"  Context = {ctx} {{\n" + ",\n".join(replies) + "\n  }")
        return ",\n".join(actions), post

    @staticmethod
    def _cmd_name(c):
        n = c.name.lower()
        return {"a": "Add", "add": "Add", "mf": "Modify", "modify": "Modify", "s": "Subtract",
                "subtract": "Subtract", "av": "AuditValue", "auditvalue": "AuditValue",
                "n": "Notify", "notify": "Notify"}.get(n, c.name)

    @staticmethod
    def _local(cmd):
        for n in cmd.walk():
            if n.name.lower() in ("local", "l") and n.octets is not None:
                return n.octets
        return None

    def _command(self, ctx, name, c):
        if name == "Add":
            local = self._local(c) or ""
            w3 = "UDP/TLS" in local
            term = f"ip/{'access' if w3 else 'core'}/{ctx}"
            port = (40000 if w3 else 50000) + 2 * self.next_port
            self.next_port += 1
            addr = self.address if w3 else self.core_address
            filled = fill(local, w3, addr, port, self.gen)
            if w3:
                self.gen += 1
            w, r = self.contexts.get(ctx, (None, None))
            self.contexts[ctx] = (term, r) if w3 else (w, term)
            return (f"    Add = {term} {{\n      Media {{\n        Stream = 1 {{\n"
                    f"          Local {{\n{filled}}}\n        }}\n      }}\n    }}")
        if name == "Modify":
            local = self._local(c)
            if local and "$" in local:
                filled = fill(local, True, self.address, 0, self.gen)
                self.gen += 1
                return (f"    Modify = {c.value} {{\n      Media {{\n        Stream = 1 {{\n"
                        f"          Local {{\n{filled}}}\n        }}\n      }}\n    }}")
            return f"    Modify = {c.value}"
        if name == "Subtract":
            w, r = self.contexts.pop(ctx, (f"ip/access/{ctx}", f"ip/core/{ctx}"))
            return (f"    Subtract = {w} {{\n      Statistics {{ rtp/ps = 1500, rtp/pr = 1498 }}\n"
                    f"    }},\n    Subtract = {r} {{\n"
                    f"      Statistics {{ rtp/ps = 1497, rtp/pr = 1501 }}\n    }}")
        if name == "AuditValue":
            return f"    AuditValue = {c.value}"
        return f"    {c.name} = {c.value} {{ Error = 501 {{ \"Not Implemented\" }} }}"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mgc", default="127.0.22.2:2944")
    ap.add_argument("--address", default="127.0.22.3")
    ap.add_argument("--port", type=int, default=2944)
    a = ap.parse_args()
    host, port = a.mgc.rsplit(":", 1)
    mg = FakeMG((host, int(port)), a.address, a.port).start()
    print("registered" if mg.register() else "no reply to ServiceChange")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        mg.stop()


if __name__ == "__main__":
    main()
