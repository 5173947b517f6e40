# Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
"""The pcscf's media-anchoring module on a real Iq: $BUILD/anchor_drive runs the MGC endpoint
(pcscf/anchor.h) on 127.0.22.2:2944 against the Python fake AGW (fake_mg.py) on 127.0.22.3:2944.
One originating call with the real Chromium offer, one terminating call, and the failure paths
(AGW restart, AGW silence, Add timeout, Notify). The Iq capture must decode in tshark as MEGACO
with SDP and nothing malformed."""

import pathlib
import re
import subprocess
import time

import pytest

from conftest import ROOT, Capture, tool, tshark
from fake_mg import FINGERPRINT, FakeMG

MGC, MG, MG_CORE = "127.0.22.2", "127.0.22.3", "127.0.22.4"
OFFER = ROOT.parent / "shared" / "testdata" / "chromium-156-audio-offer.sdp"
CID = "c0ffee0000000001"

WIC_ANSWER = """v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 8 101
c=IN IP4 127.0.22.30
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1 1 udp 2122260223 127.0.22.30 51234 typ host
a=ice-ufrag:WxYz
a=ice-pwd:PawJZpTr+YgVYXBsI5apmBh8
a=ice-options:trickle
a=fingerprint:sha-256 D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:53:B1
a=setup:active
a=mid:0
a=sendrecv
a=rtcp-mux
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
"""


def offer_path():
    if not OFFER.exists():
        pytest.fail(f"{OFFER} is missing")
    return str(OFFER)


class Drive:
    """anchor_drive in the background; the fake MG registers once it listens."""

    def __init__(self, *args, mg=None):
        self.proc = subprocess.Popen([tool("anchor_drive"), "--address", MGC, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline()
        assert first.startswith("LISTENING"), first + self.proc.stderr.read()
        self.mg = mg

    def wait(self, timeout=30):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            pytest.fail(f"anchor_drive hung:\n{out}\n{err}")
        assert "ERROR: AddressSanitizer" not in err and "LeakSanitizer" not in err, err
        assert "runtime error" not in err, err
        return self.proc.returncode, out, err


def sdp_block(out, title):
    m = re.search(rf"--- SDP TOWARD {title} ---\n(.*?)--- END ---", out, re.S)
    assert m, f"no SDP toward {title} in:\n{out}"
    return m.group(1)


@pytest.fixture
def mg():
    m = FakeMG((MGC, 2944), MG, 2944, core_address=MG_CORE)
    yield m
    m.stop()


def start(mg, *args):
    d = Drive(*args, mg=mg)
    mg.start()
    assert mg.register(), "the MGC did not answer the ServiceChange"
    return d


def test_originating_call(tmp_path, mg):
    cap = Capture(tmp_path / "iq.pcap", f"udp port 2944 and host {MGC}")
    d = start(mg, "--offer", offer_path())
    rc, out, err = d.wait()
    pcap = cap.stop()
    assert rc == 0, out + err
    assert f"REGISTERED [{MG}]:2944" in out
    assert "STEP offer_from_wic ok 200" in out
    assert "STEP answer_from_ims ok 200" in out

    # the Add: W3 with the browser's offer as Remote and a $ template as Local, then RTP
    add = next(r for r in mg.requests if "Add = $" in r)
    assert "Context = $" in add
    assert f'wtpf/cid = "{CID}"' in add
    for line in ("a=ice-lite", "a=ice-ufrag:$", "a=ice-pwd:$", "a=fingerprint:sha-256 $",
                 "a=setup:active", "a=ice-ufrag:kNbi", "m=audio $ RTP/AVP"):
        assert line in add, line

    ims = sdp_block(out, "IMS")
    core_port = re.search(r"m=audio (\d+) RTP/AVP ", ims)
    assert core_port and int(core_port.group(1)) >= 50000, ims
    assert f"c=IN IP4 {MG_CORE}" in ims
    assert "RTP/AVP 0 8 126" in ims
    for banned in ("a=ice", "a=candidate", "a=fingerprint", "a=setup", "a=rtcp-mux", "a=mid",
                   "BUNDLE", "a=extmap", "a=ssrc", "a=msid", "opus", "SAVPF", "end-of-candidates"):
        assert banned not in ims, banned

    wic = sdp_block(out, "WIC")
    w3 = re.search(r"m=audio (\d+) UDP/TLS/RTP/SAVPF 0 126\n", wic)
    assert w3, wic
    port = w3.group(1)
    for line in ("a=ice-lite", "a=ice-ufrag:fk00", "a=ice-pwd:F4keMgPassw0rdF4keMg000",
                 f"a=fingerprint:sha-256 {FINGERPRINT}", "a=setup:active", "a=mid:0",
                 "a=rtcp-mux", "a=end-of-candidates", f"c=IN IP4 {MG}",
                 f"a=candidate:1 1 udp 2130706431 {MG} {port} typ host"):
        assert line in wic, line
    assert wic.index("a=ice-lite") < wic.index("m=audio")  # session level

    # the answer reached the AGW as the core Remote, then everything was released
    mod = next(r for r in mg.requests if "Modify" in r)
    assert "m=audio 30000 RTP/AVP 0 126" in mod and "Mode = SendReceive" in mod
    assert "RELEASED ok 1500 1498 1497 1501" in out
    assert mg.count("Subtract = *") == 1

    # tshark: MEGACO with SDP, nothing malformed
    assert tshark(pcap, "-d", "udp.port==2944,megaco", "-Y", "_ws.malformed") == ""
    frames = tshark(pcap, "-d", "udp.port==2944,megaco", "-Y", "megaco").splitlines()
    assert len(frames) >= 8, frames  # ServiceChange, Add, Modify, Subtract and their replies
    sdps = tshark(pcap, "-d", "udp.port==2944,megaco", "-Y", "sdp").splitlines()
    assert len(sdps) >= 3, sdps  # Add request, Add reply, Modify request
    cmds = tshark(pcap, "-d", "udp.port==2944,megaco", "-T", "fields", "-e", "megaco.command")
    for c in ("Add", "Modify", "Subtract", "ServiceChange"):
        assert c in cmds, cmds
    media = tshark(pcap, "-d", "udp.port==2944,megaco", "-T", "fields", "-e", "sdp.media.proto")
    assert "UDP/TLS/RTP/SAVPF" in media and "RTP/AVP" in media, media
    # the correlation id is part of the decoded Add, and tshark has no complaint at all
    detail = tshark(pcap, "-d", "udp.port==2944,megaco", "-Y", "megaco.command == \"Add\"", "-V")
    assert f'wtpf/cid = "{CID}"' in detail
    expert = tshark(pcap, "-d", "udp.port==2944,megaco", "-q", "-z", "expert")
    assert "Malformed" not in expert and "Error" not in expert, expert


def test_terminating_call(tmp_path, mg):
    answer = tmp_path / "wic-answer.sdp"
    answer.write_text(WIC_ANSWER.replace("\n", "\r\n"))
    d = start(mg, "--scenario", "terminating", "--answer", str(answer))
    rc, out, err = d.wait()
    assert rc == 0, out + err
    assert "STEP offer_from_ims ok 200" in out
    wic = sdp_block(out, "WIC")
    for line in ("UDP/TLS/RTP/SAVPF 8 0 101", "a=setup:actpass", "a=ice-lite", "a=mid:0",
                 f"a=fingerprint:sha-256 {FINGERPRINT}", "a=end-of-candidates"):
        assert line in wic, line
    assert "trickle" not in wic
    add = next(r for r in mg.requests if "Add = $" in r)
    assert add.index("RTP/AVP") < add.index("UDP/TLS/RTP/SAVPF")  # core termination first
    mod = next(r for r in mg.requests if "Modify" in r)
    assert "a=ice-ufrag:WxYz" in mod and "a=setup:active" in mod
    ims = sdp_block(out, "IMS")
    assert f"c=IN IP4 {MG_CORE}" in ims and "RTP/AVP 8 101" in ims
    assert "a=ice" not in ims and "a=fingerprint" not in ims
    assert "RELEASED ok" in out


def restart_later(m, ctx):
    time.sleep(0.2)
    m.service_change("Restart", "901 Cold Boot")


def test_agw_restart_ends_call(mg):
    mg.after["Modify"] = restart_later
    d = start(mg, "--offer", offer_path(), "--scenario", "wait-event")
    rc, out, err = d.wait()
    assert rc == 0, out + err
    assert "WAITING" in out
    assert re.search(rf"EVENT AGW_LOST {CID} AGW restarted \(cold boot\)", out), out
    assert mg.count("Subtract") == 0  # the AGW forgot the context; nothing to release


def go_silent(m, ctx):
    m.silent.update({"AuditValue", "Subtract", "Add", "Modify"})


def test_agw_silence_ends_call(mg):
    mg.after["Modify"] = go_silent
    d = start(mg, "--offer", offer_path(), "--scenario", "wait-event", "--audit", "200",
              "--request-timeout", "600")
    rc, out, err = d.wait()
    assert rc == 0, out + err
    assert re.search(rf"EVENT AGW_LOST {CID} keep-alive audit unanswered", out), out
    assert re.search(rf"AGW \[{MG}\]:2944 down", out), out


def test_add_timeout_is_503(mg):
    mg.silent.add("Add")
    d = start(mg, "--offer", offer_path(), "--request-timeout", "500")
    rc, out, err = d.wait()
    assert rc == 1, out + err
    assert "STEP offer_from_wic AGW did not answer 503 5" in out
    assert "DONE failed" in out
    assert mg.count("Add = $") >= 2  # retransmitted (H.248.1 Annex D.1)


def notify_later(m, ctx):
    time.sleep(0.1)
    m.notify(ctx, f"ip/access/{ctx}", "hangterm/thb")


def test_notify_reaches_call(mg):
    mg.after["Modify"] = notify_later
    d = start(mg, "--offer", offer_path(), "--scenario", "wait-event")
    rc, out, err = d.wait()
    assert rc == 0, out + err
    assert f"EVENT MEDIA {CID} hangterm/thb access" in out
    assert "RELEASED ok" in out
