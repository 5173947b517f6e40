"""The eims-agw daemon driven over Iq only, with media flowing: the test MGC (iq_mgc.py) reserves a
W3 and an RTP termination (Add with "$" templates), aiortc (the browser) completes ICE and DTLS
with the Local SDP the AGW returned, a UDP socket plays the IMS phone, a tone goes each way
(1 kHz browser -> IMS, 600 Hz IMS -> browser), and Subtract's Statistics match what was sent.
Both directions of call set-up: the browser offers (SPECS.md §4.5) and the AGW offers (IMS-
originated call). The Iq datagrams are decoded by tshark as in test_agw_iq.py.

Audio helpers (tone track, frequency measurement, the IMS socket) come from test_agw_media.py, the
media engine's own tests."""
import asyncio
import re
import socket
import time

import pytest

from conftest import Capture, Node
from iq_mgc import FP_WIC, Mgc, modify_remote, sdp_lines, term_ids, wic_offer
from test_agw_iq import (ADMIN, AGW, MGC, PROFILE, RTP, W3, agw_conf, captured,  # noqa: F401
                         check_capture)
from test_agw_media import (ImsPeer, RATE, _collect, _tone_track, dominant_frequency, numpy,
                            stun_check)

BROWSER = "127.0.21.55"
PHONE = "127.0.21.54"


def patch_aioice():
    """aioice gathers only this lab address: nothing leaves lo, one host candidate."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: [BROWSER]


def sdp_attr(sdp, name):
    for line in sdp.splitlines():
        if line.startswith(f"a={name}:"):
            return line.split(":", 1)[1].strip()
    return None


def w3_template(setup, mid):
    """A W3 Local template with what a browser needs besides the "$" values."""
    return f"""v=0
o=- 0 0 IN IP4 $
s=-
t=0 0
a=ice-lite
m=audio $ UDP/TLS/RTP/SAVPF 0
c=IN IP4 $
a=mid:{mid}
a=sendrecv
a=rtcp-mux
a=ice-ufrag:$
a=ice-pwd:$
a=fingerprint:sha-256 $
a=setup:{setup}
a=rtpmap:0 PCMU/8000
a=ptime:20
"""


RTP_TEMPLATE = "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"


def add_w3(sdp_local, sdp_remote=None, cid="media-1", ctx="$"):
    remote = f",\n          Remote {{\n{sdp_remote}}}" if sdp_remote else ""
    return f"""  Context = {ctx} {{
    Add = $ {{
      Media {{
        TerminationState {{ ipdc/realm = "access", wtpf/cid = "{cid}" }},
        Stream = 1 {{
          LocalControl {{ Mode = SendReceive }},
          Local {{
{sdp_local}}}{remote}
        }}
      }}
    }}
  }}"""


def add_rtp(sdp_local, sdp_remote=None, ctx="$"):
    remote = f",\n          Remote {{\n{sdp_remote}}}" if sdp_remote else ""
    return f"""  Context = {ctx} {{
    Add = $ {{
      Media {{
        TerminationState {{ ipdc/realm = "core" }},
        Stream = 1 {{
          LocalControl {{ Mode = SendReceive }},
          Local {{
{sdp_local}}}{remote}
        }}
      }}
    }}
  }}"""


def phone_sdp(ims):
    return f"v=0\nc=IN IP4 {ims.addr}\nm=audio {ims.port} RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"


def crlf_free(sdp):
    return "\n".join(sdp_lines(sdp)) + "\n"


def stats_of(reply, term):
    m = re.search(re.escape(term) + r" \{\s*Statistics \{(.*?)\}", reply.text, re.S)
    assert m, reply
    return {k: float(v) for k, v in re.findall(r"([\w/]+) = ([0-9.]+)", m.group(1))}


async def call(node, mgc, ims, agw_offers):
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    patch_aioice()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sender = pc.addTrack(_tone_track(1000))
    received, stop, tasks = [], asyncio.Event(), []

    @pc.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(_collect(track, received, stop)))

    res = {}
    try:
        if not agw_offers:
            # SPECS.md §4.5: the browser's offer is the W3 Remote; the AGW answers (active)
            await pc.setLocalDescription(await pc.createOffer())
            offer = pc.localDescription.sdp
            mid = sdp_attr(offer, "mid") or "0"
            rep = mgc.request(add_w3(w3_template("$", mid), crlf_free(offer)))
            assert rep.errors() == [], rep
            ctx = rep.contexts()[0]
            w3 = term_ids(rep)[0]
            answer = rep.locals()[0]
            assert "a=setup:active" in sdp_lines(answer)
            rep = mgc.request(add_rtp(RTP_TEMPLATE, ctx=ctx))
            assert rep.errors() == [], rep
            rtp = term_ids(rep)[0]
            rtp_local = rep.locals()[0]
            await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            rep = mgc.request(modify_remote(ctx, rtp, phone_sdp(ims)))
            assert rep.errors() == [], rep
        else:
            # IMS-originated: the phone's offer is the RTP Remote, the AGW offers actpass to
            # the browser, whose answer comes back in a Modify of the W3 termination
            rep = mgc.request(add_rtp(RTP_TEMPLATE, phone_sdp(ims)))
            assert rep.errors() == [], rep
            ctx = rep.contexts()[0]
            rtp = term_ids(rep)[0]
            rtp_local = rep.locals()[0]
            rep = mgc.request(add_w3(w3_template("actpass", "0"), ctx=ctx))
            assert rep.errors() == [], rep
            w3 = term_ids(rep)[0]
            offer = rep.locals()[0]
            assert "a=setup:actpass" in sdp_lines(offer)
            await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            answer = pc.localDescription.sdp
            assert sdp_attr(answer, "setup") == "active"
            rep = mgc.request(modify_remote(ctx, w3, crlf_free(answer)))
            assert rep.errors() == [], rep
        m = re.search(r"^m=audio (\d+) RTP/AVP", rtp_local, re.M)
        dest = (RTP, int(m.group(1)))
        deadline = time.time() + 15
        while node.metric("agw_dtls_handshakes_total", 'result="ok"') < 1:
            assert time.time() < deadline, "DTLS did not complete:\n" + node.log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        # 3 s of 600 Hz from the phone while the browser sends 1 kHz
        await ims.asend_tone(dest, 600, 150)
        await asyncio.sleep(0.5)
        ims.drain()
        await pc.close()
        stats = await sender.getStats()
        res["browser_sent"] = [s.packetsSent for s in stats.values() if s.type == "outbound-rtp"][0]
        await asyncio.sleep(0.3)
        ims.drain()
        stop.set()
        res["received_tone"] = dominant_frequency(received[-RATE:]) if received else None
        res["received_samples"] = len(received)
        res["ims_tone"] = dominant_frequency(ims.samples()) if ims.received else None
        res["ims_received"] = len(ims.received)
        res["ims_sent"] = ims.sent
        rep = mgc.request(f"  Context = {ctx} {{ Subtract = * }}")
        assert rep.errors() == [], rep
        res["w3"], res["rtp"] = stats_of(rep, w3), stats_of(rep, rtp)
        return res
    finally:
        stop.set()
        await pc.close()
        for t in tasks:
            t.cancel()


@pytest.mark.parametrize("agw_offers", [False, True], ids=["browser-offers", "agw-offers"])
def test_iq_driven_call_tone_both_ways(tmp_path, agw_offers):
    if numpy is None:
        pytest.skip("python3-numpy is needed by the tone track")
    cap = Capture(tmp_path / "iq.pcap", "udp port 2944 and net 127.0.21.0/24")
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(port_min=40300, port_max=40399, no_media=0), tmp_path,
                admin=f"{AGW}:{ADMIN}").start()
    ims = ImsPeer(PHONE)
    try:
        mgc.registered()
        time.sleep(0.1)
        res = asyncio.run(asyncio.wait_for(call(node, mgc, ims, agw_offers), 60))
    finally:
        ims.close()
        node.stop()
        mgc.close()
        pcap = cap.stop()
    assert res["ims_tone"] is not None and abs(res["ims_tone"] - 1000) < 15, res
    assert res["received_samples"] >= RATE * 2, res
    assert abs(res["received_tone"] - 600) < 15, res
    w3, rtp = res["w3"], res["rtp"]
    # IMS -> browser: every packet of the phone crossed both terminations
    assert rtp["rtp/pr"] == res["ims_sent"] == w3["rtp/ps"], res
    # browser -> IMS: what aiortc sent was decrypted on W3 and reached the phone
    assert w3["rtp/pr"] == res["browser_sent"] == rtp["rtp/ps"] == res["ims_received"], res
    assert w3["wtpf/lr"] == 0 and rtp["wtpf/lr"] == 0 and w3["rtp/pl"] == 0, res
    assert w3["nt/or"] == rtp["nt/os"] == 172 * res["ims_received"], res
    assert rtp["nt/or"] == w3["nt/os"] == 172 * res["ims_sent"], res
    checked, with_sdp = check_capture(pcap)
    assert checked >= 8 and with_sdp >= 4, (checked, with_sdp)


async def dtls_with_wrong_fingerprint(mgc):
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    patch_aioice()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(_tone_track(1000))
    try:
        await pc.setLocalDescription(await pc.createOffer())
        offer = crlf_free(pc.localDescription.sdp)
        fp = sdp_attr(offer, "fingerprint").split(" ", 1)[1]
        bad = fp[:-2] + ("00" if not fp.endswith("00") else "11")
        start = mgc.mark()
        rep = mgc.request(add_w3(w3_template("$", sdp_attr(offer, "mid") or "0"),
                                 offer.replace(fp, bad)))
        assert rep.errors() == [], rep
        await pc.setRemoteDescription(RTCSessionDescription(rep.locals()[0], "answer"))
        deadline = time.time() + 20
        while not any(m.is_notify() and "dtls/fail" in m.text for m in mgc.msgs[start:]):
            assert time.time() < deadline, "no dtls/fail Notify"
            await asyncio.sleep(0.1)
        return rep, mgc.wait_for(lambda m: m.is_notify() and "dtls/fail" in m.text, 1, start)
    finally:
        await pc.close()


def test_iq_notify_dtls_failure(tmp_path, captured):
    """The browser's certificate does not match the fingerprint the MGC gave in Remote: the
    handshake fails and the MG reports dtls/fail (unarmed: RequestID 0)."""
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(port_min=40400, port_max=40499, no_media=0), tmp_path,
                admin=f"{AGW}:{ADMIN}").start()
    try:
        mgc.registered()
        rep, n = asyncio.run(asyncio.wait_for(dtls_with_wrong_fingerprint(mgc), 40))
        ctx, w3 = rep.contexts()[0], term_ids(rep)[0]
        assert f"Context = {ctx} {{" in n.text and f"Notify = {w3}" in n.text, n
        assert re.search(r"ObservedEvents = 0 \{\s*\d{8}T\d{8}:dtls/fail", n.text), n
        assert node.metric("agw_iq_notifies_total", 'event="dtls/fail",result="ok"') >= 1
        assert "certificate fingerprint mismatch" in node.log.read_text()
    finally:
        node.stop()
        mgc.close()


def test_iq_notify_consent_lost(tmp_path, captured):
    """A browser (hand-driven STUN) validates and nominates its pair, then goes silent: after
    media.consent_timeout the MG reports ice/cfail with the RequestID the MGC armed."""
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(port_min=40500, port_max=40599, no_media=0,
                                     media_extra="consent_timeout = 1;"),
                tmp_path, admin=f"{AGW}:{ADMIN}").start()
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.bind((BROWSER, 0))
    try:
        mgc.registered()
        offer = wic_offer(addr=BROWSER, port=b.getsockname()[1], ufrag="brws",
                          pwd="browserpassword0123456789", fp=FP_WIC)
        body = add_w3(w3_template("$", "0"), offer).replace(
            "        }\n      }\n    }\n  }",
            "        }\n      },\n      Events = 12 { ice/cfail }\n    }\n  }")
        rep = mgc.request(body)
        assert rep.errors() == [], rep
        local = rep.locals()[0]
        ufrag, pwd = sdp_attr(local, "ice-ufrag"), sdp_attr(local, "ice-pwd")
        port = int(re.search(r"^m=audio (\d+)", local, re.M).group(1))
        start = mgc.mark()
        ok = stun_check(b, (W3, port), ufrag, pwd, "brws", use_candidate=True)
        assert ok.attributes["XOR-MAPPED-ADDRESS"] == b.getsockname()
        n = mgc.wait_for(lambda m: m.is_notify() and "ice/cfail" in m.text, 6, start)
        assert re.search(r"ObservedEvents = 12 \{\s*\d{8}T\d{8}:ice/cfail", n.text), n
        assert f"Notify = {term_ids(rep)[0]}" in n.text, n
    finally:
        b.close()
        node.stop()
        mgc.close()
