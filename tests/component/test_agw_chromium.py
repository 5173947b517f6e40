"""One Iq-driven eims-agw call whose W3 side is a real RTCPeerConnection in headless Chromium.

The test MGC (iq_mgc.py) drives the real daemon; Chromium (DevTools protocol, a page served by a
tiny HTTP server on 127.0.0.1) captures its fake audio device, which plays a 600 Hz WAV file
(--use-file-for-fake-audio-capture; without it the fake device only beeps 20 ms every 500 ms),
and offers; the MGC Adds W3 (Remote = that offer) and RTP (Remote = the IMS phone, a UDP
socket) terminations; the answer given to Chromium is the AGW's Local (ice-lite, host candidate,
fingerprint, setup:active). ICE and DTLS-SRTP complete; the phone receives PCMU and finds the
600 Hz tone in it, sends 3 s of 1 kHz PCMU back, and Chromium's getStats() shows the inbound
audio (packetsReceived, audioLevel, totalAudioEnergy); a WebAudio analyser in the page measures
its frequency. Subtract's statistics must equal what each side sent.

As test_wtpf_browser.py does, everything runs in a fresh network namespace with only loopback
(`unshare -n`): this file re-runs itself there as a script (daemon, MGC, phone, Chromium)."""
import asyncio
import http.server
import json
import math
import os
import pathlib
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave

import pytest

HERE = pathlib.Path(__file__).resolve().parent
BROWSER_TONE = 600   # Hz, the WAV file Chromium's fake microphone plays
PHONE_TONE = 1000    # Hz, what the IMS socket sends
PHONE_PACKETS = 150  # 3 s of 20 ms PCMU
ADMIN_PORT = 9191


def test_chromium_call_through_iq_driven_agw(tmp_path):
    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed (scripts/debian-packages.txt)")
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("unshare and ip (util-linux, iproute2) are required")
    cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
           "/usr/bin/python3", __file__, str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env=dict(os.environ))
    try:
        out, _ = proc.communicate(timeout=80)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"scenario timed out:\n{out[-6000:]}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # nothing of it may outlive the test
        except ProcessLookupError:
            pass
    print(out)
    assert proc.returncode == 0, f"scenario failed:\n{out[-8000:]}"
    assert "SCENARIO OK" in out, out[-8000:]


# ---------------------------------------------------------------------------------------------
# The scenario, run as a script inside the namespace.

PAGE = r"""<!doctype html>
<meta charset="utf-8"><title>agw-chromium</title>
<body><script>
window.notes = [];
window.freqs = [];
let pc = null;
async function makeOffer() {
  const stream = await navigator.mediaDevices.getUserMedia({audio: {
    echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
  pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc;
  pc.addTrack(stream.getAudioTracks()[0], stream);
  pc.ontrack = (ev) => {
    const ms = new MediaStream([ev.track]);
    const a = document.createElement('audio');
    a.autoplay = true;
    a.srcObject = ms;
    document.body.appendChild(a);
    a.play().catch((e) => notes.push('play: ' + e));
    try {
      const ctx = new AudioContext();
      const an = ctx.createAnalyser();
      an.fftSize = 8192;
      ctx.createMediaStreamSource(ms).connect(an);
      const buf = new Float32Array(an.frequencyBinCount);
      setInterval(() => {
        an.getFloatFrequencyData(buf);
        let k = 1;
        for (let i = 2; i < buf.length; i++) if (buf[i] > buf[k]) k = i;
        if (buf[k] > -80) freqs.push([k * ctx.sampleRate / an.fftSize, buf[k]]);
      }, 100);
    } catch (e) { notes.push('analyser: ' + e); }
  };
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((done) => {
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') done();
      });
      setTimeout(done, 5000);
    });
  }
  return pc.localDescription.sdp;
}
async function accept(sdp) {
  await pc.setRemoteDescription({type: 'answer', sdp: sdp});
  return pc.signalingState;
}
async function stats() {
  const r = await pc.getStats();
  const o = {connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState};
  r.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') o.inbound = s;
    if (s.type === 'outbound-rtp' && s.kind === 'audio') o.outbound = s;
    if (s.type === 'transport') o.transport = s;
    if (s.type === 'codec') (o.codecs = o.codecs || []).push(s.mimeType + '/' + s.payloadType);
  });
  if (o.transport && o.transport.selectedCandidatePairId) {
    o.pair = r.get(o.transport.selectedCandidatePairId);
    o.local = r.get(o.pair.localCandidateId);
    o.remote = r.get(o.pair.remoteCandidateId);
  }
  return JSON.parse(JSON.stringify(o));
}
window.ready = true;
</script></body>
"""


def write_tone_wav(path, freq, seconds=4, rate=48000):
    """The fake microphone's input: a steady sine (Chromium loops the file)."""
    n = seconds * rate
    frames = struct.pack(f"<{n}h", *(int(9000 * math.sin(2 * math.pi * freq * i / rate))
                                     for i in range(n)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


def serve_page():
    body = PAGE.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def crlf(sdp):
    return "".join(line + "\r\n" for line in re.split(r"\r?\n", sdp) if line)


def rms(samples):
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


async def scenario(tmp):
    sys.path.insert(0, str(HERE))
    from conftest import Node
    from iq_mgc import Mgc, sdp_lines, term_ids
    from test_agw_iq import AGW, MGC, PROFILE, RTP, agw_conf
    from test_agw_iq_media import PHONE, add_rtp, add_w3, phone_sdp, stats_of, w3_template
    from test_agw_media import ImsPeer, dominant_frequency
    from test_wtpf_browser import Chromium

    class FakeMicChromium(Chromium):
        """test_wtpf_browser's DevTools driver, the fake microphone reading a WAV file."""

        def __init__(self, tmp, wav):
            self.tmp = tmp
            self.profile = pathlib.Path(tempfile.mkdtemp(prefix="chromium-", dir=tmp))
            self.log = open(tmp / "chromium.log", "w")
            self.proc = subprocess.Popen(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-audio-capture={wav}",
                 "--allow-loopback-in-peer-connection",
                 "--disable-features=WebRtcHideLocalIpsWithMdns",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "about:blank"],
                stdout=self.log, stderr=subprocess.STDOUT,
                preexec_fn=lambda: __import__("ctypes").CDLL("libc.so.6").prctl(1, signal.SIGKILL))
            self.ws = None
            self.seq = 0

    wav = tmp / "tone.wav"
    write_tone_wav(wav, BROWSER_TONE)
    mgc = Mgc(MGC, profile=PROFILE)
    node = Node("eims-agw", agw_conf(port_min=40600, port_max=40699, no_media=0,
                                     admin=ADMIN_PORT), tmp, admin=f"{AGW}:{ADMIN_PORT}")
    await asyncio.to_thread(node.start)
    ims = ImsPeer(PHONE)
    srv = serve_page()
    browser = FakeMicChromium(tmp, wav)
    report = {}
    try:
        await asyncio.to_thread(mgc.registered)
        await browser.start()
        await browser.cmd("Page.navigate", url=f"http://127.0.0.1:{srv.server_address[1]}/")
        await browser.wait_js("document.readyState === 'complete' && window.ready === true")

        # Chromium offers; the offer is the W3 Remote; the AGW's Local is the answer
        offer = await browser.js("makeOffer()")
        assert "a=candidate" in offer and " 0 " in re.search(r"m=audio .*", offer).group(0), offer
        mid = re.search(r"^a=mid:(\S+)", offer, re.M).group(1)
        remote = "\n".join(sdp_lines(offer)).replace("}", "\\}") + "\n"
        rep = await asyncio.to_thread(mgc.request, add_w3(w3_template("$", mid), remote,
                                                          cid="chromium-1"))
        assert rep.errors() == [], rep
        ctx, w3 = rep.contexts()[0], term_ids(rep)[0]
        answer = rep.locals()[0]
        for want in ("a=ice-lite", "a=setup:active", "a=end-of-candidates"):
            assert want in sdp_lines(answer), answer
        assert re.search(r"^a=candidate:\S+ 1 udp \d+ 127\.0\.21\.52 \d+ typ host$", answer, re.M)
        assert re.search(r"^a=fingerprint:sha-256 [0-9A-F:]{95}$", answer, re.M), answer
        rep = await asyncio.to_thread(mgc.request, add_rtp(
            "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\na=rtpmap:0 PCMU/8000\n", phone_sdp(ims),
            ctx=ctx))
        assert rep.errors() == [], rep
        rtp = term_ids(rep)[0]
        dest = (RTP, int(re.search(r"^m=audio (\d+) RTP/AVP", rep.locals()[0], re.M).group(1)))
        t0 = time.time()
        state = await browser.js(f"accept({json.dumps(crlf(answer))})")
        assert state == "stable", state
        report["answer_accepted"] = True

        # ICE (Chromium controlling, the AGW ice-lite) and DTLS (AGW client) complete
        deadline = time.time() + 15
        while True:
            st = await browser.js("stats()")
            dtls_ok = await asyncio.to_thread(node.metric, "agw_dtls_handshakes_total",
                                              'result="ok"')
            if st["connectionState"] == "connected" and dtls_ok >= 1:
                break
            assert st["connectionState"] not in ("failed", "closed"), st
            assert time.time() < deadline, f"not connected: {st}\n" + node.log.read_text()[-3000:]
            await asyncio.sleep(0.1)
        report["connect_s"] = round(time.time() - t0, 2)

        # the phone sends 3 s of 1 kHz while collecting Chromium's 600 Hz
        first = None
        sending = asyncio.ensure_future(ims.asend_tone(dest, PHONE_TONE, PHONE_PACKETS))
        await asyncio.sleep(1.0)
        first = await browser.js("stats()")
        await sending
        await asyncio.sleep(0.5)
        mid_call = await browser.js("stats()")
        # Chromium stops sending (no track: no RTP), then the counts are final
        await browser.js("pc.getSenders()[0].track.stop(), "
                         "pc.getSenders()[0].replaceTrack(null).then(() => true)")
        await asyncio.sleep(0.6)
        ims.drain()
        final = await browser.js("stats()")
        await asyncio.sleep(0.4)
        ims.drain()
        final2 = await browser.js("stats()")
        freqs = await browser.js("window.freqs")
        notes = await browser.js("window.notes")
        rep = await asyncio.to_thread(mgc.request, f"  Context = {ctx} {{ Subtract = * }}")
        assert rep.errors() == [], rep
        sw3, srtp = stats_of(rep, w3), stats_of(rep, rtp)
        dtls_ok = await asyncio.to_thread(node.metric, "agw_dtls_handshakes_total",
                                          'result="ok"')

        samples = ims.samples(0)
        pts = {p for p, _, _ in ims.received}
        tr, pair = final["transport"], final.get("pair") or {}
        report.update({
            "chromium": {
                "selected_pair": {
                    "local": f"{final['local']['address']}:{final['local']['port']} "
                             f"{final['local']['candidateType']} {final['local']['protocol']}",
                    "remote": f"{final['remote']['address']}:{final['remote']['port']} "
                              f"{final['remote']['candidateType']}",
                    "state": pair.get("state"), "nominated": pair.get("nominated"),
                    "rtt": pair.get("currentRoundTripTime")},
                "transport": {k: tr.get(k) for k in (
                    "dtlsState", "dtlsRole", "iceRole", "iceState", "tlsVersion", "dtlsCipher",
                    "srtpCipher", "selectedCandidatePairChanges")},
                "codecs": final.get("codecs"),
                "inbound_at_1s": {k: first["inbound"].get(k) for k in (
                    "packetsReceived", "audioLevel", "totalAudioEnergy")},
                "inbound": {k: final["inbound"].get(k) for k in (
                    "packetsReceived", "packetsLost", "jitter", "audioLevel", "totalAudioEnergy",
                    "totalSamplesReceived", "concealedSamples")},
                "inbound_audioLevel_mid_call": mid_call["inbound"].get("audioLevel"),
                "outbound_packetsSent": final["outbound"].get("packetsSent"),
                "outbound_packetsSent_later": final2["outbound"].get("packetsSent"),
                "analyser_peak_hz": sorted(f for f, _ in freqs)[len(freqs) // 2] if freqs else None,
                "analyser_samples": len(freqs),
                "notes": notes},
            "ims": {"received": len(ims.received), "pts": sorted(pts), "sent": ims.sent,
                    "tone_hz": dominant_frequency(samples) if len(samples) >= 800 else None,
                    "rms": round(rms(samples), 1)},
            "subtract": {"w3": sw3, "rtp": srtp},
            "dtls_ok": dtls_ok,
        })
        print("RESULT " + json.dumps(report), flush=True)

        c = report["chromium"]
        # what Chromium negotiated with the AGW
        assert tr["dtlsState"] == "connected" and tr["srtpCipher"], tr
        assert tr["dtlsRole"] == "server" and tr["iceRole"] == "controlling", tr
        assert final["remote"]["address"] == "127.0.21.52", final["remote"]
        assert pair.get("state") == "succeeded" and pair.get("nominated"), pair
        assert dtls_ok == 1
        # browser -> IMS: PCMU carrying the fake microphone's tone
        assert pts == {0}, pts
        assert len(ims.received) >= 100, report
        assert report["ims"]["rms"] > 1000, report
        assert abs(report["ims"]["tone_hz"] - BROWSER_TONE) < 15, report
        # IMS -> browser: packets arrive, with audio energy
        assert first["inbound"]["packetsReceived"] > 0
        assert final["inbound"]["packetsReceived"] > first["inbound"]["packetsReceived"]
        assert final["inbound"]["packetsReceived"] == ims.sent == PHONE_PACKETS, report
        assert final["inbound"]["totalAudioEnergy"] > 0, report
        assert mid_call["inbound"]["audioLevel"] > 0 or first["inbound"]["audioLevel"] > 0, report
        # Subtract: every packet either side sent crossed both terminations
        sent = final["outbound"]["packetsSent"]
        assert final2["outbound"]["packetsSent"] == sent, "Chromium still sends"
        assert sw3["rtp/pr"] == sent == srtp["rtp/ps"] == len(ims.received), report
        assert srtp["rtp/pr"] == ims.sent == sw3["rtp/ps"], report
        assert sw3["nt/or"] == srtp["nt/os"] == 172 * len(ims.received), report
        assert srtp["nt/or"] == sw3["nt/os"] == 172 * ims.sent, report
        assert sw3["wtpf/lr"] == 0 and srtp["wtpf/lr"] == 0 and sw3["rtp/pl"] == 0, report
        if c["analyser_samples"] >= 5:  # WebAudio runs in this headless build
            assert abs(c["analyser_peak_hz"] - PHONE_TONE) < 20, report
        print("SCENARIO OK", flush=True)
    finally:
        await browser.close()
        srv.shutdown()
        srv.server_close()
        ims.close()
        mgc.close()
        await asyncio.to_thread(node.stop)  # SIGTERM; asserts exit 0 (ASan: no leak, no error)
        log = node.log.read_text()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            assert bad not in log, log[-4000:]


if __name__ == "__main__":
    os.environ.setdefault("BUILD", "build")
    asyncio.run(asyncio.wait_for(scenario(pathlib.Path(sys.argv[1])), 55))
