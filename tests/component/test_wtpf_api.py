"""wtpf, WIC side: the page, login and tokens, the WebSocket upgrade, RFC 6455 framing and the
JSON contract of DESIGN.md "WIC API", and what bad or hostile clients get (clear errors and
close codes, nobody else affected, no crash). No SIP peer: the trunk is down (registration mode
with nobody at the pcscf's address), which is itself a case (`ended` 503)."""
import asyncio
import json
import subprocess
import time

import pytest
import websockets

from conftest import Node, binary
from wic_client import RawWs, WicClient, http_json, wtpf_conf

HTTP = ("127.0.21.1", 8080)
ADMIN = "127.0.21.1:9090"


def start(tmp_path, **kw):
    return Node("wtpf", wtpf_conf(tmp_path, **kw), tmp_path, admin=ADMIN).start()


@pytest.fixture
def wtpf(tmp_path):
    node = start(tmp_path, auth="token_lifetime = 3;",
                 websocket="max_message = 8192; max_errors = 20; max_per_user = 3;")
    yield node
    assert node.alive(), node.log.read_text()[-3000:]
    node.stop()


def login(user="alice", password=None, source=None):
    st, h, body = http_json(HTTP, "POST", "/api/login",
                            {"user": user, "password": password or f"{user}-lab"}, source)
    return st, h, body


def token(user="alice"):
    st, _, body = login(user)
    assert st == 200, body
    return body["token"]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


# ---- page and HTTP ----

def test_page_is_served(wtpf):
    st, h, body = http_json(HTTP, "GET", "/")
    assert st == 200 and h["content-type"].startswith("text/html")
    assert "<script" in body and "wic.js" in body
    assert "default-src 'self'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    st, h, body = http_json(HTTP, "GET", "/wic.js")
    assert st == 200 and h["content-type"].startswith("text/javascript")
    assert "RTCPeerConnection" in body and "/api/login" in body
    st, _, body = http_json(HTTP, "GET", "/../etc/passwd")
    assert st == 404
    st, _, _ = http_json(HTTP, "GET", "/nothing.js")
    assert st == 404
    st, h, _ = http_json(HTTP, "DELETE", "/")
    assert st == 405


# ---- login ----

def test_login_issues_a_signed_expiring_token(wtpf):
    before = time.time()
    st, h, body = login("alice")
    assert st == 200, body
    assert h["cache-control"] == "no-store"
    assert body["user"] == "alice" and body["uri"] == "tel:+33140000101"
    assert before + 2 <= body["expires"] <= time.time() + 4  # token_lifetime = 3
    tok = body["token"]
    assert tok.count(".") == 1 and len(tok) < 256
    # another login gives another token (a nonce inside)
    assert token("alice") != tok
    assert wtpf.metric("wtpf_logins_total", 'result="ok"') == 2


def test_login_refusals(wtpf):
    st, h, body = login("alice", "wrong")
    assert st == 401 and body == {"error": "invalid user or password"}
    assert "www-authenticate" in h
    # an unknown user gets exactly the same answer (no user enumeration)
    st2, _, body2 = login("mallory", "whatever")
    assert (st2, body2) == (st, body)
    for raw, why in ((b"{not json", "body is not JSON"), (b"[1,2]", "body is not a JSON object"),
                     (b'{"user":"alice"}', "user and password are required"),
                     (b'{"user":"alice","password":5}', "user and password must be strings"),
                     (b'{"user":"","password":"x"}', "user must be 1 to 64 characters"),
                     (b"\xff\xfe", "body is not JSON")):
        st, _, body = http_json(HTTP, "POST", "/api/login", raw=raw)
        assert st == 400 and body["error"] == why, (raw, st, body)
    st, _, body = http_json(HTTP, "POST", "/api/login", raw=b'{"user":"' + b"a" * 5000 + b'"}')
    assert st == 413
    st, h, _ = http_json(HTTP, "GET", "/api/login")
    assert st == 405 and h["allow"] == "POST"
    assert wtpf.metric("wtpf_logins_total", 'result="bad_credentials"') == 2
    assert wtpf.metric("wtpf_logins_total", 'result="bad_request"') == 7


def test_login_flood_is_throttled_per_user_and_per_source(tmp_path):
    node = start(tmp_path, auth="max_failures = 3; failure_window = 60; lockout = 2; "
                                "lockout_max = 4;")
    try:
        a, b, c = "127.0.21.11", "127.0.21.12", "127.0.21.13"
        for _ in range(3):
            assert login("bob", "guess", source=a)[0] == 401
        # bob is locked out, from anywhere, even with his password
        st, h, body = login("bob", source=a)
        assert st == 429 and int(h["retry-after"]) >= 1 and "retry" in body["error"]
        assert login("bob", source=b)[0] == 429
        # alice from another address is not affected
        assert login("alice", source=b)[0] == 200
        # a flood of guesses at many names from one address locks that address
        for i in range(3):
            assert login(f"user{i}", "x", source=c)[0] == 401
        st, _, _ = login("carol", source=c)
        assert st == 429
        assert login("carol", source=b)[0] == 200
        # a big flood costs no password checks: answered 429 at once
        t0 = time.time()
        for _ in range(50):
            assert login("bob", "guess", source=a)[0] == 429
        assert time.time() - t0 < 5
        assert node.metric("wtpf_logins_total", 'result="throttled"') >= 52
        # the lockout ends
        time.sleep(2.5)
        assert login("bob", source=b)[0] == 200
        assert node.alive()
    finally:
        node.stop()


def test_logins_do_not_block_the_loop(wtpf):
    """Password checks run off the main loop: many parallel logins, WebSocket traffic meanwhile."""
    async def main():
        c = await WicClient(HTTP, "carol", "carol-lab").connect()
        logins = [asyncio.to_thread(login, "alice") for _ in range(20)]
        t0 = time.time()
        await c.send(type="hangup", id="x")
        err = await c.expect("error")
        assert err["code"] == 404 and time.time() - t0 < 2
        results = await asyncio.gather(*logins)
        assert all(r[0] == 200 for r in results), [r[0] for r in results]
        await c.close()
    run(main())


# ---- WebSocket upgrade ----

def test_upgrade_refusals(wtpf):
    tok = token("alice")
    # plain GET: not a WebSocket request (RFC 6455 §4.4)
    st, h, body = http_json(HTTP, "GET", f"/wic?token={tok}")
    assert st == 426 and h["upgrade"] == "websocket" and h["sec-websocket-version"] == "13"
    ws = RawWs(HTTP, f"/wic?token={tok}", headers={"Sec-WebSocket-Key": "short"})
    assert ws.status == 400
    ws = RawWs(HTTP, f"/wic?token={tok}", headers={"Sec-WebSocket-Version": "8"})
    assert ws.status == 426 and ws.headers["sec-websocket-version"] == "13"
    for path in ("/wic", "/wic?token=", "/wic?token=garbage", f"/wic?token={tok[:-2]}AA",
                 f"/wic?token=A{tok[1:]}"):
        ws = RawWs(HTTP, path)
        assert ws.status == 401, path
    # the token expires (token_lifetime = 3)
    time.sleep(3.2)
    ws = RawWs(HTTP, f"/wic?token={tok}")
    assert ws.status == 401
    st, _, body = http_json(HTTP, "POST", f"/wic?token={tok}")
    assert st == 405
    assert wtpf.metric("wtpf_ws_upgrades_total", 'result="unauthorized"') == 6


def test_ready_then_contract_errors(wtpf):
    """Every kind of bad message gets an `error` with the documented code; the session stays."""
    async def main():
        c = await WicClient(HTTP, "alice", "alice-lab").connect()
        assert c.ready == {"type": "ready", "user": "alice", "uri": "tel:+33140000101"}
        cases = [
            ("not json", 400, None),
            ("[1]", 400, None),
            ('{"type": 5}', 400, None),
            ('{"id": "a"}', 400, "a"),
            ('{"type": "dance", "id": "a"}', 501, "a"),
            ('{"type": "ready", "user": "x", "uri": "y"}', 501, None),  # server -> client type
            ('{"type": "incoming", "id": "i", "from": "x", "sdp": "v=0"}', 501, "i"),
            ('{"type": "call", "id": "c1", "to": "+331"}', 400, "c1"),  # no sdp
            ('{"type": "call", "id": "", "to": "+331", "sdp": "v=0"}', 400, None),
            ('{"type": "call", "id": "' + "x" * 65 + '", "to": "1", "sdp": "v"}', 400, None),
            ('{"type": "dtmf", "id": "d", "digits": "12X"}', 400, "d"),
            ('{"type": "answer", "id": "nope", "sdp": "v=0"}', 404, "nope"),
            ('{"type": "reject", "id": "nope"}', 404, "nope"),
            ('{"type": "hangup", "id": "nope"}', 404, "nope"),
            ('{"type": "dtmf", "id": "nope", "digits": "1"}', 404, "nope"),
        ]
        for text, code, id_ in cases:
            await c.ws.send(text)
            e = await c.expect("error")
            assert e["code"] == code, (text, e)
            assert e.get("id") == id_, (text, e)
            assert e["reason"], e
        # the trunk is down (nobody registered us): a call ends at once with 503
        await c.send(type="call", id="c2", to="+33150000201", sdp="v=0\r\n")
        e = await c.expect("ended", "c2")
        assert e["code"] == 503
        # still alive and well
        await c.send(type="hangup", id="c2")
        assert (await c.expect("error"))["code"] == 404
        await c.close()
    run(main())
    assert wtpf.metric("wtpf_wic_messages_total", 'type="invalid"') == 11
    assert wtpf.metric("wtpf_wic_errors_total", 'code="501"') == 3


def test_message_size_limit_and_too_many_errors(wtpf):
    async def main():
        c = await WicClient(HTTP, "alice", "alice-lab").connect()
        # max_message = 8192: a bigger message closes the connection with 1009
        await c.ws.send(json.dumps({"type": "call", "id": "big", "to": "1",
                                    "sdp": "v=0\r\n" + "a=x\r\n" * 3000}))
        await asyncio.wait_for(c._reader, 5)
        assert c.ws.close_code == 1009
        # max_errors = 20: a client that only sends garbage is closed with 1008
        d = await WicClient(HTTP, "bob", "bob-lab").connect()
        for i in range(20):
            await d.ws.send("garbage")
        for i in range(20):
            await d.expect("error")
        await asyncio.wait_for(d._reader, 5)
        assert d.ws.close_code == 1008
    run(main())


def test_rfc6455_framing(wtpf):
    tok = token("alice")
    # fragmentation with a ping in the middle: the message is reassembled, the ping answered
    ws = RawWs(HTTP, f"/wic?token={tok}")
    assert ws.status == 101
    assert ws.recv_json()["type"] == "ready"
    msg = json.dumps({"type": "hangup", "id": "frag"})
    ws.send(RawWs.frame(msg[:5], opcode=1, fin=False))
    ws.send(RawWs.frame(b"hello", opcode=9))
    ws.send(RawWs.frame(msg[5:12], opcode=0, fin=False))
    ws.send(RawWs.frame(msg[12:], opcode=0, fin=True))
    assert ws.recv_frame() == (10, b"hello")
    e = ws.recv_json()
    assert e == {"type": "error", "id": "frag", "code": 404, "reason": "no such call"}
    # a clean close: the server echoes the code and closes the TCP link
    ws.send(RawWs.frame(b"\x03\xe8bye", opcode=8))
    assert ws.expect_close() == (1000, "")
    assert ws.closed()

    def expect_close_after(data, code):
        w = RawWs(HTTP, f"/wic?token={token('alice')}")
        assert w.recv_json()["type"] == "ready"
        w.send(data)
        got = w.expect_close()
        assert got[0] == code, (data[:20], got)
        assert w.closed()
        return got

    expect_close_after(RawWs.frame('{"type":"hangup","id":"x"}', mask=False), 1002)  # unmasked
    expect_close_after(RawWs.frame(b"x", opcode=3), 1002)          # reserved opcode
    expect_close_after(RawWs.frame(b"x", rsv=4), 1002)              # RSV bit, no extension
    expect_close_after(RawWs.frame(b"x" * 200, opcode=9), 1002)     # control frame > 125
    expect_close_after(RawWs.frame(b"x", opcode=0), 1002)           # continuation first
    expect_close_after(RawWs.frame(b"\xc3\x28", opcode=1), 1007)    # invalid UTF-8
    expect_close_after(RawWs.frame(b"\x01\x02", opcode=2), 1003)    # binary message
    # oversized: refused from the header alone, before any payload arrives
    expect_close_after(RawWs.frame(b"", length=1 << 20)[:14], 1009)
    expect_close_after(RawWs.frame(b"", length=1 << 40)[:14], 1009)
    assert wtpf.metric("wtpf_ws_closes_total", 'code="1002"') == 5
    assert wtpf.alive()


def test_bad_clients_do_not_disturb_others(wtpf):
    async def main():
        alice = await WicClient(HTTP, "alice", "alice-lab").connect()
        tok = token("bob")
        for i in range(30):
            w = RawWs(HTTP, f"/wic?token={tok}")
            if w.status == 101:
                w.send(RawWs.frame(b"\x00" * 50, mask=False) if i % 2 else
                       RawWs.frame(b"", length=1 << 30)[:14])
            w.close()
            # alice is served in between, promptly
            await alice.send(type="hangup", id=f"x{i}")
            e = await alice.expect("error", f"x{i}", timeout=2)
            assert e["code"] == 404
        await alice.close()
    run(main())
    assert wtpf.alive()


def test_sessions_per_user_and_metrics(wtpf):
    async def main():
        a1 = await WicClient(HTTP, "alice", "alice-lab").connect()
        a2 = await WicClient(HTTP, "alice", "alice-lab").connect()
        a3 = await WicClient(HTTP, "alice", "alice-lab").connect()
        b = await WicClient(HTTP, "bob", "bob-lab").connect()
        assert wtpf.metric("wtpf_logged_in_users") == 2
        assert wtpf.metric("wtpf_ws_connections") == 4
        assert wtpf.metric("wtpf_wic_sessions") == 4
        health = json.loads(wtpf.http("/health"))
        assert health["logged_in_users"] == 2 and health["wic_sessions"] == 4
        ws = RawWs(HTTP, f"/wic?token={token('alice')}")  # max_per_user = 3
        assert ws.status == 429
        for c in (a1, a2, a3):
            await c.close()
        await asyncio.sleep(0.3)
        assert wtpf.metric("wtpf_logged_in_users") == 1
        assert wtpf.metric("wtpf_ws_connections") == 1
        await b.close()
    run(main())


def test_ping_and_idle_timeout(tmp_path):
    node = start(tmp_path, websocket="ping_interval = 1; idle_timeout = 3;")
    try:
        async def main():
            good = await WicClient(HTTP, "alice", "alice-lab").connect()  # answers pings
            def silent_client():  # blocking socket: in a thread, the loop keeps answering
                silent = RawWs(HTTP, f"/wic?token={token('bob')}")
                assert silent.recv_json()["type"] == "ready"
                assert silent.recv_frame(timeout=3)[0] == 9  # a ping
                return silent.expect_close(timeout=5)
            code, reason = await asyncio.to_thread(silent_client)
            assert code == 1001 and "idle" in reason
            await asyncio.sleep(0.5)
            await good.send(type="hangup", id="still")
            assert (await good.expect("error"))["code"] == 404
            await good.close()
        run(main())
    finally:
        node.stop()


def test_sigterm_closes_websockets_with_1001(tmp_path):
    node = start(tmp_path)
    ws = RawWs(HTTP, f"/wic?token={token('alice')}")
    assert ws.recv_json()["type"] == "ready"
    node.stop()  # asserts exit code 0
    assert ws.expect_close()[0] == 1001


def test_check_config_and_hash_tool(tmp_path):
    out = subprocess.run([binary("wtpf"), "--hash-password"], input="s3cret\n", text=True,
                         capture_output=True)
    assert out.returncode == 0 and out.stdout.startswith("$y$")
    base = wtpf_conf(tmp_path)
    bad = {
        'number = "+33140000103";': ('number = "+33150000103";', "outside the PBX range"),
        'members = [ "alice", "bob" ]': ('members = [ "alice", "zed" ]', 'unknown member "zed"'),
        'name = "carol";': ('name = "alice";', 'duplicate name "alice"'),
        'keepalive = 1;': ('keepalive = 1; bogus = 2;', "unknown key 'w8.bogus'"),
    }
    for old, (new, why) in bad.items():
        conf = tmp_path / "bad.conf"
        conf.write_text(base.replace(old, new, 1))
        out = subprocess.run([binary("wtpf"), "--check-config", "-c", str(conf)],
                             capture_output=True, text=True)
        assert out.returncode == 1 and why in out.stderr and "bad.conf:" in out.stderr, \
            (why, out.stderr)
    conf = tmp_path / "bad.conf"
    conf.write_text(base.replace("users = (", 'services = { transform = ( { match = "regex"; '
                                 'pattern = "(["; replace = "x"; } ); };\nusers = (', 1)
                    .replace("services = {  };", ""))
    out = subprocess.run([binary("wtpf"), "--check-config", "-c", str(conf)], capture_output=True,
                         text=True)
    assert out.returncode == 1 and "transform rule" in out.stderr, out.stderr
    for lab in ("etc/lab/wtpf.conf", "etc/lab-static/wtpf.conf"):
        out = subprocess.run([binary("wtpf"), "--check-config", "-c", lab], capture_output=True,
                             text=True, cwd=str(binary("wtpf")).rsplit("/build", 1)[0])
        assert out.returncode == 0, out.stderr


def test_https_and_wss_when_a_certificate_is_configured(tmp_path):
    import ssl
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=wtpf.ims.lab", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    conf = wtpf_conf(tmp_path).replace(
        'port = 8080;', f'port = 8080; tls_certificate = "{cert}"; tls_key = "{key}";', 1)
    node = Node("wtpf", conf, tmp_path, admin=ADMIN).start()
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False

        async def main():
            import http.client
            conn = http.client.HTTPSConnection(*HTTP, context=ctx, timeout=5)
            conn.request("POST", "/api/login", body=json.dumps(
                {"user": "alice", "password": "alice-lab"}), headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            body = json.loads(r.read())
            assert r.status == 200, body
            async with websockets.connect(f"wss://{HTTP[0]}:{HTTP[1]}/wic?token={body['token']}",
                                          ssl=ctx) as ws:
                assert json.loads(await ws.recv())["type"] == "ready"
                await ws.send(json.dumps({"type": "hangup", "id": "tls"}))
                e = json.loads(await ws.recv())
                assert e["code"] == 404 and e["id"] == "tls"
                # a message larger than one TLS record crosses MHD's forwarding intact
                big = json.dumps({"type": "hangup", "id": "y" * 64, "pad": "p" * 40000})
                await ws.send(big)
                assert json.loads(await ws.recv())["code"] == 404
                await ws.close()
                assert ws.close_code == 1000
            # plain HTTP is not served on a TLS port
            with pytest.raises(Exception):
                http_json(HTTP, "GET", "/")
        run(main())
    finally:
        node.stop()
