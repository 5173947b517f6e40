"""Checks the Diameter encoder against Wireshark's dissector.

$BUILD/dia_vectors (tests/tools/dia_vectors.c) prints the messages the suite exchanges, built
with common/diameter. They are put into one TCP connection (Ethernet/IPv4/TCP built here, classic
libpcap file, server port 3868) and `tshark -V` must decode every one as Diameter with the
expected command, flags and AVP names, without a "Malformed" mark or a warning/error expert item.

Run: BUILD=build /usr/bin/python3 -m pytest tests/component/test_diameter_tshark.py
"""
import os
import pathlib
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / os.environ.get("BUILD", "build")
TOOL = str(BUILD / "dia_vectors")
CLIENT = ("192.0.2.10", 40000)  # pcscf
SERVER = ("192.0.2.20", 3868)  # hss
# tshark 4.0 has no diameter.tcp.ports preference; TCP 3868 is bound through "Decode As".
TSHARK_DECODE = ["-d", "tcp.port==3868,diameter"]

# Per message: command code, request?, flags string, AVP names as Wireshark names them (its
# dictionary predates some 29.229 renames: Wildcarded-PSI for 634, 3GPP-SIP-* for 607-613,
# Cx-User-Data for 606), nested AVPs included, in order of appearance.
BOILER_REQ = ["Session-Id", "Vendor-Specific-Application-Id", "Vendor-Id", "Auth-Application-Id",
              "Auth-Session-State", "Origin-Host", "Origin-Realm"]
BOILER_ANS = ["Session-Id", "Vendor-Specific-Application-Id", "Vendor-Id", "Auth-Application-Id"]
CAPS = ["Host-IP-Address", "Vendor-Id", "Product-Name", "Origin-State-Id", "Supported-Vendor-Id",
        "Vendor-Specific-Application-Id", "Vendor-Id", "Auth-Application-Id",
        "Firmware-Revision"]
EXPECTED = [
    ("CER", 257, True, ["Origin-Host", "Origin-Realm"] + CAPS),
    ("CEA", 257, False, ["Result-Code", "Origin-Host", "Origin-Realm"] + CAPS),
    ("DWR", 280, True, ["Origin-Host", "Origin-Realm", "Origin-State-Id"]),
    ("DWA", 280, False, ["Result-Code", "Origin-Host", "Origin-Realm", "Origin-State-Id"]),
    ("UAR", 300, True, BOILER_REQ + ["Destination-Realm", "User-Name", "Public-Identity",
                                     "Visited-Network-Identifier", "User-Authorization-Type"]),
    ("UAA", 300, False, BOILER_ANS + ["Experimental-Result", "Vendor-Id",
                                      "Experimental-Result-Code", "Auth-Session-State",
                                      "Origin-Host", "Origin-Realm", "Server-Name"]),
    ("MAR", 303, True, BOILER_REQ + ["Destination-Host", "Destination-Realm", "User-Name",
                                     "Public-Identity", "3GPP-SIP-Auth-Data-Item",
                                     "3GPP-SIP-Authentication-Scheme",
                                     "3GPP-SIP-Number-Auth-Items", "Server-Name"]),
    ("MAA", 303, False, BOILER_ANS + ["Result-Code", "Auth-Session-State", "Origin-Host",
                                      "Origin-Realm", "User-Name", "Public-Identity",
                                      "3GPP-SIP-Number-Auth-Items", "3GPP-SIP-Auth-Data-Item",
                                      "3GPP-SIP-Item-Number", "3GPP-SIP-Authentication-Scheme",
                                      "SIP-Digest-Authenticate", "Digest-Realm",
                                      "Digest-Algorithm", "Digest-Qop", "Digest-HA1"]),
    ("SAR", 301, True, BOILER_REQ + ["Destination-Host", "Destination-Realm", "User-Name",
                                     "Public-Identity", "Server-Name", "Server-Assignment-Type",
                                     "User-Data-Already-Available"]),
    ("SAA", 301, False, BOILER_ANS + ["Result-Code", "Auth-Session-State", "Origin-Host",
                                      "Origin-Realm", "User-Name", "Cx-User-Data",
                                      "Charging-Information",
                                      "Primary-Charging-Collection-Function-Name"]),
    ("LIR", 302, True, BOILER_REQ + ["Destination-Realm", "Public-Identity"]),
    ("LIA", 302, False, BOILER_ANS + ["Result-Code", "Auth-Session-State", "Origin-Host",
                                      "Origin-Realm", "Server-Name", "Wildcarded-PSI"]),
    ("LIR", 302, True, BOILER_REQ + ["Destination-Realm", "Public-Identity"]),
    ("LIA", 302, False, BOILER_ANS + ["Experimental-Result", "Vendor-Id",
                                      "Experimental-Result-Code", "Auth-Session-State",
                                      "Origin-Host", "Origin-Realm"]),
    ("LIR", 302, True, BOILER_REQ + ["Destination-Realm", "Public-Identity"]),
    ("LIA-E", 302, False, ["Session-Id", "Result-Code", "Origin-Host", "Origin-Realm",
                           "Error-Message"]),
    ("UAR", 300, True, BOILER_REQ + ["Destination-Realm", "User-Name", "Public-Identity",
                                     "Visited-Network-Identifier", "NAS-Port"]),
    ("UAA-5001", 300, False, BOILER_ANS + ["Result-Code", "Auth-Session-State", "Origin-Host",
                                           "Origin-Realm", "Failed-AVP", "NAS-Port"]),
    ("DWA-5014", 280, False, ["Result-Code", "Origin-Host", "Origin-Realm", "Failed-AVP",
                              "Origin-State-Id"]),
    ("RTR", 304, True, BOILER_REQ + ["Destination-Host", "Destination-Realm", "User-Name",
                                     "Deregistration-Reason", "Reason-Code", "Reason-Info"]),
    ("RTA", 304, False, BOILER_ANS + ["Result-Code", "Auth-Session-State", "Origin-Host",
                                      "Origin-Realm"]),
    ("DPR", 282, True, ["Origin-Host", "Origin-Realm", "Disconnect-Cause"]),
    ("DPA", 282, False, ["Result-Code", "Origin-Host", "Origin-Realm"]),
]
RESULTS = {  # label -> (field, value) Wireshark shows for the result
    "UAA": ("diameter.Experimental-Result-Code", "2001"),
    "MAA": ("diameter.Result-Code", "2001"),
    "LIA-E": ("diameter.Result-Code", "3002"),
    "UAA-5001": ("diameter.Result-Code", "5001"),
    "DWA-5014": ("diameter.Result-Code", "5014"),
}


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_bytes(addr: str) -> bytes:
    return bytes(int(x) for x in addr.split("."))


def tcp_frame(src, dst, seq, ack, flags, payload=b"", ident=1):
    """Ethernet + IPv4 + TCP with correct lengths and checksums."""
    tcp_len = 20
    tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], seq, ack, (tcp_len // 4) << 4, flags, 65535,
                      0, 0)
    pseudo = ip_bytes(src[0]) + ip_bytes(dst[0]) + struct.pack("!BBH", 0, 6,
                                                               tcp_len + len(payload))
    csum = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    total = 20 + tcp_len + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, 64, 6, 0,
                     ip_bytes(src[0]), ip_bytes(dst[0]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


def write_pcap(path, messages):
    """One TCP connection: handshake, then each message in its own segment, each ACKed."""
    SYN, ACK, PSH = 0x02, 0x10, 0x08
    frames = []
    cseq, sseq = 1000, 5000
    frames.append(tcp_frame(CLIENT, SERVER, cseq, 0, SYN))
    frames.append(tcp_frame(SERVER, CLIENT, sseq, cseq + 1, SYN | ACK))
    cseq += 1
    sseq += 1
    frames.append(tcp_frame(CLIENT, SERVER, cseq, sseq, ACK))
    for i, (_, c2s, payload) in enumerate(messages):
        if c2s:
            frames.append(tcp_frame(CLIENT, SERVER, cseq, sseq, PSH | ACK, payload, ident=i + 2))
            cseq += len(payload)
        else:
            frames.append(tcp_frame(SERVER, CLIENT, sseq, cseq, PSH | ACK, payload, ident=i + 2))
            sseq += len(payload)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
        for n, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + n, 0, len(fr), len(fr)))
            f.write(fr)


@pytest.fixture(scope="module")
def vectors():
    assert os.access(TOOL, os.X_OK), f"{TOOL} missing: run make BUILD=<dir> <dir>/dia_vectors"
    out = subprocess.run([TOOL], check=True, capture_output=True, text=True).stdout
    msgs = []
    for line in out.splitlines():
        label, direction, hexs = line.split()
        msgs.append((label, direction == "c2s", bytes.fromhex(hexs)))
    return msgs


@pytest.fixture(scope="module")
def capture(vectors, tmp_path_factory):
    if not shutil.which("tshark"):
        pytest.skip("tshark not installed")
    path = str(tmp_path_factory.mktemp("dia") / "cx.pcap")
    write_pcap(path, vectors)
    return path


def tshark(*args):
    r = subprocess.run(["tshark", "-n", *TSHARK_DECODE, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_vectors_cover_expected_messages(vectors):
    assert [v[0] for v in vectors] == [e[0] for e in EXPECTED]


def test_every_message_decodes_with_names(capture, vectors):
    root = ET.fromstring(tshark("-r", capture, "-T", "pdml"))
    packets = [p for p in root.iter("packet")
               if any(pr.get("name") == "diameter" for pr in p.iter("proto"))]
    assert len(packets) == len(EXPECTED)
    for pkt, (label, cmd, is_req, names), (_, _, raw) in zip(packets, EXPECTED, vectors):
        dia = next(pr for pr in pkt.iter("proto") if pr.get("name") == "diameter")
        fields = {}
        for f in dia.iter("field"):
            fields.setdefault(f.get("name"), f)
        assert fields["diameter.cmd.code"].get("show") == str(cmd), label
        assert fields["diameter.flags.request"].get("show") in (("1", "True") if is_req
                                                                 else ("0", "False")), label
        assert fields["diameter.length"].get("show") == str(len(raw)), label
        got = []
        for f in dia.iter("field"):
            if f.get("name") == "diameter.avp":
                m = re.match(r"AVP: ([^()]+)\((\d+)\)", f.get("showname", ""))
                assert m, f.get("showname")
                got.append(m.group(1))
        assert got == names, f"{label}: {got}"
        if label in RESULTS:
            field, value = RESULTS[label]
            assert fields[field].get("show") == value, label
        # Nothing Wireshark considers broken in this packet.
        assert not any(pr.get("name") == "_ws.malformed" for pr in pkt.iter("proto")), label


def test_no_malformed_or_expert_warnings(capture):
    text = tshark("-r", capture, "-V")
    assert "DIAMETER" in text.upper()
    assert "Malformed" not in text
    bad = re.findall(r"\[Expert Info \((Warning|Error)/[^)]*\): [^\]]*\]", text)
    assert not bad, bad
    summary = tshark("-r", capture, "-q", "-z", "expert,warn")
    assert "Errors (" not in summary and "Warns (" not in summary, summary


def test_fields_by_value(capture):
    """Values where Wireshark's reading matters: digest, user data, session, address."""
    out = tshark("-r", capture, "-Y", "diameter.cmd.code == 303 && diameter.flags.request == 0",
                 "-T", "fields", "-e", "diameter.Digest-HA1", "-e", "diameter.Digest-Realm",
                 "-e", "diameter.Session-Id")
    ha1, realm, sid = out.strip().split("\t")
    assert ha1 == "9afdf161e871f5c93980489074fc30f9"
    assert realm == "ims.example.net"
    assert sid == "pcscf.ims.example.net;1700000000;2"
    out = tshark("-r", capture, "-Y", "diameter.cmd.code == 257 && diameter.flags.request == 1",
                 "-T", "fields", "-e", "diameter.Host-IP-Address.IPv4")
    assert out.strip() == "192.0.2.10"
