"""The WIC page in real browsers: headless Chromium (DevTools protocol) and Firefox ESR
(Marionette) load http://127.0.21.1:8080/, log in, place a call through the wtpf to the SIP
peer (whose answer comes from an aiortc end, so audio flows both ways), receive a call and
answer it, and hang up; the test reads the page's call state (window.wic). Each browser run
happens in a fresh network namespace with only loopback (DESIGN.md), so this file re-runs
itself under `unshare -n` as a script.
"""
import asyncio
import ctypes
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WTPF, PEER = "127.0.21.1", "127.0.21.2"
PAGE = f"http://{WTPF}:8080/"


def run_in_netns(browser, tmp_path):
    """Runs this file as a script in a new network namespace; returns its output."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("unshare and ip (util-linux, iproute2) are required")
    cmd = ["unshare", "-n", "sh", "-c",
           'ip link set lo up && exec "$0" "$@"', "/usr/bin/python3", __file__, browser,
           str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env=dict(os.environ))
    try:
        out, _ = proc.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{browser} scenario timed out:\n{out[-6000:]}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # nothing of it may outlive the test
        except ProcessLookupError:
            pass
    print(out)
    assert proc.returncode == 0, f"{browser} scenario failed:\n{out[-8000:]}"
    return out


def test_chromium_logs_in_calls_and_answers(tmp_path):
    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed (scripts/debian-packages.txt)")
    out = run_in_netns("chromium", tmp_path)
    assert "SCENARIO OK" in out


def test_firefox_logs_in_calls_and_answers(tmp_path):
    if not shutil.which("firefox-esr"):
        pytest.fail("firefox-esr is not installed (scripts/debian-packages.txt)")
    out = run_in_netns("firefox", tmp_path)
    assert "SCENARIO OK" in out


# ---------------------------------------------------------------------------------------------
# The scenario, run as a script inside the namespace.

def die_with_parent():
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Chromium:
    """Headless Chromium driven over the DevTools protocol (WebSocket)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.profile = pathlib.Path(tempfile.mkdtemp(prefix="chromium-", dir=tmp))
        self.log = open(tmp / "chromium.log", "w")
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             "--allow-loopback-in-peer-connection",
             "--disable-features=WebRtcHideLocalIpsWithMdns",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--autoplay-policy=no-user-gesture-required",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        self.ws = None
        self.seq = 0

    async def start(self):
        import websockets
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.time() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.time() < deadline, "Chromium did not start"
            assert self.proc.poll() is None, "Chromium exited"
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                                    timeout=5).read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = await websockets.connect(page["webSocketDebuggerUrl"], max_size=2**24,
                                           ping_interval=None)
        await self.cmd("Runtime.enable")
        await self.cmd("Page.enable")

    async def cmd(self, method, **params):
        self.seq += 1
        n = self.seq
        await self.ws.send(json.dumps({"id": n, "method": method, "params": params}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if msg.get("id") == n:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    async def navigate(self, url):
        await self.cmd("Page.navigate", url=url)
        await self.wait_js("document.readyState === 'complete' && !!window.wic")

    async def js(self, expr):
        r = await self.cmd("Runtime.evaluate", expression=expr, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in r:
            raise AssertionError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    async def wait_js(self, expr, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if await self.js(expr):
                    return
            except AssertionError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expr}")

    async def close(self):
        if self.ws:
            await self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Firefox:
    """Headless Firefox ESR driven over Marionette (length-prefixed JSON on TCP)."""

    PREFS = {
        "media.navigator.streams.fake": True,
        "media.navigator.permission.disabled": True,
        # a granted microphone permission: without one Firefox offers only its "default
        # address" (found through the default route, which a loopback-only namespace lacks)
        "permissions.default.microphone": 1,
        "media.autoplay.default": 0,
        "media.autoplay.blocking_policy": 0,
        "media.peerconnection.ice.loopback": True,
        "media.peerconnection.ice.obfuscate_host_addresses": False,
        "media.peerconnection.ice.default_address_only": False,
        "browser.shell.checkDefaultBrowser": False,
        "browser.startup.homepage_override.mstone": "ignore",
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "app.update.disabledForTesting": True,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "network.manage-offline-status": False,  # a namespace without links is not "offline"
        "media.peerconnection.ice.link_local": True,
        
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "extensions.update.enabled": False,
        "remote.prefs.recommended": True,
    }

    def __init__(self, tmp):
        self.tmp = tmp
        self.profile = pathlib.Path(tempfile.mkdtemp(prefix="firefox-", dir=tmp))
        self.port = free_port()
        prefs = dict(self.PREFS, **{"marionette.port": self.port})
        (self.profile / "user.js").write_text("".join(
            f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()))
        self.log = open(tmp / "firefox.log", "w")
        env = dict(os.environ, HOME=str(self.profile), MOZ_HEADLESS="1")
        self.proc = subprocess.Popen(
            ["firefox-esr", "--headless", "--marionette", "--no-remote", "--profile",
             str(self.profile), "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent)
        self.reader = self.writer = None
        self.seq = 0

    async def start(self):
        deadline = time.time() + 60
        while True:
            assert self.proc.poll() is None, "Firefox exited"
            try:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
                break
            except OSError:
                assert time.time() < deadline, "Marionette did not start"
                await asyncio.sleep(0.2)
        await self._read()  # the server's hello
        await self.cmd("WebDriver:NewSession", capabilities={"alwaysMatch": {"acceptInsecureCerts": True}})

    async def _read(self):
        n = b""
        while not n.endswith(b":"):
            n += await asyncio.wait_for(self.reader.readexactly(1), 60)
        return json.loads(await asyncio.wait_for(self.reader.readexactly(int(n[:-1])), 60))

    async def cmd(self, name, **params):
        self.seq += 1
        data = json.dumps([0, self.seq, name, params]).encode()
        self.writer.write(str(len(data)).encode() + b":" + data)
        await self.writer.drain()
        while True:
            msg = await self._read()
            if msg[0] == 1 and msg[1] == self.seq:
                if msg[2]:
                    raise AssertionError(f"{name}: {msg[2]}")
                return msg[3]

    async def navigate(self, url):
        await self.cmd("WebDriver:Navigate", url=url)
        await self.wait_js("document.readyState === 'complete' && !!window.wic")

    async def js(self, expr):
        script = ("const done = arguments[arguments.length - 1];"
                  f"Promise.resolve().then(() => ({expr})).then((v) => done(v === undefined ? null : v),"
                  " (e) => done({__error: String(e)}));")
        r = await self.cmd("WebDriver:ExecuteAsyncScript", script=script, args=[])
        v = r.get("value") if isinstance(r, dict) else r
        if isinstance(v, dict) and "__error" in v:
            raise AssertionError(f"{expr}: {v['__error']}")
        return v

    wait_js = Chromium.wait_js

    async def close(self):
        try:
            await asyncio.wait_for(self.cmd("Marionette:Quit"), 10)
        except Exception:
            pass
        if self.writer:
            self.writer.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


async def scenario(kind, tmp):
    sys.path.insert(0, str(HERE))
    from conftest import Node
    from sip_peer import SipPeer
    from wic_client import Media, wtpf_conf

    peer = await SipPeer(PEER, 5060, (WTPF, 5060)).start()
    node = Node("wtpf", wtpf_conf(tmp, services='transform = ( { match = "prefix"; '
                                             'pattern = "0"; replace = "+33"; } );'),
                tmp, admin=f"{WTPF}:9090")
    await asyncio.to_thread(node.start)
    browser = Chromium(tmp) if kind == "chromium" else Firefox(tmp)
    far = None
    try:
        deadline = time.time() + 10
        while peer.bnc_contact() is None:
            assert time.time() < deadline, "the wtpf did not register"
            await asyncio.sleep(0.05)
        await browser.start()
        await browser.navigate(PAGE)
        # log in through the form; a wrong password first
        await browser.js("(() => { document.getElementById('user').value = 'alice';"
                         " document.getElementById('password').value = 'nope';"
                         " document.getElementById('login').requestSubmit(); return true; })()")
        await browser.wait_js("document.getElementById('login-error').textContent.includes('invalid')")
        await browser.js("(() => { document.getElementById('password').value = 'alice-lab';"
                         " document.getElementById('login').requestSubmit(); return true; })()")
        await browser.wait_js("window.wic.status === 'ready'")
        snap = await browser.js("window.wic.snapshot()")
        assert snap["user"] == "alice" and snap["uri"] == "tel:+33140000101", snap
        print("logged in", flush=True)

        # outgoing call: the page dials, the far end (aiortc behind the SIP peer) answers
        await browser.js("(() => { document.getElementById('number').value = '0150000201';"
                         " document.getElementById('dial').requestSubmit(); return true; })()")
        inv = await peer.next_invite(timeout=20)
        assert inv.uri == "sip:+33150000201@ims.lab;user=phone", inv.uri
        assert inv.get("P-Preferred-Identity") == "<tel:+33140000101>"
        assert "UDP/TLS/RTP/SAVPF" in inv.body and "a=fingerprint" in inv.body, inv.body
        assert "a=candidate" in inv.body, "complete (non-trickle) SDP expected:\n" + inv.body
        dlg = peer.dialog_of(inv)
        peer.ring(dlg)
        await browser.wait_js("window.wic.snapshot().calls.some(c => c.state === 'ringing')")
        far = Media()
        answer = await far.answer(inv.body)
        peer.answer(dlg, answer)
        await browser.wait_js("window.wic.snapshot().calls.some(c => c.state === 'connected'"
                              " && c.media === 'connected')", timeout=30)
        call_id = await browser.js("window.wic.snapshot().calls.find(c => c.state === 'connected').id")
        await browser.wait_js(f"window.wic.stats({json.dumps(call_id)}).then(s => s.packetsReceived > 20)",
                              timeout=20)
        deadline = time.time() + 20
        while far.frames < 25:
            assert time.time() < deadline, "the far end receives no audio from the browser"
            await asyncio.sleep(0.1)
        stats = await browser.js(f"window.wic.stats({json.dumps(call_id)})")
        print("outgoing call connected; browser stats", stats, "far end frames", far.frames,
              flush=True)
        await browser.js(f"document.querySelector('tr[data-id={json.dumps(call_id)}] button.hangup').click() || true")
        await dlg.next_request("BYE", timeout=10)
        await browser.wait_js(f"window.wic.snapshot().calls.find(c => c.id === {json.dumps(call_id)}).state === 'ended'")
        await far.close()

        # incoming call: the SIP peer calls alice; the page rings, answers, media flows
        caller = Media()
        far = caller
        offer = await caller.offer()
        dlg = peer.call("+33140000101", offer)
        await browser.wait_js("window.wic.snapshot().calls.some(c => c.state === 'incoming')")
        snap = await browser.js("window.wic.snapshot()")
        inc = next(c for c in snap["calls"] if c["state"] == "incoming")
        assert inc["peer"] == "sip:+33150000201@ims.lab", inc
        await browser.js(f"document.querySelector('tr[data-id={json.dumps(inc['id'])}] button.answer').click() || true")
        r = await dlg.response(final=True, method="INVITE", timeout=20)
        assert r.status == 200 and "a=fingerprint" in r.body, r
        await caller.accept(r.body)
        await browser.wait_js(f"window.wic.stats({json.dumps(inc['id'])}).then(s => s.packetsReceived > 20)",
                              timeout=30)
        deadline = time.time() + 20
        while caller.frames < 25:
            assert time.time() < deadline, "the caller receives no audio from the browser"
            await asyncio.sleep(0.1)
        print("incoming call connected", flush=True)
        dlg.bye()
        await browser.wait_js(f"window.wic.snapshot().calls.find(c => c.id === {json.dumps(inc['id'])}).state === 'ended'")
        snap = await browser.js("window.wic.snapshot()")
        ended = next(c for c in snap["calls"] if c["id"] == inc["id"])
        assert ended["code"] == 200 and ended["reason"] == "remote hangup", ended
        # a call rejected with the page's Reject button: 486 toward IMS
        dlg = peer.call("+33140000101", offer)
        await browser.wait_js("window.wic.snapshot().calls.some(c => c.state === 'incoming')")
        rid = await browser.js("window.wic.snapshot().calls.find(c => c.state === 'incoming').id")
        await browser.js(f"document.querySelector('tr[data-id={json.dumps(rid)}] button.reject').click() || true")
        r = await dlg.response(final=True, method="INVITE", timeout=10)
        assert r.status == 486, r
        await browser.wait_js(f"window.wic.snapshot().calls.find(c => c.id === {json.dumps(rid)}).state === 'ended'")
        print("incoming call rejected", flush=True)
        print("SCENARIO OK", flush=True)
    finally:
        if far:
            await far.close()
        await browser.close()
        await asyncio.to_thread(node.stop)
        peer.stop()


if __name__ == "__main__":
    kind, tmp = sys.argv[1], pathlib.Path(sys.argv[2])
    os.environ.setdefault("BUILD", "build")
    asyncio.run(asyncio.wait_for(scenario(kind, tmp), 120))
