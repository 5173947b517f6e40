"""pcscf against the hss-stub and Python SIP UAs of ours (sip_ua.py): registration with SIP
Digest over Cx, calls between registered phones, proxy rules (Record-Route, Max-Forwards, loop
detection, 420, CANCEL, failure propagation), identity and charging headers, and the behaviour
when the HSS is gone or silent."""
import re
import time

import pytest

from pcscf_lab import (HSS, PCSCF, PHONE1, PHONE2, PROXY, SELF_TRUNK, STRANGER, WTPF_REGISTRATION,
                       pcscf_conf, start_hss, start_pcscf)
from sip_ua import UA, audio_sdp, rand

P201 = ("sip:+33150000201@ims.lab", "phone201-lab")
P202 = ("sip:+33150000202@ims.lab", "phone202-lab")
P203 = ("sip:+33150000203@ims.lab", "phone203-lab")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pcscf")
    hss = start_hss(tmp)
    try:
        conf = pcscf_conf(peers=[WTPF_REGISTRATION % {"priv": "false"}, SELF_TRUNK])
        pcscf = start_pcscf(tmp, conf)
        try:
            yield hss, pcscf
        finally:
            pcscf.stop()
    finally:
        hss.stop()


@pytest.fixture
def phones(lab):
    """Factory of UAs; every UA is de-registered and closed at the end of the test."""
    made = []

    def make(who, ip, proto="udp", register=True, **kw):
        aor, pw = who
        ua = UA(aor, ip, proxy=PROXY, proto=proto, password=pw,
                local_port=5060 if proto == "udp" else 0, **kw)
        made.append(ua)
        if register:
            _, r = ua.register(expires=600)
            assert r is not None and r.status == 200, r
        return ua

    yield make
    for ua in made:
        try:
            ua.register(expires=0, timeout=3)
        finally:
            ua.close()


def answer(ua, sdp_ip, status=200):
    req = ua.next_request("INVITE")
    assert req is not None, "no INVITE reached the callee"
    ua.respond(req, 180, "Ringing")
    ua.respond(req, status, "OK" if status == 200 else "Busy Here",
               body=audio_sdp(sdp_ip) if status == 200 else b"")
    return req


def test_register_digest(lab, phones):
    hss, pcscf = lab
    ua = phones(P201, PHONE1, register=False)
    first, final = ua.register(expires=600)
    # RFC 2617 challenge with a fresh nonce, then 200 with the registrar's headers
    assert first.status == 401
    ch = first.get("WWW-Authenticate")
    assert 'realm="ims.lab"' in ch and 'qop="auth"' in ch and "algorithm=MD5" in ch
    assert final.status == 200
    contacts = final.getall("Contact")
    assert len(contacts) == 1 and f"{PHONE1}:5060" in contacts[0]
    assert int(re.search(r"expires=(\d+)", contacts[0]).group(1)) in range(590, 601)
    assert final.getall("P-Associated-URI") == ["<sip:+33150000201@ims.lab>", "<tel:+33150000201>"]
    assert final.get("Service-Route") == f"<sip:orig@{PCSCF}:5060;lr>"
    assert pcscf.metric("pcscf_registrations") >= 1
    for cmd in ("UAR", "MAR", "SAR"):
        assert hss.metric("hss_cx_requests_total", f'command="{cmd}",result="2001"') + \
            hss.metric("hss_cx_requests_total", f'command="{cmd}",result="exp-2001"') + \
            hss.metric("hss_cx_requests_total", f'command="{cmd}",result="exp-2002"') >= 1
    # a second challenge gets another nonce
    other = UA(P201[0], PHONE1, proxy=PROXY, password=P201[1], local_port=0)
    try:
        first2, _ = other.register(expires=0)
        assert first2.status == 401 and first2.get("WWW-Authenticate") != ch
    finally:
        other.close()


def test_register_wrong_password(lab, phones):
    ua = phones(P202, PHONE2, register=False)
    first, final = ua.register(password="not-the-password")
    assert first.status == 401
    assert final.status == 403
    assert lab[1].metric("pcscf_register_total", 'outcome="rejected"') >= 1


def test_reregistration_and_deregistration(lab, phones):
    hss, pcscf = lab
    ua = phones(P203, PHONE1)
    mar_before = hss.metric("hss_cx_requests_total", 'command="MAR",result="2001"')
    # re-REGISTER with the same nonce and the next nonce count: no new challenge
    uri = "sip:ims.lab"
    msg = ua.new_request("REGISTER", uri, to=f"<{ua.aor}>", from_=f"<{ua.aor}>",
                         call_id=ua.call_id_reg,
                         headers=[("Contact", ua.contact() + ";expires=300"),
                                  ("Authorization", ua._auth_header("REGISTER", uri, ua.challenge))])
    r = ua.transact(msg)
    assert r.status == 200
    assert hss.metric("hss_cx_requests_total", 'command="MAR",result="2001"') == mar_before
    # the same nonce count again is a replay: challenged again (stale)
    msg = ua.new_request("REGISTER", uri, to=f"<{ua.aor}>", from_=f"<{ua.aor}>",
                         call_id=ua.call_id_reg, headers=[("Contact", ua.contact()), (
                             "Authorization", msg.get("Authorization"))])
    r = ua.transact(msg)
    assert r.status == 401 and "stale=TRUE" in r.get("WWW-Authenticate")
    # de-registration
    before = pcscf.metric("pcscf_registrations")
    _, r = ua.register(expires=0)
    assert r.status == 200 and not r.getall("Contact")
    assert pcscf.metric("pcscf_registrations") == before - 1


def test_register_expiry_and_interval(lab, phones):
    hss, pcscf = lab
    ua = phones(P203, PHONE2, register=False)
    _, r = ua.register(expires=1)
    assert r.status == 423 and r.get("Min-Expires") == "2"
    sar_timeout = 'command="SAR",result="2001"'
    before = hss.metric("hss_cx_requests_total", sar_timeout)
    _, r = ua.register(expires=2)
    assert r.status == 200
    deadline = time.time() + 6
    while time.time() < deadline and pcscf.metric("pcscf_bindings") and \
            hss.metric("hss_cx_requests_total", sar_timeout) < before + 2:
        time.sleep(0.2)
    assert hss.metric("hss_cx_requests_total", sar_timeout) >= before + 2  # SAR REG + TIMEOUT
    # the expired phone is no longer reachable
    caller = phones(P201, PHONE1)
    c = caller.invite("sip:+33150000203@ims.lab", audio_sdp(PHONE1))
    assert c.wait_final().status == 480


def test_call_between_phones_udp_tcp(lab, phones):
    hss, pcscf = lab
    a = phones(P201, PHONE1)
    b = phones(P202, PHONE2, proto="tcp")
    started = pcscf.metric("pcscf_dialogs_total", 'event="started"')
    c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1))
    req = answer(b, PHONE2)
    # terminating request: to the registered contact, over the phone's own TCP flow
    assert req.uri == f"sip:+33150000202@{PHONE2}:{b.port};transport=tcp"
    assert req.get("Max-Forwards") == "69"
    rr = req.getall("Record-Route")
    assert rr == [f"<sip:{PCSCF}:5060;lr;transport=tcp>", f"<sip:{PCSCF}:5060;lr>"]
    assert req.getall("P-Asserted-Identity") == ["<sip:+33150000201@ims.lab>"]
    assert req.get("P-Charging-Vector") is None  # not sent to a phone (outside trust domain)
    assert len(req.getall("Via")) == 2
    final = c.wait_final()
    assert final.status == 200 and len(c.provisional) >= 1
    assert c.provisional[-1].status == 180
    assert final.getall("Record-Route") == rr
    c.ack()
    assert b.next_request("ACK") is not None
    assert pcscf.metric("pcscf_dialogs") >= 1
    assert pcscf.metric("pcscf_dialogs_total", 'event="started"') == started + 1
    # BYE from the callee over TCP, through the route set
    bye_q = None
    msg = b.new_request("BYE", c.invite.get("Contact").strip("<>"), to=c.invite.get("From"),
                        from_=final.get("To").split(";tag=")[0], from_tag=final.tag("To"),
                        call_id=c.invite.get("Call-ID"),
                        route=", ".join(rr))
    msg.set("To", c.invite.get("From"))
    bye_q = b.send(msg)
    bye = a.next_request("BYE")
    assert bye is not None
    a.respond(bye, 200, "OK")
    r = b.wait(bye_q)
    assert r.status == 200
    assert pcscf.metric("pcscf_dialogs_total", 'event="ended"') >= 1
    assert pcscf.metric("pcscf_sip_transactions_total", 'method="INVITE",class="2xx"') >= 1
    assert pcscf.metric("pcscf_sip_transactions_total", 'method="BYE",class="2xx"') >= 1
    assert pcscf.metric("pcscf_cx_requests_total", 'command="LIR",result="2001"') >= 1


def test_preferred_identity(lab, phones):
    a = phones(P201, PHONE1)
    b = phones(P202, PHONE2)
    # PPI within the registered set is asserted; the PAI a phone sends is not believed
    c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1),
                 headers=[("P-Preferred-Identity", "<tel:+33150000201>"),
                          ("P-Asserted-Identity", "<tel:+33150000999>")])
    req = b.next_request("INVITE")
    assert req.getall("P-Asserted-Identity") == ["<tel:+33150000201>"]
    assert req.get("P-Preferred-Identity") is None
    b.respond(req, 486, "Busy Here")
    assert c.wait_final().status == 486  # failure propagated
    # PPI outside the set: the default identity
    c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1),
                 headers=[("P-Preferred-Identity", "<sip:+33150000202@ims.lab>")])
    req = b.next_request("INVITE")
    assert req.getall("P-Asserted-Identity") == ["<sip:+33150000201@ims.lab>"]
    b.respond(req, 603, "Decline")
    assert c.wait_final().status == 603


def test_untrusted_source_pai_stripped(lab, phones):
    b = phones(P202, PHONE2)
    stranger = UA("sip:someone@elsewhere.example", STRANGER, proxy=PROXY)
    try:
        c = stranger.invite("sip:+33150000202@ims.lab", audio_sdp(STRANGER),
                            headers=[("P-Asserted-Identity", "<sip:+33150000201@ims.lab>"),
                                     ("P-Charging-Vector", 'icid-value="forged"')])
        req = b.next_request("INVITE")
        assert req is not None
        assert req.get("P-Asserted-Identity") is None
        assert req.get("P-Charging-Vector") is None
        b.respond(req, 480, "Temporarily Unavailable")
        assert c.wait_final().status == 480
        # and it cannot use the pcscf as a relay to other domains
        c = stranger.invite("sip:bob@elsewhere.example", audio_sdp(STRANGER))
        assert c.wait_final().status == 403
    finally:
        stranger.close()


def test_proxy_require_and_max_forwards(lab, phones):
    a = phones(P201, PHONE1)
    c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1),
                 headers=[("Proxy-Require", "gin, x-unknown-ext")])
    r = c.wait_final()
    assert r.status == 420 and r.get("Unsupported") == "x-unknown-ext"
    msg = a.new_request("OPTIONS", "sip:+33150000202@ims.lab")
    msg.set("Max-Forwards", "0")
    assert a.transact(msg).status == 483
    # a request for the pcscf itself
    assert a.transact(a.new_request("OPTIONS", f"sip:{PCSCF}")).status == 200


def test_unknown_and_unregistered_targets(lab, phones):
    a = phones(P201, PHONE1)
    assert a.invite("sip:+33150009999@ims.lab", audio_sdp(PHONE1)).wait_final().status == 404
    assert a.invite("sip:+33150000203@ims.lab", audio_sdp(PHONE1)).wait_final().status == 480
    assert a.invite("tel:+33150000203", audio_sdp(PHONE1)).wait_final().status == 480


def test_loop_detected(lab, phones):
    # +33199... is routed to a trunk that is the pcscf itself: the request comes back with the
    # same Request-URI and our own Via (RFC 3261 §16.3 item 4)
    a = phones(P201, PHONE1)
    r = a.invite("sip:+33199000001@ims.lab", audio_sdp(PHONE1)).wait_final()
    assert r.status == 482


def test_cancel_propagation(lab, phones):
    a = phones(P201, PHONE1)
    b = phones(P202, PHONE2, proto="tcp")
    c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1))
    req = b.next_request("INVITE")
    b.respond(req, 180, "Ringing")
    deadline = time.time() + 5
    while not c.provisional and time.time() < deadline:
        r = a.wait(c.q, final=False, timeout=1, method="INVITE")
        if r is not None:
            c.provisional.append(r)
    c.cancel()
    cancel = b.next_request("CANCEL")
    assert cancel is not None and cancel.branch() == req.branch()
    b.respond(cancel, 200, "OK")
    b.respond(req, 487, "Request Terminated")
    assert c.wait_final().status == 487


def test_cancel_before_forwarding_and_timeout(lab, phones):
    a = phones(P201, PHONE1)
    b = phones(P202, PHONE2)
    # the callee never answers: after invite_timeout (Timer C) the caller gets a final answer
    c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1))
    req = b.next_request("INVITE")
    b.respond(req, 180, "Ringing")
    cancel = b.next_request("CANCEL", timeout=10)
    assert cancel is not None
    b.respond(cancel, 200, "OK")
    b.respond(req, 487, "Request Terminated")
    assert c.wait_final(timeout=10).status in (408, 480, 487)


def test_forking_to_two_contacts(lab, phones):
    a = phones(P201, PHONE1)
    b1 = phones(P202, PHONE2)
    b2 = phones(P202, "127.0.23.22", proto="tcp")
    c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1))
    r1 = b1.next_request("INVITE")
    r2 = b2.next_request("INVITE")
    assert r1 is not None and r2 is not None
    b1.respond(r1, 180, "Ringing")
    b2.respond(r2, 200, "OK", body=audio_sdp("127.0.23.22"))
    assert c.wait_final().status == 200
    cancel = b1.next_request("CANCEL")
    assert cancel is not None  # the other fork is cancelled
    b1.respond(cancel, 200, "OK")
    b1.respond(r1, 487, "Request Terminated")
    c.ack()
    assert b2.next_request("ACK") is not None
    bye = c.in_dialog("BYE")
    q = a.send(bye)
    got = b2.next_request("BYE")
    b2.respond(got, 200, "OK")
    assert a.wait(q).status == 200


def test_metrics_and_health(lab):
    hss, pcscf = lab
    text = pcscf.http("/metrics")
    for family in ("pcscf_registrations", "pcscf_dialogs", "pcscf_sip_transactions_total",
                   "pcscf_cx_requests_total", "pcscf_cx_request_duration_seconds_sum"):
        assert f"# TYPE {family}" in text, family
    assert '"hss":true' in pcscf.http("/health")
