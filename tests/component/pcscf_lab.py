"""Configurations and starters shared by the pcscf component tests (test_pcscf*.py): the hss-stub
and the pcscf on 127.0.23.x, away from the lab's 127.0.10.x and the other nodes' tests."""
import socket
import threading
import time

from conftest import Node
from diameter_client import APP_CX, FLAG_R, Msg as DiaMsg, avp, message

PCSCF = "127.0.23.2"
HSS = "127.0.23.4"
WTPF = "127.0.23.1"
PHONE1 = "127.0.23.20"
PHONE2 = "127.0.23.21"
STRANGER = "127.0.23.30"
PROXY = (PCSCF, 5060)

HSS_CONF = f"""
log = {{ level = "info"; }};
admin = {{ address = "{HSS}"; port = 9090; }};
diameter = {{ origin_host = "hss.ims.lab"; origin_realm = "ims.lab";
             listen_address = "{HSS}"; port = 3868; }};
digest_realm = "ims.lab";
server_name = "sip:pcscf.ims.lab:5060";
subscribers = (
  {{ impi = "pbx@ims.lab"; password = "pbx-lab";
     impus = ( {{ uri = "sip:+33140000000@ims.lab"; }}, {{ uri = "tel:+33140000000"; }},
               {{ uri = "tel:+3314000!.*!"; }} ); }},
  {{ impi = "+33150000201@ims.lab"; password = "phone201-lab";
     impus = ( {{ uri = "sip:+33150000201@ims.lab"; }}, {{ uri = "tel:+33150000201"; }} ); }},
  {{ impi = "+33150000202@ims.lab"; password = "phone202-lab";
     impus = ( {{ uri = "sip:+33150000202@ims.lab"; }}, {{ uri = "tel:+33150000202"; }} ); }},
  {{ impi = "+33150000203@ims.lab"; password = "phone203-lab";
     impus = ( {{ uri = "sip:+33150000203@ims.lab"; }}, {{ uri = "tel:+33150000203"; }} ); }},
  {{ impi = "static-pbx@ims.lab"; password = "static-lab"; unregistered_services = true;
     impus = ( {{ uri = "sip:+33160000000@ims.lab"; }}, {{ uri = "tel:+3316000!.*!"; }} ); }}
);
"""

WTPF_REGISTRATION = f"""
  {{ name = "wtpf"; address = "{WTPF}"; port = 5060; transport = "udp"; mode = "registration";
     trusted = true; privileged_sender = %(priv)s; impi = "pbx@ims.lab"; }}"""

WTPF_STATIC = f"""
  {{ name = "wtpf"; address = "{WTPF}"; port = 5060; transport = "udp"; mode = "static";
     trusted = true; privileged_sender = %(priv)s; identity = "sip:+33140000000@ims.lab";
     ranges = [ "tel:+33140000000", "tel:+3314000!.*!" ]; }}"""

# A trunk pointing back at the pcscf itself: requests to +33199... loop.
SELF_TRUNK = f"""
  {{ name = "self"; address = "{PCSCF}"; port = 5060; mode = "static"; trusted = true;
     ranges = [ "tel:+33199!.*!" ]; }}"""


def pcscf_conf(peers=None, hss_port=3868, timeout=1000, extra="", iq=None):
    """iq: None (media anchoring off) or the text of the "iq" group."""
    peers = peers if peers is not None else [WTPF_REGISTRATION % {"priv": "false"}]
    return f"""
log = {{ level = "debug"; }};
admin = {{ address = "{PCSCF}"; port = 9090; }};
sip = {{ address = "{PCSCF}"; port = 5060; domain = "ims.lab"; aliases = [ "pcscf.ims.lab" ];
        invite_timeout = 4; {extra} }};
registrar = {{ digest_realm = "ims.lab"; min_expires = 2; max_expires = 3600;
              nonce_lifetime = 60; }};
diameter = {{ origin_host = "pcscf.ims.lab"; origin_realm = "ims.lab";
             listen_address = "{PCSCF}"; request_timeout = {timeout}; }};
hss = {{ address = "{HSS}"; port = {hss_port}; realm = "ims.lab";
        server_name = "sip:pcscf.ims.lab:5060"; retry_after = 7; }};
peers = ( {", ".join(peers)} );
media_anchoring = {"true" if iq is not None else "false"};
{f"iq = {{ {iq} }};" if iq is not None else ""}
"""


def start_hss(tmp):
    return Node("hss-stub", HSS_CONF, tmp, admin=f"{HSS}:9090").start()


def start_pcscf(tmp, conf=None, wait_hss=True):
    """Starts the pcscf; with wait_hss, returns once its Cx connection is open (tests that
    register at once would otherwise race the CER/CEA and get 503)."""
    node = Node("pcscf", conf or pcscf_conf(), tmp, admin=f"{PCSCF}:9090").start()
    deadline = time.time() + 10
    while wait_hss and '"hss":true' not in node.http("/health"):
        if time.time() > deadline:
            node.stop()
            raise AssertionError("pcscf: no Cx connection to the HSS")
        time.sleep(0.05)
    return node


class SilentHss:
    """A Diameter server that completes CER/CEA and DWR/DWA but never answers Cx requests."""

    def __init__(self, port=3869):
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((HSS, port))
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        self.stop = False
        self.requests = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _answer(self, conn, m, avps):
        conn.sendall(message(m.cmd, m.app, 0, m.hbh, m.e2e, avps))

    def _serve(self, conn):
        buf = b""
        conn.settimeout(0.2)
        base = [avp("Result-Code", 2001), avp("Origin-Host", "hss.ims.lab"),
                avp("Origin-Realm", "ims.lab")]
        while not self.stop:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 4 and len(buf) >= int.from_bytes(buf[1:4], "big"):
                n = int.from_bytes(buf[1:4], "big")
                m, buf = DiaMsg(buf[:n]), buf[n:]
                if not m.flags & FLAG_R:
                    continue
                if m.cmd == 257:
                    self._answer(conn, m, base + [avp("Host-IP-Address", HSS), avp("Vendor-Id", 0),
                                                  avp("Product-Name", "silent", flags=0),
                                                  avp("Auth-Application-Id", APP_CX)])
                elif m.cmd in (280, 282):
                    self._answer(conn, m, base)
                else:
                    self.requests += 1  # Cx request: never answered

    def _run(self):
        conns = []
        while not self.stop:
            try:
                conn, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            conns.append((conn, t))
        for conn, t in conns:
            conn.close()
            t.join(timeout=1)

    def close(self):
        self.stop = True
        self.thread.join(timeout=3)
        self.srv.close()
