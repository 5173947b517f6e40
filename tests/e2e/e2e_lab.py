"""The whole lab of DESIGN.md for the end-to-end tests and the e2e benchmark: the four daemons of
$BUILD/bin with etc/lab (or etc/lab-static, falling back to etc/lab for the nodes it does not
override) on 127.0.10.x, IMS phones (baresip) on 127.0.10.20 and up, and a capture of lo.
Meant to run inside a network namespace with only loopback (see conftest.run_in_netns)."""
import asyncio
import ctypes
import json
import pathlib
import signal
import subprocess
import sys
import time
import wave

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "component"))

from baresip import Baresip  # noqa: E402
from conftest import Capture, Node, binary  # noqa: E402  (tests/component/conftest.py)

WTPF, PCSCF, AGW, HSS = "127.0.10.1", "127.0.10.2", "127.0.10.3", "127.0.10.4"
PHONE1, PHONE2 = "127.0.10.20", "127.0.10.21"
WIC_HTTP = (WTPF, 8080)
PAGE = f"http://{WTPF}:8080/"
ADDR = {"wtpf": WTPF, "pcscf": PCSCF, "eims-agw": AGW, "hss-stub": HSS}
ORDER = ("hss-stub", "eims-agw", "pcscf", "wtpf")


def die_with_parent():
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def wait_for(cond, timeout=10, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def in_lo_only_netns():
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return [l.split(":")[1].strip() for l in links.splitlines()] == ["lo"]


class Lab:
    """The four nodes; `conf` overrides a node's configuration text (edit(name, text) -> text)."""

    def __init__(self, tmp, labdir="etc/lab", capture=True, edit=None):
        assert in_lo_only_netns(), "the lab must run in a namespace with only loopback"
        self.tmp = pathlib.Path(tmp)
        self.labdir = ROOT / labdir
        self.capture = capture
        self.edit = edit or (lambda name, text: text)
        self.nodes = {}
        self.cap = None
        self.pcap = self.tmp / "lab.pcap"

    def conf_text(self, name):
        path = self.labdir / f"{name}.conf"
        if not path.exists():
            path = ROOT / "etc" / "lab" / f"{name}.conf"
        return self.edit(name, path.read_text())

    def start(self):
        if self.capture:
            self.cap = Capture(self.pcap, "udp or tcp")
        t0 = time.time()
        for n in ORDER:
            self.nodes[n] = Node(n, self.conf_text(n), self.tmp, admin=f"{ADDR[n]}:9090").start()
        registration = 'mode = "registration"' in self.conf_text("wtpf")
        wait_for(lambda: (lambda h: h["hss"] and h["agws"] >= 1)(self.health("pcscf")), 15,
                 "the pcscf's Cx link and an AGW in service")
        if registration:
            wait_for(lambda: self.health("wtpf").get("registration") == "registered", 15,
                     "the wtpf's GIN registration")
        print(f"lab up in {time.time() - t0:.1f} s ({self.labdir.name}, "
              f"{pathlib.Path(binary('wtpf')).parent}): "
              f"{self.health('wtpf')} {self.health('pcscf')}", flush=True)
        return self

    def health(self, name):
        return json.loads(self.nodes[name].http("/health"))

    def metric(self, name, metric, labels=None):
        return self.nodes[name].metric(metric, labels)

    def rss_kb(self):
        out = {}
        for n, node in self.nodes.items():
            for line in pathlib.Path(f"/proc/{node.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[n] = int(line.split()[1])
        return out

    def log(self, name):
        return self.nodes[name].log.read_text(errors="replace")

    def stop(self):
        """Stops every node (SIGTERM; each must exit 0, which under ASan means no leak)."""
        errors = []
        for n in ("wtpf", "eims-agw", "pcscf", "hss-stub"):  # the AGW leaves its MGC cleanly
            if n in self.nodes:
                try:
                    self.nodes[n].stop()
                except AssertionError as e:
                    errors.append(str(e))
        if self.cap:
            self.cap.stop()
        assert not errors, "\n".join(errors)


class Phone(Baresip):
    """baresip as an IMS phone: a sine tone of `tone` Hz as microphone, and the sndfile module
    recording what it receives (decoded) and sends into WAV files in its directory."""

    def __init__(self, tmp, name, number, password, ip, proxy=(PCSCF, 5060), tone=1000,
                 answermode="auto", rtp_ports="30000-30099", max_calls=4):
        snd_dir = pathlib.Path(tmp) / name
        super().__init__(tmp, name, f"sip:{number}@ims.lab", password, ip, proxy,
                         answermode=answermode, rtp_ports=rtp_ports, impi=f"{number}@ims.lab",
                         tone=tone, max_calls=max_calls,
                         extra_config=f"module\t\t\tsndfile.so\nsnd_path\t\t{snd_dir}\n",
                         preexec_fn=die_with_parent)

    def registered(self, timeout=10):
        assert self.wait_event("REGISTER_OK", timeout), f"{self.name} not registered:\n" \
            + self.logtext()
        return self

    async def event(self, kind, timeout=10):
        return await asyncio.to_thread(self.wait_event, kind, timeout)

    def recordings(self, kind="dec"):
        """The WAV files of received (dec) or sent (enc) audio, oldest first."""
        return sorted(self.dir.glob(f"dump-*-{kind}.wav"), key=lambda p: p.stat().st_mtime)


def wav_analysis(path, freq=None):
    """(seconds, loud fraction of 20 ms blocks, share of the energy at `freq` Hz) of a WAV file
    (the header may be unfinished while the call is up: the data is then read raw)."""
    import numpy as np
    data = pathlib.Path(path).read_bytes()
    try:
        with wave.open(str(path)) as w:
            rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
    except (wave.Error, EOFError):
        rate, ch, width = 8000, 1, 2
    assert width == 2, f"{path}: {width}-byte samples"
    pcm = np.frombuffer(data[44:len(data) - (len(data) - 44) % (2 * ch)], dtype="<i2")
    pcm = pcm.reshape(-1, ch)[:, 0].astype(float)
    if len(pcm) < rate // 10:
        return 0.0, 0.0, 0.0
    block = rate // 50
    blocks = pcm[:len(pcm) // block * block].reshape(-1, block)
    rms = np.sqrt((blocks ** 2).mean(axis=1))
    loud = float((rms > 300).mean())
    share = 0.0
    if freq and loud > 0:
        spec = np.abs(np.fft.rfft(pcm)) ** 2
        f = np.fft.rfftfreq(len(pcm), 1 / rate)
        band = (f > freq * 0.95) & (f < freq * 1.05)
        share = float(spec[band].sum() / max(spec.sum(), 1e-9))
    return len(pcm) / rate, loud, share


def correlation_ids(log_text, marker):
    """Correlation ids ([...] after the level) of the log lines containing `marker`."""
    import re
    return {m.group(1) for line in log_text.splitlines() if marker in line
            for m in [re.search(r"\]: \w+ \S+ \[([^\]\s]+)\]", line)] if m}
