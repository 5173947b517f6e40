"""Fixtures of the end-to-end tests: every test runs the whole lab (hss-stub, eims-agw, pcscf,
wtpf from $BUILD/bin with etc/lab or etc/lab-static) in a fresh network namespace with only
loopback (DESIGN.md): the test re-runs tests/e2e/lab_run.py under `unshare -n` and reads its
output. The helpers of the component tests (Node, Capture, tshark, the WIC client, baresip, the
browsers) are imported from tests/component."""
import importlib.util
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COMPONENT = ROOT / "tests" / "component"
if str(COMPONENT) not in sys.path:
    sys.path.insert(0, str(COMPONENT))

# The component conftest under its own name; its helpers are re-exported here because helper
# modules of tests/component (wic_client.wtpf_conf) import `conftest` lazily, and in one pytest
# session over both directories `conftest` may then be this module.
_spec = importlib.util.spec_from_file_location("component_conftest", COMPONENT / "conftest.py")
component_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(component_conftest)
BUILD = component_conftest.BUILD
Node, Capture, tshark = component_conftest.Node, component_conftest.Capture, component_conftest.tshark
binary, tool = component_conftest.binary, component_conftest.tool

LAB_RUN = HERE / "lab_run.py"


def run_in_netns(scenario, tmp_path, labdir="etc/lab", timeout=150, args=()):
    """Runs one scenario of lab_run.py in a new network namespace (only lo, up); returns its
    output. Everything it started dies with it (own session, killed as a group at the end)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("unshare and ip (util-linux, iproute2) are required")
    for n in ("hss-stub", "eims-agw", "pcscf", "wtpf"):
        binary(n)
    cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', "/usr/bin/python3",
           str(LAB_RUN), scenario, str(tmp_path), labdir, *args]
    env = dict(os.environ, BUILD=str(BUILD), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env=env, cwd=ROOT)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        print(out)
        pytest.fail(f"scenario {scenario} timed out after {timeout} s:\n{out[-6000:]}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # nothing of it may outlive the test
        except ProcessLookupError:
            pass
    print(out)
    assert proc.returncode == 0 and "SCENARIO OK" in out, \
        f"scenario {scenario} failed (rc {proc.returncode}):\n{out[-8000:]}"
    return out
