"""Real SIP phones through the pcscf: two baresip instances (one on UDP, one on TCP) register with
the digest credentials provisioned in the hss-stub and call each other; a third with a wrong
password is refused. The SIP and Diameter traffic is captured and must decode in tshark without
a single malformed packet."""
import time

import pytest

from baresip import Baresip, available
from conftest import Capture, tshark
from pcscf_lab import PCSCF, PHONE1, PHONE2, PROXY, pcscf_conf, start_hss, start_pcscf

pytestmark = pytest.mark.skipif(not available(), reason="baresip is not installed")


def wait_for(cond, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def lab(tmp_path):
    cap = Capture(tmp_path / "pcscf.pcap", f"host {PCSCF}")
    hss = start_hss(tmp_path)
    try:
        pcscf = start_pcscf(tmp_path, pcscf_conf())
        try:
            yield hss, pcscf, cap
        finally:
            pcscf.stop()
    finally:
        hss.stop()
        cap.stop()


def call(caller, callee, target, hangup_by):
    r = caller.command("dial", target)
    assert r and r.get("ok"), r
    ev_a = caller.wait_event("CALL_ESTABLISHED", timeout=15)
    ev_b = callee.wait_event("CALL_ESTABLISHED", timeout=15)
    assert ev_a, caller.logtext()
    assert ev_b, callee.logtext()
    time.sleep(1.5)  # some RTP both ways
    assert hangup_by.command("hangup").get("ok")
    assert caller.wait_event("CALL_CLOSED", timeout=10)
    assert callee.wait_event("CALL_CLOSED", timeout=10)


def test_two_baresip_phones(lab, tmp_path):
    hss, pcscf, cap = lab
    a = Baresip(tmp_path, "p201", "sip:+33150000201@ims.lab", "phone201-lab", PHONE1, PROXY,
                rtp_ports="30000-30099")
    b = Baresip(tmp_path, "p202", "sip:+33150000202@ims.lab", "phone202-lab", PHONE2, PROXY,
                transport="tcp", rtp_ports="30100-30199")
    bad = None
    try:
        assert wait_for(lambda: pcscf.metric("pcscf_bindings") == 2), pcscf.log.read_text()[-2000:]
        assert pcscf.metric("pcscf_register_total", 'outcome="challenged"') >= 2
        call(a, b, "sip:+33150000202@ims.lab", hangup_by=b)
        call(b, a, "sip:+33150000201@ims.lab;user=phone", hangup_by=a)
        assert pcscf.metric("pcscf_dialogs_total", 'event="started"') == 2
        assert pcscf.metric("pcscf_dialogs_total", 'event="ended"') == 2
        assert pcscf.metric("pcscf_dialogs") == 0
        # a phone with the wrong password is refused
        bad = Baresip(tmp_path, "p203", "sip:+33150000203@ims.lab", "wrong-password",
                      "127.0.23.23", PROXY, rtp_ports="30200-30299")
        assert wait_for(lambda: pcscf.metric("pcscf_register_total", 'outcome="rejected"') >= 1)
        assert pcscf.metric("pcscf_bindings") == 2
    finally:
        for p in (a, b, bad):
            if p:
                p.stop()
    # baresip de-registers when it quits
    assert wait_for(lambda: pcscf.metric("pcscf_bindings") == 0)
    pcap = cap.stop()
    malformed = tshark(pcap, "-Y", "_ws.malformed || _ws.expert.severity == error")
    assert malformed.strip() == "", malformed
    sip = tshark(pcap, "-Y", "sip", "-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code")
    methods = {w for line in sip.splitlines() for w in line.split()}
    for m in ("REGISTER", "INVITE", "ACK", "BYE", "401", "200", "180"):
        assert m in methods, (m, methods)
    dia = tshark(pcap, "-Y", "diameter", "-T", "fields", "-e", "diameter.cmd.code")
    codes = {c for line in dia.splitlines() for c in line.split(",")}
    for c in ("257", "300", "301", "302", "303"):
        assert c in codes, (c, codes)
