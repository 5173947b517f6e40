"""pcscf with SIP over TLS (when a certificate is configured): a phone registers and calls over
TLS to a phone on UDP; the pcscf record-routes both transports (RFC 5658) and reaches the TLS
phone back over its own connection."""
import os
import pathlib
import shutil
import subprocess

import pytest

from pcscf_lab import PCSCF, PHONE1, PHONE2, pcscf_conf, start_hss, start_pcscf
from sip_ua import UA, audio_sdp

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")


SUPP = pathlib.Path(__file__).parent / "lsan-sofia-tls.supp"


@pytest.fixture
def lab(tmp_path, monkeypatch):
    # Debian's sofia-sip leaks each accepted TLS connection's SSL object (see the file).
    old = os.environ.get("LSAN_OPTIONS", "")
    monkeypatch.setenv("LSAN_OPTIONS", f"{old}:suppressions={SUPP}" if old else
                       f"suppressions={SUPP}")
    # the suppression needs full allocation stacks (libssl has no frame pointers)
    asan = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", f"{asan}:fast_unwind_on_malloc=0" if asan else
                       "fast_unwind_on_malloc=0")
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=pcscf.ims.lab", "-keyout", str(certs / "key.pem"),
                    "-out", str(certs / "cert.pem")], check=True, capture_output=True, timeout=60)
    # sofia-sip reads the key and the certificate from agent.pem, trusted CAs from cafile.pem
    (certs / "agent.pem").write_text((certs / "key.pem").read_text() +
                                     (certs / "cert.pem").read_text())
    (certs / "cafile.pem").write_text((certs / "cert.pem").read_text())
    hss = start_hss(tmp_path)
    try:
        pcscf = start_pcscf(tmp_path, pcscf_conf(
            extra=f'tls_port = 5061; tls_certificate_dir = "{certs}";'))
        try:
            yield pcscf
        finally:
            pcscf.stop()
    finally:
        hss.stop()


def test_call_over_tls(lab):
    a = UA("sip:+33150000201@ims.lab", PHONE1, proxy=(PCSCF, 5061), proto="tls",
           password="phone201-lab")
    b = UA("sip:+33150000202@ims.lab", PHONE2, proxy=(PCSCF, 5060), password="phone202-lab",
           local_port=5060)
    try:
        _, r = a.register()
        assert r.status == 200 and r.get("Service-Route") == \
            f"<sip:orig@{PCSCF}:5061;lr;transport=tls>"
        assert b.register()[1].status == 200
        c = a.invite("sip:+33150000202@ims.lab", audio_sdp(PHONE1))
        req = b.next_request("INVITE")
        assert req is not None
        assert req.getall("Record-Route") == [f"<sip:{PCSCF}:5060;lr>",
                                              f"<sip:{PCSCF}:5061;lr;transport=tls>"]
        b.respond(req, 200, "OK", body=audio_sdp(PHONE2))
        final = c.wait_final()
        assert final.status == 200
        c.ack()
        assert b.next_request("ACK") is not None
        # the callee hangs up: the BYE reaches the caller over its TLS connection
        rr = req.getall("Record-Route")
        msg = b.new_request("BYE", c.invite.get("Contact").strip("<>"), to=c.invite.get("From"),
                            from_=final.get("To").split(";tag=")[0], from_tag=final.tag("To"),
                            call_id=c.invite.get("Call-ID"), route=", ".join(rr))
        msg.set("To", c.invite.get("From"))
        q = b.send(msg)
        bye = a.next_request("BYE")
        assert bye is not None and "TLS" in bye.get("Via")
        a.respond(bye, 200, "OK")
        assert b.wait(q).status == 200
    finally:
        for ua in (a, b):
            try:
                ua.register(expires=0, timeout=3)
            finally:
                ua.close()
