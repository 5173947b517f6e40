# Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
"""The pcscf's media-anchoring module against the real eims-agw: $BUILD/anchor_drive (the MGC
endpoint of pcscf/anchor.h) on 127.0.22.2:2944, $BUILD/bin/eims-agw registering from
127.0.22.3:2944 with its W3 side on 127.0.22.3 and its IMS side on 127.0.22.4. One originating
and one terminating call (the SDPs the SIP core would forward, the correlation id reaching the
AGW's log), the Iq capture through tshark, and the AGW going away: stopped (ServiceChange
Forced) or killed (silence, caught by the keep-alive audit)."""

import re
import signal
import subprocess

import pytest

from conftest import Capture, Node, tshark
from test_pcscf_iq import CID, MGC, WIC_ANSWER, Drive, offer_path, sdp_block

AGW, AGW_CORE = "127.0.22.3", "127.0.22.4"

AGW_CONF_T = """
log = {{ level = "info"; }};
admin = {{ address = "{agw}"; port = 9090; }};
iq = {{
  address = "{agw}"; port = 2944;
  mgc_address = "{mgc}"; mgc_port = 2944;
  profile = "threegiq/1";
  register_retry_ms = 100;
  register_retry_max_ms = 400;
}};
media = {{
  w3_address = "{agw}"; rtp_address = "{core}";
  port_min = 42000; port_max = 42999;
  no_media_timeout = {no_media};
}};
"""


def agw_conf(no_media=60):
    return AGW_CONF_T.format(agw=AGW, mgc=MGC, core=AGW_CORE, no_media=no_media)


@pytest.fixture
def agw(tmp_path, request):
    node = Node("eims-agw", agw_conf(getattr(request, "param", 60)), tmp_path,
                admin=f"{AGW}:9090")
    yield node
    if node.proc and node.proc.poll() is None:
        node.stop()
    elif node.proc:
        node.logf.close()


def agw_fingerprint(node):
    m = re.search(r"DTLS fingerprint sha-256 ([0-9A-F:]{95})", node.log.read_text())
    assert m, node.log.read_text()
    return m.group(1)


def test_originating_call_real_agw(tmp_path, agw):
    cap = Capture(tmp_path / "iq.pcap", f"udp port 2944 and host {MGC}")
    d = Drive("--offer", offer_path())
    agw.start()
    rc, out, err = d.wait()
    pcap = cap.stop()
    assert rc == 0, out + err + agw.log.read_text()
    assert f"REGISTERED [{AGW}]:2944" in out

    ims = sdp_block(out, "IMS")
    m = re.search(r"m=audio (\d+) RTP/AVP 0 8 126\n", ims)
    assert m and 42000 <= int(m.group(1)) <= 42999, ims
    assert f"c=IN IP4 {AGW_CORE}" in ims
    for banned in ("a=ice", "a=candidate", "a=fingerprint", "a=setup", "a=rtcp-mux", "a=mid",
                   "BUNDLE", "a=ssrc", "a=msid", "SAVPF"):
        assert banned not in ims, banned

    wic = sdp_block(out, "WIC")
    w = re.search(r"m=audio (\d+) UDP/TLS/RTP/SAVPF 0 126\n", wic)
    assert w, wic
    port = w.group(1)
    assert re.search(r"a=ice-ufrag:[A-Za-z0-9+/]{4,}\n", wic), wic
    assert re.search(r"a=ice-pwd:[A-Za-z0-9+/]{22,}\n", wic), wic
    assert f"a=fingerprint:sha-256 {agw_fingerprint(agw)}" in wic
    assert re.search(rf"a=candidate:\S+ 1 udp \d+ {re.escape(AGW)} {port} typ host", wic), wic
    for line in ("a=ice-lite", "a=setup:active", "a=mid:0", "a=rtcp-mux", "a=end-of-candidates",
                 f"c=IN IP4 {AGW}"):
        assert line in wic, line
    assert "RELEASED ok" in out

    # the correlation id crossed Iq: the AGW logs the call under it
    log = agw.log.read_text()
    assert f"[{CID}] context" in log, log

    assert tshark(pcap, "-d", "udp.port==2944,megaco", "-Y", "_ws.malformed") == ""
    assert len(tshark(pcap, "-d", "udp.port==2944,megaco", "-Y", "sdp").splitlines()) >= 3
    agw.stop()


def test_terminating_call_real_agw(tmp_path, agw):
    answer = tmp_path / "wic-answer.sdp"
    answer.write_text(WIC_ANSWER.replace("\n", "\r\n"))
    d = Drive("--scenario", "terminating", "--answer", str(answer))
    agw.start()
    rc, out, err = d.wait()
    assert rc == 0, out + err + agw.log.read_text()
    wic = sdp_block(out, "WIC")
    for line in ("a=setup:actpass", "a=ice-lite", "a=mid:0", "a=end-of-candidates",
                 f"a=fingerprint:sha-256 {agw_fingerprint(agw)}"):
        assert line in wic, line
    assert re.search(r"m=audio \d+ UDP/TLS/RTP/SAVPF 8 0 101\n", wic), wic
    ims = sdp_block(out, "IMS")
    assert f"c=IN IP4 {AGW_CORE}" in ims and re.search(r"RTP/AVP 8 101\n", ims), ims
    assert "RELEASED ok" in out
    agw.stop()


def test_agw_stopped_ends_call(agw):
    d = Drive("--offer", offer_path(), "--scenario", "wait-event")
    agw.start()
    # wait until the call is up, then stop the AGW: it sends ServiceChange Forced
    line = ""
    while "WAITING" not in line:
        line = d.proc.stdout.readline()
        assert line, d.proc.stderr.read()
    agw.stop()
    rc, out, err = d.wait()
    assert rc == 0, out + err
    assert re.search(rf"EVENT AGW_LOST {CID} ServiceChange Forced", out), out


def test_agw_killed_ends_call(agw):
    d = Drive("--offer", offer_path(), "--scenario", "wait-event", "--audit", "200",
              "--request-timeout", "600")
    agw.start()
    line = ""
    while "WAITING" not in line:
        line = d.proc.stdout.readline()
        assert line, d.proc.stderr.read()
    agw.proc.send_signal(signal.SIGKILL)
    agw.proc.wait()
    rc, out, err = d.wait()
    assert rc == 0, out + err
    assert re.search(rf"EVENT AGW_LOST {CID} keep-alive audit unanswered", out), out


@pytest.mark.parametrize("agw", [1], indirect=True)
def test_agw_notify_no_media(agw):
    """Nobody sends media: the AGW reports it (Notify; it notifies unarmed events by default)
    and the call's owner hears of it as a media event on its anchor."""
    d = Drive("--offer", offer_path(), "--scenario", "wait-event")
    agw.start()
    rc, out, err = d.wait()
    assert rc == 0, out + err + agw.log.read_text()
    assert re.search(rf"EVENT MEDIA {CID} \S+ (access|core)", out), out
    assert "RELEASED ok" in out
    agw.stop()
