"""wtpf, W8 side: registration (RFC 6140 GIN) and static mode toward a SIP peer standing in for
the pcscf (sip_peer.py), and calls in both directions between aiortc WICs (wic_client.py) and
that peer, whose SDP answers and offers come from another aiortc end so that audio really
flows through the SDP the wtpf passes unchanged."""
import asyncio
import re
import time

import pytest

from conftest import Node
from sip_peer import SipPeer, uri_of
from wic_client import Media, WicClient, http_json, wtpf_conf

WTPF = "127.0.21.1"
PEER = "127.0.21.2"
HTTP = (WTPF, 8080)


class Lab:
    """The wtpf, the SIP peer, and logged-in WICs, inside one asyncio loop."""

    def __init__(self, tmp_path, mode="registration", **conf):
        self.tmp, self.mode, self.conf = tmp_path, mode, conf
        self.clients, self.media = [], []

    async def __aenter__(self):
        self.peer = await SipPeer(PEER, 5060, (WTPF, 5060)).start()
        self.node = Node("wtpf", wtpf_conf(self.tmp, mode=self.mode, **self.conf), self.tmp,
                         admin=f"{WTPF}:9090")
        await asyncio.to_thread(self.node.start)
        if self.mode == "registration":
            await self.until(lambda: self.peer.bnc_contact() is not None)
            await self.until(lambda: self.node.metric("wtpf_registration_state") == 1)
        return self

    async def __aexit__(self, *exc):
        for c in self.clients:
            try:
                await c.close()
            except Exception:
                pass
        for m in self.media:
            await m.close()
        if self.node.proc is not None:
            alive = self.node.alive()
            await asyncio.to_thread(self.node.stop)
            assert alive, "wtpf died"
        self.peer.stop()

    async def stop_node(self):
        """SIGTERM, and a clean exit asserted."""
        await asyncio.to_thread(self.node.stop)
        self.node.proc = None

    async def until(self, cond, timeout=8, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    async def wic(self, user):
        c = await WicClient(HTTP, user, f"{user}-lab").connect()
        self.clients.append(c)
        return c

    def new_media(self):
        m = Media()
        self.media.append(m)
        return m


def run(coro, timeout=90):
    asyncio.run(asyncio.wait_for(coro, timeout))


# ---- registration ----

def test_gin_registration_with_digest(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            regs = lab.peer.registers
            first, second = regs[0], regs[1]
            # RFC 6140 §5.1: bnc Contact without user part, gin required, path supported
            assert first.uri == "sip:ims.lab"
            assert uri_of(first.get("To")) == "sip:+33140000000@ims.lab"
            assert uri_of(first.get("From")) == "sip:+33140000000@ims.lab"
            assert re.fullmatch(r"<sip:127\.0\.21\.1:5060;bnc>", first.get("Contact"))
            assert first.get("Require") == "gin" and first.get("Proxy-Require") == "gin"
            assert {"path", "gin"} <= {s.strip() for s in first.get("Supported").split(",")}
            assert first.get("Expires") == "3600"
            # challenged, then Digest as the PBX subscriber (realm ims.lab), same Call-ID
            assert first.get("Authorization") is None
            auth = second.get("Authorization")
            assert 'username="pbx@ims.lab"' in auth and 'realm="ims.lab"' in auth
            assert second.call_id == first.call_id and second.cseq[0] == first.cseq[0] + 1
            health = lab.node.http("/health")
            assert '"registration":"registered"' in health
            assert lab.node.metric("wtpf_registrations_total", 'result="ok"') == 1
    run(main())


def test_registration_redone_after_restart_and_403_then_refreshed(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            peer = lab.peer
            call_id = peer.registers[-1].call_id
            n = len(peer.registers)
            # the pcscf restarts (and forgets us); its registrar now answers 403
            peer.register_policy = lambda req: 403
            await peer.restart(down_for=2.5)  # keepalive OPTIONS (1 s) see it gone, then back
            await lab.until(lambda: len(peer.registers) > n, what="REGISTER after restart")
            # not a refresh (none is due for an hour): registered again from scratch; the
            # Call-ID stays, as RFC 3261 §10.2 wants for one boot cycle, CSeq goes on
            assert peer.registers[n].call_id == call_id
            assert peer.registers[n].cseq[0] > peer.registers[n - 1].cseq[0]
            await lab.until(lambda: lab.node.metric("wtpf_registration_state") == 0,
                            what="403 seen")
            m = len(peer.registers)
            await lab.until(lambda: len(peer.registers) > m, what="retry after 403")
            # the registrar takes it again, for 4 s only: refreshed before expiry, same Call-ID
            peer.register_policy = None
            peer.grant_expires = 4
            await lab.until(lambda: lab.node.metric("wtpf_registration_state") == 1,
                            what="registered again")
            ok_at = time.time()
            k = len(peer.registers)
            await lab.until(lambda: len(peer.registers) > k, timeout=6, what="refresh")
            assert time.time() - ok_at < 4
            assert peer.registers[k].call_id == peer.registers[k - 1].call_id
            await asyncio.sleep(0.3)
            assert lab.node.metric("wtpf_registration_state") == 1
            assert lab.node.metric("wtpf_registrations_total", 'result="refused"') >= 2
    run(main())


def test_static_mode_never_registers_and_asserts_identity(tmp_path):
    async def main():
        async with Lab(tmp_path, mode="static") as lab:
            alice = await lab.wic("alice")
            await asyncio.sleep(1.5)
            assert lab.peer.registers == []
            assert '"registration":"static"' in lab.node.http("/health")
            await alice.send(type="call", id="s1", to="+33150000201", sdp="v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
            inv = await lab.peer.next_invite()
            assert inv.get("P-Asserted-Identity") == "<tel:+33140000101>"
            assert inv.get("P-Preferred-Identity") is None
            dlg = lab.peer.dialog_of(inv)
            lab.peer.fail(dlg, 486, "Busy Here")
            e = await alice.expect("ended", "s1")
            assert e["code"] == 486
            # incoming in static mode: the pcscf routes the number to our address
            offer = await lab.new_media().offer()
            d2 = lab.peer.call("+33140000101", offer)
            inc = await alice.expect("incoming")
            assert inc["sdp"] == offer
            await alice.send(type="reject", id=inc["id"])
            r = await d2.response(final=True)
            assert r.status == 486
    run(main())


# ---- outgoing calls ----

def test_outgoing_call_end_to_end_with_audio(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            alice = await lab.wic("alice")
            wic_media, far = lab.new_media(), lab.new_media()
            offer = await wic_media.offer()
            await alice.send(type="call", id="out-1", to="+33150000201", sdp=offer)
            inv = await lab.peer.next_invite()
            # what goes on W8
            assert inv.uri == "sip:+33150000201@ims.lab;user=phone"
            assert uri_of(inv.get("To")) == "sip:+33150000201@ims.lab;user=phone"
            assert uri_of(inv.get("From")) == "sip:+33140000101@ims.lab;user=phone"
            assert inv.get("From").startswith('"Alice"')
            assert inv.get("P-Preferred-Identity") == "<tel:+33140000101>"
            assert inv.get("P-Asserted-Identity") is None
            assert inv.get("Content-Type") == "application/sdp"
            assert inv.body == offer  # the WIC's SDP, unchanged
            assert "bnc" not in inv.get("Contact")
            assert re.fullmatch(r"[0-9a-f]{16}", inv.get("X-Correlation-ID"))
            assert inv.get("Route") == "<sip:orig@127.0.21.2:5060;lr>"  # Service-Route
            dlg = lab.peer.dialog_of(inv)
            lab.peer.ring(dlg, 180)
            assert (await alice.expect("progress", "out-1"))["code"] == 180
            lab.peer.ring(dlg, 183)
            assert (await alice.expect("progress", "out-1"))["code"] == 183
            answer = await far.answer(inv.body)
            lab.peer.answer(dlg, answer)
            a = await alice.expect("answered", "out-1")
            assert a["sdp"] == answer
            await dlg.next_request("ACK")
            await wic_media.accept(a["sdp"])
            assert await far.heard(), "the far end hears nothing"
            assert await wic_media.heard(), "the WIC hears nothing"
            await alice.send(type="hangup", id="out-1")
            bye = await dlg.next_request("BYE")
            assert bye.call_id == inv.call_id
            e = await alice.expect("ended", "out-1")
            assert (e["code"], e["reason"]) == (200, "local hangup")
            await asyncio.sleep(0.2)
            assert lab.node.metric("wtpf_calls_total", 'direction="out",outcome="answered"') == 1
            assert lab.node.metric("wtpf_calls_active") == 0
    run(main())


def test_outgoing_failures_cancel_bye_and_parallel_calls(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            alice = await lab.wic("alice")
            sdp = await lab.new_media().offer()
            # 486 from IMS
            await alice.send(type="call", id="busy", to="+33150000201", sdp=sdp)
            d = lab.peer.dialog_of(await lab.peer.next_invite())
            lab.peer.fail(d, 486, "Busy Here")
            e = await alice.expect("ended", "busy")
            assert (e["code"], e["reason"]) == (486, "Busy Here")
            # the WIC hangs up before the answer: CANCEL
            await alice.send(type="call", id="cxl", to="+33150000202", sdp=sdp)
            inv = await lab.peer.next_invite()
            d = lab.peer.dialog_of(inv)
            lab.peer.ring(d)
            await alice.expect("progress", "cxl")
            await alice.send(type="hangup", id="cxl")
            e = await alice.expect("ended", "cxl")
            assert e["code"] == 487
            await lab.until(lambda: lab.peer.received("CANCEL"), what="CANCEL")
            assert lab.peer.received("CANCEL")[-1].call_id == inv.call_id
            # several calls of one user at once; the far end hangs up one of them
            ids = ["p1", "p2", "p3"]
            dialogs = {}
            for i in ids:
                await alice.send(type="call", id=i, to="+33150000201", sdp=sdp)
                inv = await lab.peer.next_invite()
                dialogs[i] = lab.peer.dialog_of(inv)
            assert len({d.call_id for d in dialogs.values()}) == 3
            for i in ids:
                lab.peer.answer(dialogs[i], "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\n")
                assert (await alice.expect("answered", i))["sdp"].startswith("v=0")
            assert lab.node.metric("wtpf_calls_active") == 3
            dialogs["p2"].bye()
            e = await alice.expect("ended", "p2")
            assert (e["code"], e["reason"]) == (200, "remote hangup")
            # a client that goes away: its calls are ended on W8 (BYE)
            await alice.close()
            lab.clients.remove(alice)
            for i in ("p1", "p3"):
                await dialogs[i].next_request("BYE")
            await lab.until(lambda: lab.node.metric("wtpf_calls_active") == 0)
            assert lab.node.metric("wtpf_calls_total", 'direction="out",outcome="busy"') == 1
            assert lab.node.metric("wtpf_calls_total", 'direction="out",outcome="cancelled"') == 1
    run(main())


def test_dtmf_and_call_id_rules(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            alice = await lab.wic("alice")
            sdp = await lab.new_media().offer()
            await alice.send(type="call", id="d1", to="+33150000201", sdp=sdp)
            inv = await lab.peer.next_invite()
            dlg = lab.peer.dialog_of(inv)
            # the same id again while the call exists: 409
            await alice.send(type="call", id="d1", to="+33150000202", sdp=sdp)
            assert (await alice.expect("error", "d1"))["code"] == 409
            # DTMF before the answer: 409; answer/reject on an outgoing call: 409
            await alice.send(type="dtmf", id="d1", digits="1")
            assert (await alice.expect("error", "d1"))["code"] == 409
            await alice.send(type="answer", id="d1", sdp=sdp)
            assert (await alice.expect("error", "d1"))["code"] == 409
            lab.peer.answer(dlg, "v=0\r\no=- 3 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
            await alice.expect("answered", "d1")
            await alice.send(type="dtmf", id="d1", digits="1#")
            i1 = await dlg.next_request("INFO")
            i2 = await dlg.next_request("INFO")
            assert i1.get("Content-Type") == "application/dtmf-relay"
            assert i1.body.startswith("Signal=1\r\n") and i2.body.startswith("Signal=#\r\n")
            await alice.send(type="hangup", id="d1")
            await dlg.next_request("BYE")
            await alice.expect("ended", "d1")
    run(main())


# ---- incoming calls ----

def test_incoming_call_end_to_end_with_audio(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            alice = await lab.wic("alice")
            caller, wic_media = lab.new_media(), lab.new_media()
            offer = await caller.offer()
            # RFC 6140 §7: the Request-URI is built from the bnc Contact
            dlg = lab.peer.call("+33140000101", offer, caller="sip:+33150000201@ims.lab",
                                extra=[("X-Correlation-ID", "00112233445566ff")])
            assert dlg.invite.uri == "sip:+33140000101@127.0.21.1:5060;user=phone"
            inc = await alice.expect("incoming")
            assert inc["from"] == "sip:+33150000201@ims.lab" and inc["sdp"] == offer
            assert "00112233445566ff" in inc["id"]
            r = await dlg.response()
            while r.status == 100:
                r = await dlg.response()
            assert r.status == 180
            answer = await wic_media.answer(inc["sdp"])
            await alice.send(type="answer", id=inc["id"], sdp=answer)
            r = await dlg.response(final=True)
            assert r.status == 200 and r.body == answer  # the WIC's answer, unchanged
            await caller.accept(r.body)
            assert await caller.heard() and await wic_media.heard()
            dlg.bye()
            e = await alice.expect("ended", inc["id"])
            assert (e["code"], e["reason"]) == (200, "remote hangup")
            assert (await dlg.response(final=True)).status == 200
            await asyncio.sleep(0.2)
            assert lab.node.metric("wtpf_calls_total", 'direction="in",outcome="answered"') == 1
            log = lab.node.log.read_text()
            assert "00112233445566ff" in log  # the correlation id followed the call
    run(main())


def test_incoming_failures(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            alice = await lab.wic("alice")
            offer = "v=0\r\no=- 4 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
            # the caller gives up while it rings: CANCEL -> ended 487
            dlg = lab.peer.call("+33140000101", offer)
            inc = await alice.expect("incoming")
            lab.peer.cancel(dlg)
            e = await alice.expect("ended", inc["id"])
            assert e["code"] == 487
            assert (await dlg.response(final=True, method="INVITE")).status == 487
            # the WIC rejects: 486 to IMS, ended to the WIC
            dlg = lab.peer.call("+33140000101", offer)
            inc = await alice.expect("incoming")
            await alice.send(type="reject", id=inc["id"])
            assert (await alice.expect("ended", inc["id"]))["code"] == 486
            assert (await dlg.response(final=True)).status == 486
            # the WIC hangs up a ringing call: the same as a reject
            dlg = lab.peer.call("+33140000101", offer)
            inc = await alice.expect("incoming")
            await alice.send(type="hangup", id=inc["id"])
            assert (await dlg.response(final=True)).status == 486
            e = await alice.expect("ended", inc["id"])
            assert (e["code"], e["reason"]) == (486, "local hangup")
            # nobody logged in (carol): 480; unknown number: 404; no SDP: 488
            for number, body, code in (("+33140000103", offer, 480), ("+33140000199", offer, 404),
                                       ("+33140000101", "", 488)):
                dlg = lab.peer.call(number, body)
                assert (await dlg.response(final=True)).status == code, number
            # answer twice / answer a call that is not ringing: 409
            dlg = lab.peer.call("+33140000101", offer)
            inc = await alice.expect("incoming")
            await alice.send(type="answer", id=inc["id"], sdp="v=0\r\n")
            assert (await dlg.response(final=True)).status == 200
            await alice.send(type="answer", id=inc["id"], sdp="v=0\r\n")
            assert (await alice.expect("error", inc["id"]))["code"] == 409
            # a re-INVITE from IMS keeps the session (our SDP again)
            re_inv = dlg.request("INVITE", offer, "application/sdp")
            lab.peer.send(re_inv)
            r = await dlg.response(final=True)
            assert r.status == 200 and r.body == "v=0\r\n"
            # the WIC hangs up: BYE on W8
            await alice.send(type="hangup", id=inc["id"])
            await dlg.next_request("BYE")
            assert (await alice.expect("ended", inc["id"]))["reason"] == "local hangup"
            # an INVITE from somewhere else than the pcscf: 403
            other = await SipPeer("127.0.21.9", 5060, (WTPF, 5060)).start()
            try:
                d = other.call("+33140000101", offer, target=f"sip:+33140000101@{WTPF}:5060")
                assert (await d.response(final=True)).status == 403
            finally:
                other.stop()
            await alice.nothing(0.3)
    run(main())


def test_sigterm_ends_calls_and_deregisters(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            alice = await lab.wic("alice")
            await alice.send(type="call", id="t1", to="+33150000201", sdp="v=0\r\n")
            dlg = lab.peer.dialog_of(await lab.peer.next_invite())
            lab.peer.answer(dlg, "v=0\r\n")
            await alice.expect("answered", "t1")
            incoming = lab.peer.call("+33140000101", "v=0\r\n")
            await alice.expect("incoming")
            stopping = asyncio.ensure_future(lab.stop_node())
            e = await alice.expect("ended", "t1")
            assert e["code"] == 503
            await dlg.next_request("BYE")
            assert (await incoming.response(final=True)).status == 503
            last = lab.peer.registers[-1]
            assert last.get("Expires") == "0" or "expires=0" in last.get("Contact")
            await stopping
    run(main())


def test_other_requests_get_sips_default_answers(tmp_path):
    async def main():
        async with Lab(tmp_path) as lab:
            for method, extra, want in (("OPTIONS", [], 200),
                                        ("MESSAGE", [("Content-Type", "text/plain")], None),
                                        ("SUBSCRIBE", [("Event", "presence")], None),
                                        ("REFER", [("Refer-To", "<sip:x@y>")], None),
                                        ("FOOBAR", [], None)):
                d = lab.peer.request(method, extra=extra)
                r = await d.response(final=True)
                if want:
                    assert r.status == want, (method, r)
                else:
                    assert r.status >= 400, (method, r)
            # a BYE for no call
            d = lab.peer.request("BYE")
            assert (await d.response(final=True)).status == 481
            assert lab.node.alive()
    run(main())
