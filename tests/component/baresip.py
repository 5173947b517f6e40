"""Runs a real SIP phone for the tests: Debian's baresip, headless, with its own configuration
directory, a sine tone as microphone, audio discarded, and the ctrl_tcp module as remote control
(JSON in netstrings: commands `dial`, `hangup`, `accept`; events REGISTER_OK, CALL_ESTABLISHED,
CALL_CLOSED, ...)."""
import json
import pathlib
import queue
import shutil
import socket
import subprocess
import threading
import time

import pytest

MODULES = pathlib.Path("/usr/lib/baresip/modules")


def available():
    return shutil.which("baresip") is not None and (MODULES / "ctrl_tcp.so").exists()


class Baresip:
    def __init__(self, tmp, name, aor, password, ip, proxy, transport="udp", answermode="auto",
                 rtp_ports="30000-30099", regint=600, impi=None, tone=440, max_calls=4,
                 extra_config="", preexec_fn=None):
        """extra_config: more config lines (e.g. a recording module); preexec_fn: for Popen."""
        if not available():
            pytest.fail("baresip (Debian package baresip-core) is not installed")
        self.dir = pathlib.Path(tmp) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name, self.ip, self.ctrl = name, ip, (ip, 4444)
        self.events = queue.Queue()
        self.responses = queue.Queue()
        user = aor.split(":", 1)[1]
        (self.dir / "config").write_text(f"""poll_method		epoll
sip_listen		{ip}:5060
net_interface		{ip}
call_local_timeout	120
call_max_calls		{max_calls}
audio_player		aubridge,{name}
audio_source		ausine,{tone}
audio_alert		aubridge,{name}-alert
ausrc_srate		48000
ausrc_channels		2
auplay_srate		48000
rtp_ports		{rtp_ports}
rtp_timeout		0
module_path		{MODULES}
module			g711.so
module			ausine.so
module			aubridge.so
{extra_config}module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		{ip}:4444
""")
        outbound = f"sip:{proxy[0]}:{proxy[1]};transport={transport}"
        (self.dir / "accounts").write_text(
            f"<{aor};transport={transport}>;auth_user={impi or user};auth_pass={password};"
            f'outbound="{outbound}";regint={regint};answermode={answermode};'
            "audio_codecs=pcmu,pcma\n")
        self.log = open(self.dir / "baresip.log", "w")
        self.proc = subprocess.Popen(["baresip", "-f", str(self.dir), "-v"], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec_fn)
        self.sock = None
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"baresip {name} exited: {self.logtext()}")
            try:
                self.sock = socket.create_connection(self.ctrl, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        assert self.sock, f"baresip {name}: no ctrl_tcp: {self.logtext()}"
        self.sock.settimeout(0.2)
        self.stop_reader = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def logtext(self):
        self.log.flush()
        return (self.dir / "baresip.log").read_text(errors="replace")[-3000:]

    def _read(self):
        buf = b""
        while not self.stop_reader:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            buf += data
            while b":" in buf:
                n, _, rest = buf.partition(b":")
                if not n.isdigit() or len(rest) < int(n) + 1:
                    break
                body, buf = rest[:int(n)], rest[int(n) + 1:]
                try:
                    msg = json.loads(body)
                except ValueError:
                    continue
                (self.events if msg.get("event") else self.responses).put(msg)

    def command(self, cmd, params="", timeout=5):
        body = json.dumps({"command": cmd, "params": params, "token": cmd}).encode()
        self.sock.sendall(b"%d:%s," % (len(body), body))
        try:
            return self.responses.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_event(self, kind, timeout=10):
        """The next event of type `kind` (e.g. "REGISTER_OK"); None on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                ev = self.events.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                return None
            if ev.get("type") == kind:
                return ev
        return None

    def stop(self):
        self.stop_reader = True
        if self.sock:
            try:
                self.command("quit", timeout=1)
            except OSError:
                pass
            self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=2)
        self.log.close()
