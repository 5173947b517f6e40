"""The whole reference model end to end (DESIGN.md): the four daemons of $BUILD/bin with etc/lab
(or etc/lab-static), WICs (aiortc clients, headless Chromium, Firefox ESR) and IMS phones
(baresip registered through the pcscf) in a fresh network namespace with only loopback. Each test
runs one scenario of lab_run.py in its own namespace and lab (about 1-15 s each; the whole file
takes about 1.5 min, sanitized or not):
- WIC to WIC through IMS (the call leaves the wtpf and comes back through the pcscf), both modes,
  anchored in the eIMS-AGW on both legs (one context, two W3 terminations: each browser gets the
  AGW's SDP, the tones cross the AGW W3 to W3, the context is subtracted at the hang-up);
- WIC to the IMS phone and the IMS phone to a WIC, anchored in the eIMS-AGW, both modes, audio
  checked at both ends (aiortc: the tone; baresip: its recording of what it received), hang-up
  from either side, one correlation id in the wtpf, pcscf and eims-agw logs;
- number transformation, diversion on no answer (inside the wtpf and back into IMS with
  History-Info), simultaneous ringing of the call-centre group;
- Chromium and Firefox ESR running the wtpf's WIC page against the IMS phone;
- a capture of a whole run that tshark decodes without a malformed or erroneous packet."""
import shutil
import sys

import pytest

from conftest import COMPONENT, run_in_netns, tshark


def need_baresip():
    sys.path.insert(0, str(COMPONENT))
    from baresip import available
    if not available():
        pytest.fail("baresip (Debian package baresip-core) is not installed")


@pytest.mark.parametrize("labdir", ["etc/lab", "etc/lab-static"])
def test_wic_calls_wic_through_ims(tmp_path, labdir):
    out = run_in_netns("wic_wic", tmp_path, labdir)
    assert "packets W3 to W3" in out
    assert "eims-agw" in out.split("correlation id", 1)[1].splitlines()[0]


@pytest.mark.parametrize("labdir", ["etc/lab", "etc/lab-static"])
def test_wic_calls_ims_phone(tmp_path, labdir):
    need_baresip()
    out = run_in_netns("wic_phone", tmp_path, labdir)
    assert "eims-agw" in out.split("correlation id", 1)[1].splitlines()[0]


@pytest.mark.parametrize("labdir", ["etc/lab", "etc/lab-static"])
def test_ims_phone_calls_wic(tmp_path, labdir):
    need_baresip()
    run_in_netns("phone_wic", tmp_path, labdir)


def test_services_through_the_chain(tmp_path):
    need_baresip()
    run_in_netns("services", tmp_path)


def test_diversion_back_into_ims(tmp_path):
    """bob's no-answer diversion to the IMS phone 202: phone 201 calls bob, who does not answer;
    the wtpf re-originates the call toward +33150000202 through the pcscf with History-Info
    (RFC 7044); both phones get the call established and closed."""
    need_baresip()
    run_in_netns("divert_to_ims", tmp_path)
    inv = tshark(tmp_path / "lab.pcap", "-Y", 'sip.Method == "INVITE" && ip.dst == 127.0.10.21',
                 "-T", "fields", "-e", "sip.History-Info")
    assert "<sip:+33140000102@ims.lab;user=phone?Reason=SIP%3Bcause%3D408>;index=1" in inv, inv
    assert "<sip:+33150000202@ims.lab;user=phone;cause=408>;index=1.1" in inv, inv


def test_diversion_back_into_ims_media(tmp_path):
    """The diverted call is anchored twice in the same AGW (one context per W8 leg); the two W3
    terminations face each other and are both ICE-lite, so each runs the checks toward the other
    (docs/AGW-MEDIA.md, ICE): both phones record the other's tone."""
    need_baresip()
    run_in_netns("divert_to_ims_media", tmp_path)


def test_chromium_and_ims_phone_call_each_other(tmp_path):
    need_baresip()
    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed (scripts/debian-packages.txt)")
    run_in_netns("chromium_phone", tmp_path)


def test_firefox_and_ims_phone_call_each_other(tmp_path):
    need_baresip()
    if not shutil.which("firefox-esr"):
        pytest.fail("firefox-esr is not installed (scripts/debian-packages.txt)")
    run_in_netns("firefox_phone", tmp_path)


# tshark: H.248 text on the Iq port, plain RTP on the phones' ports (e2e_lab.Phone), RTP/SRTP
# and RTCP anywhere by heuristics (the AGW's and aiortc's ports are dynamic); STUN and DTLS are
# found by their own heuristics.
TSHARK_DECODE = ["-d", "udp.port==2944,megaco", "-d", "udp.port==30000-30199,rtp",
                 "--enable-heuristic", "rtp_udp", "--enable-heuristic", "rtcp_udp",
                 # EtherCAT owns UDP port 34980: an ephemeral port of ours landing there was
                 # decoded as "ECATF/TC-NV [Malformed]" once (no EtherCAT on the lab's wire)
                 "--disable-protocol", "ecatf"]


def test_capture_of_the_lab_decodes_cleanly(tmp_path):
    """dumpcap on lo for a whole run (WIC to WIC, WIC to phone, phone to WIC): no malformed or
    erroneous packet in any protocol, and every protocol of the reference model is there."""
    need_baresip()
    run_in_netns("capture", tmp_path)
    pcap = tmp_path / "lab.pcap"
    print(tshark(pcap, *TSHARK_DECODE, "-q", "-z", "io,phs"))
    bad = tshark(pcap, *TSHARK_DECODE, "-Y", "_ws.malformed || _ws.expert.severity == error")
    assert bad.strip() == "", bad
    protos = tshark(pcap, *TSHARK_DECODE, "-T", "fields", "-e", "frame.protocols")
    seen = {p for line in protos.splitlines() for p in line.split(":")}
    for p in ("sip", "sdp", "megaco", "diameter", "stun", "dtls", "rtp", "rtcp", "websocket"):
        assert p in seen, (p, sorted(seen))
