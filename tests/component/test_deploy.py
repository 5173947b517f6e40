"""Deployment artefacts: `make install` layout, systemd units that systemd-analyze accepts, and
the Type=notify readiness protocol spoken by a real daemon."""
import os
import pathlib
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import BUILD, ROOT, binary

NODES_BUILT = [n for n in ("hss-stub", "eims-agw", "pcscf", "wtpf")
               if (ROOT / n / "main.c").exists()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    san = "1" if BUILD.name == "san" else "0"
    out = subprocess.run(["make", "-s", f"BUILD={BUILD}", f"SAN={san}", "install",
                          f"PREFIX={prefix}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return prefix


def test_install_layout(installed):
    for n in NODES_BUILT:
        assert os.access(installed / "bin" / n, os.X_OK)
        assert (installed / "etc/wtpf-suite" / f"{n}.conf.sample").stat().st_size > 0
        assert (installed / "etc/wtpf-suite/lab" / f"{n}.conf").exists()
        # The installed sample is the key table's own rendering and is itself a valid file
        # once the required keys are given: at least it parses.
        sample = (installed / "etc/wtpf-suite" / f"{n}.conf.sample").read_text()
        assert "unknown keys and wrong types are refused" in sample
    assert (installed / "lib/sysusers.d/wtpf-suite.conf").read_text().startswith("#")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze missing")
def test_systemd_units_verify(installed):
    for n in NODES_BUILT:
        unit = installed / "lib/systemd/system" / f"wtpf-suite-{n}.service"
        text = unit.read_text()
        for line in ("Type=notify", "User=wtpf-suite", "Restart=on-failure",
                     "AmbientCapabilities=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes"):
            assert line in text, (n, line)
        assert f"ExecStart={installed}/bin/{n} -c {installed}/etc/wtpf-suite/{n}.conf" in text
        out = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr


def test_sd_notify_ready_and_stopping(tmp_path):
    """The daemon tells systemd READY=1 once serving and STOPPING=1 on SIGTERM."""
    sock_path = tmp_path / "notify.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(str(sock_path))
    srv.settimeout(10)
    conf = tmp_path / "hss.conf"
    conf.write_text('admin = { enabled = false; };\n'
                    'diameter = { origin_host = "hss.ims.lab"; origin_realm = "ims.lab";\n'
                    '  listen_address = "127.0.20.44"; port = 0; };\n')
    env = dict(os.environ, NOTIFY_SOCKET=str(sock_path))
    p = subprocess.Popen([binary("hss-stub"), "-f", "-c", str(conf)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert b"READY=1" in srv.recv(4096)
        p.send_signal(signal.SIGTERM)
        assert b"STOPPING=1" in srv.recv(4096)
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
        srv.close()
