"""wtpf third-party services (DESIGN.md "Third-party services"), end to end between aiortc WICs
and the SIP peer standing in for the pcscf: number transformation, call diversion
(unconditional, busy, no answer, offline; to a user, a group, an external number with
History-Info) and simultaneous ringing of a group."""
import asyncio

from sip_peer import uri_of
from test_wtpf_w8 import Lab, run
from wic_client import WicClient

HTTP = ("127.0.21.1", 8080)
USERS = [
    ("alice", "alice-lab", "+33140000101",
     'transform = ( { match = "prefix"; pattern = "8"; replace = "+3315000020"; } );'),
    ("bob", "bob-lab", "+33140000102",
     'max_calls = 1; diversion = { busy = "+33150000201"; no_answer = "carol"; '
     'no_answer_timeout = 2; };'),
    ("carol", "carol-lab", "+33140000103", 'diversion = { offline = "alice"; };'),
    ("dave", "dave-lab", "+33140000104", 'diversion = { unconditional = "+33150000202"; };'),
    ("erin", "erin-lab", "+33140000105", 'diversion = { unconditional = "frank"; };'),
    ("frank", "frank-lab", "+33140000106", 'diversion = { unconditional = "erin"; };'),
    ("gina", "gina-lab", "+33140000109", ""),
]
GROUPS = ('{ name = "call-centre"; number = "+33140000100"; members = [ "alice", "bob" ]; },\n'
          '{ name = "night"; number = "+33140000108"; members = [ "gina" ]; },\n'
          '{ name = "sales"; number = "+33140000107"; members = [ "gina" ]; '
          '  diversion = { offline = "call-centre"; }; }')
SERVICES = ('transform = ( { match = "regex"; pattern = "1([0-9]{2})"; '
            'replace = "+331400001\\\\1"; }, { match = "prefix"; pattern = "0"; replace = "+33"; } );')
OFFER = ("v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
         "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\na=rtcp-mux\r\n")


def lab(tmp_path):
    return Lab(tmp_path, users=USERS, groups=GROUPS, services=SERVICES)


async def final(dlg):
    return await dlg.response(final=True, method="INVITE")


async def provisional(dlg, status):
    while True:
        r = await dlg.response(method="INVITE")
        if r.status == status:
            return r
        assert r.status < 200, r


def history(inv):
    return ", ".join(inv.get_all("History-Info"))


# ---- number transformation ----

def test_number_transformation(tmp_path):
    async def main():
        async with lab(tmp_path) as l:
            alice = await l.wic("alice")
            bob = await l.wic("bob")
            cases = [(alice, "101", "+33140000101"),        # global regex rule (extension)
                     (alice, "0150000201", "+33150000201"),  # global prefix rule (national)
                     (alice, "81", "+33150000201"),          # alice's own rule comes first
                     (bob, "81", "81"),                      # ...and is only hers
                     (alice, "+33150000202", "+33150000202")]  # no rule: unchanged
            for i, (who, dialled, number) in enumerate(cases):
                await who.send(type="call", id=f"t{i}", to=dialled, sdp=OFFER)
                inv = await l.peer.next_invite()
                assert inv.uri.startswith(f"sip:{number}@ims.lab"), (dialled, inv.uri)
                l.peer.fail(l.peer.dialog_of(inv), 404, "Not Found")
                assert (await who.expect("ended", f"t{i}"))["code"] == 404
            # what no rule turns into a number is refused before W8
            await alice.send(type="call", id="bad", to="12ab", sdp=OFFER)
            e = await alice.expect("ended", "bad")
            assert (e["code"], e["reason"]) == (484, "invalid number")
    run(main())


# ---- diversion ----

def test_unconditional_diversion_to_external_number(tmp_path):
    async def main():
        async with lab(tmp_path) as l:
            dave = await l.wic("dave")  # logged in, but diverts everything
            caller, far = l.new_media(), l.new_media()
            offer = await caller.offer()
            dlg = l.peer.call("+33140000104", offer)
            inv = await l.peer.next_invite()  # the diverted INVITE, back out on W8
            assert inv.uri == "sip:+33150000202@ims.lab;user=phone"
            assert inv.body == offer
            assert uri_of(inv.get("From")) == "sip:+33150000201@ims.lab"  # the original caller
            assert inv.get("P-Preferred-Identity") == "<tel:+33140000104>"  # within our range
            assert history(inv) == (
                "<sip:+33140000104@ims.lab;user=phone?Reason=SIP%3Bcause%3D302>;index=1, "
                "<sip:+33150000202@ims.lab;user=phone;cause=302>;index=1.1;mp=1")
            out = l.peer.dialog_of(inv)
            l.peer.ring(out)
            await provisional(dlg, 180)
            answer = await far.answer(inv.body)
            l.peer.answer(out, answer)
            r = await final(dlg)
            assert r.status == 200 and r.body == answer
            await caller.accept(r.body)
            assert await far.heard() and await caller.heard()
            # either side's BYE ends the other leg
            dlg.bye()
            await out.next_request("BYE")
            await dave.nothing(0.3)  # dave never saw the call
            await asyncio.sleep(0.2)
            assert l.node.metric("wtpf_diversions_total", 'condition="unconditional"') == 1
            assert l.node.metric("wtpf_calls_active") == 0
    run(main())


def test_offline_diversion_to_user_and_group(tmp_path):
    async def main():
        async with lab(tmp_path) as l:
            alice = await l.wic("alice")
            # carol is not logged in: offline diversion to alice
            dlg = l.peer.call("+33140000103", OFFER)
            inc = await alice.expect("incoming")
            assert inc["sdp"] == OFFER
            await alice.send(type="answer", id=inc["id"], sdp="v=0\r\n")
            assert (await final(dlg)).body == "v=0\r\n"
            await alice.send(type="hangup", id=inc["id"])
            await dlg.next_request("BYE")
            await alice.expect("ended", inc["id"])
            # the sales group has nobody logged in: diverted to the call-centre group
            bob = await l.wic("bob")
            dlg = l.peer.call("+33140000107", OFFER)
            a, b = await alice.expect("incoming"), await bob.expect("incoming")
            assert a["id"] == b["id"]
            l.peer.cancel(dlg)
            assert (await alice.expect("ended", a["id"]))["code"] == 487
            assert (await bob.expect("ended", b["id"]))["code"] == 487
            # a group without diversion and nobody logged in: 480
            dlg = l.peer.call("+33140000108", OFFER)
            assert (await final(dlg)).status == 480
            assert l.node.metric("wtpf_diversions_total", 'condition="offline"') == 2
    run(main())


def test_busy_and_no_answer_diversion(tmp_path):
    async def main():
        async with lab(tmp_path) as l:
            bob = await l.wic("bob")
            carol = await l.wic("carol")
            # bob rejects: busy diversion to an external number, History-Info cause 486
            dlg = l.peer.call("+33140000102", OFFER)
            inc = await bob.expect("incoming")
            await bob.send(type="reject", id=inc["id"])
            assert (await bob.expect("ended", inc["id"]))["code"] == 486
            inv = await l.peer.next_invite()
            assert inv.uri == "sip:+33150000201@ims.lab;user=phone"
            assert history(inv) == (
                "<sip:+33140000102@ims.lab;user=phone?Reason=SIP%3Bcause%3D486>;index=1, "
                "<sip:+33150000201@ims.lab;user=phone;cause=486>;index=1.1;mp=1")
            out = l.peer.dialog_of(inv)
            l.peer.fail(out, 603, "Decline")  # the diverted-to number declines: relayed back
            assert (await final(dlg)).status == 603
            # bob does not answer within 2 s: no-answer diversion to carol
            dlg = l.peer.call("+33140000102", OFFER)
            inc = await bob.expect("incoming")
            e = await bob.expect("ended", inc["id"], timeout=4)
            assert (e["code"], e["reason"]) == (408, "no answer: diverted")
            inc2 = await carol.expect("incoming")
            await carol.send(type="answer", id=inc2["id"], sdp="v=0\r\ncarol\r\n")
            r = await final(dlg)
            assert r.status == 200 and r.body == "v=0\r\ncarol\r\n"
            # bob in a call (max_calls = 1) is busy: diverted without ringing him
            await bob.send(type="call", id="b1", to="+33150000209", sdp=OFFER)
            out = l.peer.dialog_of(await l.peer.next_invite())
            l.peer.answer(out, "v=0\r\n")
            await bob.expect("answered", "b1")
            dlg2 = l.peer.call("+33140000102", OFFER)
            inv = await l.peer.next_invite()
            assert inv.uri == "sip:+33150000201@ims.lab;user=phone"
            assert "cause=486" in history(inv)
            l.peer.fail(l.peer.dialog_of(inv), 486, "Busy Here")
            assert (await final(dlg2)).status == 486
            await bob.nothing(0.3)
            assert l.node.metric("wtpf_diversions_total", 'condition="busy"') == 2
            assert l.node.metric("wtpf_diversions_total", 'condition="no_answer"') == 1
    run(main())


def test_diversion_loop_is_refused(tmp_path):
    async def main():
        async with lab(tmp_path) as l:
            dlg = l.peer.call("+33140000105", OFFER)  # erin -> frank -> erin
            assert (await final(dlg)).status == 482
    run(main())


# ---- simultaneous ringing ----

def test_simultaneous_ringing_first_answer_wins(tmp_path):
    async def main():
        async with lab(tmp_path) as l:
            alice = await l.wic("alice")
            bob1 = await l.wic("bob")
            bob2 = await WicClient(HTTP, "bob", "bob-lab").connect()  # a second tab
            l.clients.append(bob2)
            caller = l.new_media()
            offer = await caller.offer()
            dlg = l.peer.call("+33140000100", offer)
            incs = [await c.expect("incoming") for c in (alice, bob1, bob2)]
            assert {i["id"] for i in incs} == {incs[0]["id"]}
            assert all(i["sdp"] == offer for i in incs)
            call_id = incs[0]["id"]
            await provisional(dlg, 180)
            # bob's second tab answers first: only its answer reaches IMS
            media = l.new_media()
            answer = await media.answer(offer)
            await bob2.send(type="answer", id=call_id, sdp=answer)
            r = await final(dlg)
            assert r.status == 200 and r.body == answer
            for c in (alice, bob1):
                e = await c.expect("ended", call_id)
                assert (e["code"], e["reason"]) == (200, "answered elsewhere")
            await caller.accept(r.body)
            assert await caller.heard() and await media.heard()
            # a late answer from alice is refused, nothing changes on W8
            await alice.send(type="answer", id=call_id, sdp="v=0\r\n")
            assert (await alice.expect("error", call_id))["code"] in (404, 409)
            dlg.bye()
            assert (await bob2.expect("ended", call_id))["reason"] == "remote hangup"
            await bob1.nothing(0.2)
            # one member rejects: the others keep ringing; all reject: 486
            dlg = l.peer.call("+33140000100", offer)
            incs = [await c.expect("incoming") for c in (alice, bob1, bob2)]
            await alice.send(type="reject", id=incs[0]["id"])
            await alice.expect("ended", incs[0]["id"])
            await bob1.send(type="reject", id=incs[1]["id"])
            await bob1.expect("ended", incs[1]["id"])
            await asyncio.sleep(0.2)
            assert not [m for m in l.peer.log if not m.is_request and m.status >= 400
                        and m.call_id == dlg.call_id]
            await bob2.send(type="reject", id=incs[2]["id"])
            assert (await final(dlg)).status == 486
    run(main())
