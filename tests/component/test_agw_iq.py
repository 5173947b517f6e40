"""Component tests of the eims-agw's Iq side: a test MGC of ours (iq_mgc.py, H.248 text built as
strings) drives the daemon over UDP 2944 on 127.0.21.x. Registration (ServiceChange Restart,
901 Cold Boot, Version 3, Profile), the SPECS.md §4.5 call (Add W3 + RTP with "$" templates,
Modify with the remote SDPs, AuditValue, Subtract = * with Statistics), error replies, duplicate
requests, Notify, the MGC restarting, going silent or never answering, and shutdown. Every Iq
datagram is captured on lo and must decode in tshark as MEGACO with its SDP, nothing malformed."""
import re
import time

import pytest

from conftest import Capture, Node, tshark
from iq_mgc import (FP_WIC, RTP_LOCAL, W3_LOCAL, Mgc, add_pair, modify_remote, rtp_remote,
                    sdp_lines, term_ids, wic_offer)

AGW = "127.0.21.50"
MGC = "127.0.21.51"
W3 = "127.0.21.52"
RTP = "127.0.21.53"
PHONE = "127.0.21.54"
BROWSER = "127.0.21.55"
ADMIN = 9190
PROFILE = "threegiq/1"
FP_RE = re.compile(r"^a=fingerprint:sha-256 ([0-9A-F]{2}(?::[0-9A-F]{2}){31})$")

GARBAGE = [b"this is not H.248 at all\r\n",
           b"MEGACO/3 [127.0.21.51]:2944\nTransaction = 77 { Context = 5 { Add = $ { Media { ",
           b"MEGACO/9 [127.0.21.51]:2944\nTransaction = 78 { Context = - { AuditValue = ROOT } }\n",
           bytes(range(256))]


def agw_conf(port_min=40000, port_max=40099, request_timeout=1500, inactivity=0, no_media=2,
             admin=ADMIN, extra="", media_extra=""):
    return f"""
log = {{ level = "info"; }};
admin = {{ address = "{AGW}"; port = {admin}; }};
iq = {{
  address = "{AGW}"; port = 2944;
  mgc_address = "{MGC}"; mgc_port = 2944;
  profile = "{PROFILE}";
  retry_first_ms = 100; retry_max_ms = 400; request_timeout_ms = {request_timeout};
  register_retry_ms = 200; register_retry_max_ms = 400;
  reply_cache_ms = 5000; inactivity_ms = {inactivity}; stop_timeout_ms = 1000;
  {extra}
}};
media = {{
  w3_address = "{W3}"; rtp_address = "{RTP}";
  port_min = {port_min}; port_max = {port_max};
  workers = 1; no_media_timeout = {no_media};
  {media_extra}
}};
"""


def check_capture(pcap, skip=()):
    """Every Iq datagram decodes as MEGACO, nothing malformed, SDP dissected in Local/Remote.
    `skip`: payloads we sent on purpose as garbage."""
    args = ["-d", "udp.port==2944,megaco", "-Y", "udp.port==2944"]
    fields = tshark(pcap, *args, "-T", "fields", "-e", "udp.payload").splitlines()
    verbose = re.split(r"(?m)^Frame \d+: ", tshark(pcap, *args, "-V"))[1:]
    assert len(fields) == len(verbose)
    checked = with_sdp = 0
    for hexpay, pkt in zip(fields, verbose):
        payload = bytes.fromhex(hexpay.replace(":", ""))
        if payload in skip:
            continue
        checked += 1
        text = payload.decode("utf-8", "replace")
        assert re.search(r"(?m)^MEGACO$", pkt), text + pkt
        assert "Malformed Packet" not in pkt, text + pkt
        assert "[Expert Info (Error" not in pkt, text + pkt
        assert "[Expert Info (Warning" not in pkt, text + pkt
        if re.search(r"(Local|Remote|\bL|\bR)\s*\{\s*\nv=0", text):
            with_sdp += 1
            assert "Session Description Protocol Version (v): 0" in pkt, text + pkt
            assert "Media Description, name and address (m):" in pkt, text + pkt
    return checked, with_sdp


@pytest.fixture
def captured(tmp_path):
    """The test's Iq traffic, checked with tshark once the test is over."""
    cap = Capture(tmp_path / "iq.pcap", "udp port 2944 and net 127.0.21.0/24")
    yield cap
    checked, _ = check_capture(cap.stop())
    assert checked >= 2


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agw_iq")
    cap = Capture(tmp / "iq.pcap", "udp port 2944 and net 127.0.21.0/24")
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(), tmp, admin=f"{AGW}:{ADMIN}").start()
    yield node, mgc, cap
    if node.alive():
        node.stop()
    mgc.close()
    cap.stop()


def setup_call(mgc, cid="call-1"):
    """SPECS.md §4.5 (3)-(4): returns the reply, context id and the two termination ids."""
    rep = mgc.request(add_pair(w3_remote=wic_offer(), cid=cid))
    assert rep.errors() == [], rep
    ctx = rep.contexts()[0]
    assert ctx.isdigit(), rep
    w3, rtp = term_ids(rep)
    return rep, ctx, w3, rtp


def test_registers_with_service_change_restart(lab):
    node, mgc, _ = lab
    sc = mgc.registered()
    assert sc.version == 3 and sc.mid == f"[{AGW}]:2944", sc
    assert re.search(r"Context\s*=\s*-\s*\{\s*ServiceChange\s*=\s*ROOT", sc.text), sc
    assert sc.service("Method") == "Restart", sc
    assert sc.service("Reason") == "901 Cold Boot", sc
    assert sc.service("Version") == "3", sc
    assert sc.service("Profile") == PROFILE, sc
    deadline = time.time() + 5
    while node.metric("agw_iq_registered") != 1 and time.time() < deadline:
        time.sleep(0.05)
    assert node.metric("agw_iq_registered") == 1
    assert node.metric("agw_iq_registrations_total", 'result="accepted"') == 1
    assert '"iq":"registered"' in node.http("/health")


def test_add_fills_every_dollar(lab):
    node, mgc, _ = lab
    mgc.registered()
    rep, ctx, w3, rtp = setup_call(mgc)
    assert re.match(r"^ip/w3/\d+$", w3) and re.match(r"^ip/rtp/\d+$", rtp), rep
    w3_local, rtp_local = rep.locals()
    assert "$" not in w3_local and "$" not in rtp_local, rep
    lines = sdp_lines(w3_local)
    # the template's lines, in its order, with the MG's values (SPECS.md §4.5 (4))
    m = re.match(r"^m=audio (\d+) UDP/TLS/RTP/SAVPF 0 126$", [x for x in lines if x.startswith("m=")][0])
    assert m, w3_local
    port = int(m.group(1))
    assert 40000 <= port <= 40099
    assert f"c=IN IP4 {W3}" in lines and f"o=- 0 0 IN IP4 {W3}" in lines
    ufrag = [x for x in lines if x.startswith("a=ice-ufrag:")][0][12:]
    pwd = [x for x in lines if x.startswith("a=ice-pwd:")][0][10:]
    assert 4 <= len(ufrag) <= 256 and 22 <= len(pwd) <= 256
    assert re.fullmatch(r"[A-Za-z0-9+/]+", ufrag + pwd)
    fps = [FP_RE.match(x) for x in lines if x.startswith("a=fingerprint:")]
    assert len(fps) == 1 and fps[0], w3_local
    assert "a=setup:active" in lines
    cand = lines.index(f"a=candidate:1 1 udp 2130706431 {W3} {port} typ host")
    assert lines[cand - 1] == "a=setup:active" and lines[cand + 1] == "a=end-of-candidates"
    assert "a=ice-lite" in lines and "a=rtcp-mux" in lines
    rl = sdp_lines(rtp_local)
    m = re.match(r"^m=audio (\d+) RTP/AVP 0 101$", rl[2])
    assert rl[1] == f"c=IN IP4 {RTP}" and m and int(m.group(1)) % 2 == 0, rtp_local
    # a second call: same certificate, other port and credentials
    rep2, ctx2, _, _ = setup_call(mgc, cid="call-2")
    l2 = sdp_lines(rep2.locals()[0])
    assert ctx2 != ctx
    assert [x for x in l2 if x.startswith("a=fingerprint")] == [x for x in lines if x.startswith("a=fingerprint")]
    assert [x for x in l2 if x.startswith("a=ice-ufrag")] != [f"a=ice-ufrag:{ufrag}"]
    assert [x for x in l2 if x.startswith("m=")] != [x for x in lines if x.startswith("m=")]
    assert node.metric("agw_iq_contexts") >= 2
    assert node.metric("agw_iq_terminations", 'kind="w3"') >= 2
    assert node.metric("agw_iq_commands_total", 'command="Add",result="ok"') >= 4
    mgc.request(f"  Context = {ctx2} {{ Subtract = * }}")


def test_modify_audit_subtract(lab):
    node, mgc, _ = lab
    mgc.registered()
    _, ctx, w3, rtp = setup_call(mgc, cid="call-3")
    # SPECS.md §4.5 (5): the IMS answer on the RTP termination
    rep = mgc.request(modify_remote(ctx, rtp, rtp_remote(PHONE, 41000)))
    assert rep.errors() == [] and term_ids(rep, "Modify") == [rtp], rep
    # and (re)the browser's parameters on the W3 one
    rep = mgc.request(modify_remote(ctx, w3, wic_offer(addr=BROWSER, port=41010, setup="actpass")))
    assert rep.errors() == [], rep
    # keep-alive
    rep = mgc.request("  Context = - { AuditValue = ROOT { Audit { Packages } } }")
    assert rep.errors() == [] and "AuditValue = ROOT" in rep.text and "hangterm-1" in rep.text, rep
    # one termination in full
    rep = mgc.request(f"  Context = {ctx} {{ AuditValue = {rtp} {{ Audit {{ Media, Statistics }} }} }}")
    assert rep.errors() == [], rep
    assert f"c=IN IP4 {PHONE}" in rep.remotes()[0] and "Mode = SendReceive" in rep.text, rep
    assert 'ipdc/realm = "core"' in rep.text and 'wtpf/cid = "call-3"' in rep.text, rep
    assert re.search(r"rtp/ps = \d+", rep.text), rep
    # the whole MG
    rep = mgc.request("  Context = * { AuditValue = * }")
    assert f"Context = {ctx} {{" in rep.text and f"AuditValue = {w3}" in rep.text, rep
    # SPECS.md §4.5 (6)
    rep = mgc.request(f"  Context = {ctx} {{ Subtract = * }}")
    assert rep.errors() == [] and term_ids(rep, "Subtract") == [w3, rtp], rep
    for name in ("rtp/ps", "rtp/pr", "nt/os", "nt/or", "rtp/pl", "rtp/jit", "nt/dur"):
        assert len(re.findall(rf"{name} = [0-9.]+", rep.text)) == 2, (name, rep)
    rep = mgc.request(f"  Context = {ctx} {{ AuditValue = * }}")
    assert rep.errors() == [411], rep


def test_error_replies(lab):
    node, mgc, _ = lab
    mgc.registered()
    _, ctx, w3, rtp = setup_call(mgc, cid="call-4")
    _, ctx2, w3b, _ = setup_call(mgc, cid="call-5")
    # SPECS.md §4.5 (7): unknown context, transaction-level
    rep = mgc.request(f"  Context = 99999 {{ Modify = {w3} }}")
    assert re.search(r"Reply = \d+ \{\s*Error = 411", rep.text), rep
    # a termination of another context: command-level 435
    rep = mgc.request(f"  Context = {ctx} {{ Modify = {w3b} }}")
    assert rep.errors() == [435] and f"Modify = {w3b}" in rep.text, rep
    rep = mgc.request(f"  Context = {ctx} {{ Subtract = ip/rtp/999999 }}")
    assert rep.errors() == [430], rep
    # Add without Local, values the MG cannot take, unknown event package
    rep = mgc.request('  Context = $ { Add = $ { Media { TerminationState { ipdc/realm = "core" } } } }')
    assert rep.errors() == [441], rep
    rep = mgc.request(modify_remote(ctx, rtp, "v=0\nc=IN IP4 $\nm=audio 5000 RTP/AVP 0\n"))
    assert rep.errors() == [449], rep
    rep = mgc.request(f"  Context = {ctx} {{ Modify = {w3} {{ Events = 3 {{ foo/bar }} }} }}")
    assert rep.errors() == [440], rep
    rep = mgc.request(f"  Context = {ctx} {{ Move = {w3} }}")
    assert rep.errors() == [501], rep
    # garbage: 400-class answers, and the MG keeps serving
    start = mgc.mark()
    for g in GARBAGE:
        mgc.send_raw(g)
    deadline = time.time() + 3
    while time.time() < deadline:
        replies = [m for m in mgc.msgs[start:] if m.errors()]
        if len(replies) >= len(GARBAGE):
            break
        time.sleep(0.05)
    assert len(replies) == len(GARBAGE), replies
    for m in replies:
        assert all(400 <= e < 500 for e in m.errors()), m
    assert any(m.tid == 77 for m in replies), replies
    rep = mgc.request("  Context = - { AuditValue = ROOT }")
    assert rep.errors() == [], rep
    assert node.metric("agw_iq_parse_errors_total") >= len(GARBAGE)
    assert node.metric("agw_iq_commands_total", 'command="Modify",result="435"') >= 1
    for c in (ctx, ctx2):
        mgc.request(f"  Context = {c} {{ Subtract = * {{ Audit {{ }} }} }}")


def test_duplicate_request_gets_the_cached_reply(lab):
    node, mgc, _ = lab
    mgc.registered()
    before = node.metric("agw_iq_commands_total", 'command="Add",result="ok"')
    body = add_pair(w3_remote=wic_offer(), cid="call-dup")
    first = mgc.request(body, tid=4242)
    again = mgc.request(body, tid=4242)
    assert again.data == first.data
    assert node.metric("agw_iq_commands_total", 'command="Add",result="ok"') == before + 2
    assert node.metric("agw_iq_duplicates_total") >= 1
    ctx = first.contexts()[0]
    mgc.request(f"  Context = {ctx} {{ Subtract = * }}")


def test_notify_no_media_and_heartbeat(lab):
    node, mgc, _ = lab
    mgc.registered()
    start = mgc.mark()
    _, ctx, w3, rtp = setup_call(mgc, cid="call-6")
    # nothing flows: after media.no_media_timeout (2 s) the MG reports it; armed on W3 with
    # RequestID 7, reported unarmed (RequestID 0) on the RTP side (docs/IQ-PROFILE.md)
    n = mgc.wait_for(lambda m: m.is_notify() and f"Notify = {w3}" in m.text, 8, start)
    assert re.search(r"ObservedEvents = 7 \{\s*\d{8}T\d{8}:adid/ipstop", n.text), n
    assert f"Context = {ctx} {{" in n.text
    n = mgc.wait_for(lambda m: m.is_notify() and f"Notify = {rtp}" in m.text, 8, start)
    assert re.search(r"ObservedEvents = 0 \{\s*\d{8}T\d{8}:adid/ipstop", n.text), n
    # H.248.36 heartbeat every hangterm/timerx seconds once armed
    rep = mgc.request(f"  Context = {ctx} {{ Modify = {w3} {{ Media {{ TerminationState {{ "
                      f"hangterm/timerx = 1 }} }}, Events = 8 {{ hangterm/thb }} }} }}")
    assert rep.errors() == [], rep
    t0 = mgc.mark()
    mgc.wait_for(lambda m: m.is_notify() and "hangterm/thb" in m.text and "ObservedEvents = 8" in m.text, 4, t0)
    mgc.request(f"  Context = {ctx} {{ Subtract = * }}")
    time.sleep(0.3)
    assert node.metric("agw_iq_notifies_total", 'event="adid/ipstop",result="ok"') >= 2


def test_mgc_restart_makes_the_mg_register_again(lab):
    node, mgc, _ = lab
    mgc.registered()
    setup_call(mgc, cid="call-7")
    start = mgc.mark()
    rep = mgc.request('  Context = - { ServiceChange = ROOT { Services { Method = Restart, '
                      'Reason = "901 Cold Boot" } } }')
    assert rep.errors() == [] and "ServiceChange = ROOT" in rep.text, rep
    sc = mgc.wait_for(lambda m: m.is_service_change(), 5, start)
    assert sc.service("Method") == "Restart" and sc.service("Reason") == "900 Service Restored", sc
    # the contexts the old MGC knew are gone
    time.sleep(0.2)
    rep = mgc.request("  Context = * { AuditValue = * }")
    assert rep.errors() == [431], rep
    assert node.metric("agw_iq_contexts") == 0


def test_shutdown_and_capture(lab):
    node, mgc, cap = lab
    mgc.registered()
    start = mgc.mark()
    node.stop()  # SIGTERM; exit 0 (and no leak under ASan)
    sc = mgc.wait_for(lambda m: m.is_service_change(), 3, start)
    assert sc.service("Method") == "Forced", sc
    assert sc.service("Reason") == "905 Termination taken out of service", sc
    pcap = cap.stop()
    checked, with_sdp = check_capture(pcap, skip=set(GARBAGE))
    assert checked >= 40 and with_sdp >= 8, (checked, with_sdp)


# ---- separate daemons ---------------------------------------------------------------------


def test_silent_mgc_gets_service_change_again(tmp_path):
    cap = Capture(tmp_path / "silent.pcap", "udp port 2944 and net 127.0.21.0/24")
    mgc = Mgc(MGC, profile=PROFILE, auto_sc=False)
    node = Node("eims-agw", agw_conf(request_timeout=700), tmp_path, admin=f"{AGW}:{ADMIN}").start()
    try:
        first = mgc.registered()
        # Annex D.1: the same transaction retransmitted, then new ServiceChange transactions
        mgc.wait_for(lambda m: m.is_service_change() and m.tid == first.tid and m is not first, 2)
        later = mgc.wait_for(lambda m: m.is_service_change() and m.tid != first.tid, 4)
        assert later.service("Reason") == "901 Cold Boot"
        assert node.metric("agw_iq_registrations_total", 'result="timeout"') >= 1
        # before registration, commands are refused with 505
        rep = mgc.request(add_pair(w3_remote=wic_offer()))
        assert rep.errors() == [505], rep
        # a refusal is retried too
        mgc.sc_reply_error = 403
        n0 = mgc.mark()
        sc = mgc.wait_for(lambda m: m.is_service_change(), 4, n0)
        mgc.answer_service_change(sc)
        mgc.sc_reply_error = None
        sc = mgc.wait_for(lambda m: m.is_service_change() and m.tid != sc.tid, 4, n0)
        mgc.answer_service_change(sc)
        deadline = time.time() + 3
        while node.metric("agw_iq_registered") != 1 and time.time() < deadline:
            time.sleep(0.05)
        assert node.metric("agw_iq_registered") == 1
        assert node.metric("agw_iq_registrations_total", 'result="refused"') >= 1
        rep = mgc.request(add_pair(w3_remote=wic_offer()))
        assert rep.errors() == [], rep
    finally:
        node.stop()
        mgc.close()
        check_capture(cap.stop())


def test_mgc_that_stops_answering(tmp_path, captured):
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(request_timeout=600, inactivity=500), tmp_path,
                admin=f"{AGW}:{ADMIN}").start()
    try:
        mgc.registered()
        _, ctx, _, _ = setup_call(mgc, cid="call-8")
        # H.248.14: after 500 ms of silence the MG probes with Notify ROOT it/ito
        probe = mgc.wait_for(lambda m: m.is_notify() and "it/ito" in m.text, 3)
        assert re.search(r"Context = -\s*\{\s*Notify = ROOT", probe.text), probe
        # now the MGC is gone: no more answers
        mgc.auto_notify = mgc.auto_sc = False
        start = mgc.mark()
        sc = mgc.wait_for(lambda m: m.is_service_change(), 6, start)
        assert sc.service("Method") == "Disconnected", sc
        assert sc.service("Reason") == "900 Service Restored", sc
        mgc.answer_service_change(sc)
        time.sleep(0.3)
        # the call survived the outage (H.248.1 §11.5)
        rep = mgc.request(f"  Context = {ctx} {{ AuditValue = * }}")
        assert rep.errors() == [], rep
        assert node.metric("agw_iq_notifies_total", 'event="it/ito",result="timeout"') >= 1
    finally:
        node.stop()
        mgc.close()


def test_mgc_that_forgot_us(tmp_path, captured):
    """Answers saying the MGC has no state for us: 411 to a Notify releases that context; 402
    (the pcscf's answer to an AGW it does not know) makes the MG register again from scratch."""
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(no_media=1, inactivity=800), tmp_path,
                admin=f"{AGW}:{ADMIN}").start()
    try:
        mgc.registered()
        mgc.notify_reply_error = 411
        start = mgc.mark()
        _, ctx, w3, _ = setup_call(mgc, cid="call-9")
        mgc.wait_for(lambda m: m.is_notify() and f"Context = {ctx}" in m.text, 5, start)
        deadline = time.time() + 3
        while node.metric("agw_iq_contexts") != 0 and time.time() < deadline:
            time.sleep(0.05)
        assert node.metric("agw_iq_contexts") == 0
        setup_call(mgc, cid="call-10")
        mgc.notify_reply_error = 402
        start = mgc.mark()
        sc = mgc.wait_for(lambda m: m.is_service_change(), 6, start)
        assert sc.service("Method") == "Restart" and sc.service("Reason") == "900 Service Restored", sc
        assert node.metric("agw_iq_contexts") == 0
    finally:
        node.stop()
        mgc.close()


def test_port_range_exhausted(tmp_path, captured):
    mgc = Mgc(MGC, profile=PROFILE)
    # 4 ports per address (the engine's minimum): 2 RTP/RTCP pairs on the IMS side
    node = Node("eims-agw", agw_conf(port_min=40200, port_max=40203), tmp_path,
                admin=f"{AGW}:{ADMIN}").start()
    try:
        mgc.registered()
        time.sleep(0.2)
        ctxs = [setup_call(mgc, cid=f"call-{i}")[1] for i in range(2)]
        # the third W3 termination gets a port, its RTP/RTCP pair none: 510, the first Add stays
        rep = mgc.request(add_pair(w3_remote=wic_offer()))
        assert rep.errors() == [510], rep
        assert len(term_ids(rep)) == 1, rep
        ctxs.append(rep.contexts()[0])
        for ctx in ctxs:
            rep = mgc.request(f"  Context = {ctx} {{ Subtract = * }}")
            assert rep.errors() == [], rep
        assert node.metric("agw_iq_commands_total", 'command="Add",result="510"') == 1
        # released ports serve again
        setup_call(mgc, cid="call-again")
    finally:
        node.stop()
        mgc.close()
