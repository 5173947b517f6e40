"""The RFC 4475-style torture messages of vectors/rfc4475/ sent to the pcscf over UDP and TCP:
it answers what it can (400, 416, 483, 505...), never crashes, keeps serving, and exits cleanly
(under ASan in `make check`)."""
import pathlib
import re
import socket
import time

import pytest

from pcscf_lab import PCSCF, STRANGER, pcscf_conf, start_hss, start_pcscf
from sip_ua import Msg, UA

VECTORS = sorted((pathlib.Path(__file__).parent / "vectors" / "rfc4475").glob("*-*.*"))
# Answers a vector must get over UDP when it gets one (its Via says UDP).
EXPECT_UDP = {
    "invalid-zeromf.sip": {483},
    "invalid-ltgtruri.sip": {400},
    "invalid-badvers.sip": {400, 505},
    "invalid-badinv01.sip": {400},
    "invalid-mismatch01.sip": {400},
    "invalid-quotbal.sip": {400},
    "valid-lwsdisp.sip": {404, 480},
    "valid-transports.sip": {404, 480},
}


def load(path):
    data = path.read_bytes()
    return data if path.suffix == ".raw" else data.replace(b"\n", b"\r\n")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pcscf_torture")
    hss = start_hss(tmp)
    try:
        pcscf = start_pcscf(tmp, pcscf_conf())
        try:
            yield hss, pcscf
        finally:
            pcscf.stop()
    finally:
        hss.stop()


def answers(sock, udp, wait=0.2, call_id=None):
    """Statuses of the answers received (to `call_id` only, when given: the pcscf may still be
    retransmitting its answer to an earlier vector's INVITE)."""
    sock.settimeout(0.1)
    out, buf, deadline = [], b"", time.time() + wait
    while time.time() < deadline:
        try:
            data = sock.recv(65535) if not udp else sock.recvfrom(65535)[0]
        except socket.timeout:
            continue
        except OSError:
            break
        if not data:
            break
        buf = data if udp else buf + data
        for part in (buf.split(b"\r\n\r\n") if not udp else [buf]):
            if part.startswith(b"SIP/2.0 "):
                try:
                    m = Msg.parse(part + b"\r\n\r\n")
                    if call_id is None or m.get("Call-ID") == call_id:
                        out.append(m.status)
                except (ValueError, IndexError):
                    pass
        if udp:
            buf = b""
            if out and wait > 0.5:  # the answer we wait for is there
                break
    return out


def alive(pcscf):
    assert pcscf.alive(), pcscf.log.read_text()[-3000:]
    ua = UA("sip:probe@elsewhere.example", STRANGER, proxy=(PCSCF, 5060))
    try:
        r = ua.transact(ua.new_request("OPTIONS", f"sip:{PCSCF}"), timeout=3)
        assert r is not None and r.status == 200
    finally:
        ua.close()


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_torture_vector(lab, vector):
    hss, pcscf = lab
    data = load(vector)
    # UDP
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((STRANGER, 5060))  # the vectors' Via has no port and no rport: answers go to 5060
    s.sendto(data, (PCSCF, 5060))
    m = re.search(rb"^(?:Call-ID|i)\s*:\s*(\S+)", data, re.M | re.I)
    call_id = m.group(1).decode("utf-8", "replace") if m else None
    got = answers(s, udp=True, wait=1.0 if vector.name in EXPECT_UDP else 0.2, call_id=call_id)
    s.close()
    if vector.name in EXPECT_UDP and got:
        assert got[0] in EXPECT_UDP[vector.name], (vector.name, got)
    if vector.name == "invalid-zeromf.sip":
        assert got == [483]
    # TCP, on a connection of its own
    t = socket.create_connection((PCSCF, 5060), timeout=2, source_address=(STRANGER, 0))
    try:
        t.sendall(data)
        answers(t, udp=False)
    finally:
        t.close()
    alive(pcscf)


def test_oversized_and_floods(lab):
    hss, pcscf = lab
    big = ("OPTIONS sip:+33150000201@ims.lab SIP/2.0\r\n"
           f"Via: SIP/2.0/TCP {STRANGER};branch=z9hG4bK-ours-longreq\r\n"
           "To: sip:+33150000201@ims.lab\r\nFrom: sip:a@b;tag=1\r\nCall-ID: longreq.1\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n" +
           "".join(f"X-Long-{i}: {'y' * 900}\r\n" for i in range(80)) +
           "Content-Length: 0\r\n\r\n").encode()
    t = socket.create_connection((PCSCF, 5060), timeout=2, source_address=(STRANGER, 0))
    try:
        t.sendall(big)
        answers(t, udp=False, wait=1.0)
        # many tiny fragments, then a half message left hanging
        for _ in range(200):
            t.sendall(b"\r\n")
        t.sendall(b"INVITE sip:x@ims.lab SIP/2.0\r\nVia: SIP/2.0/TCP x\r\n")
    finally:
        t.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((STRANGER, 0))
    for i in range(300):
        s.sendto(b"OPTIONS sip:%d@ims.lab SIP/2.0\r\n\r\n" % i, (PCSCF, 5060))
    s.sendto(b"", (PCSCF, 5060))
    s.close()
    alive(pcscf)
