"""H.248 encoder vs Wireshark: every message printed by $BUILD/h248_vectors (our codec's output,
long and short tokens, plus the builders' messages) is written into a classic pcap as UDP 2944
between the lab's pcscf (MGC, 127.0.10.2) and eims-agw (MG, 127.0.10.3); tshark 4.0 must decode
every packet as MEGACO, dissect the SDP inside Local/Remote, and report nothing malformed."""

import os
import re
import shutil
import socket
import struct
import subprocess

import pytest

BUILD = os.environ.get("BUILD", "build")
VECTORS = os.path.join(BUILD, "h248_vectors")
MGC = "127.0.10.2"
MG = "127.0.10.3"
PORT = 2944
# mIds that identify the sender as the MG (lab address and the SPECS.md §4.5 example address).
MG_MIDS = ("[127.0.10.3]", "[127.0.2.1]")


def ipv4_checksum(header: bytes) -> int:
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) + header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src: str, dst: str, payload: bytes, ident: int) -> bytes:
    """Ethernet II + IPv4 + UDP around payload; UDP checksum 0 (none), IPv4 checksum computed."""
    udp = struct.pack("!HHHH", PORT, PORT, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000003") + bytes.fromhex("020000000002") + b"\x08\x00"
    return eth + ip + udp


def write_pcap(path: str, messages: list[bytes]) -> None:
    with open(path, "wb") as f:
        # Classic pcap header: magic, v2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET.
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, msg in enumerate(messages):
            first_line = msg.split(b"\n", 1)[0].decode("ascii", "replace")
            from_mg = any(mid in first_line for mid in MG_MIDS)
            src, dst = (MG, MGC) if from_mg else (MGC, MG)
            pkt = frame(src, dst, msg, i + 1)
            f.write(struct.pack("<IIII", 1764000000 + i, 0, len(pkt), len(pkt)))
            f.write(pkt)


def encoded_messages() -> list[bytes]:
    out = subprocess.run([VECTORS], check=True, capture_output=True).stdout
    parts = out.split(b"---\n")
    assert parts[-1] == b"", "output must end with a separator"
    return parts[:-1]


def split_packets(verbose: str) -> list[str]:
    """tshark -V output, one string per frame."""
    chunks = re.split(r"(?m)^Frame \d+: ", verbose)
    return [c for c in chunks[1:]]


@pytest.fixture(scope="module")
def decoded(tmp_path_factory):
    if not os.path.exists(VECTORS):
        pytest.fail(f"{VECTORS} not built (make BUILD={BUILD} {VECTORS})")
    if not shutil.which("tshark"):
        pytest.skip("tshark not installed")
    messages = encoded_messages()
    pcap = str(tmp_path_factory.mktemp("h248") / "h248.pcap")
    write_pcap(pcap, messages)
    res = subprocess.run(["tshark", "-r", pcap, "-V"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    packets = split_packets(res.stdout)
    assert len(packets) == len(messages)
    return messages, packets


def test_vector_count(decoded):
    messages, _ = decoded
    # 34 vectors in two encodings each, plus 8 builder messages.
    assert len(messages) >= 70


def test_every_packet_is_megaco(decoded):
    messages, packets = decoded
    for msg, pkt in zip(messages, packets):
        assert re.search(r"(?m)^MEGACO$", pkt), msg.decode() + pkt
        assert re.search(r"(?m)^    Start token: (MEGACO|!)$", pkt), msg.decode() + pkt
        assert re.search(r"(?m)^    Version: 3$", pkt), msg.decode() + pkt


def test_nothing_malformed(decoded):
    messages, packets = decoded
    for msg, pkt in zip(messages, packets):
        assert "Malformed Packet" not in pkt, msg.decode() + pkt
        assert "[Expert Info (Error" not in pkt, msg.decode() + pkt
        assert "[Expert Info (Warning" not in pkt, msg.decode() + pkt


def test_sdp_dissected_inside_local_and_remote(decoded):
    messages, packets = decoded
    with_sdp = 0
    for msg, pkt in zip(messages, packets):
        if not re.search(rb"(Local|Remote|\bL|\bR)\s*\{\s*\nv=0", msg):
            continue
        with_sdp += 1
        assert "Session Description Protocol" in pkt, msg.decode()
        assert "Session Description Protocol Version (v): 0" in pkt, msg.decode()
        assert "Media Description, name and address (m):" in pkt, msg.decode()
    assert with_sdp >= 10


def test_transaction_ids_decoded(decoded):
    messages, packets = decoded
    for msg, pkt in zip(messages, packets):
        m = re.search(rb"(?:Transaction|T|Reply|P|Pending|PN)\s*=\s*(\d+)", msg)
        if m:
            assert f"Transaction ID: {int(m.group(1))}" in pkt, msg.decode() + pkt
