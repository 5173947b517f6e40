"""The README's run command's script: the whole lab plus a baresip phone comes up on loopback,
the phone registers through the pcscf with Cx, the WTPF registers, and Ctrl-C stops it all."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

pytestmark = pytest.mark.skipif(not shutil.which("baresip"), reason="baresip not installed")


@pytest.mark.parametrize("lab", ["", "static"])
def test_run_lab_starts_and_stops(lab):
    env = dict(os.environ, BUILD=str(BUILD), LAB=lab)
    logdir = BUILD / "lab"
    # A fresh loopback-only namespace; SIGINT after 8 s stands for the user's Ctrl-C.
    out = subprocess.run(["unshare", "-n", "sh", "-c",
                          "ip link set lo up && timeout -s INT 8 scripts/run-lab.sh"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    text = out.stdout + out.stderr
    assert "The lab is up on loopback" in text, text
    for n in ("hss-stub", "eims-agw", "pcscf", "wtpf", "phone"):
        assert f"started {n}" in text or (n == "phone" and "baresip phone" in text), text
    assert "lab: stopped" in text and "exited unexpectedly" not in text, text
    assert "200 OK" in (logdir / "phone.log").read_text()
    wtpf_log = (logdir / "wtpf.log").read_text()
    if lab == "static":
        assert "static" in (ROOT / "etc/lab-static/wtpf.conf").read_text()
    for n in ("hss-stub", "eims-agw", "pcscf", "wtpf"):
        log = (logdir / f"{n}.log").read_text()
        assert "stopped" in log and "ERROR: AddressSanitizer" not in log, (n, log[-2000:])
    assert wtpf_log
