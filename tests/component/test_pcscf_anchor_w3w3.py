"""WIC to WIC through the pcscf and the real eims-agw (DESIGN.md: every WebRTC session is
anchored): a WebRTC W8 peer (our SIP tool in the wtpf's place, GIN-registered for +3314000...)
calls one of its own numbers, so the INVITE leaves it on W8, crosses the pcscf and comes back on
W8. The pcscf makes one AGW context with two W3 terminations: the callee gets the AGW's WebRTC
offer (its address, fingerprint, ICE-lite, actpass), the caller the AGW's WebRTC answer, and
neither sees the other browser's credentials. A re-INVITE from the callee is anchored the other
way; BYE, CANCEL and a failure response subtract the context. H.248 and SDP decode in tshark."""
import re

import pytest

from conftest import Capture, Node
from pcscf_lab import PCSCF, PROXY, WTPF, WTPF_REGISTRATION, pcscf_conf, start_hss, start_pcscf
from sip_ua import UA
from test_pcscf_anchor import AGW, AGW_CONF, IQ, OFFER, check_capture, wait_for, webrtc_lines

CALLER_UFRAG, CALLER_FP = "kNbi", "7E:8F:16:C1"  # in the Chromium offer
# The far browser's answer to the AGW's offer (it answers actpass with active).
FAR_ANSWER = """v=0
o=- 7115389720045312284 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
m=audio 9 UDP/TLS/RTP/SAVPF 0 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Tq7w
a=ice-pwd:Xy4Lm9Qr2Vs8Kd1Pa6Hn3Bc0
a=fingerprint:sha-256 5C:92:1E:A8:37:F4:06:DB:61:2A:C9:83:E0:7B:14:5F:A6:D2:38:C1:9E:04:7A:B5:63:F8:2D:91:0E:C7:4B:E6
a=setup:active
a=mid:0
a=sendrecv
a=rtcp-mux
a=rtpmap:0 PCMU/8000
a=rtpmap:126 telephone-event/8000
""".replace("\n", "\r\n")
FAR_UFRAG, FAR_FP = "Tq7w", "5C:92:1E:A8"
FAR_TAG = "farwic0001"


@pytest.fixture
def lab(tmp_path):
    cap = Capture(tmp_path / "w3w3.pcap", f"host {PCSCF}")
    nodes = [start_hss(tmp_path)]
    wtpf = None
    try:
        pcscf = start_pcscf(tmp_path, pcscf_conf(
            peers=[WTPF_REGISTRATION % {"priv": "false"}], iq=IQ))
        nodes.append(pcscf)
        agw = Node("eims-agw", AGW_CONF, tmp_path, admin=f"{AGW}:9090").start()
        nodes.append(agw)
        assert wait_for(lambda: '"agws":1' in pcscf.http("/health")), pcscf.log.read_text()[-2000:]
        wtpf = UA("sip:+33140000000@ims.lab", WTPF, proxy=PROXY, password="pbx-lab",
                  impi="pbx@ims.lab", local_port=5060)
        assert wtpf.register(expires=600, gin=True)[1].status == 200
        yield pcscf, agw, wtpf, cap
    finally:
        if wtpf:
            wtpf.close()
        for n in reversed(nodes):
            if n.proc and n.proc.poll() is None:
                n.stop()
        cap.stop()


def fingerprint(sdp):
    return re.search(r"^a=fingerprint:sha-256 (\S+)", sdp, re.M).group(1)


def ufrag(sdp):
    return re.search(r"^a=ice-ufrag:(\S+)", sdp, re.M).group(1)


def w3_terms(agw):
    return agw.metric("agw_terminations", 'kind="w3"'), agw.metric("agw_terminations", 'kind="rtp"')


def call_out(wtpf):
    """The caller's INVITE and the same call arriving back at the W8 peer (the callee's side)."""
    offer = OFFER.read_text().replace("\n", "\r\n")
    c = wtpf.invite("sip:+33140000102@ims.lab", offer,
                    headers=[("P-Asserted-Identity", "<tel:+33140000101>")])
    req = wtpf.next_request("INVITE", timeout=10)
    assert req is not None
    return c, req


def test_wic_to_wic_gets_two_w3_terminations(lab):
    pcscf, agw, wtpf, cap = lab
    c, req = call_out(wtpf)
    assert req.uri.startswith("sip:+33140000102@")
    # the callee's offer is the AGW's second W3, not the caller's browser
    to_far = req.body.decode().replace("\r\n", "\n")
    webrtc_lines(to_far)
    assert re.search(r"^a=setup:actpass$", to_far, re.M) and "a=ice-lite" in to_far, to_far
    assert f"c=IN IP4 {AGW}" in to_far
    assert ufrag(to_far) != CALLER_UFRAG and not fingerprint(to_far).startswith(CALLER_FP)
    assert "a=msid" not in to_far and "a=ssrc" not in to_far
    # one context, two W3 terminations, no RTP one
    assert agw.metric("agw_contexts") == 1, agw.http("/metrics")
    assert w3_terms(agw) == (2, 0)
    log = pcscf.log.read_text()
    assert re.search(r"Context = \d+ \{ ip/w3/\d+, ip/w3/\d+ \(far W3 ", log), log[-3000:]

    wtpf.respond(req, 180, "Ringing", to_tag=FAR_TAG)
    wtpf.respond(req, 200, "OK", body=FAR_ANSWER, to_tag=FAR_TAG)
    final = c.wait_final(timeout=10)
    assert final is not None and final.status == 200, pcscf.log.read_text()[-3000:]
    answer = final.body.decode().replace("\r\n", "\n")
    webrtc_lines(answer)
    assert f"c=IN IP4 {AGW}" in answer and "a=ice-lite" in answer
    assert re.search(r"^a=setup:active$", answer, re.M)  # answering the caller's actpass
    assert ufrag(answer) not in (FAR_UFRAG, ufrag(to_far))  # the caller's own W3
    assert fingerprint(answer) == fingerprint(to_far)  # the AGW's certificate on both legs
    assert not fingerprint(answer).startswith(FAR_FP)
    assert re.search(r"^m=audio \d+ UDP/TLS/RTP/SAVPF 0 126$", answer, re.M)  # far WIC's codecs
    c.ack()
    assert wtpf.next_request("ACK", timeout=5) is not None

    # the callee re-INVITEs (hold): anchored toward the caller on its W3, actpass
    rr = req.getall("Record-Route")
    hold = FAR_ANSWER.replace("a=sendrecv", "a=sendonly").replace(
        "a=setup:active", "a=setup:actpass").replace(" 2 IN IP4", " 3 IN IP4")
    re_inv = wtpf.new_request("INVITE", re.search(r"<([^>]+)>", c.invite.get("Contact")).group(1),
                              to=c.invite.get("From").split(";tag=")[0], from_tag=FAR_TAG,
                              to_tag=wtpf.tag, call_id=c.invite.get("Call-ID"),
                              from_=c.invite.get("To"), route=", ".join(rr),
                              headers=[("Contact", wtpf.contact()),
                                       ("Content-Type", "application/sdp")],
                              body=hold.encode())
    q = wtpf.send(re_inv)
    got = wtpf.next_request("INVITE", timeout=10)
    assert got is not None, pcscf.log.read_text()[-3000:]
    to_caller = got.body.decode().replace("\r\n", "\n")
    webrtc_lines(to_caller)
    assert ufrag(to_caller) == ufrag(answer)  # the caller's W3 offers, same credentials
    assert re.search(r"^a=setup:actpass$", to_caller, re.M) and "a=sendonly" in to_caller
    caller_answer = OFFER.read_text().replace("a=sendrecv", "a=recvonly").replace(
        "a=setup:actpass", "a=setup:passive").replace("\n", "\r\n")
    wtpf.respond(got, 200, "OK", body=caller_answer)
    r = wtpf.wait(q, method="INVITE")
    assert r is not None and r.status == 200, pcscf.log.read_text()[-3000:]
    back = r.body.decode().replace("\r\n", "\n")
    assert ufrag(back) == ufrag(to_far) and "a=recvonly" in back  # the far W3 answers
    assert not fingerprint(back).startswith(CALLER_FP)
    assert re.search(r"Modify = ip/w3/\d+ \(ReceiveOnly, Remote\)", pcscf.log.read_text())

    q = wtpf.send(c.in_dialog("BYE"))
    bye = wtpf.next_request("BYE", timeout=5)
    assert bye is not None
    wtpf.respond(bye, 200, "OK")
    assert wtpf.wait(q).status == 200
    assert wait_for(lambda: agw.metric("agw_contexts") == 0), agw.http("/metrics")
    assert re.search(r"Context = \d+ subtracted; packets W3 sent \d+ received \d+, far W3 ",
                     pcscf.log.read_text())
    assert pcscf.metric("pcscf_dialogs") == 0
    check_capture(cap.stop())


def test_wic_to_wic_cancel_and_failure_subtract(lab):
    pcscf, agw, wtpf, cap = lab
    # CANCEL while the far WIC rings
    c, req = call_out(wtpf)
    wtpf.respond(req, 180, "Ringing", to_tag=FAR_TAG)
    assert wait_for(lambda: c.ua.wait(c.q, final=False, timeout=0.2, method="INVITE") is not None,
                    5)
    assert w3_terms(agw) == (2, 0)
    c.cancel()
    cancel = wtpf.next_request("CANCEL", timeout=5)
    assert cancel is not None
    wtpf.respond(cancel, 200, "OK")
    wtpf.respond(req, 487, "Request Terminated", to_tag=FAR_TAG)
    final = c.wait_final(timeout=5)
    assert final is not None and final.status == 487
    assert wait_for(lambda: agw.metric("agw_contexts") == 0), agw.http("/metrics")
    # the far WIC refuses (486): the caller gets 486, the context goes
    c, req = call_out(wtpf)
    assert agw.metric("agw_contexts") == 1
    wtpf.respond(req, 486, "Busy Here", to_tag=FAR_TAG)
    final = c.wait_final(timeout=5)
    assert final is not None and final.status == 486
    assert wait_for(lambda: agw.metric("agw_contexts") == 0), agw.http("/metrics")
    subtracted = re.findall(r"tid \d+: Context = (\d+) \{ Subtract = \* \}$", pcscf.log.read_text(),
                            re.M)
    assert sorted(subtracted) == ["1", "2"], subtracted
    assert wait_for(lambda: pcscf.metric("pcscf_dialogs") == 0 and
                    pcscf.metric("anchor_contexts") == 0)


def test_wic_to_wic_agw_gone_byes_both_ways(lab):
    pcscf, agw, wtpf, cap = lab
    c, req = call_out(wtpf)
    wtpf.respond(req, 200, "OK", body=FAR_ANSWER, to_tag=FAR_TAG)
    assert c.wait_final(timeout=10).status == 200
    c.ack()
    assert wtpf.next_request("ACK", timeout=5) is not None
    agw.stop()  # ServiceChange Forced: both legs' media is gone
    byes = [wtpf.next_request("BYE", timeout=10) for _ in range(2)]
    assert all(byes), pcscf.log.read_text()[-3000:]
    for b in byes:
        assert "media lost" in (b.get("Reason") or "")
        wtpf.respond(b, 200, "OK")
    # one toward the caller (From = the far WIC's tag), one toward the callee
    assert sorted(b.tag("From") for b in byes) == sorted([FAR_TAG, wtpf.tag])
    assert wait_for(lambda: pcscf.metric("pcscf_dialogs") == 0)
