"""wtpf against an independent SIP implementation: SIPp (Debian sip-tester) standing in for the
pcscf with its built-in scenarios, in static mode. SIPp as UAS answers the WIC's outgoing call
(180, 200 with its SDP, BYE answered); SIPp as UAC calls a WIC user (INVITE with its SDP, ACK,
BYE). SIPp exits 0 only when its scenario ran as written."""
import asyncio
import shutil
import subprocess

import pytest

from conftest import Node
from wic_client import WicClient, wtpf_conf

WTPF, PEER = "127.0.21.1", "127.0.21.2"
HTTP = (WTPF, 8080)
OFFER = ("v=0\r\no=- 11 11 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
         "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\na=rtcp-mux\r\n")


PROCS = []


@pytest.fixture
def wtpf(tmp_path):
    if not shutil.which("sipp"):
        pytest.fail("sipp is not installed (sip-tester in scripts/debian-packages.txt)")
    node = Node("wtpf", wtpf_conf(tmp_path, mode="static"), tmp_path, admin=f"{WTPF}:9090").start()
    yield node
    while PROCS:  # no SIPp outlives its test, whatever happened
        p = PROCS.pop()
        if p.poll() is None:
            p.kill()
            p.wait()
    node.stop()


def sipp(tmp_path, *args):
    PROCS.append(subprocess.Popen(
        ["sipp", "-i", PEER, "-p", "5060", "-m", "1", "-timeout", "20s", "-timeout_error",
         "-trace_err", "-trace_msg", "-message_file", str(tmp_path / "sipp.msg"),
         "-error_file", str(tmp_path / "sipp.err"), "-nostdin", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path))
    return PROCS[-1]


def finish(proc, tmp_path):
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    msgs = (tmp_path / "sipp.msg").read_text() if (tmp_path / "sipp.msg").exists() else ""
    assert proc.returncode == 0, f"sipp failed ({proc.returncode}):\n{out[-3000:]}\n{msgs[-6000:]}"
    return msgs


def test_sipp_uas_answers_a_wic_call(wtpf, tmp_path):
    proc = sipp(tmp_path, "-sn", "uas")

    async def main():
        await asyncio.sleep(0.5)  # SIPp listening
        alice = await WicClient(HTTP, "alice", "alice-lab").connect()
        await alice.send(type="call", id="sipp-1", to="+33150000201", sdp=OFFER)
        assert (await alice.expect("progress", "sipp-1", timeout=10))["code"] == 180
        a = await alice.expect("answered", "sipp-1", timeout=10)
        assert "m=audio" in a["sdp"]  # SIPp's own SDP, passed through
        await asyncio.sleep(0.2)
        await alice.send(type="hangup", id="sipp-1")
        e = await alice.expect("ended", "sipp-1")
        assert (e["code"], e["reason"]) == (200, "local hangup")
        await alice.close()
    asyncio.run(asyncio.wait_for(main(), 60))
    msgs = finish(proc, tmp_path)
    assert "P-Asserted-Identity: <tel:+33140000101>" in msgs
    assert OFFER.replace("\r\n", "\n").strip().split("\n")[-1] in msgs.replace("\r\n", "\n")
    assert wtpf.metric("wtpf_calls_total", 'direction="out",outcome="answered"') == 1


def test_sipp_uac_calls_a_wic(wtpf, tmp_path):
    async def main():
        alice = await WicClient(HTTP, "alice", "alice-lab").connect()
        proc = sipp(tmp_path, "-sn", "uac", "-s", "+33140000101", "-d", "500",
                    f"{WTPF}:5060")
        inc = await alice.expect("incoming", timeout=10)
        assert "m=audio" in inc["sdp"] and inc["from"].startswith("sip:sipp@")
        await alice.send(type="answer", id=inc["id"], sdp=OFFER)
        e = await alice.expect("ended", inc["id"], timeout=10)  # SIPp hangs up after 500 ms
        assert (e["code"], e["reason"]) == (200, "remote hangup")
        await alice.close()
        return proc
    proc = asyncio.run(asyncio.wait_for(main(), 60))
    msgs = finish(proc, tmp_path)
    assert "SIP/2.0 180 Ringing" in msgs and "SIP/2.0 200 OK" in msgs
    assert wtpf.metric("wtpf_calls_total", 'direction="in",outcome="answered"') == 1
