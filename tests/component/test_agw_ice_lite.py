"""The eims-agw facing an ICE-lite peer (docs/AGW-MEDIA.md, ICE): it runs the connectivity checks
itself (controlling, USE-CANDIDATE), keeps consent with its own checks (RFC 7675) and reports
consent loss when the peer stops answering.

1. The diverted-call bug: one AGW holds two contexts like a call that leaves IMS through the
   wtpf and comes back (ctx1 = RTP A <-> W3#1, ctx2 = W3#2 <-> RTP B, W3#2's Remote = W3#1's
   Local (ice-lite, actpass), W3#1's Remote = W3#2's Local (ice-lite, active)). Both W3
   terminations are lite and face each other; tones go A -> B and B -> A through two DTLS-SRTP
   hops, Subtract statistics agree, and tshark decodes every STUN/DTLS packet cleanly.
2. A hand-driven lite peer (aioice's STUN codec) checks the requests' attributes and credentials,
   sees retransmissions and consent checks, then goes silent: ice/cfail Notify.

Driven over Iq with the test MGC (iq_mgc.py); audio helpers from test_agw_media.py."""
import asyncio
import re
import socket
import time

import pytest

from conftest import Capture, Node, tshark
from iq_mgc import FP_WIC, Mgc, modify_remote, sdp_lines, term_ids
from test_agw_iq import ADMIN, AGW, MGC, PROFILE, RTP, W3, agw_conf
from test_agw_iq_media import (RTP_TEMPLATE, add_rtp, add_w3, crlf_free, phone_sdp, sdp_attr,
                               stats_of, w3_template)
from test_agw_media import ImsPeer, dominant_frequency, numpy

PHONE_A = "127.0.21.54"
PHONE_B = "127.0.21.56"
LITE_PEER = "127.0.21.57"


def rtp_port(local):
    return int(re.search(r"^m=audio (\d+) RTP/AVP", local, re.M).group(1))


async def both_tones(a, dest_a, b, dest_b):
    await asyncio.gather(a.asend_tone(dest_a, 1000, 150), b.asend_tone(dest_b, 600, 150))
    await asyncio.sleep(0.5)
    a.drain()
    b.drain()


def hairpin(tmp_path, ports, ring=0.5, media_extra=""):
    """Sets up the diverted call (ctx1 = RTP A <-> W3#1 offering, ctx2 = W3#2 answering <-> RTP B),
    lets phone B ring `ring` seconds (W3#1 has no Remote yet, so W3#2's ClientHello is held),
    gives W3#1 its Remote, waits for both DTLS handshakes, sends tones both ways and subtracts
    both contexts. Returns what the assertions need."""
    if numpy is None:
        pytest.skip("python3-numpy is needed by the tone measurement")
    cap = Capture(tmp_path / "lite.pcap", f"udp and host {W3}")
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(port_min=ports, port_max=ports + 99, no_media=0,
                                     media_extra=media_extra), tmp_path,
                admin=f"{AGW}:{ADMIN}").start()
    a, b = ImsPeer(PHONE_A), ImsPeer(PHONE_B)
    r = {"a": a, "b": b}
    try:
        mgc.registered()
        # ctx1: phone A's offer on RTP#1, the AGW offers W3#1 (actpass, ice-lite) toward the wtpf
        rep = mgc.request(add_rtp(RTP_TEMPLATE, phone_sdp(a)))
        assert rep.errors() == [], rep
        ctx1, rtp1, rtp1_local = rep.contexts()[0], term_ids(rep)[0], rep.locals()[0]
        rep = mgc.request(add_w3(w3_template("actpass", "0"), cid="div-1", ctx=ctx1))
        assert rep.errors() == [], rep
        w3_1, offer = term_ids(rep)[0], crlf_free(rep.locals()[0])
        assert "a=ice-lite" in sdp_lines(offer) and sdp_attr(offer, "setup") == "actpass"
        # ctx2: the wtpf diverts: W3#1's offer comes back as W3#2's Remote; phone B answers
        rep = mgc.request(add_w3(w3_template("$", "0"), offer, cid="div-2"))
        assert rep.errors() == [], rep
        ctx2, w3_2, answer = rep.contexts()[0], term_ids(rep)[0], crlf_free(rep.locals()[0])
        assert sdp_attr(answer, "setup") == "active" and "a=ice-lite" in sdp_lines(answer)
        rep = mgc.request(add_rtp(RTP_TEMPLATE, phone_sdp(b), ctx=ctx2))
        assert rep.errors() == [], rep
        rtp2, rtp2_local = term_ids(rep)[0], rep.locals()[0]
        time.sleep(ring)  # ringing: W3#1 has no answer yet, the early ClientHello is held
        rep = mgc.request(modify_remote(ctx1, w3_1, answer))
        assert rep.errors() == [], rep
        answered = time.time()
        deadline = answered + 10
        while node.metric("agw_dtls_handshakes_total", 'result="ok"') < 2:
            assert time.time() < deadline, "DTLS did not complete:\n" + node.log.read_text()[-3000:]
            time.sleep(0.02)
        r["dtls_after_answer"] = time.time() - answered
        asyncio.run(asyncio.wait_for(both_tones(a, (RTP, rtp_port(rtp1_local)), b,
                                                (RTP, rtp_port(rtp2_local))), 20))
        rep1 = mgc.request(f"  Context = {ctx1} {{ Subtract = * }}")
        rep2 = mgc.request(f"  Context = {ctx2} {{ Subtract = * }}")
        assert rep1.errors() == [] and rep2.errors() == [], (rep1, rep2)
        r["notifies"] = [m.text for m in mgc.msgs if m.is_notify()]
        r["dtls_failed"] = node.metric("agw_dtls_handshakes_total", 'result="failed"')
        r["log"] = node.log.read_text()
    finally:
        a.close()
        b.close()
        node.stop()
        mgc.close()
        r["pcap"] = cap.stop()
    tone_at_b, tone_at_a = dominant_frequency(b.samples()), dominant_frequency(a.samples())
    assert abs(tone_at_b - 1000) < 15 and abs(tone_at_a - 600) < 15, (tone_at_a, tone_at_b)
    s_rtp1, s_w3_1 = stats_of(rep1, rtp1), stats_of(rep1, w3_1)
    s_w3_2, s_rtp2 = stats_of(rep2, w3_2), stats_of(rep2, rtp2)
    # A -> B: every packet of A crossed RTP#1, W3#1 (SRTP out), W3#2 (SRTP in), RTP#2
    assert (a.sent == s_rtp1["rtp/pr"] == s_w3_1["rtp/ps"] == s_w3_2["rtp/pr"] == s_rtp2["rtp/ps"]
            == len(b.received)), (a.sent, s_rtp1, s_w3_1, s_w3_2, s_rtp2, len(b.received))
    assert (b.sent == s_rtp2["rtp/pr"] == s_w3_2["rtp/ps"] == s_w3_1["rtp/pr"] == s_rtp1["rtp/ps"]
            == len(a.received)), (b.sent, s_rtp1, s_w3_1, s_w3_2, s_rtp2, len(a.received))
    assert s_w3_1["rtp/pl"] == 0 and s_w3_2["rtp/pl"] == 0
    assert s_w3_1["nt/or"] == s_w3_2["nt/os"] == 172 * b.sent
    assert "the peer is ICE-lite, checking" in r["log"] and "succeeded" in r["log"], r["log"][-3000:]
    # no DTLS failure anywhere, and the MGC heard of none
    assert r["dtls_failed"] == 0, r["log"][-3000:]
    assert not [n for n in r["notifies"] if "dtls/fail" in n], r["notifies"]
    # nothing malformed on the wire (STUN, DTLS, SRTP)
    bad = tshark(r["pcap"], "-Y", "_ws.malformed || _ws.expert.severity == error")
    assert bad.strip() == "", bad
    return r


def test_two_lite_terminations_facing_each_other_carry_audio(tmp_path):
    r = hairpin(tmp_path, 40600)
    # the wire: STUN Binding requests with ICE-CONTROLLING/USE-CANDIDATE from both sides (one
    # of them gives up its role after a 487 or a tie-breaker), DTLS, SRTP
    reqs = tshark(r["pcap"], "-Y", "stun.type == 0x0001", "-T", "fields", "-e", "udp.srcport",
                  "-e", "stun.att.type").splitlines()
    assert len({x.split("\t")[0] for x in reqs}) == 2, reqs  # both W3 ports checked
    assert any("0x0025" in x and "0x802a" in x and "0x8028" in x and "0x0008" in x
               for x in reqs), reqs
    assert tshark(r["pcap"], "-Y", "dtls.handshake.type == 1", "-T", "fields", "-e",
                  "frame.number")


def test_phone_b_rings_longer_than_the_dtls_timeout(tmp_path):
    """Phone B rings 2.5 x dtls_timeout before answering: W3#2 (DTLS client toward a lite peer
    whose consent is fresh) restarts its handshake instead of failing; W3#1 keeps the latest
    ClientHello and the handshake completes right after its Modify. No dtls/fail reaches the
    MGC; tones and statistics as in the short case."""
    r = hairpin(tmp_path, 40800, ring=5.0, media_extra="dtls_timeout = 2;")
    assert r["dtls_after_answer"] < 1.0, r["dtls_after_answer"]
    print(f"DTLS connected {r['dtls_after_answer'] * 1000:.0f} ms after the Modify")
    assert "DTLS handshake restarted" in r["log"], r["log"][-3000:]
    # several ClientHellos with distinct randoms (new handshakes) left the same W3 port
    hellos = tshark(r["pcap"], "-Y", "dtls.handshake.type == 1", "-T", "fields", "-e",
                    "udp.srcport", "-e", "dtls.handshake.random").splitlines()
    ports = {x.split("\t")[0] for x in hellos}
    randoms = {x.split("\t")[1] for x in hellos}
    assert len(ports) == 1 and len(randoms) >= 2, hellos


def lite_sdp(port, ufrag, pwd):
    return f"""v=0
o=- 1 1 IN IP4 {LITE_PEER}
s=-
t=0 0
a=ice-lite
m=audio {port} UDP/TLS/RTP/SAVPF 0
c=IN IP4 0.0.0.0
a=mid:0
a=rtcp-mux
a=ice-ufrag:{ufrag}
a=ice-pwd:{pwd}
a=fingerprint:sha-256 {FP_WIC}
a=setup:active
a=candidate:1 1 udp 2130706431 {LITE_PEER} {port} typ host
a=end-of-candidates
a=rtpmap:0 PCMU/8000
"""


def test_checks_toward_a_lite_peer_retransmissions_consent_and_loss(tmp_path):
    """A lite peer of ours (aioice codec): the AGW's checks carry USERNAME peer:agw, PRIORITY,
    ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY with the peer's pwd and FINGERPRINT; an
    unanswered check is retransmitted with the same transaction id; once answered, consent checks
    (new transaction ids, no USE-CANDIDATE) follow at consent_timeout x 4-6/30; when the peer goes
    silent the MGC gets ice/cfail."""
    from aioice import stun
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(port_min=40700, port_max=40799, no_media=0,
                                     media_extra="consent_timeout = 3;"),
                tmp_path, admin=f"{AGW}:{ADMIN}").start()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((LITE_PEER, 0))
    peer.settimeout(3)
    pwd = "litepeerpassword01234567"
    try:
        mgc.registered()
        body = add_w3(w3_template("$", "0"), lite_sdp(peer.getsockname()[1], "lite", pwd)).replace(
            "        }\n      }\n    }\n  }",
            "        }\n      },\n      Events = 21 { ice/cfail }\n    }\n  }")
        rep = mgc.request(body)
        assert rep.errors() == [], rep
        local = rep.locals()[0]
        agw_ufrag = sdp_attr(local, "ice-ufrag")
        agw_port = int(re.search(r"^m=audio (\d+)", local, re.M).group(1))

        def receive():
            data, src = peer.recvfrom(2048)
            assert src == (W3, agw_port)
            msg = stun.parse_message(data, integrity_key=pwd.encode())  # checks MI and FINGERPRINT
            assert msg.message_class == stun.Class.REQUEST
            assert msg.attributes["USERNAME"] == f"lite:{agw_ufrag}"
            assert "FINGERPRINT" in msg.attributes and "MESSAGE-INTEGRITY" in msg.attributes
            assert msg.attributes["PRIORITY"] == (110 << 24) | (65535 << 8) | 255
            assert "ICE-CONTROLLING" in msg.attributes and "ICE-CONTROLLED" not in msg.attributes
            return msg, time.time()

        first, t0 = receive()
        assert "USE-CANDIDATE" in first.attributes
        again, t1 = receive()  # not answered: retransmitted after the 500 ms RTO
        assert again.transaction_id == first.transaction_id and 0.35 < t1 - t0 < 1.0, t1 - t0
        resp = stun.Message(message_method=stun.Method.BINDING,
                            message_class=stun.Class.RESPONSE,
                            transaction_id=again.transaction_id)
        resp.attributes["XOR-MAPPED-ADDRESS"] = (W3, agw_port)
        resp.add_message_integrity(pwd.encode())
        peer.sendto(bytes(resp), (W3, agw_port))
        # consent checks: new transactions, no USE-CANDIDATE once nominated, 0.4-0.6 s apart
        # (plus the 250 ms housekeeping tick); all answered
        ids, times = {first.transaction_id}, []
        for _ in range(4):
            msg, t = receive()
            assert "USE-CANDIDATE" not in msg.attributes
            assert msg.transaction_id not in ids
            ids.add(msg.transaction_id)
            times.append(t)
            ok = stun.Message(message_method=stun.Method.BINDING,
                              message_class=stun.Class.RESPONSE,
                              transaction_id=msg.transaction_id)
            ok.attributes["XOR-MAPPED-ADDRESS"] = (W3, agw_port)
            ok.add_message_integrity(pwd.encode())
            peer.sendto(bytes(ok), (W3, agw_port))
        gaps = [y - x for x, y in zip(times, times[1:])]
        assert all(0.3 < g < 1.2 for g in gaps), gaps
        # the peer goes silent: consent lost after 3 s, reported with the armed RequestID
        start = mgc.mark()
        n = mgc.wait_for(lambda m: m.is_notify() and "ice/cfail" in m.text, 6, start)
        assert re.search(r"ObservedEvents = 21 \{\s*\d{8}T\d{8}:ice/cfail", n.text), n
        assert time.time() - times[-1] > 2.5
        assert "consent lost" in node.log.read_text()
    finally:
        peer.close()
        node.stop()
        mgc.close()


def test_unanswered_first_check_stops_at_consent_loss(tmp_path):
    """A lite peer that never answers: the AGW retransmits its first check until consent is lost
    (ice/cfail), then stops; a check from the peer later triggers a new one."""
    from aioice import stun
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(port_min=40900, port_max=40999, no_media=0,
                                     media_extra="consent_timeout = 2;"),
                tmp_path, admin=f"{AGW}:{ADMIN}").start()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((LITE_PEER, 0))
    pwd = "litepeerpassword01234567"
    try:
        mgc.registered()
        start = mgc.mark()
        rep = mgc.request(add_w3(w3_template("$", "0"),
                                 lite_sdp(peer.getsockname()[1], "lite", pwd)))
        assert rep.errors() == [], rep
        local = rep.locals()[0]
        agw_ufrag, agw_pwd = sdp_attr(local, "ice-ufrag"), sdp_attr(local, "ice-pwd")
        agw_port = int(re.search(r"^m=audio (\d+)", local, re.M).group(1))
        mgc.wait_for(lambda m: m.is_notify() and "ice/cfail" in m.text, 5, start)
        lost = time.time()
        peer.settimeout(0.2)
        ids = set()
        while True:  # what was already queued when consent was declared lost
            try:
                data, _ = peer.recvfrom(2048)
            except socket.timeout:
                break
            ids.add(stun.parse_message(data).transaction_id)
        assert len(ids) == 1  # retransmissions of the one first check
        peer.settimeout(2.6)  # more than the 2 s retransmission cap
        with pytest.raises(socket.timeout):
            data, _ = peer.recvfrom(2048)
            pytest.fail(f"check sent {time.time() - lost:.1f} s after consent loss")
        # the peer checks us (a lite peer may, RFC 8445 §2.5 allows no checks, we tolerate them):
        # answered, and our check starts again
        req = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
        req.attributes["USERNAME"] = f"{agw_ufrag}:lite"
        req.attributes["PRIORITY"] = 12345
        req.attributes["ICE-CONTROLLED"] = 42
        req.add_message_integrity(agw_pwd.encode())  # and FINGERPRINT
        peer.sendto(bytes(req), (W3, agw_port))
        got = []
        deadline = time.time() + 2
        while time.time() < deadline and not any(
                m.message_class == stun.Class.REQUEST for m in got):
            data, _ = peer.recvfrom(2048)
            got.append(stun.parse_message(data))
        assert any(m.message_class == stun.Class.RESPONSE and m.transaction_id ==
                   req.transaction_id for m in got), got
        new = [m for m in got if m.message_class == stun.Class.REQUEST]
        assert new and new[0].transaction_id not in ids, got
        assert "USE-CANDIDATE" in new[0].attributes
    finally:
        peer.close()
        node.stop()
        mgc.close()
