"""End-to-end scenarios over the whole lab, run as a script inside a fresh network namespace with
only loopback (tests/e2e/conftest.run_in_netns):  lab_run.py SCENARIO TMPDIR LABDIR
Prints "SCENARIO OK" once the scenario passed and every node exited cleanly (exit code 0 after
SIGTERM, which under ASan also means no leak)."""
import asyncio
import json
import pathlib
import re
import sys
import time

from e2e_lab import (ORDER, PAGE, PHONE1, PHONE2, WIC_HTTP, Lab, Phone, correlation_ids,
                     wav_analysis)
from wic_client import Media, WicClient

WIC_TONE = 440      # wic_client.ToneTrack
PHONE_TONE = 1000   # Phone(tone=...)


async def login(user):
    return await WicClient(WIC_HTTP, user, f"{user}-lab").connect()


def start_phone(lab, name="p201", number="+33150000201", ip=PHONE1, tone=PHONE_TONE, **kw):
    before = lab.health("pcscf")["bindings"]
    ph = Phone(lab.tmp, name, number, f"phone{number[-3:]}-lab", ip, tone=tone, **kw)
    lab.phones.append(ph)
    # REGISTER_OK may come before the ctrl_tcp connection: the registrar is what counts
    deadline = time.time() + 10
    while lab.health("pcscf")["bindings"] <= before:
        assert time.time() < deadline, f"{name} not registered:\n{ph.logtext()}"
        time.sleep(0.05)
    return ph


def check_recording(phone, freq=WIC_TONE, min_loud=0.5, min_share=0.5):
    """The phone's last recording of received audio holds the tone `freq` (or, freq=None, any
    sound in at least min_loud of its 20 ms blocks)."""
    recs = phone.recordings("dec")
    assert recs, f"{phone.name}: no recording of received audio in {phone.dir}"
    secs, loud, share = wav_analysis(recs[-1], freq)
    print(f"{phone.name} received {secs:.1f} s of audio, {loud:.0%} loud, "
          f"{share:.0%} of the energy at {freq} Hz", flush=True)
    assert secs > 1 and loud >= min_loud, (secs, loud)
    if freq:
        assert share >= min_share, f"{phone.name}: {freq} Hz is only {share:.0%} of the energy"


def check_correlation(lab, marker, need=("wtpf", "pcscf", "eims-agw")):
    """One correlation id for the call logged by `marker` in the wtpf appears in the other
    nodes' logs; returns the nodes where it appears."""
    cids = correlation_ids(lab.log("wtpf"), marker)
    assert len(cids) == 1, f"correlation ids for {marker!r}: {cids}"
    cid = cids.pop()
    found = [n for n in ORDER if cid in lab.log(n)]
    print(f"correlation id {cid} logged by: {', '.join(found)}", flush=True)
    for n in need:
        assert n in found, f"correlation id {cid} is not in the {n} log"
    return cid, found


# ---- 1. WIC to WIC through IMS --------------------------------------------------------------

def agw_w3_to_w3_packets(lab):
    return lab.metric("eims-agw", "agw_packets_total", 'direction="w3_to_w3"')


async def wic_wic(lab, tmp, correlation=True):
    alice, bob = await login("alice"), await login("bob")
    am, bm = Media(), Media()
    try:
        before = agw_w3_to_w3_packets(lab)
        await alice.send(type="call", id="ww-1", to="+33140000102", sdp=await am.offer())
        inc = await bob.expect("incoming", timeout=10)
        assert inc["from"] == "tel:+33140000101", inc
        # anchored on both legs (DESIGN.md): each browser gets the AGW's WebRTC SDP, never the
        # other browser's (one context, two W3 terminations)
        assert "c=IN IP4 127.0.10.3" in inc["sdp"] and "a=ice-lite" in inc["sdp"], inc["sdp"]
        await bob.send(type="answer", id=inc["id"], sdp=await bm.answer(inc["sdp"]))
        ans = await alice.expect("answered", "ww-1", timeout=10)
        assert "c=IN IP4 127.0.10.3" in ans["sdp"] and "a=ice-lite" in ans["sdp"], ans["sdp"]
        fp = re.compile(r"^a=fingerprint:sha-256 (\S+)", re.M)
        assert fp.search(ans["sdp"]).group(1) == fp.search(inc["sdp"]).group(1)  # the AGW's
        assert lab.metric("eims-agw", "agw_terminations", 'kind="w3"') == 2
        await am.accept(ans["sdp"])
        assert await am.heard(timeout=15), f"alice hears nothing ({am.frames} frames)"
        assert await bm.heard(timeout=15), f"bob hears nothing ({bm.frames} frames)"
        relayed = agw_w3_to_w3_packets(lab) - before
        print(f"alice heard {am.loud_frames} tone frames, bob {bm.loud_frames}; the AGW relayed "
              f"{relayed:.0f} packets W3 to W3", flush=True)
        # both tones crossed the AGW: at least the frames the two sides heard
        assert relayed >= am.loud_frames + bm.loud_frames, (relayed, am.loud_frames,
                                                             bm.loud_frames)
        await alice.send(type="hangup", id="ww-1")
        e = await alice.expect("ended", "ww-1", timeout=10)
        assert e["code"] == 200 and e["reason"] == "local hangup", e
        e = await bob.expect("ended", inc["id"], timeout=10)
        assert e["reason"] == "remote hangup", e
        # the call left the wtpf and came back through the pcscf
        pc = lab.log("pcscf")
        assert "INVITE sip:+33140000102@" in pc, pc[-3000:]
        # the pcscf subtracted the context of both W3 terminations
        for _ in range(50):
            if lab.metric("eims-agw", "agw_contexts") == 0:
                break
            await asyncio.sleep(0.1)
        assert lab.metric("eims-agw", "agw_contexts") == 0, "the AGW context is still there"
        assert re.search(r"Context = \d+ subtracted; packets W3 sent [1-9]\d* received [1-9]\d*, "
                         r"far W3 sent [1-9]\d* received [1-9]\d*", lab.log("pcscf")), \
            lab.log("pcscf")[-3000:]
        if correlation:
            # the call's correlation id is in the wtpf, pcscf and AGW logs (the hss-stub has
            # nothing per call)
            check_correlation(lab, "outgoing call ww-1:")
    finally:
        for x in (am, bm):
            await x.close()
        for c in (alice, bob):
            await c.close()


# ---- 2. WIC calls the IMS phone -------------------------------------------------------------

async def wic_calls_phone(lab, phone, client, call_id, to="0150000201", hangup_by="wic"):
    media = Media()
    try:
        t0 = time.time()
        await client.send(type="call", id=call_id, to=to, sdp=await media.offer())
        ans = await client.expect("answered", call_id, timeout=15)
        print(f"{call_id}: answered in {(time.time() - t0) * 1000:.0f} ms", flush=True)
        assert "UDP/TLS/RTP/SAVPF" in ans["sdp"] and "a=fingerprint" in ans["sdp"], ans["sdp"]
        assert "c=IN IP4 127.0.10.3" in ans["sdp"], "answer not anchored in the AGW:\n" + ans["sdp"]
        await media.accept(ans["sdp"])
        assert await phone.event("CALL_ESTABLISHED", 10), phone.logtext()
        assert await media.heard(frames=50, timeout=15), \
            f"the WIC hears nothing from the phone ({media.frames} frames)"
        await asyncio.sleep(1.5)
        if hangup_by == "wic":
            await client.send(type="hangup", id=call_id)
            e = await client.expect("ended", call_id, timeout=10)
            assert e["reason"] == "local hangup", e
            assert await phone.event("CALL_CLOSED", 10), phone.logtext()
        else:
            r = await asyncio.to_thread(phone.command, "hangup")
            assert r and r.get("ok"), r
            e = await client.expect("ended", call_id, timeout=10)
            assert e["reason"] == "remote hangup", e
            assert await phone.event("CALL_CLOSED", 10), phone.logtext()
        await asyncio.sleep(0.3)  # the recording is closed with the call
        check_recording(phone, WIC_TONE)
    finally:
        await media.close()


async def wic_phone(lab, tmp):
    phone = start_phone(lab)
    alice = await login("alice")
    try:
        await wic_calls_phone(lab, phone, alice, "wp-1", hangup_by="wic")
        cid, found = check_correlation(lab, "outgoing call wp-1:")
        await wic_calls_phone(lab, phone, alice, "wp-2", hangup_by="phone")
        assert lab.nodes["pcscf"].metric("pcscf_dialogs") == 0
    finally:
        await alice.close()


# ---- 3. The IMS phone calls a WIC user ------------------------------------------------------

async def phone_calls_wic(lab, phone, to_number, answerer, others=(), expect_from="+33150000201",
                          hangup_by="phone", ring_first=0.0):
    """The phone dials; `answerer` (after `ring_first` s of ringing) answers with aiortc; the
    `others` must be told the call ended elsewhere."""
    r = await asyncio.to_thread(phone.command, "dial", f"sip:{to_number}@ims.lab")
    assert r and r.get("ok"), r
    inc = await answerer.expect("incoming", timeout=15 + ring_first)
    assert expect_from in inc["from"], inc
    assert "UDP/TLS/RTP/SAVPF" in inc["sdp"] and "c=IN IP4 127.0.10.3" in inc["sdp"], inc["sdp"]
    incs = [await o.expect("incoming", timeout=10) for o in others]
    media = Media()
    try:
        await answerer.send(type="answer", id=inc["id"], sdp=await media.answer(inc["sdp"]))
        assert await phone.event("CALL_ESTABLISHED", 10), phone.logtext()
        for o, i in zip(others, incs):
            e = await o.expect("ended", i["id"], timeout=10)
            assert "elsewhere" in e["reason"], e
        assert await media.heard(frames=50, timeout=15), \
            f"{answerer.user} hears nothing from the phone ({media.frames} frames)"
        await asyncio.sleep(1.5)
        if hangup_by == "phone":
            r = await asyncio.to_thread(phone.command, "hangup")
            assert r and r.get("ok"), r
            e = await answerer.expect("ended", inc["id"], timeout=10)
            assert e["reason"] == "remote hangup", e
        else:
            await answerer.send(type="hangup", id=inc["id"])
            await answerer.expect("ended", inc["id"], timeout=10)
        assert await phone.event("CALL_CLOSED", 10), phone.logtext()
        await asyncio.sleep(0.3)
        check_recording(phone, WIC_TONE)
        return inc
    finally:
        await media.close()


async def phone_wic(lab, tmp):
    phone = start_phone(lab)
    alice = await login("alice")
    try:
        await phone_calls_wic(lab, phone, "+33140000101", alice, hangup_by="phone")
        await phone_calls_wic(lab, phone, "+33140000101", alice, hangup_by="wic")
    finally:
        await alice.close()


# ---- 4. Third-party services through the whole chain ---------------------------------------

def divert_alice_to_bob(name, text):
    if name != "wtpf":
        return text
    old = 'number = "+33140000101"; }'
    assert old in text, "etc/lab wtpf.conf changed: alice's entry not found"
    return text.replace(old, 'number = "+33140000101";\n    diversion = { no_answer = "bob"; '
                        "no_answer_timeout = 2; }; }")


async def services(lab, tmp):
    phone = start_phone(lab)
    alice, bob = await login("alice"), await login("bob")
    try:
        # number transformation: alice dials the short extension 102; the INVITE that leaves the
        # wtpf and comes back through the pcscf is for +33140000102
        am = Media()
        await alice.send(type="call", id="tr-1", to="102", sdp=await am.offer())
        inc = await bob.expect("incoming", timeout=10)
        assert inc["from"] == "tel:+33140000101", inc
        await bob.send(type="reject", id=inc["id"])
        e = await alice.expect("ended", "tr-1", timeout=10)
        print("transformed call rejected by bob:", e, flush=True)
        assert e["code"] == 486, e
        await am.close()
        cid, _ = check_correlation(lab, "outgoing call tr-1:", need=("wtpf", "pcscf"))
        pc = [l for l in lab.log("pcscf").splitlines() if cid in l and "INVITE sip:" in l]
        assert pc and all("+33140000102@" in l for l in pc), pc
        # national numbers: 0150000201 -> +33150000201 is wic_phone's dialled number

        # diversion on no answer: the phone calls alice, who does not answer in 2 s; the call
        # is diverted to bob, who answers
        r = await asyncio.to_thread(phone.command, "dial", "sip:+33140000101@ims.lab")
        assert r and r.get("ok"), r
        inc_a = await alice.expect("incoming", timeout=10)
        t0 = time.time()
        e = await alice.expect("ended", inc_a["id"], timeout=10)
        print(f"alice stops ringing after {time.time() - t0:.1f} s: {e}", flush=True)
        inc_b = await bob.expect("incoming", timeout=10)
        print("diverted to bob:", {k: v for k, v in inc_b.items() if k != "sdp"}, flush=True)
        assert "+33150000201" in inc_b["from"], inc_b
        bm = Media()
        try:
            await bob.send(type="answer", id=inc_b["id"], sdp=await bm.answer(inc_b["sdp"]))
            assert await phone.event("CALL_ESTABLISHED", 10), phone.logtext()
            assert await bm.heard(frames=50, timeout=15), f"bob hears nothing ({bm.frames})"
            await asyncio.sleep(1.5)
            r = await asyncio.to_thread(phone.command, "hangup")
            assert r and r.get("ok"), r
            await bob.expect("ended", inc_b["id"], timeout=10)
            assert await phone.event("CALL_CLOSED", 10), phone.logtext()
            await asyncio.sleep(0.3)
            check_recording(phone, WIC_TONE)
        finally:
            await bm.close()

        # simultaneous ringing: the phone calls the call centre; alice and bob ring, bob
        # answers, alice is told the call was answered elsewhere
        await phone_calls_wic(lab, phone, "+33140000100", bob, others=(alice,))
        rang = [m["id"] for m in alice.history if m["type"] == "incoming"]
        assert len(rang) == 2, f"alice rang {len(rang)} times: {rang}"
    finally:
        for c in (alice, bob):
            await c.close()


def divert_bob_to_phone(name, text):
    if name != "wtpf":
        return text
    old = 'number = "+33140000102"; }'
    assert old in text, "etc/lab wtpf.conf changed: bob's entry not found"
    return text.replace(old, 'number = "+33140000102";\n    diversion = { no_answer = '
                        '"+33150000202"; no_answer_timeout = 2; }; }')


async def divert_to_ims(lab, tmp, media=False):
    """Diversion out of the wtpf: phone 201 calls bob, who does not answer; the wtpf diverts
    the call to the IMS phone 202 (a new INVITE with History-Info through the pcscf)."""
    p1 = start_phone(lab)
    p2 = start_phone(lab, "p202", "+33150000202", PHONE2, tone=600, rtp_ports="30100-30199")
    bob = await login("bob")
    try:
        r = await asyncio.to_thread(p1.command, "dial", "sip:+33140000102@ims.lab")
        assert r and r.get("ok"), r
        inc = await bob.expect("incoming", timeout=10)
        e = await bob.expect("ended", inc["id"], timeout=10)
        print("bob stops ringing:", e, flush=True)
        assert await p2.event("CALL_ESTABLISHED", 10), p2.logtext()
        assert await p1.event("CALL_ESTABLISHED", 10), p1.logtext()
        await asyncio.sleep(2.5)
        r = await asyncio.to_thread(p1.command, "hangup")
        assert r and r.get("ok"), r
        assert await p1.event("CALL_CLOSED", 10), p1.logtext()
        assert await p2.event("CALL_CLOSED", 10), p2.logtext()
        await asyncio.sleep(0.3)
        if media:
            check_recording(p2, PHONE_TONE)
            check_recording(p1, 600)
    finally:
        await bob.close()


async def divert_to_ims_media(lab, tmp):
    await divert_to_ims(lab, tmp, media=True)


# ---- 2 and 6. A browser (the wtpf's WIC page) calls the IMS phone --------------------------

async def browser_phone(lab, tmp, kind):
    from test_wtpf_browser import Chromium, Firefox
    phone = start_phone(lab)
    browser = Chromium(tmp) if kind == "chromium" else Firefox(tmp)
    try:
        await browser.start()
        await browser.navigate(PAGE)
        await browser.js("(() => { document.getElementById('user').value = 'alice';"
                         " document.getElementById('password').value = 'alice-lab';"
                         " document.getElementById('login').requestSubmit(); return true; })()")
        await browser.wait_js("window.wic.status === 'ready'")
        for n, hangup_by in enumerate(("browser", "phone")):
            t0 = time.time()
            await browser.js("(() => { document.getElementById('number').value = '0150000201';"
                             " document.getElementById('dial').requestSubmit(); return true; })()")
            await browser.wait_js("window.wic.snapshot().calls.some(c => c.state === 'connected'"
                                  " && c.media === 'connected')", timeout=30)
            print(f"{kind}: call {n + 1} connected with media in {time.time() - t0:.1f} s",
                  flush=True)
            cid = await browser.js("window.wic.snapshot().calls.find(c => c.state === "
                                   "'connected').id")
            assert await phone.event("CALL_ESTABLISHED", 10), phone.logtext()
            q = json.dumps(cid)
            await browser.wait_js(f"window.wic.stats({q}).then(s => s.packetsReceived > 50"
                                  " && s.audioLevel > 0.01)", timeout=20)
            await asyncio.sleep(2)
            stats = await browser.js(f"window.wic.stats({q})")
            print(f"{kind} stats: {stats}", flush=True)
            assert stats["bytesSent"] > 0, stats
            if hangup_by == "browser":
                await browser.js(f"document.querySelector('tr[data-id={q}] button.hangup')"
                                 ".click() || true")
                assert await phone.event("CALL_CLOSED", 10), phone.logtext()
            else:
                r = await asyncio.to_thread(phone.command, "hangup")
                assert r and r.get("ok"), r
                assert await phone.event("CALL_CLOSED", 10), phone.logtext()
            await browser.wait_js(f"window.wic.snapshot().calls.find(c => c.id === {q})"
                                  ".state === 'ended'")
            await asyncio.sleep(0.3)
            # the browsers' fake microphones: Chromium beeps, Firefox plays a 1 kHz tone
            check_recording(phone, None, min_loud=0.03)
        # 3 with a browser: the phone calls alice, the page rings and she answers
        r = await asyncio.to_thread(phone.command, "dial", "sip:+33140000101@ims.lab")
        assert r and r.get("ok"), r
        await browser.wait_js("window.wic.snapshot().calls.some(c => c.state === 'incoming')",
                              timeout=15)
        inc = next(c for c in (await browser.js("window.wic.snapshot()"))["calls"]
                   if c["state"] == "incoming")
        assert "+33150000201" in inc["peer"], inc
        q = json.dumps(inc["id"])
        await browser.js(f"document.querySelector('tr[data-id={q}] button.answer').click() || true")
        assert await phone.event("CALL_ESTABLISHED", 15), phone.logtext()
        await browser.wait_js(f"window.wic.stats({q}).then(s => s.packetsReceived > 50"
                              " && s.audioLevel > 0.01)", timeout=20)
        await asyncio.sleep(2)
        print(f"{kind} answered the phone: {await browser.js(f'window.wic.stats({q})')}",
              flush=True)
        r = await asyncio.to_thread(phone.command, "hangup")
        assert r and r.get("ok"), r
        assert await phone.event("CALL_CLOSED", 10), phone.logtext()
        await browser.wait_js(f"window.wic.snapshot().calls.find(c => c.id === {q})"
                              ".state === 'ended'")
        await asyncio.sleep(0.3)
        check_recording(phone, None, min_loud=0.03)
    finally:
        await browser.close()


async def chromium_phone(lab, tmp):
    await browser_phone(lab, tmp, "chromium")


async def firefox_phone(lab, tmp):
    await browser_phone(lab, tmp, "firefox")


# ---- 7. One run with every kind of call, captured ------------------------------------------

async def capture(lab, tmp):
    await wic_wic(lab, tmp, correlation=False)
    phone = start_phone(lab)
    alice = await login("alice")
    try:
        await wic_calls_phone(lab, phone, alice, "cap-1", hangup_by="phone")
        await phone_calls_wic(lab, phone, "+33140000101", alice, hangup_by="wic")
    finally:
        await alice.close()


SCENARIOS = {
    "wic_wic": (wic_wic, None, False),
    "wic_phone": (wic_phone, None, False),
    "phone_wic": (phone_wic, None, False),
    "services": (services, divert_alice_to_bob, False),
    "divert_to_ims": (divert_to_ims, divert_bob_to_phone, True),
    "divert_to_ims_media": (divert_to_ims_media, divert_bob_to_phone, False),
    "chromium_phone": (chromium_phone, None, False),
    "firefox_phone": (firefox_phone, None, False),
    "capture": (capture, None, True),
}


async def main(name, tmp, labdir):
    fn, edit, cap = SCENARIOS[name]
    lab = Lab(tmp, labdir, capture=cap, edit=edit)
    lab.phones = []
    try:
        await asyncio.to_thread(lab.start)
        await asyncio.wait_for(fn(lab, tmp), 100)
    finally:
        for ph in lab.phones:
            await asyncio.to_thread(ph.stop)
        await asyncio.to_thread(lab.stop)


if __name__ == "__main__":
    name, tmp, labdir = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    t0 = time.time()
    asyncio.run(main(name, tmp, labdir))
    print(f"scenario {name} ({labdir}) took {time.time() - t0:.1f} s")
    print("SCENARIO OK", flush=True)
