"""pcscf toward a WTPF in registration mode (W8, RFC 6140 GIN): the WTPF is emulated by our SIP
tool at 127.0.23.1; it registers its number range as the PBX subscriber pbx@ims.lab, receives
calls for any number of the range at the Request-URI RFC 6140 prescribes, and places calls with
asserted identities checked against its range."""
import pathlib
import re

import pytest

from pcscf_lab import (PCSCF, PHONE1, PROXY, WTPF, WTPF_REGISTRATION, pcscf_conf, start_hss,
                       start_pcscf)
from sip_ua import UA, audio_sdp

P201 = ("sip:+33150000201@ims.lab", "phone201-lab")
PBX = ("sip:+33140000000@ims.lab", "pbx-lab")
CHROMIUM_OFFER = (pathlib.Path(__file__).resolve().parents[3] / "shared" / "testdata" /
                  "chromium-156-audio-offer.sdp")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pcscf_w8")
    hss = start_hss(tmp)
    try:
        pcscf = start_pcscf(tmp, pcscf_conf(peers=[WTPF_REGISTRATION % {"priv": "false"}]))
        try:
            yield hss, pcscf
        finally:
            pcscf.stop()
    finally:
        hss.stop()


@pytest.fixture
def wtpf(lab):
    ua = UA(PBX[0], WTPF, proxy=PROXY, password=PBX[1], impi="pbx@ims.lab", local_port=5060)
    yield ua
    try:
        ua.register(expires=0, gin=True, timeout=3)
    finally:
        ua.close()


@pytest.fixture
def phone(lab):
    ua = UA(P201[0], PHONE1, proxy=PROXY, password=P201[1], local_port=5060)
    _, r = ua.register()
    assert r.status == 200
    yield ua
    try:
        ua.register(expires=0, timeout=3)
    finally:
        ua.close()


def gin_register(ua, **kw):
    first, final = ua.register(expires=600, gin=True, **kw)
    assert first.status == 401, first
    assert final.status == 200, final
    return final


def test_unregistered_trunk_is_refused(lab, wtpf, phone):
    c = wtpf.invite("sip:+33150000201@ims.lab", audio_sdp(WTPF),
                    headers=[("P-Asserted-Identity", "<tel:+33140000101>")])
    assert c.wait_final().status == 403


def test_gin_registration(lab, wtpf):
    hss, pcscf = lab
    r = gin_register(wtpf)
    contact = r.getall("Contact")
    assert len(contact) == 1 and ";bnc" in contact[0] and f"{WTPF}:5060" in contact[0]
    # the implicit set: the site identity first, the wildcarded range after a distinct one
    assert r.getall("P-Associated-URI") == ["<sip:+33140000000@ims.lab>", "<tel:+33140000000>",
                                            "<tel:+3314000!.*!>"]
    # RFC 3327: Path echoed to a UA that supports it; Service-Route for its originating requests
    assert r.get("Path") == f"<sip:term@{PCSCF}:5060;lr>"
    assert r.get("Service-Route") == f"<sip:orig@{PCSCF}:5060;lr>"
    # the 24.229-style first REGISTER with an empty-nonce Authorization is accepted too
    wtpf.register(expires=0, gin=True)
    gin_register(wtpf, empty_auth=True)


def test_gin_needs_require_gin(lab, wtpf):
    uri = "sip:ims.lab"
    msg = wtpf.new_request("REGISTER", uri, to=f"<{PBX[0]}>", from_=f"<{PBX[0]}>",
                           headers=[("Contact", f"<sip:{WTPF}:5060;bnc>;expires=600")])
    assert wtpf.transact(msg).status == 400
    msg = wtpf.new_request("REGISTER", uri, to=f"<{PBX[0]}>", from_=f"<{PBX[0]}>",
                           headers=[("Contact", f"<sip:{WTPF}:5060>;expires=600"),
                                    ("Require", "gin, x-foo")])
    r = wtpf.transact(msg)
    assert r.status == 420 and r.get("Unsupported") == "x-foo"


def test_call_into_the_range(lab, wtpf, phone):
    gin_register(wtpf)
    for number in ("+33140000101", "+33140000102"):
        c = phone.invite(f"sip:{number}@ims.lab;user=phone", audio_sdp(PHONE1))
        req = wtpf.next_request("INVITE")
        assert req is not None
        # RFC 6140 §7.2: the bnc contact with the called number as user part
        assert req.uri == f"sip:{number}@{WTPF}:5060;user=phone"
        assert req.getall("P-Asserted-Identity") == ["<sip:+33150000201@ims.lab>"]
        # the trunk is inside the trust domain: it gets the charging vector
        pcv = req.get("P-Charging-Vector")
        assert pcv and re.match(r'icid-value="[0-9a-f]{32}";icid-generated-at=127\.0\.23\.2;'
                                r'orig-ioi=ims\.lab', pcv), pcv
        assert req.getall("Record-Route") == [f"<sip:{PCSCF}:5060;lr>"]
        wtpf.respond(req, 180, "Ringing")
        wtpf.respond(req, 200, "OK", body=audio_sdp(WTPF))
        assert c.wait_final().status == 200
        c.ack()
        assert wtpf.next_request("ACK") is not None
        bye = c.in_dialog("BYE")
        q = phone.send(bye)
        got = wtpf.next_request("BYE")
        wtpf.respond(got, 200, "OK")
        assert phone.wait(q).status == 200
    # numbers outside the range are not the trunk's
    assert phone.invite("sip:+33141000101@ims.lab", audio_sdp(PHONE1)).wait_final().status == 404


def test_calls_from_the_trunk(lab, wtpf, phone):
    gin_register(wtpf)
    cases = [
        # (headers sent by the WTPF, PAI expected at the phone)
        ([("P-Asserted-Identity", "<tel:+33140000101>")], ["<tel:+33140000101>"]),
        ([("P-Preferred-Identity", "<sip:+33140000102@ims.lab;user=phone>")],
         ["<sip:+33140000102@ims.lab;user=phone>"]),
        # outside its range and not a privileged sender: its default identity
        ([("P-Asserted-Identity", "<tel:+33150000202>")], ["<sip:+33140000000@ims.lab>"]),
        ([], ["<sip:+33140000000@ims.lab>"]),
    ]
    for headers, expect in cases:
        c = wtpf.invite("sip:+33150000201@ims.lab", audio_sdp(WTPF), headers=headers,
                        route=f"<sip:orig@{PCSCF}:5060;lr>")
        req = phone.next_request("INVITE")
        assert req is not None
        assert req.getall("P-Asserted-Identity") == expect, headers
        assert req.get("P-Preferred-Identity") is None
        assert req.get("P-Charging-Vector") is None
        phone.respond(req, 486, "Busy Here")
        assert c.wait_final().status == 486


def test_chromium_offer_passes_without_anchoring(lab, wtpf, phone):
    """Without an AGW configured, the WebRTC offer reaches the phone unchanged (the anchoring
    tests cover the AGW case)."""
    gin_register(wtpf)
    offer = CHROMIUM_OFFER.read_text()
    c = wtpf.invite("sip:+33150000201@ims.lab", offer,
                    headers=[("P-Asserted-Identity", "<tel:+33140000101>")])
    req = phone.next_request("INVITE")
    assert req is not None and req.body.decode() == offer
    phone.respond(req, 488, "Not Acceptable Here")
    assert c.wait_final().status == 488


def test_deregistered_range_is_unavailable(lab, wtpf, phone):
    gin_register(wtpf)
    _, r = wtpf.register(expires=0, gin=True)
    assert r.status == 200
    assert phone.invite("tel:+33140000101", audio_sdp(PHONE1)).wait_final().status == 480
