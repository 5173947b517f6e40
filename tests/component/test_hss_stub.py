"""hss-stub against an independent Diameter client, tshark and freeDiameter (issue 2)."""
import hashlib
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import Capture, Node, binary, tshark
from diameter_client import (APP_CX, VENDOR_3GPP, Client, avp, message, raw_avp, FLAG_R,
                             FLAG_P)

ADDR = "127.0.20.4"
CONF = f"""
log = {{ level = "debug"; }};
admin = {{ address = "{ADDR}"; port = 9090; }};
diameter = {{ origin_host = "hss.ims.lab"; origin_realm = "ims.lab";
             listen_address = "{ADDR}"; port = 3868; watchdog_interval = %(tw)d; }};
digest_realm = "ims.lab";
server_name = "sip:pcscf.ims.lab:5060";
subscribers = (
  {{ impi = "pbx@ims.lab"; password = "pbx-lab";
     impus = ( {{ uri = "sip:+33140000000@ims.lab"; }}, {{ uri = "tel:+3314000!.*!"; }} ); }},
  {{ impi = "+33150000201@ims.lab"; password = "phone201-lab";
     impus = ( {{ uri = "sip:+33150000201@ims.lab"; }} ); }},
  {{ impi = "static@ims.lab"; password = "x"; unregistered_services = true;
     impus = ( {{ uri = "sip:+33160000000@ims.lab"; }} ); }}
);
"""


@pytest.fixture
def hss(tmp_path):
    node = Node("hss-stub", CONF % {"tw": 30}, tmp_path, admin=f"{ADDR}:9090").start()
    yield node
    node.stop()


def uar(c, impi, impu, typ=0):
    return c.cx(300, [avp("User-Name", impi), avp("Public-Identity", impu),
                      avp("Visited-Network-Identifier", b"ims.lab"),
                      avp("User-Authorization-Type", typ)])


def mar(c, impi, impu, scheme="SIP Digest"):
    return c.cx(303, [avp("User-Name", impi), avp("Public-Identity", impu),
                      avp("SIP-Number-Auth-Items", 1),
                      avp("SIP-Auth-Data-Item", [avp("SIP-Authentication-Scheme", scheme)]),
                      avp("Server-Name", "sip:pcscf.ims.lab:5060")])


def sar(c, impi, impu, typ):
    avps = [avp("Server-Name", "sip:pcscf.ims.lab:5060"), avp("Server-Assignment-Type", typ),
            avp("User-Data-Already-Available", 0)]
    if impi:
        avps.insert(0, avp("User-Name", impi))
    if impu:
        avps.insert(0, avp("Public-Identity", impu))
    return c.cx(301, avps)


def lir(c, impu):
    return c.cx(302, [avp("Public-Identity", impu)])


def registration_flow(c):
    """The PBX registration of SPECS.md §5.5 and a terminating lookup in its wildcard range."""
    a = uar(c, "pbx@ims.lab", "sip:+33140000000@ims.lab")
    assert a.result == ("exp", 2001)  # DIAMETER_FIRST_REGISTRATION
    assert a.find("Server-Capabilities").find("Server-Name").value == "sip:pcscf.ims.lab:5060"
    assert a.flags & FLAG_P and not a.flags & FLAG_R
    assert a.get("Session-Id") == "test.ims.lab;1;1"
    assert a.get("Origin-Host") == "hss.ims.lab"
    assert a.find("Vendor-Specific-Application-Id") is not None
    assert a.get("Auth-Session-State") == 1

    a = mar(c, "pbx@ims.lab", "sip:+33140000000@ims.lab")
    assert a.result == ("rc", 2001)
    item = a.find("SIP-Auth-Data-Item")
    assert item.find("SIP-Authentication-Scheme").value == "SIP Digest"
    dig = item.find("SIP-Digest-Authenticate")
    ha1 = hashlib.md5(b"pbx@ims.lab:ims.lab:pbx-lab").hexdigest()
    assert dig.find("Digest-HA1").value == ha1
    assert dig.find("Digest-Realm").value == "ims.lab"
    assert dig.find("Digest-QoP").value == "auth"
    assert dig.find("Digest-Algorithm").value == "MD5"

    a = sar(c, "pbx@ims.lab", "sip:+33140000000@ims.lab", 1)  # REGISTRATION
    assert a.result == ("rc", 2001)
    xml = ET.fromstring(a.get("User-Data"))
    assert xml.findtext("PrivateID") == "pbx@ims.lab"
    ids = [p.findtext("Identity") for p in xml.iter("PublicIdentity")]
    assert ids == ["sip:+33140000000@ims.lab", "tel:+3314000!.*!"]
    assert xml.find(".//Extension/Extension/Extension/WildcardedIMPU").text == "tel:+3314000!.*!"

    a = uar(c, "pbx@ims.lab", "sip:+33140000000@ims.lab")
    assert a.result == ("exp", 2002)  # DIAMETER_SUBSEQUENT_REGISTRATION
    assert a.get("Server-Name") == "sip:pcscf.ims.lab:5060"

    a = lir(c, "tel:+33140000101")
    assert a.result == ("rc", 2001)
    assert a.get("Server-Name") == "sip:pcscf.ims.lab:5060"
    assert a.get("Wildcarded-Public-Identity") == "tel:+3314000!.*!"

    a = sar(c, "pbx@ims.lab", "sip:+33140000000@ims.lab", 5)  # USER_DEREGISTRATION
    assert a.result == ("rc", 2001)
    assert lir(c, "tel:+33140000101").result == ("exp", 5003)  # IDENTITY_NOT_REGISTERED


def test_cx_registration_flow_and_tshark(hss, tmp_path):
    cap = Capture(tmp_path / "cx.pcap", f"tcp port 3868 and host {ADDR}")
    c = Client(ADDR, 3868)
    registration_flow(c)
    c.close()
    pcap = cap.stop()
    # Every packet hss-stub sent decodes as Diameter, nothing malformed (independent decoder).
    bad = tshark(pcap, "-Y", "_ws.malformed || _ws.expert.severity == error")
    assert bad.strip() == "", bad
    out = tshark(pcap, "-Y", "diameter", "-T", "fields", "-e", "diameter.flags.request",
                 "-e", "diameter.cmd.code", "-e", "diameter.Result-Code",
                 "-e", "diameter.Experimental-Result-Code")
    rows = [line.split("\t") for line in out.strip().splitlines()]
    answers = [(r[1], r[2] or r[3]) for r in rows if r[0] in ("0", "False")]
    assert answers == [("257", "2001"), ("300", "2001"), ("303", "2001"), ("301", "2001"),
                       ("300", "2002"), ("302", "2001"), ("301", "2001"), ("302", "5003")]
    verbose = tshark(pcap, "-Y", "diameter.cmd.code == 303 && diameter.flags.request == 0", "-V")
    assert "SIP-Digest-Authenticate" in verbose and "Digest-HA1" in verbose
    sar_ans = tshark(pcap, "-Y", "diameter.cmd.code == 301 && diameter.flags.request == 0", "-V")
    assert "User-Data" in sar_ans and "IMSSubscription" in sar_ans


def test_identity_errors(hss):
    c = Client(ADDR, 3868)
    assert uar(c, "nobody@ims.lab", "sip:nobody@ims.lab").result == ("exp", 5001)
    assert uar(c, "pbx@ims.lab", "sip:+33150000201@ims.lab").result == ("exp", 5002)
    assert mar(c, "pbx@ims.lab", "sip:+33140000000@ims.lab", "Digest-AKAv1-MD5").result == \
        ("exp", 5006)
    assert lir(c, "tel:+49301234567").result == ("exp", 5001)
    # A subscriber with unregistered services: LIA UNREGISTERED_SERVICE, then SAR 3 loads it.
    assert lir(c, "sip:+33160000000@ims.lab").result == ("exp", 2003)
    a = sar(c, None, "sip:+33160000000@ims.lab", 3)
    assert a.result == ("rc", 2001) and a.get("User-Name") == "static@ims.lab"
    assert lir(c, "sip:+33160000000@ims.lab").result == ("rc", 2001)
    # Wrong realm and unknown command.
    assert c.cx(302, [avp("Public-Identity", "tel:+33140000101")],
                dest_realm="other.net").result == ("rc", 3003)
    a = c.cx(305, [])
    assert a.result == ("rc", 3001) and a.flags & 0x20  # E bit on a 3xxx answer
    c.close()


def failed_avp_codes(ans):
    return [a.code for a in ans.find("Failed-AVP").value]


def test_malformed_requests_get_errors_and_connection_stays(hss):
    c = Client(ADDR, 3868)
    # Missing mandatory AVP -> DIAMETER_MISSING_AVP 5005 naming it in Failed-AVP.
    a = c.cx(302, [])
    assert a.result == ("rc", 5005) and failed_avp_codes(a) == [601]
    a = c.cx(303, [avp("User-Name", "pbx@ims.lab")])
    assert a.result == ("rc", 5005)
    # Unknown AVP with the M bit -> DIAMETER_AVP_UNSUPPORTED 5001.
    a = c.cx(302, [avp("Public-Identity", "tel:+33140000101"), raw_avp(9999, 0, b"\0\0\0\1")])
    assert a.result == ("rc", 5001) and failed_avp_codes(a) == [9999]
    # Out-of-range enumerated value -> DIAMETER_INVALID_AVP_VALUE 5004.
    a = sar(c, "pbx@ims.lab", None, 99)
    assert a.result == ("rc", 5004) and failed_avp_codes(a) == [614]
    # An AVP whose length overruns the message -> DIAMETER_INVALID_AVP_LENGTH 5014.
    good = [avp("Session-Id", "x;1;2"), avp("Origin-Host", "test.ims.lab"),
            avp("Origin-Realm", "ims.lab"), avp("Destination-Realm", "ims.lab")]
    broken = bytearray(raw_avp(601, VENDOR_3GPP, b"tel:+33140000101"))
    broken[5:8] = (200).to_bytes(3, "big")
    c.send_raw(message(302, APP_CX, FLAG_R | FLAG_P, 0x777, 0x888, good + [bytes(broken)]))
    a = c.recv()
    assert a.hbh == 0x777 and a.result == ("rc", 5014)
    # Unsupported version -> 5011 (header is readable, answer still matched by ids).
    raw = bytearray(message(302, APP_CX, FLAG_R | FLAG_P, 0x999, 0xaaa, good))
    raw[0] = 2
    c.send_raw(bytes(raw))
    a = c.recv()
    assert a.hbh == 0x999 and a.result == ("rc", 5011)
    # The same connection still serves well-formed requests.
    assert lir(c, "tel:+33140000101").result == ("exp", 5003)
    c.close()
    assert hss.metric("hss_diameter_decode_errors_total") >= 3


def test_garbage_and_early_requests_close_only_that_connection(hss):
    s = socket.create_connection((ADDR, 3868), source_address=("127.0.0.1", 0))
    s.sendall(b"\x01\x00\x00\x08garbage!" * 4)  # a length under 20 cannot be framed
    s.settimeout(5)
    assert s.recv(100) == b""  # closed
    s.close()
    c = Client(ADDR, 3868, cer=False)
    c.send_raw(message(302, APP_CX, FLAG_R, 1, 1, []))  # no CER first
    with pytest.raises(ConnectionError):
        c.recv()
    c.close()
    # Random bytes of every size: never a crash.
    import random
    rnd = random.Random(7)
    for _ in range(50):
        s = socket.create_connection((ADDR, 3868))
        s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 300))))
        s.close()
    c = Client(ADDR, 3868)
    assert lir(c, "tel:+33140000101").result == ("exp", 5003)
    c.close()
    assert hss.alive()


def test_metrics_and_health(hss):
    c = Client(ADDR, 3868)
    uar(c, "pbx@ims.lab", "sip:+33140000000@ims.lab")
    uar(c, "nobody@ims.lab", "sip:nobody@ims.lab")
    assert hss.metric("hss_diameter_peers_open") == 1
    c.close()
    assert hss.metric("hss_cx_requests_total", 'command="UAR",result="exp-2001"') == 1
    assert hss.metric("hss_cx_requests_total", 'command="UAR",result="exp-5001"') == 1
    assert '"status":"ok"' in hss.http("/health")


def test_dpr_on_sigterm(tmp_path):
    node = Node("hss-stub", CONF % {"tw": 30}, tmp_path, admin=f"{ADDR}:9090").start()
    c = Client(ADDR, 3868)
    node.proc.send_signal(15)
    dpr = c.recv()
    assert dpr.cmd == 282 and dpr.flags & FLAG_R
    c.send_raw(message(282, 0, 0, dpr.hbh, dpr.e2e,
                       [avp("Result-Code", 2001), avp("Origin-Host", "test.ims.lab"),
                        avp("Origin-Realm", "ims.lab")]))
    node.proc.wait(timeout=5)
    node.stop()
    c.close()


def test_bad_config_refused_with_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text('diameter = { origin_host = "h"; origin_realm = "r"; };\n'
                    'subscribers = ( { impi = "a"; password = "p";\n'
                    '  impus = ( { uri = "tel:+1!(!"; } ); } );\n'
                    'watchdog = 3;\n')
    out = subprocess.run([binary("hss-stub"), "--check-config", "-c", str(conf)],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert f"{conf}:4: unknown key 'watchdog'" in out.stderr
    conf.write_text('diameter = { origin_host = "h"; origin_realm = "r"; };\n'
                    'subscribers = ( { impi = "a"; password = "p";\n'
                    '  impus = ( { uri = "tel:+1!(!"; } ); } );\n')
    out = subprocess.run([binary("hss-stub"), "--check-config", "-c", str(conf)],
                         capture_output=True, text=True)
    assert out.returncode == 1 and f"{conf}:3: impus: tel:+1!(!: bad regular expression" in \
        out.stderr


FD_CONF = """
Identity = "fd.ims.lab";
Realm = "ims.lab";
Port = 3870;
SecPort = 3871;
No_SCTP;
No_IPv6;
TwTimer = {tw};
TLS_Cred = "{d}/cert.pem", "{d}/key.pem";
TLS_CA = "{d}/cert.pem";
ConnectPeer = "hss.ims.lab" {{ ConnectTo = "{addr}"; No_TLS; Port = 3868; }};
"""


@pytest.mark.skipif(not shutil.which("freeDiameterd"), reason="freediameter not installed")
def test_freediameter_peer_stays_up_30s(tmp_path):
    """A real Diameter peer: CER/CEA, then watchdogs both ways keep it OPEN for 35 s."""
    node = Node("hss-stub", CONF % {"tw": 6}, tmp_path, admin=f"{ADDR}:9090").start()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"), "-days", "2",
                    "-subj", "/CN=fd.ims.lab"], check=True, capture_output=True)
    (tmp_path / "fd.conf").write_text(FD_CONF.format(tw=20, d=tmp_path, addr=ADDR))
    log = open(tmp_path / "fd.log", "w")
    fd = subprocess.Popen(["freeDiameterd", "-c", str(tmp_path / "fd.conf"), "-dd"],
                          stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(35)
        assert fd.poll() is None, (tmp_path / "fd.log").read_text()[-3000:]
        assert node.metric("hss_diameter_peers_open") == 1
        # hss-stub (Tw 6 s) sent watchdogs, freeDiameter answered them; CER came first.
        sent_dwr = node.metric("hss_diameter_messages_total",
                               'direction="out",command="DW",kind="request"')
        got_dwa = node.metric("hss_diameter_messages_total",
                              'direction="in",command="DW",kind="answer"')
        assert sent_dwr >= 3 and got_dwa >= 3, (sent_dwr, got_dwa)
        assert node.metric("hss_diameter_messages_total",
                           'direction="out",command="CE",kind="answer"') == 1
        text = (tmp_path / "fd.log").read_text()
        assert "'STATE_WAITCEA'\t-> 'STATE_OPEN'\t'hss.ims.lab'" in text
        assert "STATE_CLOSED" not in text.split("'STATE_WAITCEA'\t-> 'STATE_OPEN'")[1]
    finally:
        fd.terminate()
        fd.wait(timeout=15)
        log.close()
        node.stop()
