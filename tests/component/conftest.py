"""Shared fixtures of the component tests: where the binaries are, starting a node with a
config text and waiting for its /health, capturing loopback traffic for tshark."""
import os
import pathlib
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("BUILD", "build")


def binary(name):
    path = BUILD / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is not built (run make BUILD={BUILD.name})")
    return str(path)


def tool(name):
    path = BUILD / name
    if not path.exists():
        pytest.fail(f"{path} is not built")
    return str(path)


class Node:
    """One daemon in the foreground with its log in a file; stop() asserts a clean exit."""

    def __init__(self, name, conf_text, tmp, admin=None):
        self.name, self.tmp, self.admin = name, tmp, admin
        self.conf = tmp / f"{name}.conf"
        self.conf.write_text(conf_text)
        self.log = tmp / f"{name}.log"
        self.proc = None

    def start(self, wait=True):
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen([binary(self.name), "-f", "-c", str(self.conf)],
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        if wait and self.admin:
            deadline = time.time() + 10
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"{self.name} exited: {self.log.read_text()}")
                try:
                    urllib.request.urlopen(f"http://{self.admin}/health", timeout=1).read()
                    return self
                except OSError:
                    time.sleep(0.05)
            raise AssertionError(f"{self.name} not healthy: {self.log.read_text()}")
        return self

    def http(self, path):
        return urllib.request.urlopen(f"http://{self.admin}{path}", timeout=2).read().decode()

    def metric(self, name, labels=None):
        """Value of one Prometheus series (labels: the exact text inside braces), or 0."""
        key = f"{name}{{{labels}}}" if labels else name
        for line in self.http("/metrics").splitlines():
            if line.startswith(key + " "):
                return float(line.split()[-1])
        return 0.0

    def alive(self):
        return self.proc.poll() is None

    def stop(self, expect_rc=0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        rc = self.proc.returncode
        assert rc == expect_rc, f"{self.name} exited with {rc}:\n{self.log.read_text()[-4000:]}"


class Capture:
    """dumpcap on lo with a capture filter; read() returns the pcap path once stopped."""

    def __init__(self, path, bpf):
        self.path = path
        if not shutil.which("dumpcap"):
            pytest.fail("dumpcap (tshark) is not installed")
        self.proc = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", bpf, "-w", str(path)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while not path.exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)

    def stop(self):
        time.sleep(0.3)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)
        return self.path


def tshark(pcap, *args):
    out = subprocess.run(["tshark", "-n", "-r", str(pcap), *args], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout
