"""pcscf toward a WTPF in static mode (W8 without registration, 23.228 Annex S): the peer table
trusts the WTPF by its source address, its number range is routed to it statically, its asserted
identities are checked against the range (it is a privileged sender here: diverted calls keep the
original caller's identity), and an untrusted static peer's identities are not believed."""
import pytest

from pcscf_lab import (PCSCF, PHONE1, PROXY, WTPF, WTPF_STATIC, pcscf_conf, start_hss,
                       start_pcscf)
from sip_ua import UA, audio_sdp

P201 = ("sip:+33150000201@ims.lab", "phone201-lab")
UNTRUSTED = "127.0.23.3"
PBX2 = "127.0.23.6"
PBX2_PEER = f"""
  {{ name = "pbx2"; address = "{PBX2}"; port = 5060; mode = "static"; trusted = true;
     identity = "sip:+33160000000@ims.lab"; }}"""
UNTRUSTED_PEER = f"""
  {{ name = "untrusted-pbx"; address = "{UNTRUSTED}"; port = 5060; mode = "static";
     trusted = false; ranges = [ "tel:+3317000!.*!" ]; }}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pcscf_static")
    hss = start_hss(tmp)
    try:
        pcscf = start_pcscf(tmp, pcscf_conf(peers=[WTPF_STATIC % {"priv": "true"},
                                                   UNTRUSTED_PEER, PBX2_PEER]))
        try:
            yield hss, pcscf
        finally:
            pcscf.stop()
    finally:
        hss.stop()


@pytest.fixture
def wtpf(lab):
    ua = UA("sip:+33140000000@ims.lab", WTPF, proxy=PROXY, local_port=5060)
    yield ua
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


def test_static_peer_does_not_register(lab, wtpf):
    msg = wtpf.new_request("REGISTER", "sip:ims.lab", to="<sip:+33140000000@ims.lab>",
                           from_="<sip:+33140000000@ims.lab>",
                           headers=[("Contact", f"<sip:{WTPF}:5060;bnc>"), ("Require", "gin")])
    assert wtpf.transact(msg).status == 403


def test_static_route_to_the_range(lab, wtpf, phone):
    hss, pcscf = lab
    lir_before = pcscf.metric("pcscf_cx_requests_total", 'command="LIR",result="exp-2003"') + \
        pcscf.metric("pcscf_cx_requests_total", 'command="LIR",result="exp-5001"')
    c = phone.invite("tel:+33140000123", audio_sdp(PHONE1))
    req = wtpf.next_request("INVITE")
    assert req is not None
    assert req.uri == f"sip:+33140000123@{WTPF}:5060;user=phone"
    assert req.getall("P-Asserted-Identity") == ["<sip:+33150000201@ims.lab>"]
    assert req.get("P-Charging-Vector") is not None  # trusted peer
    assert req.getall("Record-Route") == [f"<sip:{PCSCF}:5060;lr>"]
    wtpf.respond(req, 200, "OK", body=audio_sdp(WTPF))
    assert c.wait_final().status == 200
    c.ack()
    assert wtpf.next_request("ACK") is not None
    q = phone.send(c.in_dialog("BYE"))
    bye = wtpf.next_request("BYE")
    wtpf.respond(bye, 200, "OK")
    assert phone.wait(q).status == 200
    # static routes need no HSS lookup
    assert pcscf.metric("pcscf_cx_requests_total", 'command="LIR",result="exp-2003"') + \
        pcscf.metric("pcscf_cx_requests_total", 'command="LIR",result="exp-5001"') == lir_before


def test_trusted_static_peer_identities(lab, wtpf, phone):
    cases = [
        ([("P-Asserted-Identity", "<tel:+33140000101>")], ["<tel:+33140000101>"]),
        # privileged sender: a diverted call keeps the original caller's identity
        ([("P-Asserted-Identity", "<tel:+33150000202>"),
          ("History-Info", "<sip:+33140000101@ims.lab>;index=1")], ["<tel:+33150000202>"]),
        ([("P-Preferred-Identity", "<tel:+33140000102>")], ["<tel:+33140000102>"]),
        ([], ["<sip:+33140000000@ims.lab>"]),
    ]
    for headers, expect in cases:
        c = wtpf.invite("sip:+33150000201@ims.lab", audio_sdp(WTPF), headers=headers)
        req = phone.next_request("INVITE")
        assert req is not None
        assert req.getall("P-Asserted-Identity") == expect, headers
        if any(h[0] == "History-Info" for h in headers):
            assert req.get("History-Info") == "<sip:+33140000101@ims.lab>;index=1"
        phone.respond(req, 603, "Decline")
        assert c.wait_final().status == 603


def test_untrusted_static_peer_pai_stripped(lab, phone):
    ua = UA("sip:+33170000000@ims.lab", UNTRUSTED, proxy=PROXY, local_port=5060)
    try:
        c = ua.invite("sip:+33150000201@ims.lab", audio_sdp(UNTRUSTED),
                      headers=[("P-Asserted-Identity", "<tel:+33170000001>"),
                               ("P-Charging-Vector", 'icid-value="forged"')])
        req = phone.next_request("INVITE")
        assert req is not None
        assert req.get("P-Asserted-Identity") is None
        assert req.get("P-Charging-Vector") is None
        phone.respond(req, 480, "Temporarily Unavailable")
        assert c.wait_final().status == 480
    finally:
        ua.close()


def test_static_peer_profile_from_the_hss(lab, phone):
    """A static peer configured with its subscription only: its range comes from the HSS
    (SAR UNREGISTERED_USER) and serves both its identities and its static route."""
    hss, pcscf = lab
    assert "profile of sip:+33160000000@ims.lab loaded" in pcscf.log.read_text()
    pbx = UA("sip:+33160000000@ims.lab", PBX2, proxy=PROXY, local_port=5060)
    try:
        c = phone.invite("tel:+33160000123", audio_sdp(PHONE1))
        req = pbx.next_request("INVITE")
        assert req is not None and req.uri == f"sip:+33160000123@{PBX2}:5060;user=phone"
        pbx.respond(req, 486, "Busy Here")
        assert c.wait_final().status == 486
        c = pbx.invite("sip:+33150000201@ims.lab", audio_sdp(PBX2),
                       headers=[("P-Asserted-Identity", "<tel:+33160000555>")])
        req = phone.next_request("INVITE")
        assert req.getall("P-Asserted-Identity") == ["<tel:+33160000555>"]
        phone.respond(req, 486, "Busy Here")
        assert c.wait_final().status == 486
    finally:
        pbx.close()
