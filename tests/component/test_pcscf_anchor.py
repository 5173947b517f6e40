"""pcscf anchoring WebRTC calls in the real eims-agw over Iq, between a W8 peer emulating the WTPF
(our SIP tool, GIN-registered) and a real baresip phone: the WTPF's Chromium offer reaches the
phone as plain RTP/AVP at the AGW's IMS side and the phone's answer comes back as the AGW's
WebRTC answer; the other way round the phone's offer reaches the WTPF as the AGW's WebRTC offer;
BYE subtracts the context; an AGW that goes away ends the call with a BYE each way; no AGW is
503 with Retry-After. SIP, SDP, Diameter and H.248 decode in tshark without a malformed packet."""
import pathlib
import re
import time

import pytest

from baresip import Baresip, available
from conftest import Capture, Node, tshark
from pcscf_lab import (PCSCF, PHONE1, PROXY, WTPF, WTPF_REGISTRATION, pcscf_conf, start_hss,
                       start_pcscf)
from sip_ua import UA

pytestmark = pytest.mark.skipif(not available(), reason="baresip is not installed")

AGW, AGW_CORE = "127.0.23.3", "127.0.23.5"
OFFER = (pathlib.Path(__file__).resolve().parents[3] / "shared" / "testdata" /
         "chromium-156-audio-offer.sdp")
AGW_CONF = f"""
log = {{ level = "info"; }};
admin = {{ address = "{AGW}"; port = 9090; }};
iq = {{ address = "{AGW}"; port = 2944; mgc_address = "{PCSCF}"; mgc_port = 2944;
        profile = "threegiq/1"; register_retry_ms = 100; register_retry_max_ms = 400; }};
media = {{ w3_address = "{AGW}"; rtp_address = "{AGW_CORE}"; port_min = 42000; port_max = 42999;
          no_media_timeout = 60; }};
"""
IQ = f'address = "{PCSCF}"; port = 2944; request_timeout = 1500; audit_interval = 1000;'
WIC_ANSWER = """v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
m=audio 9 UDP/TLS/RTP/SAVPF 0 126
c=IN IP4 127.0.23.1
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1 1 udp 2122260223 127.0.23.1 51234 typ host
a=ice-ufrag:WxYz
a=ice-pwd:PawJZpTr+YgVYXBsI5apmBh8
a=fingerprint:sha-256 D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:53:B1
a=setup:active
a=mid:0
a=sendrecv
a=rtcp-mux
a=rtpmap:0 PCMU/8000
a=rtpmap:126 telephone-event/8000
""".replace("\n", "\r\n")


def wait_for(cond, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def lab(tmp_path):
    cap = Capture(tmp_path / "anchor.pcap", f"host {PCSCF}")
    hss = start_hss(tmp_path)
    nodes = [hss]
    try:
        pcscf = start_pcscf(tmp_path, pcscf_conf(
            peers=[WTPF_REGISTRATION % {"priv": "false"}], iq=IQ))
        nodes.append(pcscf)
        agw = Node("eims-agw", AGW_CONF, tmp_path, admin=f"{AGW}:9090").start()
        nodes.append(agw)
        assert wait_for(lambda: '"agws":1' in pcscf.http("/health")), pcscf.log.read_text()[-2000:]
        wtpf = UA("sip:+33140000000@ims.lab", WTPF, proxy=PROXY, password="pbx-lab",
                  impi="pbx@ims.lab", local_port=5060)
        _, r = wtpf.register(expires=600, gin=True)
        assert r.status == 200
        phone = Baresip(tmp_path, "p201", "sip:+33150000201@ims.lab", "phone201-lab", PHONE1,
                        PROXY, rtp_ports="30000-30099")
        assert wait_for(lambda: pcscf.metric("pcscf_bindings") == 2)
        yield pcscf, agw, wtpf, phone, cap
        phone.stop()
        wtpf.close()
    finally:
        for n in reversed(nodes):
            if n.proc and n.proc.poll() is None:
                n.stop()
        cap.stop()


def family_total(node, family):
    total = 0.0
    for line in node.http("/metrics").splitlines():
        if line.startswith(family + "{") or line.startswith(family + " "):
            total += float(line.split()[-1])
    return total


def check_capture(pcap):
    bad = tshark(pcap, "-d", "udp.port==2944,megaco", "-Y",
                 "_ws.malformed || _ws.expert.severity == error")
    assert bad.strip() == "", bad
    protos = tshark(pcap, "-d", "udp.port==2944,megaco", "-T", "fields", "-e", "frame.protocols")
    for p in ("sip", "sdp", "diameter", "megaco"):
        assert f":{p}" in protos, p


def webrtc_lines(sdp):
    assert re.search(r"^m=audio \d+ UDP/TLS/RTP/SAVPF", sdp, re.M), sdp
    for pat in (r"^a=ice-ufrag:\S+", r"^a=ice-pwd:\S+", r"^a=fingerprint:sha-256 [0-9A-F:]{95}",
                r"^a=rtcp-mux", rf"^a=candidate:\S+ 1 udp \d+ {AGW} \d+ typ host"):
        assert re.search(pat, sdp, re.M), (pat, sdp)


def test_wtpf_calls_baresip_through_the_agw(lab):
    pcscf, agw, wtpf, phone, cap = lab
    offer = OFFER.read_text().replace("\n", "\r\n")
    c = wtpf.invite("sip:+33150000201@ims.lab", offer,
                    headers=[("P-Asserted-Identity", "<tel:+33140000101>")])
    final = c.wait_final(timeout=15)
    assert final is not None and final.status == 200, phone.logtext()
    answer = final.body.decode().replace("\r\n", "\n")
    webrtc_lines(answer)
    assert re.search(r"^a=setup:(active|passive)$", answer, re.M)  # answering actpass
    assert "a=ice-lite" in answer
    c.ack()
    assert phone.wait_event("CALL_ESTABLISHED", timeout=5)
    assert agw.metric("agw_contexts") == 1 or agw.metric("agw_iq_contexts") == 1
    # the phone sends its RTP to the AGW's IMS side (relayed once a browser completes ICE and
    # DTLS on the W3 side, which this W8 emulator does not do)
    assert wait_for(lambda: family_total(agw, "agw_packets_total") +
                    family_total(agw, "agw_packets_dropped_total") > 0), agw.http("/metrics")
    q = wtpf.send(c.in_dialog("BYE"))
    assert wtpf.wait(q).status == 200
    assert phone.wait_event("CALL_CLOSED", timeout=5)
    assert wait_for(lambda: "subtracted" in pcscf.log.read_text())
    assert pcscf.metric("pcscf_dialogs") == 0
    check_capture(cap.stop())


def test_baresip_calls_the_wtpf_range(lab):
    pcscf, agw, wtpf, phone, cap = lab
    assert phone.command("dial", "sip:+33140000101@ims.lab").get("ok")
    req = wtpf.next_request("INVITE", timeout=10)
    assert req is not None, pcscf.log.read_text()[-3000:]
    assert req.uri == f"sip:+33140000101@{WTPF}:5060;user=phone"
    offer = req.body.decode().replace("\r\n", "\n")
    webrtc_lines(offer)
    assert re.search(r"^a=setup:actpass$", offer, re.M)
    wtpf.respond(req, 180, "Ringing")
    wtpf.respond(req, 200, "OK", body=WIC_ANSWER)
    assert phone.wait_event("CALL_ESTABLISHED", timeout=10), phone.logtext()
    assert wtpf.next_request("ACK") is not None
    time.sleep(1)
    assert phone.command("hangup").get("ok")
    bye = wtpf.next_request("BYE", timeout=5)
    assert bye is not None
    wtpf.respond(bye, 200, "OK")
    assert phone.wait_event("CALL_CLOSED", timeout=5)
    assert wait_for(lambda: "subtracted" in pcscf.log.read_text())
    check_capture(cap.stop())


def test_agw_gone_ends_the_call_and_no_agw_is_503(lab):
    pcscf, agw, wtpf, phone, cap = lab
    offer = OFFER.read_text().replace("\n", "\r\n")
    c = wtpf.invite("sip:+33150000201@ims.lab", offer)
    assert c.wait_final(timeout=15).status == 200
    c.ack()
    assert phone.wait_event("CALL_ESTABLISHED", timeout=5)
    agw.stop()  # ServiceChange Forced: the media is gone
    bye = wtpf.next_request("BYE", timeout=10)
    assert bye is not None, pcscf.log.read_text()[-3000:]
    assert "media lost" in (bye.get("Reason") or "")
    wtpf.respond(bye, 200, "OK")
    assert phone.wait_event("CALL_CLOSED", timeout=10), phone.logtext()
    assert wait_for(lambda: pcscf.metric("pcscf_dialogs") == 0)
    # no AGW in service: the next WebRTC call is refused at once
    c = wtpf.invite("sip:+33150000201@ims.lab", offer)
    r = c.wait_final(timeout=5)
    assert r.status == 503 and r.get("Retry-After")


def test_early_media_and_reinvites(lab):
    """183 and 200 answers keep their order through the AGW; re-INVITEs of the WTPF (hold,
    then one the phone rejects, then resume) are re-anchored (Modify) and rewritten."""
    pcscf, agw, wtpf, phone, cap = lab
    p2 = UA("sip:+33150000202@ims.lab", "127.0.23.21", proxy=PROXY, password="phone202-lab",
            local_port=5060)
    try:
        assert p2.register()[1].status == 200
        offer = OFFER.read_text().replace("\n", "\r\n")
        c = wtpf.invite("sip:+33150000202@ims.lab", offer)
        req = p2.next_request("INVITE")
        assert req is not None
        ims_offer = req.body.decode()
        assert f"c=IN IP4 {AGW_CORE}" in ims_offer and "RTP/AVP" in ims_offer
        assert "ice-ufrag" not in ims_offer and "BUNDLE" not in ims_offer
        answer = ("v=0\r\no=p2 1 1 IN IP4 127.0.23.21\r\ns=-\r\nc=IN IP4 127.0.23.21\r\n"
                  "t=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n%s")
        p2.respond(req, 183, "Session Progress", body=answer % "a=sendrecv\r\n")
        p2.respond(req, 200, "OK", body=answer % "a=sendrecv\r\n")
        final = c.wait_final(timeout=10)
        assert final.status == 200
        assert [r.status for r in c.provisional if r.status > 100] == [183]
        for r in (c.provisional[-1], final):
            webrtc_lines(r.body.decode().replace("\r\n", "\n"))
        c.ack()
        assert p2.next_request("ACK") is not None

        def reinvite(direction, phone_status):
            body = offer.replace("a=sendrecv", f"a={direction}")
            msg = c.in_dialog("INVITE", headers=[("Content-Type", "application/sdp"),
                                                 ("Contact", wtpf.contact())],
                              body=body.encode())
            q = wtpf.send(msg)
            got = p2.next_request("INVITE")
            assert got is not None and f"a={direction}" in got.body.decode()
            assert "RTP/AVP" in got.body.decode()
            if phone_status == 200:
                back = {"sendonly": "recvonly", "sendrecv": "sendrecv"}[direction]
                p2.respond(got, 200, "OK", body=answer % f"a={back}\r\n")
            else:
                p2.respond(got, phone_status, "Not Acceptable Here")
            r = wtpf.wait(q, method="INVITE")
            if r.status >= 300:
                wtpf.ack_non2xx(msg, r)
            else:
                ack = c.in_dialog("ACK")
                ack.set("CSeq", msg.get("CSeq").split()[0] + " ACK")
                wtpf.tp.send(ack.to_bytes())
            return r

        r = reinvite("sendonly", 200)
        assert r.status == 200
        webrtc_lines(r.body.decode().replace("\r\n", "\n"))
        assert "a=recvonly" in r.body.decode()
        assert reinvite("sendrecv", 488).status == 488
        r = reinvite("sendrecv", 200)
        assert r.status == 200 and "a=sendrecv" in r.body.decode()
        q = wtpf.send(c.in_dialog("BYE"))
        bye = p2.next_request("BYE")
        p2.respond(bye, 200, "OK")
        assert wtpf.wait(q).status == 200
        assert wait_for(lambda: "subtracted" in pcscf.log.read_text())
    finally:
        try:
            p2.register(expires=0, timeout=3)
        finally:
            p2.close()
